# Helpers shared by the .ci scripts (sourced, not run).

step() { printf '\n==> %s\n' "$*"; }

# apt_install PACKAGE...: installs the Debian packages that are missing, as root or
# with passwordless sudo.
apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    local sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo -n); fi
    step "apt-get install ${missing[*]}"
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 \
        install -y -qq --no-install-recommends "${missing[@]}"
}

# rust_target TRIPLE: adds the rustup target if it is missing.
rust_target() {
    if ! rustup target list --installed | grep -qx "$1"; then
        step "rustup target add $1"
        rustup target add "$1"
    fi
}
