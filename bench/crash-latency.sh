#!/usr/bin/env bash
# crash-latency.sh: how long the crash handler takes, from the signal to the
# last frame printed, measured with kernel tracepoints (perf), not timers in
# the handler. Run `bench/crash-latency.sh --help` for the options;
# docs/benchmarks.md explains the method.
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
WORKDIR=$REPO/target/bench/crash-latency
LANTERN=$REPO/target/release/lantern
RUNS=20
CC=${CC:-gcc}
CFLAGS="-g -O2"

usage() {
    cat <<EOF
Usage: bench/crash-latency.sh [OPTIONS]

Runs each crash program of tests/crash-programs (compiled with \$CC $CFLAGS)
under \`lantern run\` RUNS times with perf recording three tracepoints:
signal:signal_deliver (the kernel enters the handler, and later the default
action), syscalls:sys_exit_write (each line the handler prints) and the
process exit. The latency is from the first delivery to the last write before
the second one. Prints the median, minimum and maximum in microseconds and the
number of frames each report has.

Options:
  --runs N      runs per program (default $RUNS)
  --lantern P   the lantern binary (default target/release/lantern)
  -h, --help    this text
EOF
}

while [ $# -gt 0 ]; do
    case $1 in
        --runs) RUNS=$2; shift 2 ;;
        --lantern) LANTERN=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "crash-latency.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

for tool in perf "$CC" python3; do
    command -v "$tool" >/dev/null || { echo "crash-latency.sh: needs $tool" >&2; exit 1; }
done
[ -x "$LANTERN" ] || { echo "crash-latency.sh: build first: cargo build --release" >&2; exit 1; }
if ! perf record -q -e signal:signal_deliver -o /dev/null true 2>/dev/null; then
    echo "crash-latency.sh: perf cannot record tracepoints here (run as root or lower kernel.perf_event_paranoid)" >&2
    exit 1
fi

mkdir -p "$WORKDIR"
printf '%-16s %6s %10s %10s %10s\n' program frames "median us" "min us" "max us"
for dir in "$REPO"/tests/crash-programs/*/; do
    name=$(basename "$dir")
    out=$WORKDIR/$name
    mkdir -p "$out"
    objects=()
    for src in "$dir"*.c; do
        obj=$out/$(basename "${src%.c}").o
        "$CC" $CFLAGS -c "$src" -o "$obj"
        objects+=("$obj")
    done
    : > "$out/latencies"
    frames=0
    for ((i = 0; i < RUNS; i++)); do
        # The group's stderr hides bash's "Segmentation fault" notice.
        { perf record -q -e signal:signal_deliver -e syscalls:sys_exit_write \
            -e sched:sched_process_exit -o "$out/perf.data" \
            "$LANTERN" run "${objects[@]}" >/dev/null 2>"$out/report" || true; } 2>/dev/null
        frames=$(grep -c '^#' "$out/report" || true)
        perf script -i "$out/perf.data" --ns -F time,event 2>/dev/null | python3 -c '
import sys
events = []
for line in sys.stdin:
    parts = line.split()
    if len(parts) >= 2:
        events.append((float(parts[0].rstrip(":")), parts[1].rstrip(":")))
delivered = [i for i, e in enumerate(events) if e[1] == "signal:signal_deliver"]
if len(delivered) >= 2:
    start, stop = delivered[0], delivered[1]
    writes = [t for t, e in events[start:stop] if e == "syscalls:sys_exit_write"]
    if writes:
        print("%.1f" % ((writes[-1] - events[start][0]) * 1e6))
' >> "$out/latencies"
    done
    python3 - "$name" "$frames" "$out/latencies" <<'EOF'
import statistics, sys
name, frames, path = sys.argv[1], sys.argv[2], sys.argv[3]
values = [float(v) for v in open(path).read().split()]
if not values:
    print("%-16s %6s %10s" % (name, frames, "no data"))
else:
    print("%-16s %6s %10.1f %10.1f %10.1f" % (
        name, frames, statistics.median(values), min(values), max(values)))
EOF
done
