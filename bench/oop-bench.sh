#!/usr/bin/env bash
# oop-bench.sh: link-and-run time in process and out of process
# (docs/out-of-process.md, "Measurements").
#
# Two generated C programs (bench/gen_inputs.py): `multi`, 20 files of
# ~1,000 lines, and `many`, 1,000 files of ~40 lines, compiled gcc -g -O1.
# Each is linked and run (to the end of main, which prints a checksum) by,
# side by side in one hyperfine run per program:
#   lantern run                         in process (default plugins; and
#                                       --no-debugger-support --no-crash-handler: "bare")
#   lantern run --oop --no-shared-memory  lantern-executor on a socketpair,
#                                       segment bytes in the finalize messages
#   lantern run --oop                   the same with shared memory (memfd)
#   lantern run --connect               TCP on the loopback (bench/oop-tcp-run.sh
#                                       starts the executor), with and without shared memory
#   lantern run --executor LLVM         llvm-jitlink-executor on a socketpair
#   llvm-jitlink-19                     in process
#   llvm-jitlink-19 -oop-executor=      llvm-jitlink-executor, and lantern-executor
# then prints each mean with its ratio to in-process Lantern (same plugins)
# and to llvm-jitlink-19's own out-of-process run.
# Usage: bench/oop-bench.sh [RUNS] (default 10). Set OOP_BENCH_NO_LLVM=1
# to leave out the (slow) llvm-jitlink-19 out-of-process runs.
set -euo pipefail
export LC_ALL=C
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$REPO/target/bench/oop
RUNS=${1:-10}
LANTERN=$REPO/target/release/lantern
EXECUTOR=$REPO/target/release/lantern-executor
LLVM_EXECUTOR=/usr/lib/llvm-19/bin/llvm-jitlink-executor
TCP="$REPO/bench/oop-tcp-run.sh $EXECUTOR $LANTERN"
LIBM=/usr/lib/x86_64-linux-gnu/libm.so.6
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
BARE="--no-debugger-support --no-crash-handler"
for name in multi many; do
    objs=$(ls "$WORK/$name"/obj/*.o | tr '\n' ' ')
    echo "== $name: $(ls "$WORK/$name"/obj/*.o | wc -l) objects"
    # Every command must run the program to its checksum.
    want=$("$LANTERN" run -lm $objs)
    for how in "--oop" "--oop --no-shared-memory"; do
        got=$("$LANTERN" run $how -lm $objs)
        [[ $got == "$want" ]] || { echo "lantern run $how: $got, expected $want" >&2; exit 1; }
    done
    llvm=()
    if [[ ${OOP_BENCH_NO_LLVM:-0} != 1 ]]; then
        llvm=(
            -n "llvm-jitlink-19 + llvm-jitlink-executor" "llvm-jitlink-19 -oop-executor=$LLVM_EXECUTOR -preload=$LIBM $objs"
            -n "llvm-jitlink-19 + lantern-executor" "llvm-jitlink-19 -oop-executor=$EXECUTOR -preload=$LIBM $objs"
        )
    fi
    hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$WORK/$name.json" \
        --export-markdown "$WORK/$name.md" \
        -n "in process" "$LANTERN run -lm $objs" \
        -n "in process, bare" "$LANTERN run $BARE -lm $objs" \
        -n "oop socketpair, no shm" "$LANTERN run --oop --no-shared-memory -lm $objs" \
        -n "oop socketpair, shm" "$LANTERN run --oop -lm $objs" \
        -n "oop socketpair, no shm, bare" "$LANTERN run --oop --no-shared-memory $BARE -lm $objs" \
        -n "oop socketpair, shm, bare" "$LANTERN run --oop $BARE -lm $objs" \
        -n "oop TCP, no shm, bare" "$TCP --no-shared-memory $BARE -lm $objs" \
        -n "oop TCP, shm, bare" "$TCP $BARE -lm $objs" \
        -n "lantern + llvm-jitlink-executor, bare" "$LANTERN run --executor $LLVM_EXECUTOR $BARE -lm $objs" \
        -n "llvm-jitlink-19 in process" "llvm-jitlink-19 -preload=$LIBM $objs" \
        "${llvm[@]}" \
        2>&1 | grep -v '^ *$'
    python3 - "$WORK/$name.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
llvm = r.get("llvm-jitlink-19 + llvm-jitlink-executor")
print(f"{'':42} {'mean':>9} {'stddev':>8} {'/ in process':>13} {'/ llvm oop':>11}")
for name, x in r.items():
    base = r["in process, bare"] if name.endswith("bare") else r["in process"]
    if name.startswith("llvm"):
        base = None
    ratio = f"{x['mean'] / base['mean']:.2f}x" if base else ""
    vs = f"{x['mean'] / llvm['mean']:.3f}x" if llvm else ""
    print(f"{name:42} {x['mean']*1e3:7.1f}ms {x['stddev']*1e3:6.1f}ms {ratio:>13} {vs:>11}")
PY
done
