#!/usr/bin/env bash
# cost-bench.sh: what Lantern's debuggability costs a user (issue 13), in one run: program runs
# against the natively linked program, debugger sessions, and peak RSS.
# Run `bench/cost-bench.sh --help` for the options; docs/benchmarks.md shows the results.
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
SOURCES=$SCRIPT_DIR/cost

WORKDIR=$REPO/target/bench/cost
LANTERN=$REPO/target/release/lantern
JITLINK=llvm-jitlink-19
GDB=gdb
LLDB=lldb-19
RUNS=20
LONG_RUNS=5
SESSION_RUNS=10
RSS_RUNS=3
SCALE_RUNS=3
NBODY_STEPS=10000000
SQLITE_ROWS=10000
PARTS="run long session scale"
SCALE_TOOLS="native,lantern,llvm-jitlink"
SCALE_SIZES=1000
PLOTS=0
SUMMARY_ONLY=0
SQLITE_C=

usage() {
    cat <<EOF
Usage: bench/cost-bench.sh [OPTIONS]

Measures, side by side in one run, what a user pays for Lantern's
debuggability (issue 13):

  run      the sqlite amalgamation and a ${SQLITE_ROWS}-row insert workload
           (bench/cost/sqlite_workload.c; gcc -O2 -g, 2 objects): the native
           program (gcc -o), \`lantern run -l m\` with everything on (debugger
           registration and crash handler), with --no-crash-handler, with
           --no-debugger-support --no-crash-handler, and llvm-jitlink-19.
  long     the same five for a program that runs about a second
           (bench/cost/nbody.c, gcc -O2 -g, $NBODY_STEPS steps).
  session  \`gdb -batch -ex 'break main' -ex run -ex bt\` and
           \`lldb-19 -b -o 'breakpoint set --name main' -o 'process launch' -o bt -o kill\`
           on a hello-world object (bench/cost/hello.c, gcc -O0 -g): the native
           program against \`lantern run hello.o\`. A session counts only if
           it stopped in the program's main.
  scale    the 1,000-object gdb and lldb sessions of bench/debug-bench.sh
           (--parts scale --sizes 1000), run by that script.

Wall times are hyperfine means (-N, warm-up runs first) with the ratio to the
native program; peak RSS is the median "Maximum resident set size" of
/usr/bin/time -v over several runs. Every program's output is checked
against the native one first. Results (hyperfine JSON, logs) go to
WORKDIR/results; the tables are printed at the end and saved in
WORKDIR/results/cost-summary.md.

sqlite3.c comes from the libsqlite3-sys crate's source in ~/.cargo/registry
(fetched with \`cargo fetch\` into WORKDIR if no version is there).

Options:
  --workdir DIR      inputs and results (default: <repo>/target/bench/cost)
  --quick            smoke check: 3 runs of each (long: 2; sessions: 3; RSS: 1)
  --runs N           hyperfine runs of the sqlite workload (default: $RUNS)
  --long-runs N      hyperfine runs of the long program (default: $LONG_RUNS)
  --session-runs N   hyperfine runs of each debugger session (default: $SESSION_RUNS)
  --rss-runs N       /usr/bin/time runs per program for peak RSS (default: $RSS_RUNS)
  --scale-runs N     session runs of the scale part (default: $SCALE_RUNS)
  --scale-tools LIST programs of the scale part (default: $SCALE_TOOLS; see
                     bench/debug-bench.sh --help)
  --nbody-steps N    steps of the long program (default: $NBODY_STEPS)
  --parts LIST       comma-separated subset of: run,long,session,scale (default: all)
  --scale-sizes LIST numbers of objects of the scale part (default: $SCALE_SIZES; the
                     table shows N=1000, the plots every N)
  --plots            also draw the scale part's SVG curves into docs/plots
                     (bench/debug-bench.sh --plots); use with several
                     --scale-sizes, e.g. 100,1000,5000
  --sqlite PATH      use this sqlite3.c (its sqlite3.h next to it)
  --lantern PATH     the lantern binary (default: <repo>/target/release/lantern)
  --llvm-jitlink P   the llvm-jitlink binary (default: llvm-jitlink-19 on PATH)
  --gdb PATH         the gdb binary (default: gdb on PATH)
  --lldb PATH        the lldb binary (default: lldb-19 on PATH)
  --summary-only     measure nothing: print the tables again from WORKDIR/results
  -h, --help         show this help

Needs: gcc, python3, hyperfine (installed with apt-get if missing and root),
time (/usr/bin/time), gdb, lldb-19, llvm-19 (llvm-jitlink-19), cargo, and a
lantern built with \`cargo build --release\`.
EOF
}

die() { echo "cost-bench: error: $*" >&2; exit 1; }
note() { echo "cost-bench: $*" >&2; }
section() { printf '\n==== %s ====\n' "$*" >&2; }

QUICK=0
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --workdir) [ $# -ge 2 ] || die "--workdir needs a directory"; WORKDIR=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --runs) [ $# -ge 2 ] || die "--runs needs a number"; RUNS=$2; shift 2 ;;
        --long-runs) [ $# -ge 2 ] || die "--long-runs needs a number"; LONG_RUNS=$2; shift 2 ;;
        --session-runs) [ $# -ge 2 ] || die "--session-runs needs a number"; SESSION_RUNS=$2; shift 2 ;;
        --rss-runs) [ $# -ge 2 ] || die "--rss-runs needs a number"; RSS_RUNS=$2; shift 2 ;;
        --scale-runs) [ $# -ge 2 ] || die "--scale-runs needs a number"; SCALE_RUNS=$2; shift 2 ;;
        --scale-tools) [ $# -ge 2 ] || die "--scale-tools needs a list"; SCALE_TOOLS=$2; shift 2 ;;
        --nbody-steps) [ $# -ge 2 ] || die "--nbody-steps needs a number"; NBODY_STEPS=$2; shift 2 ;;
        --parts) [ $# -ge 2 ] || die "--parts needs a list"; PARTS=${2//,/ }; shift 2 ;;
        --plots) PLOTS=1; shift ;;
        --scale-sizes) [ $# -ge 2 ] || die "--scale-sizes needs a list"; SCALE_SIZES=$2; shift 2 ;;
        --sqlite) [ $# -ge 2 ] || die "--sqlite needs a path"; SQLITE_C=$2; shift 2 ;;
        --lantern) [ $# -ge 2 ] || die "--lantern needs a path"; LANTERN=$2; shift 2 ;;
        --llvm-jitlink) [ $# -ge 2 ] || die "--llvm-jitlink needs a path"; JITLINK=$2; shift 2 ;;
        --gdb) [ $# -ge 2 ] || die "--gdb needs a path"; GDB=$2; shift 2 ;;
        --lldb) [ $# -ge 2 ] || die "--lldb needs a path"; LLDB=$2; shift 2 ;;
        --summary-only) SUMMARY_ONLY=1; shift ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
if [ "$QUICK" = 1 ]; then
    RUNS=3 LONG_RUNS=2 SESSION_RUNS=3 RSS_RUNS=1 SCALE_RUNS=1
fi
for n in "$RUNS" "$LONG_RUNS" "$SESSION_RUNS" "$RSS_RUNS" "$SCALE_RUNS" "$NBODY_STEPS"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $n"
done
for p in $PARTS; do
    case $p in run|long|session|scale) ;; *) die "unknown part '$p' (expected run, long, session, scale)" ;; esac
done
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
mkdir -p "$WORKDIR/results"
WORKDIR=$(cd "$WORKDIR" && pwd)
RESULTS=$WORKDIR/results

summarize() {
    section "summary"
    python3 - "$RESULTS" <<'PY'
import json, os, statistics, sys
results = sys.argv[1]
out = []

def load(name):
    path = os.path.join(results, name + ".json")
    if not os.path.exists(path):
        return None
    return {r["command"]: r for r in json.load(open(path))["results"]}

def rss(name):
    path = os.path.join(results, name + ".rss")
    if not os.path.exists(path):
        return {}
    table = {}
    for line in open(path):
        tool, kib = line.split()
        table.setdefault(tool, []).append(int(kib))
    return {t: statistics.median(v) / 1024.0 for t, v in table.items()}

def ms(r):
    return "%.1f ± %.1f" % (r["mean"] * 1000, (r["stddev"] or 0) * 1000)

def ratio(a, b):
    return "%.2fx" % (a / b) if a and b else "-"

TOOLS = [
    ("native", "native program"),
    ("lantern", "`lantern run`"),
    ("lantern-no-crash", "`--no-crash-handler`"),
    ("lantern-bare", "`--no-debugger-support --no-crash-handler`"),
    ("llvm-jitlink", "llvm-jitlink-19"),
]
PROGRAMS = [("sqlite", "sqlite amalgamation + 10k-row workload (gcc -O2 -g, 2 objects)"),
            ("nbody", "n-body (gcc -O2 -g, 1 object, about 1 s)")]
rows = []
for name, label in PROGRAMS:
    times, peaks = load(name), rss(name)
    if not times:
        continue
    native = times.get("native")
    row_t = [label + ", wall ms"]
    row_r = [label + ", ratio to native"]
    row_m = [label + ", peak RSS MiB"]
    for tool, _ in TOOLS:
        r = times.get(tool)
        row_t.append(ms(r) if r else "-")
        row_r.append(ratio(r["mean"], native["mean"]) if r and native else "-")
        row_m.append("%.1f (%s)" % (peaks[tool], ratio(peaks[tool], peaks.get("native")))
                     if tool in peaks else "-")
    rows += [row_t, row_r, row_m]
if rows:
    out.append("### Program runs (hyperfine -N means ± standard deviation; peak RSS medians, ratio to native)")
    out.append("")
    out.append("| what | " + " | ".join(l for _, l in TOOLS) + " |")
    out.append("|---|" + "---:|" * len(TOOLS))
    out += ["| " + " | ".join(r) + " |" for r in rows]
    out.append("")

sessions = load("sessions")
if sessions:
    out.append("### Debugger sessions on hello.o (hyperfine -N means ± standard deviation)")
    out.append("")
    out.append("| session | native program | `lantern run` | ratio |")
    out.append("|---|---:|---:|---:|")
    for d, label in (("gdb", "`gdb -batch -ex 'break main' -ex run -ex bt`"),
                     ("lldb", "`lldb-19 -b -o 'breakpoint set --name main' -o 'process launch' -o bt -o kill`")):
        n, l = sessions.get(d + "-native"), sessions.get(d + "-lantern")
        if n or l:
            out.append("| %s | %s | %s | %s |" % (label, ms(n) if n else "-", ms(l) if l else "-",
                                                  ratio(l and l["mean"], n and n["mean"])))
    out.append("")

scale = os.path.join(results, "debug-bench", "results", "debug-scale.tsv")
if os.path.exists(scale):
    data = {}
    for line in list(open(scale))[1:]:
        n, d, t, regs, st, times, rss_kib, _ = line.rstrip("\n").split("\t")
        if n != "1000":
            continue
        times = [float(x) for x in times.split(",") if x]
        data[(d, t)] = (st, statistics.median(times) if times else None)
    out.append("### 1,000 objects: gdb and lldb sessions of bench/debug-bench.sh (medians)")
    out.append("")
    out.append("| debugger | native program | `lantern run` (1 unit) | ratio | llvm-jitlink-19 | ratio |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for d in ("gdb", "lldb"):
        n = data.get((d, "native"), (None, None))[1]
        l = data.get((d, "lantern"), (None, None))[1]
        j = data.get((d, "llvm-jitlink"), (None, None))[1]
        f = lambda x: "%.0f ms" % (x * 1000) if x else "-"
        out.append("| %s | %s | %s | %s | %s | %s |" % (d, f(n), f(l), ratio(l, n), f(j), ratio(j, n)))
    out.append("")

env = os.path.join(results, "cost-env.txt")
if os.path.exists(env):
    out += ["```"] + open(env).read().rstrip("\n").split("\n") + ["```", ""]
text = "\n".join(out)
print(text)
open(os.path.join(results, "cost-summary.md"), "w").write(text + "\n")
PY
}

if [ "$SUMMARY_ONLY" = 1 ]; then
    summarize
    exit 0
fi

START=$SECONDS
if ! command -v hyperfine >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        note "installing hyperfine (apt-get)"
        apt-get install -y -q hyperfine >/dev/null || die "apt-get install hyperfine failed"
    else
        die "hyperfine not found: install it (Debian: apt-get install hyperfine)"
    fi
fi
for tool in gcc python3 /usr/bin/time "$JITLINK" "$GDB" "$LLDB"; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
[ -x "$LANTERN" ] || die "$LANTERN not found: cargo build --release"

# ------------------------------------------------------------------ inputs
section "inputs"
find_sqlite() {
    [ -n "$SQLITE_C" ] && return
    SQLITE_C=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/libsqlite3-sys-*/sqlite3/sqlite3.c 2>/dev/null |
        sort -V | tail -n1 || true)
    [ -n "$SQLITE_C" ] && return
    note "no libsqlite3-sys source in the cargo registry: fetching it"
    local fetch=$WORKDIR/sqlite-fetch
    mkdir -p "$fetch/src"
    printf '[package]\nname = "sqlite-source"\nversion = "0.0.0"\nedition = "2021"\n[workspace]\n[dependencies]\nlibsqlite3-sys = { version = "0.30", features = ["bundled"] }\n' \
        >"$fetch/Cargo.toml"
    echo 'fn main() {}' >"$fetch/src/main.rs"
    (cd "$fetch" && cargo fetch -q) || die "cargo fetch of libsqlite3-sys failed"
    SQLITE_C=$(cd "$fetch" && cargo metadata -q --format-version 1 | python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "libsqlite3-sys":
        print(os.path.join(os.path.dirname(p["manifest_path"]), "sqlite3", "sqlite3.c"))')
    [ -f "$SQLITE_C" ] || die "no sqlite3.c in the fetched libsqlite3-sys"
}

# build OUT.o SRC FLAGS...: compile SRC unless OUT.o is newer than it and the flags are the same.
build() {
    local out=$1 src=$2 stamp
    shift 2
    stamp="$(gcc --version | head -n1) $* $(stat -c %Y "$src")"
    if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then return; fi
    note "compiling $(basename "$src")"
    gcc "$@" -c "$src" -o "$out" || die "compiling $src failed"
    echo "$stamp" >"$out.stamp"
}

cd "$WORKDIR"
if has_part run; then
    find_sqlite
    note "sqlite3.c: $SQLITE_C"
    build sqlite3.o "$SQLITE_C" -O2 -g
    build workload.o "$SOURCES/sqlite_workload.c" -O2 -g -I"$(dirname "$SQLITE_C")"
    gcc workload.o sqlite3.o -o sqlite-native -lm || die "linking sqlite-native failed"
fi
if has_part long; then
    build nbody.o "$SOURCES/nbody.c" -O2 -g
    gcc nbody.o -o nbody-native -lm || die "linking nbody-native failed"
fi
if has_part session; then
    build hello.o "$SOURCES/hello.c" -O0 -g
    gcc hello.o -o hello-native || die "linking hello-native failed"
fi

# argv PROGRAM TOOL: the command line (a string for hyperfine -N) of PROGRAM run by TOOL.
argv() {
    local objs args
    case $1 in
        sqlite) objs="workload.o sqlite3.o"; args=$SQLITE_ROWS ;;
        nbody) objs="nbody.o"; args=$NBODY_STEPS ;;
    esac
    case $2 in
        native) echo "./$1-native $args" ;;
        lantern) echo "$LANTERN run -l m $objs -- $args" ;;
        lantern-no-crash) echo "$LANTERN run --no-crash-handler -l m $objs -- $args" ;;
        lantern-bare) echo "$LANTERN run --no-debugger-support --no-crash-handler -l m $objs -- $args" ;;
        # llvm-jitlink-19's -args list starts with argv[0].
        llvm-jitlink) echo "$JITLINK $objs -args $1 $args" ;;
    esac
}
TOOLS="native lantern lantern-no-crash lantern-bare llvm-jitlink"

# programs NAME RUNS: check every tool's output against the native program's, time them side
# by side, then measure peak RSS.
programs() {
    local name=$1 runs=$2 tool expected args=() r
    section "$name: output check"
    # shellcheck disable=SC2046
    expected=$($(argv "$name" native)) || die "$name: the native program failed"
    for tool in $TOOLS; do
        # shellcheck disable=SC2046
        if ! out=$($(argv "$name" "$tool") 2>"$RESULTS/$name-$tool.stderr"); then
            die "$name: $tool failed (see $RESULTS/$name-$tool.stderr)"
        fi
        [ "$out" = "$expected" ] || die "$name: $tool printed '$out', the native program '$expected'"
        args+=(-n "$tool" "$(argv "$name" "$tool")")
    done
    note "$name: all print: $expected"
    section "$name: wall time (hyperfine -N --warmup 2 --runs $runs)"
    hyperfine -N --warmup 2 --runs "$runs" --export-json "$RESULTS/$name.json" "${args[@]}" >&2
    section "$name: peak RSS (/usr/bin/time -v, $RSS_RUNS runs)"
    : >"$RESULTS/$name.rss"
    for ((r = 1; r <= RSS_RUNS; r++)); do
        for tool in $TOOLS; do
            # shellcheck disable=SC2046
            /usr/bin/time -v -o "$RESULTS/$name-$tool.time" $(argv "$name" "$tool") >/dev/null 2>&1
            echo "$tool $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$RESULTS/$name-$tool.time")" \
                >>"$RESULTS/$name.rss"
        done
    done
    sort "$RESULTS/$name.rss" | awk '{ print "    " $1 ": " $2 " KiB" }' >&2
}

has_part run && programs sqlite "$RUNS"
has_part long && programs nbody "$LONG_RUNS"

# ------------------------------------------------------------------ sessions
if has_part session; then
    GDB_SESSION="$GDB -batch -ex 'break main' -ex run -ex bt --args"
    LLDB_SESSION="$LLDB -b -o 'breakpoint set --name main' -o 'process launch' -o bt -o kill --"
    section "debugger sessions: check that each stops in hello.c's main"
    args=()
    for d in gdb lldb; do
        for tool in native lantern; do
            case $d in gdb) session=$GDB_SESSION ;; lldb) session=$LLDB_SESSION ;; esac
            case $tool in native) prog=./hello-native ;; lantern) prog="$LANTERN run hello.o" ;; esac
            log=$RESULTS/session-$d-$tool.log
            eval "$session $prog" >"$log" 2>&1 || true
            case $d in
                # Under lantern the breakpoint has two locations (the
                # binary's decoy `main`, src/main.rs, and the JIT'd one).
                gdb) grep -Eq '^Breakpoint 1(\.[0-9]+)?, main \(\) at .*hello.c' "$log" ;;
                lldb) grep -q 'stop reason = breakpoint' "$log" && grep -q '`main at hello.c' "$log" ;;
            esac || die "$d $tool: the session did not stop in hello.c's main (see $log)"
            if grep -qi '^warning' "$log"; then
                note "$d $tool: the session warns: $(grep -i -m1 '^warning' "$log")"
            fi
            args+=(-n "$d-$tool" "$session $prog")
        done
    done
    section "debugger sessions (hyperfine -N --warmup 1 --runs $SESSION_RUNS)"
    hyperfine -N --warmup 1 --runs "$SESSION_RUNS" --export-json "$RESULTS/sessions.json" "${args[@]}" >&2
fi

# ------------------------------------------------------------------ scale
if has_part scale; then
    section "bench/debug-bench.sh --parts scale --sizes $SCALE_SIZES"
    plots=()
    [ "$PLOTS" = 0 ] || plots=(--plots)
    "$SCRIPT_DIR/debug-bench.sh" --workdir "$RESULTS/debug-bench" --parts scale --sizes "$SCALE_SIZES" \
        --runs "$SCALE_RUNS" --ref-runs 3 --tools "$SCALE_TOOLS" --lantern "$LANTERN" \
        --llvm-jitlink "$JITLINK" --gdb "$GDB" --lldb "$LLDB" "${plots[@]}" >&2
fi

{
    echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "gcc: $(gcc --version | head -n1); gdb: $("$GDB" --version | head -n1); lldb: $("$LLDB" --version | head -n1)"
    echo "llvm-jitlink: $("$JITLINK" --version | grep -m1 -i 'llvm version' | sed 's/^ *//'); hyperfine: $(hyperfine --version)"
    echo "lantern: $LANTERN (built $(date -u -r "$LANTERN" '+%Y-%m-%d %H:%M UTC'); tree at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
    echo "runs: sqlite $RUNS, n-body $LONG_RUNS ($NBODY_STEPS steps), sessions $SESSION_RUNS, peak RSS $RSS_RUNS, scale $SCALE_RUNS; $((SECONDS - START)) s in all"
} >"$RESULTS/cost-env.txt"
summarize
