#!/usr/bin/env bash
# oop-bench.sh: link-and-run time in process and out of process
# (docs/out-of-process.md, "Measurements").
#
# Two generated C programs (bench/gen_inputs.py): `multi`, 20 files of
# ~1,000 lines, and `many`, 1,000 files of ~40 lines. Each is linked and run
# (to the end of main, which prints a checksum) by:
#   lantern run                      in process
#   lantern run --oop                lantern-executor on a socketpair (with debug objects)
#   lantern run --executor LLVM      llvm-jitlink-executor on a socketpair
#   llvm-jitlink-19                  in process
#   llvm-jitlink-19 -oop-executor=   llvm-jitlink-executor, and lantern-executor
# side by side in one hyperfine run per program. Usage: bench/oop-bench.sh [RUNS]
set -euo pipefail
export LC_ALL=C
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$REPO/target/bench/oop
RUNS=${1:-10}
LANTERN=$REPO/target/release/lantern
EXECUTOR=$REPO/target/release/lantern-executor
LLVM_EXECUTOR=/usr/lib/llvm-19/bin/llvm-jitlink-executor
[[ -x $LANTERN && -x $EXECUTOR ]] || cargo build --release -p lantern -p lantern-executor
mkdir -p "$WORK"

build() { # name, gen args...
    local name=$1; shift
    local dir=$WORK/$name
    if [[ ! -f $dir/.built ]]; then
        rm -rf "$dir"; mkdir -p "$dir/src" "$dir/obj"
        python3 "$REPO/bench/gen_inputs.py" multi "$dir/src" "$@"
        for c in "$dir"/src/*.c; do echo "$c"; done |
            xargs -P "$(nproc)" -I{} sh -c 'gcc -g -O1 -c "$1" -o "$2/obj/$(basename "$1" .c).o"' _ {} "$dir"
        touch "$dir/.built"
    fi
}

build multi --files 20 --lines 1000
build many --files 1000 --lines 40

export LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL=1
for name in multi many; do
    objs=$(ls "$WORK/$name"/obj/*.o | tr '\n' ' ')
    echo "== $name: $(ls "$WORK/$name"/obj/*.o | wc -l) objects"
    hyperfine -N --warmup 1 --runs "$RUNS" --export-markdown "$WORK/$name.md" \
        -n "lantern in process" "$LANTERN run -lm $objs" \
        -n "lantern --oop" "$LANTERN run --oop -lm $objs" \
        -n "lantern --executor llvm-jitlink-executor" "$LANTERN run --executor $LLVM_EXECUTOR -lm $objs" \
        -n "llvm-jitlink-19 in process" "llvm-jitlink-19 -preload=/usr/lib/x86_64-linux-gnu/libm.so.6 $objs" \
        -n "llvm-jitlink-19 + llvm-jitlink-executor" "llvm-jitlink-19 -oop-executor=$LLVM_EXECUTOR -preload=/usr/lib/x86_64-linux-gnu/libm.so.6 $objs" \
        -n "llvm-jitlink-19 + lantern-executor" "llvm-jitlink-19 -oop-executor=$EXECUTOR -preload=/usr/lib/x86_64-linux-gnu/libm.so.6 $objs" \
        2>&1 | grep -v '^ *$'
done
