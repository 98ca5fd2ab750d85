#!/usr/bin/env bash
# Rebuild mimic's riscv64 guest programs with Debian's cross compilers and record their
# golden outputs by running each case of cases.txt under the real qemu-riscv64.
#
#   tests/guests/build.sh            build bin/*, then record expected/*
#   tests/guests/build.sh --check    build, run every case, and only report differences
#                                    from the committed golden files (writes nothing)
#
# Idempotent: rebuilding gives byte-identical binaries and goldens, and only files whose
# content changed are rewritten. Every case is run twice and must give identical
# stdout/stderr/status, otherwise the script fails (the golden would be flaky).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
SYSROOT=/usr/riscv64-linux-gnu
CC=riscv64-linux-gnu-gcc
CXX=riscv64-linux-gnu-g++
STRIP=riscv64-linux-gnu-strip
QEMU=qemu-riscv64
ALL_PKGS="gcc-riscv64-linux-gnu g++-riscv64-linux-gnu qemu-user"
check_only=0
[[ ${1:-} == --check ]] && check_only=1

die() { echo "build.sh: error: $*" >&2; exit 1; }
say() { echo "build.sh: $*"; }

# ---- tools ------------------------------------------------------------------------
need_tool() { # tool package
    command -v "$1" >/dev/null 2>&1 ||
        die "'$1' not found. Install it with: apt-get install $2   (everything: apt-get install $ALL_PKGS)"
}
need_tool $CC gcc-riscv64-linux-gnu
need_tool $CXX g++-riscv64-linux-gnu
need_tool $STRIP binutils-riscv64-linux-gnu
need_tool $QEMU qemu-user
for lib in libc.a libm.a libstdc++.a; do
    p=$($CXX -print-file-name=$lib)
    [[ $p == /* && -f $p ]] ||
        die "the riscv64 $lib is missing. Install it with: apt-get install $ALL_PKGS (libc6-dev-riscv64-cross, libstdc++-12-dev-riscv64-cross)"
done
[[ -e $SYSROOT/lib/ld-linux-riscv64-lp64d.so.1 && -e $SYSROOT/lib/libstdc++.so.6 ]] ||
    die "the riscv64 sysroot $SYSROOT lacks ld-linux-riscv64-lp64d.so.1 or libstdc++.so.6. Install: apt-get install $ALL_PKGS"
say "using $($CC --version | head -1)"
say "using $($QEMU --version | head -1)"

# ---- build ------------------------------------------------------------------------
# -ffile-prefix-map keeps the checkout path out of the binaries (reproducible builds).
COMMON=(-O2 -g0 -Wall -Wextra -ffile-prefix-map="$here"=.)
mkdir -p bin expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build() { # output-name compiler link-mode source [extra flags...]
    local out=$1 cc=$2 mode=$3 src=$4
    shift 4
    local link=()
    case $mode in
    static | static-symbols) link=(-static) ;;
    static-pie) link=(-static-pie -fPIE) ;; # plus -Wl,--no-dynamic-linker: gcc 12's spec adds PT_INTERP
    dyn) link=() ;;
    # -O0 -g (after COMMON's -O2 -g0, so they win) and not stripped: see gdbtarget below.
    debug) link=(-static -O0 -g) ;;
    debug-dyn) link=(-O0 -g) ;;
    esac
    $cc "${COMMON[@]}" "${link[@]}" -o "$tmp/$out" "src/$src" "$@" || die "compiling src/$src failed"
    # static-symbols keeps the symbol table: mimic tui shows names and breaks on them.
    [[ $mode == static-symbols || $mode == debug* ]] || $STRIP --strip-all "$tmp/$out"
    if cmp -s "$tmp/$out" "bin/$out"; then
        say "built bin/$out ($mode, $(stat -c %s "bin/$out") bytes, unchanged)"
    elif ((check_only)); then
        say "built bin/$out ($mode) DIFFERS from the committed binary (not written: --check)"
    else
        cp "$tmp/$out" "bin/$out"
        say "built bin/$out ($mode, $(stat -c %s "bin/$out") bytes, updated)"
    fi
}

for c in hello args fileio malloc sort_string math floats clock stdin_pipe recursion exitcode abort segv wild \
    illegal sighandler sigframe syscalls sysmisc hello_dyn smc threads procs procsig futex pollwait execargs cloneflags procview epoll epoll2 envorder; do
    build $c $CC static $c.c -lm
done
build munmap_race $CC static munmap_race.c -pthread
build codewatch $CC static codewatch.c -pthread
build itimer $CC static itimer.c -pthread
build signalfd $CC static signalfd.c
build sigtarget $CC static sigtarget.c -pthread
build sigwaitmask $CC static sigwaitmask.c -pthread
build returns $CC static returns.c -pthread
build clone3 $CC static clone3.c
build mmapfile $CC static mmapfile.c
build shmem $CC static shmem.c
build inotify $CC static inotify.c -pthread
build abicalls $CC static abicalls.c -pthread
build sockets $CC static sockets.c -pthread
build sockets-dyn $CC dyn sockets.c -pthread
# No case: qemu-user ignores MADV_DONTNEED and would record the patched result (tests/memfloor.rs).
build selfpatch $CC static selfpatch.c
build cxx $CXX static cxx.cpp
# The layout probe: glibc's structures in layouts.c, the kernel's (whose names clash) in
# layouts_kernel.c.
build layouts $CC static layouts.c src/layouts_kernel.c
# The hostile guests: what tests/hostile.rs runs under every engine with a timeout.
for c in hostile_ptrs hostile_mmap hostile_sigframe hostile_storm hostile_smc_race hostile_codechange \
    hostile_edge hostile_random hostile_spin; do
    build $c $CC static $c.c -pthread -lm
done
build cxx_threads $CXX static cxx_threads.cpp
# The snapshot guests (tests/snapshot.rs): snapshotted midway and resumed.
build snapcount $CC static snapcount.c
build snapthreads $CC static snapthreads.c -pthread
build snapfile $CC static snapfile.c
# The demo guest `mimic tui` embeds: threads, so -pthread (static glibc needs it whole).
build demo $CC static-symbols demo.c -pthread
# Debian's riscv64 glibc 2.36 cannot link -static-pie (no rcrt1.o, no _dl_relocate_static_pie),
# so the static-pie test program is freestanding and relocates itself.
build nolibc_pie-static-pie $CC static-pie nolibc_pie.c -nostdlib -ffreestanding -fno-builtin \
    -fno-stack-protector -Wl,--no-dynamic-linker
# The -d log tests' guest: freestanding and with its symbols, so that its traces are short
# and name their functions.
build dlog $CC static-symbols dlog.c -nostdlib -ffreestanding -fno-builtin -fno-stack-protector
build hello_dyn-dyn $CC dyn hello_dyn.c
build cxx-dyn $CXX dyn cxx.cpp
build cxx_threads-dyn $CXX dyn cxx_threads.cpp
build threads-dyn $CC dyn threads.c
# The gdb stub's guest (tests/gdb/, tests/gdb_protocol.rs): the exception to -O2 and
# stripped, so gdb has its lines, functions and variables; no case (gdb drives it).
build gdbtarget $CC debug gdbtarget.c -pthread
build gdbtarget-dyn $CC debug-dyn gdbtarget.c -pthread
# The TUI debugger's guest (tui/tests/debugger.rs): -O0 -g like gdbtarget, for its line table,
# unwind tables and symbols.
build tuidbg $CC debug tuidbg.c
((check_only)) && BIN=$tmp || BIN=$here/bin

# ---- run the cases ----------------------------------------------------------------
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; s=${s%"${s##*[![:space:]]}"}; printf '%s' "$s"; }
# %XX -> byte 0xXX
unpct() { local s=${1//\\/\\\\}; printf '%b' "${s//%/\\x}"; }

run_case() { # dest-prefix: runs the case described by the globals below
    local dest=$1 scratch
    scratch=$(mktemp -d "$tmp/case.XXXXXX")
    local argv=() env=() a
    for a in "${raw_args[@]}"; do
        if [[ $a == '""' ]]; then argv+=(""); else
            a=${a//\$TMPDIR/$scratch}
            argv+=("$(unpct "$a")")
        fi
    done
    for a in "${raw_env[@]}"; do env+=("$(unpct "$a")"); done
    local qflags=()
    [[ $binary == *-dyn ]] && qflags=(-L "$SYSROOT")
    local status=0
    # the braces' 2>/dev/null silences bash's own "Segmentation fault" job report
    { (cd "$scratch" && ulimit -c 0 &&
        exec env -i "${env[@]}" $QEMU "${qflags[@]}" "$BIN/$binary" "${argv[@]}" \
            <"$stdin_file" >"$dest.stdout" 2>"$dest.stderr") || status=$?; } 2>/dev/null
    echo "$status" >"$dest.status"
    rm -rf "$scratch"
}

# A case oracle.txt lists as qemu-differs gets no golden: tests/oracle.rs holds it to Linux.
qemu_differs() { # case-name
    awk -F'|' -v n="$1" '{ gsub(/^[ \t]+|[ \t]+$/, "", $1); gsub(/^[ \t]+|[ \t]+$/, "", $2) }
        $1 == n && $2 == "qemu-differs" { found = 1 } END { exit !found }' oracle.txt
}

declare -A seen=()
ncases=0 nchanged=0 nfail=0
while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    IFS='|' read -r f_name f_bin f_args f_stdin f_env f_stderr f_extra <<<"$line"
    name=$(trim "$f_name"); binary=$(trim "$f_bin"); args=$(trim "$f_args")
    stdin=$(trim "$f_stdin"); envs=$(trim "${f_env:-}"); stderr_mode=$(trim "${f_stderr:-}")
    [[ -z ${f_extra:-} ]] || die "cases.txt: case '$name' has more than 6 fields: $line"
    [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "cases.txt: bad case name '$name' in: $line"
    [[ -z ${seen[$name]:-} ]] || die "cases.txt: duplicate case name '$name'"
    if qemu_differs "$name"; then
        seen[$name]=no-golden
        say "case $name: qemu-riscv64 differs from Linux there (oracle.txt), no golden"
        continue
    fi
    seen[$name]=1
    [[ -f $BIN/$binary ]] || die "cases.txt: case '$name': no binary bin/$binary"
    [[ $stderr_mode == exact || $stderr_mode == ignore ]] ||
        die "cases.txt: case '$name': stderr must be 'exact' or 'ignore', not '$stderr_mode'"
    raw_args=()
    [[ $args == - ]] || read -ra raw_args <<<"$args"
    raw_env=()
    [[ $envs == - || -z $envs ]] || IFS=',' read -ra raw_env <<<"$envs"
    if [[ $stdin == - ]]; then stdin_file=/dev/null; else
        stdin_file=$here/$stdin
        [[ -f $stdin_file ]] || die "cases.txt: case '$name': stdin file $stdin not found"
    fi

    run_case "$tmp/$name.1"
    run_case "$tmp/$name.2"
    for ext in stdout stderr status; do
        if ! cmp -s "$tmp/$name.1.$ext" "$tmp/$name.2.$ext"; then
            diff "$tmp/$name.1.$ext" "$tmp/$name.2.$ext" | head -20 >&2 || true
            die "case '$name': $ext differs between two qemu runs: the program is not deterministic"
        fi
    done
    ncases=$((ncases + 1))
    changed=()
    for ext in stdout stderr status; do
        if ! cmp -s "$tmp/$name.1.$ext" "expected/$name.$ext"; then
            changed+=("$ext")
            ((check_only)) || cp "$tmp/$name.1.$ext" "expected/$name.$ext"
        fi
    done
    st=$(cat "$tmp/$name.1.status")
    summary="status $st, $(wc -l <"$tmp/$name.1.stdout") stdout lines, $(stat -c %s "$tmp/$name.1.stderr") stderr bytes ($stderr_mode)"
    if ((${#changed[@]} == 0)); then
        say "case $name: $summary, goldens unchanged"
    elif ((check_only)); then
        say "case $name: $summary, DIFFERS from expected/ in: ${changed[*]}"
        nfail=$((nfail + 1))
    else
        say "case $name: $summary, updated: ${changed[*]}"
        nchanged=$((nchanged + 1))
    fi
done <cases.txt

# goldens of cases no longer in the manifest
for f in expected/*.stdout expected/*.stderr expected/*.status; do
    [[ -e $f ]] || continue
    n=${f#expected/}; n=${n%.*}
    if [[ ${seen[$n]:-no-golden} == no-golden ]]; then
        if ((check_only)); then say "stale golden $f (case not in cases.txt, or qemu-differs in oracle.txt)"; nfail=$((nfail + 1)); else
            rm -f "$f"; say "removed stale golden $f"; fi
    fi
done
$QEMU --version | head -1 >"$tmp/qemu-version.txt"
((check_only)) || cmp -s "$tmp/qemu-version.txt" expected/qemu-version.txt || cp "$tmp/qemu-version.txt" expected/qemu-version.txt

say "$ncases cases run twice each, deterministic; $( ((check_only)) && echo "$nfail differ from expected/" || echo "$nchanged golden sets updated")"
say "binaries: $(du -cb bin/* | tail -1 | cut -f1) bytes in bin/"
((nfail == 0)) || exit 1
