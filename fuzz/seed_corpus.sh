#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds made from the fixtures (made by real tools):
# every HDF5 file for h5_read, the .loom files for loom_read, and for loom_edit each
# .loom file behind one byte selecting all edits (0xff) and one selecting none (0x00);
# the SQLite sample databases of fixtures/io/sqlite for sqlite_read; for inflate, the
# first 4000 bytes of each .loom file behind mode bytes that compress them at levels 0, 2
# and 9 (one with a bit flipped), and as a zlib stream made by Python's zlib.
# The corpus is generated, not committed. Usage: fuzz/seed_corpus.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
fixtures=../fixtures
mkdir -p corpus/h5_read corpus/loom_read corpus/loom_edit corpus/sqlite_read corpus/inflate
cp "$fixtures"/io/sqlite/*.db corpus/sqlite_read/
for f in "$fixtures"/*.loom "$fixtures"/*.h5; do
    cp "$f" corpus/h5_read/
done
for f in "$fixtures"/*.loom; do
    name=$(basename "$f")
    cp "$f" corpus/loom_read/
    { printf '\377'; cat "$f"; } > "corpus/loom_edit/all-$name"
    { printf '\000'; cat "$f"; } > "corpus/loom_edit/none-$name"
done
for f in "$fixtures"/*.loom; do
    name=$(basename "$f")
    for mode in '\001' '\005' '\023' '\205'; do
        { printf "$mode"; head -c 4000 "$f"; } > "corpus/inflate/$(printf "$mode" | od -An -tx1 | tr -d ' ')-$name"
    done
    if command -v python3 >/dev/null 2>&1; then
        { printf '\000'; head -c 4000 "$f" | python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 6))'; } > "corpus/inflate/zlib-$name"
    fi
done
echo "seeded: $(ls corpus/h5_read | wc -l) h5_read, $(ls corpus/loom_read | wc -l) loom_read, $(ls corpus/loom_edit | wc -l) loom_edit, $(ls corpus/sqlite_read | wc -l) sqlite_read, $(ls corpus/inflate | wc -l) inflate"
