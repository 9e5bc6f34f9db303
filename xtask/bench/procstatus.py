"""Reading this process' memory figures from /proc/self/status (Linux), for the
benchmark scripts beside this file."""


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")
