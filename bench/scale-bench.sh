#!/usr/bin/env bash
# scale-bench.sh: what a unit costs with 1, 10,000 and 1,000,000 units live
# (issue 15). `lantern churn --keep N` links N copies of a C++ unit whose
# `work` throws and catches through a second JIT'd frame, then measures,
# with all N live: a throw/catch (1,000 sampled units), the crash handler's
# and `lantern symbolize`'s lookups (1,000 sampled units), and add+call+remove
# of one more unit; and the mappings and resident memory per live unit.
# Optional rows: libgcc's own frame registration (LANTERN_FDE_INDEX=off) and
# one more unit under gdb and lldb. docs/benchmarks.md has the figures.
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
WORKDIR=$REPO/target/bench/scale
LANTERN=$REPO/target/release/lantern
COUNTS="1 10000 1000000"
LIBGCC_COUNTS="1 10000"
DEBUGGER_COUNTS="1 1000"
DEBUGGERS=0

usage() {
    cat <<USAGE
Usage: bench/scale-bench.sh [OPTIONS]

  --counts "A B C"   live unit counts (default "$COUNTS"); the 1,000,000 row
                     runs with --no-debugger-support (a debug object per unit
                     would need about 17 GiB of the C++ unit's)
  --debuggers        also add/remove one unit under gdb and lldb with
                     $DEBUGGER_COUNTS units live (slow: each registration
                     stops the debugger), and with --batched-registration
                     at those counts and 10000
  --lantern P        the lantern binary (default target/release/lantern)
  -h, --help         this text
USAGE
}

while [ $# -gt 0 ]; do
    case $1 in
        --counts) COUNTS=$2; shift 2 ;;
        --debuggers) DEBUGGERS=1; shift ;;
        --lantern) LANTERN=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

[ -x "$LANTERN" ] || (cd "$REPO" && cargo build --release)
mkdir -p "$WORKDIR"
cat > "$WORKDIR/throw.cc" <<'CC'
#include <stdexcept>
__attribute__((noinline)) static void thrower(int n) {
  if (n % 3 != 0) throw std::runtime_error("not a multiple of three");
}
extern "C" int work(int n) {
  try { thrower(n); } catch (const std::exception &) { return 1; }
  return 0;
}
CC
echo 'int work(int n) { return n * 3 + 1; }' > "$WORKDIR/work.c"
g++ -g -O2 -c "$WORKDIR/throw.cc" -o "$WORKDIR/throw.o"
gcc -g -O2 -c "$WORKDIR/work.c" -o "$WORKDIR/work.o"

churn() {
    "$LANTERN" churn --entry work --cycles 100 "$@"
}

for n in $COUNTS; do
    extra=()
    [ "$n" -ge 1000000 ] && extra=(--no-debugger-support)
    echo "== $n live C++ units ${extra[*]:-}"
    churn "${extra[@]}" --keep "$n" --call-sample 1000 --symbolize-sample 1000 \
        --cycles-while-kept 200 "$WORKDIR/throw.o" | grep -v '^churn: [0-9]* add+call+remove cycles on'
    echo "== $n live one-function C units ${extra[*]:-}"
    churn "${extra[@]}" --keep "$n" "$WORKDIR/work.o" | grep -E 'live units|per live unit|after removing'
done

for n in $LIBGCC_COUNTS; do
    echo "== $n live C++ units, libgcc's __register_frame (LANTERN_FDE_INDEX=off)"
    LANTERN_FDE_INDEX=off churn --keep "$n" --call-sample 1000 --cycles-while-kept 200 \
        "$WORKDIR/throw.o" | grep -E 'called|while'
done

if [ "$DEBUGGERS" = 1 ]; then
    for n in $DEBUGGER_COUNTS; do
        echo "== gdb, $n live units"
        gdb -batch -nx -ex run --args "$LANTERN" churn --entry work --cycles 10 --keep "$n" \
            --cycles-while-kept 20 "$WORKDIR/work.o" 2>&1 | grep -E 'while|live units \('
        echo "== lldb, $n live units"
        lldb-19 -b -o 'settings set plugin.jit-loader.gdb.enable on' -o run -- "$LANTERN" churn \
            --entry work --cycles 10 --keep "$n" --cycles-while-kept 20 "$WORKDIR/work.o" 2>&1 \
            | grep -E 'while|live units \('
    done
    # Batched registration: merged object files, a removal batch at the end.
    for n in $DEBUGGER_COUNTS 10000; do
        echo "== gdb, $n live units, --batched-registration"
        gdb -batch -nx -ex run --args "$LANTERN" churn --entry work --cycles 10 --keep "$n" \
            --cycles-while-kept 20 --batched-registration "$WORKDIR/work.o" 2>&1 \
            | grep -E 'while|live units \('
        echo "== lldb, $n live units, --batched-registration"
        lldb-19 -b -o 'settings set plugin.jit-loader.gdb.enable on' -o run -- "$LANTERN" churn \
            --entry work --cycles 10 --keep "$n" --cycles-while-kept 20 --batched-registration \
            "$WORKDIR/work.o" 2>&1 | grep -E 'while|live units \('
    done
fi
