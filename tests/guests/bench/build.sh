#!/usr/bin/env bash
# Builds every benchmark twice from the same source with the same flags: static riscv64
# (bin/NAME.rv64, run by mimic and qemu-riscv64) and native x86-64 (bin/NAME.x86); the
# peak-RSS guests of rss/ become bin/rss-NAME.*. The binaries are build products, not
# committed; scripts/bench calls this.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
FLAGS=(-O2 -g0 -static)
mkdir -p bin
for src in *.c rss/*.c; do
    name=${src%.c}
    name=${name/\//-}
    riscv64-linux-gnu-gcc "${FLAGS[@]}" -o "bin/$name.rv64" "$src" -lm -pthread
    gcc "${FLAGS[@]}" -o "bin/$name.x86" "$src" -lm -pthread
done
