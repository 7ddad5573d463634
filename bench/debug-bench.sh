#!/usr/bin/env bash
# debug-bench.sh: the cost of debugger support. Compares the debug objects that Lantern and
# llvm-jitlink-19 register with gdb/lldb, and how long a debugger session takes to reach a
# breakpoint in JIT-linked code when there are many objects or many registrations.
# Run `bench/debug-bench.sh --help` for the options; docs/debug-benchmarks.md explains the method.
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
GEN=$SCRIPT_DIR/gen_inputs.py
GEN_UNITS=$SCRIPT_DIR/gen_units.py

WORKDIR=$REPO/target/bench
LANTERN=$REPO/target/release/lantern
JITLINK=llvm-jitlink-19
GDB=gdb
LLDB=lldb-19
SIZES="100 1000 5000"
SIZES_SET=0
RUNS_SET=0
REF_RUNS_SET=0
RUNS=3
REF_RUNS=10
TIMEOUT=600
QUICK=0
PARTS="size scale"
INPUTS="big multi shapes"
DEBUGGERS="gdb lldb"
TOOLS_LIST="native lantern lantern-sep lantern-per-unit lantern-repl llvm-jitlink"
JOBS=$(nproc 2>/dev/null || echo 2)
REGEN=0
SUMMARY_ONLY=0
PLOTS=0
PLOT_DIR=$REPO/docs/plots
CFLAGS="-g -O1"          # big and multi: the same objects as bench/link-bench.sh (shared cache)
UNIT_CFLAGS="-g -O0"     # shapes and the generated one-function files
JITLINK_STACK=65536      # KiB: the stack limit for a retry when llvm-jitlink-19 overflows its stack
MEASURE_MAX=1001         # measure llvm-jitlink's registrations under gdb up to this many objects

usage() {
    cat <<EOF
Usage: bench/debug-bench.sh [OPTIONS]

Measures what debugger support costs, for Lantern and for llvm-jitlink-19,
side by side in one run. Two parts:

  size   Size of the debug object(s) registered with the debugger, for the
         link-bench inputs big and multi (gcc $CFLAGS), the debugger test
         program tests/debug-programs/shapes (gcc $UNIT_CFLAGS) and the
         generated inputs of the scale part. Lantern: the object that
         \`lantern debug-object -lm OBJS --out DIR\` writes, and what \`lantern run\`
         registers (read under gdb). Compared with (i) the sum of the inputs'
         .debug_*, .eh_frame, .symtab and .strtab sections and (ii) what
         llvm-jitlink-19 registers: a copy of each whole object file, measured
         under gdb (breakpoint on __jit_debug_register_code, symfile_size of
         each new entry) and otherwise assumed to be the sum of the file sizes.

  scale  N generated objects of one small function each (f_0 ... f_{N-1},
         f_i calls f_{i-1}) and main.o calling f_{N-1}, compiled with
         gcc $UNIT_CFLAGS -c. For each N, the time of a whole debugger session
         (start, break at f_{N-1}, run to it, backtrace, kill) under
           gdb -batch -nx -ex 'set breakpoint pending on' -ex 'break f_LAST' -ex run -ex bt -ex kill --args PROG
           lldb-19 -b -o 'settings set plugin.jit-loader.gdb.enable on' -o 'breakpoint set --name f_LAST'
                   -o 'process launch' -o bt -o kill -- PROG
         for PROG =
           native       the program linked by gcc -o prog (no JIT registration)
           lantern      lantern run f_0.o ... f_{N-1}.o main.o (one unit: 1 registration)
           lantern-sep  lantern run --separate-units f_0.o ... main.o (N+1 units, registered
                        batched: merged into 1 object file before main runs)
           lantern-per-unit  the same with --debug-registration=per-unit (N+1 registrations)
           lantern-repl examples/repl @objs.rsp: a unit per file, registered (batched) after
                        each link as a REPL that runs every entry would; the registry
                        merges object files of similar size as it goes (N+1 flushes)
           llvm-jitlink llvm-jitlink-19 f_0.o ... main.o (one registration per object: N+1)
         and, for reference, the same programs without a debugger (hyperfine).
         A session counts only if it reached the breakpoint; otherwise the row
         says FAILED, or "did not finish in Ts" after the timeout.

Results (TSV, hyperfine JSON, session logs) go to WORKDIR/results/debug-*;
the tables are printed at the end and saved in WORKDIR/results/debug-summary.md.

Options:
  --workdir DIR     where inputs and results go (default: <repo>/target/bench,
                    shared with bench/link-bench.sh so big and multi are cached once)
  --quick           smoke check: sizes 100,1000, 2 runs per session, 5 reference runs
                    (explicit --sizes, --runs, --ref-runs still apply)
  --sizes LIST      comma-separated N for the scale part (default: 100,1000,5000)
  --runs N          timed runs of each debugger session (default: $RUNS)
  --ref-runs N      hyperfine runs of each program without a debugger (default: $REF_RUNS)
  --timeout S       per-session time limit in seconds (default: $TIMEOUT)
  --parts LIST      comma-separated subset of: size,scale (default: size,scale)
  --inputs LIST     size-part inputs, subset of: big,multi,shapes (default: all)
  --debuggers LIST  comma-separated subset of: gdb,lldb (default: gdb,lldb)
  --tools LIST      scale-part programs, subset of: native,lantern,lantern-sep,
                    lantern-per-unit,lantern-repl,llvm-jitlink (default: all; lantern-repl
                    needs \`cargo build --release --examples\`)
  --lantern PATH    the lantern binary (default: <repo>/target/release/lantern)
  --llvm-jitlink P  the llvm-jitlink binary (default: llvm-jitlink-19 on PATH)
  --gdb PATH        the gdb binary (default: gdb on PATH)
  --lldb PATH       the lldb binary (default: lldb-19 on PATH)
  --jitlink-stack K if llvm-jitlink-19 crashes (SIGSEGV) on an input of the scale part, retry
                    it with \`ulimit -S -s K\` (KiB) and, if that works, run all of its sessions
                    for that N with that limit; its rows then say so (default: $JITLINK_STACK;
                    0: no retry, the rows say FAILED). It recurses once per object while it
                    links, so the default 8 MiB stack overflows at a few thousand objects.
  --regen           regenerate and recompile the inputs even if cached
  --summary-only    measure nothing: print the tables again from WORKDIR/results
                    (with --parts to choose which)
  --plots           also draw the scale part as SVG curves (gnuplot; Debian package
                    gnuplot-nox): median time against N, one plot per debugger
                    (gdb, lldb, and none: the programs alone), a curve per program,
                    into <repo>/docs/plots/debug-scale-{gdb,lldb,none}.svg
  --plot-dir DIR    where the plots go (implies --plots)
  --jobs N          parallel gcc jobs when compiling inputs (default: $JOBS)
  -h, --help        show this help

Needs: python3, gcc, hyperfine, time (/usr/bin/time), coreutils (timeout),
gdb, lldb-19, llvm-19 (llvm-jitlink-19), and a lantern built with
\`cargo build --release\`. Long object lists are passed as @FILE response files
(lantern, llvm-jitlink-19 and gcc all expand them; lldb-19 hangs when its
own command line passes about 64 KiB). The script can be run from any directory.
EOF
}

die() { echo "debug-bench: error: $*" >&2; exit 1; }
note() { echo "debug-bench: $*" >&2; }
section() { printf '\n==== %s ====\n' "$*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --workdir) [ $# -ge 2 ] || die "--workdir needs a directory"; WORKDIR=$2; shift 2 ;;
        --workdir=*) WORKDIR=${1#*=}; shift ;;
        --quick) QUICK=1; shift ;;
        --sizes) [ $# -ge 2 ] || die "--sizes needs a list"; SIZES=${2//,/ }; SIZES_SET=1; shift 2 ;;
        --runs) [ $# -ge 2 ] || die "--runs needs a number"; RUNS=$2; RUNS_SET=1; shift 2 ;;
        --ref-runs) [ $# -ge 2 ] || die "--ref-runs needs a number"; REF_RUNS=$2; REF_RUNS_SET=1; shift 2 ;;
        --timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; TIMEOUT=$2; shift 2 ;;
        --parts) [ $# -ge 2 ] || die "--parts needs a list"; PARTS=${2//,/ }; shift 2 ;;
        --inputs) [ $# -ge 2 ] || die "--inputs needs a list"; INPUTS=${2//,/ }; shift 2 ;;
        --debuggers) [ $# -ge 2 ] || die "--debuggers needs a list"; DEBUGGERS=${2//,/ }; shift 2 ;;
        --tools) [ $# -ge 2 ] || die "--tools needs a list"; TOOLS_LIST=${2//,/ }; shift 2 ;;
        --lantern) [ $# -ge 2 ] || die "--lantern needs a path"; LANTERN=$2; shift 2 ;;
        --llvm-jitlink) [ $# -ge 2 ] || die "--llvm-jitlink needs a path"; JITLINK=$2; shift 2 ;;
        --gdb) [ $# -ge 2 ] || die "--gdb needs a path"; GDB=$2; shift 2 ;;
        --lldb) [ $# -ge 2 ] || die "--lldb needs a path"; LLDB=$2; shift 2 ;;
        --jitlink-stack) [ $# -ge 2 ] || die "--jitlink-stack needs KiB"; JITLINK_STACK=$2; shift 2 ;;
        --regen) REGEN=1; shift ;;
        --summary-only) SUMMARY_ONLY=1; shift ;;
        --plots) PLOTS=1; shift ;;
        --plot-dir) [ $# -ge 2 ] || die "--plot-dir needs a directory"; PLOT_DIR=$2; PLOTS=1; shift 2 ;;
        --jobs) [ $# -ge 2 ] || die "--jobs needs a number"; JOBS=$2; shift 2 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
if [ "$QUICK" = 1 ]; then
    [ "$RUNS_SET" = 1 ] || RUNS=2
    [ "$REF_RUNS_SET" = 1 ] || REF_RUNS=5
    [ "$SIZES_SET" = 1 ] || SIZES="100 1000"
fi
for n in "$RUNS" "$REF_RUNS" "$TIMEOUT" "$JOBS" $SIZES; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $n"
done
[[ $JITLINK_STACK =~ ^[0-9]+$ ]] || die "--jitlink-stack: not a number: $JITLINK_STACK"
for p in $PARTS; do
    case $p in size|scale) ;; *) die "unknown part '$p' (expected size and/or scale)" ;; esac
done
for i in $INPUTS; do
    case $i in big|multi|shapes) ;; *) die "unknown input '$i' (expected big, multi, shapes)" ;; esac
done
for d in $DEBUGGERS; do
    case $d in gdb|lldb) ;; *) die "unknown debugger '$d' (expected gdb and/or lldb)" ;; esac
done
SIZES=$(printf '%s\n' $SIZES | sort -n -u | tr '\n' ' ')
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
RESULTS=$WORKDIR/results
mkdir -p "$RESULTS"

# summarize: the tables from the files in $RESULTS, printed and saved in debug-summary.{txt,md}.
summarize() {
    [ -f "$RESULTS/debug-size.tsv" ] || [ -f "$RESULTS/debug-scale.tsv" ] ||
        die "no results in $RESULTS to summarize (run the benchmark first)"
    local stack=${ORIG_STACK:-}
    if [ -z "$stack" ] && [ -f "$RESULTS/debug-env.txt" ]; then
        stack=$(sed -n 's/^stack limit (ulimit -s, KiB): \([0-9a-z]*\);.*/\1/p' "$RESULTS/debug-env.txt")
    fi
    section "summary"
    python3 - "$RESULTS" "$PARTS" "$TIMEOUT" "${stack:-?}" <<'PY'
import json, os, statistics, sys
results, parts, timeout, orig_stack = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
LABEL = {
    "native": "native (gcc -o prog)",
    "lantern": "lantern run (1 unit)",
    "lantern-sep": "lantern run --separate-units (batched)",
    "lantern-per-unit": "lantern run --separate-units --debug-registration=per-unit",
    "lantern-repl": "examples/repl (a unit per file, registered after each)",
    "llvm-jitlink": "llvm-jitlink-19",
}
def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    return "%.2f" % r if r >= 0.1 else "%.3f" % r
def kib(b):
    return "%.1f" % (b / 1024.0)

out_txt, out_md = [], []
def table(title, head, rows, right_from, notes=()):
    w = [max(len(str(r[k])) for r in rows + [head]) for k in range(len(head))]
    out_txt.append(title)
    for r in [head] + rows:
        out_txt.append("  ".join(str(x).rjust(w[k]) if k >= right_from else str(x).ljust(w[k])
                                 for k, x in enumerate(r)).rstrip())
        if r is head:
            out_txt.append("  ".join("-" * x for x in w))
    out_txt.extend(notes)
    out_txt.append("")
    out_md.append("### " + title)
    out_md.append("")
    out_md.append("| " + " | ".join(head) + " |")
    out_md.append("|" + "|".join(["---"] * right_from + ["---:"] * (len(head) - right_from)) + "|")
    out_md.extend("| " + " | ".join(str(x) for x in r) + " |" for r in rows)
    out_md.append("")
    out_md.extend(notes)
    if notes:
        out_md.append("")

size_tsv = os.path.join(results, "debug-size.tsv")
if "size" in parts and os.path.exists(size_tsv):
    rows = []
    assumed = False
    with open(size_tsv) as fh:
        next(fh)
        for line in fh:
            (inp, nobj, fb, db, eb, sb, lb, lreg, jreg) = line.rstrip("\n").split("\t")
            fb, sect = int(fb), int(db) + int(eb) + int(sb)
            lb = int(lb) if lb.isdigit() else None
            lcount, lbytes = (int(x) for x in lreg.split()) if lreg else (None, None)
            if jreg:
                jcount, jbytes = (int(x) for x in jreg.split())
                jtxt = "%d (%d reg.)" % (jbytes, jcount)
            else:
                jcount, jbytes, assumed = None, fb, True
                jtxt = "%d (assumed)" % fb
            ltxt = str(lb) if lb is not None else "FAILED"
            rtxt = "%d (%d reg.)" % (lbytes, lcount) if lbytes is not None else "not measured"
            rows.append((inp, nobj, fb, db, eb, sb, sect, ltxt, rtxt, jtxt, ratio(lb, sect), ratio(lb, jbytes)))
    notes = ["lantern debug object: the file `lantern debug-object -lm OBJS --out DIR` writes (the ratios use it).",
             "registers: the symfile_size of every JIT registration (count in brackets), read under gdb from",
             "`lantern run -lm OBJS` and `llvm-jitlink-19 OBJS`. llvm-jitlink-19 registers a copy of each whole",
             "object file, so its bytes equal the sum of the input file sizes."]
    if assumed:
        notes.append("(assumed): not measured (more than 1001 objects); the sum of the input file sizes instead.")
    table("Debug object size (bytes)",
          ("input", "objects", "input files", ".debug_*", ".eh_frame", ".symtab+.strtab",
           "sections sum", "lantern debug object", "lantern run registers", "llvm-jitlink-19 registers",
           "lantern/sections", "lantern/llvm-jitlink"), rows, 1, notes)

scale_tsv = os.path.join(results, "debug-scale.tsv")
if "scale" in parts and os.path.exists(scale_tsv):
    data = {}
    order = []
    stacks = {}
    with open(scale_tsv) as fh:
        next(fh)
        for line in fh:
            n, d, t, regs, st, times, rss, stack = line.rstrip("\n").split("\t")
            n = int(n)
            if stack:
                stacks[n] = stack
            times = [float(x) for x in times.split(",") if x]
            rss = [int(x) for x in rss.split(",") if x]
            data[(n, d, t)] = dict(regs=int(regs), status=st, times=times, rss=rss)
            if (n, d) not in order:
                order.append((n, d))
    sizes = sorted({n for n, _ in order})
    for n in sizes:
        jf = os.path.join(results, "debug-ref-%d.json" % n)
        tf = os.path.join(results, "debug-ref-%d.tools" % n)
        tools = [l.strip() for l in open(tf)] if os.path.exists(tf) else []
        sf = os.path.join(results, "debug-ref-%d.status" % n)
        status = dict(l.rstrip("\n").split("\t", 1) for l in open(sf) if l.strip()) if os.path.exists(sf) else {}
        res = json.load(open(jf))["results"] if os.path.exists(jf) else []
        for t in LABEL:
            regs = 0 if t == "native" else 1 if t in ("lantern", "lantern-sep") else n + 1
            if t not in tools and t not in status:
                continue
            if t in tools:
                data[(n, "none", t)] = dict(regs=regs, status="ok", times=res[tools.index(t)]["times"], rss=[])
            else:
                data[(n, "none", t)] = dict(regs=regs, status=status.get(t, "missing"), times=[], rss=[])
    debuggers = ["none"] + [d for d in ("gdb", "lldb") if any(k[1] == d for k in data)]
    def med(n, d, t):
        e = data.get((n, d, t))
        if not e or e["status"] != "ok" or not e["times"]:
            return None
        return statistics.median(e["times"])
    def label(n, t):
        if t == "llvm-jitlink" and n in stacks:
            return LABEL[t] + " (ulimit -s %s)" % stacks[n]
        return LABEL[t]
    def fmt_s(x):
        return "%.3f" % x if x >= 0.1 else "%.4f" % x
    rows = []
    for n in sizes:
        for d in debuggers:
            for t in LABEL:
                e = data.get((n, d, t))
                if e is None:
                    continue
                m = med(n, d, t)
                if m is None:
                    st = e["status"]
                    if st == "ok":
                        st = "FAILED"
                    rows.append((n, d, label(n, t), e["regs"], st, "", "", "", ""))
                    continue
                rss = "%.0f" % (statistics.median(e["rss"]) / 1024.0) if e["rss"] else "-"
                lj = ratio(m, med(n, d, "llvm-jitlink")) if t.startswith("lantern") else ""
                rows.append((n, d, label(n, t), e["regs"], fmt_s(m), len(e["times"]), rss,
                             ratio(m, med(n, d, "native")), lj))
    table("Debugger sessions: start, break at f_{N-1}, run to it, bt, kill",
          ("N", "debugger", "tool", "registrations", "median s", "runs", "peak RSS MiB",
           "ratio to native", "lantern/llvm-jitlink"), rows, 3,
          ["debugger none: the program alone (hyperfine); peak RSS: the largest process of the session",
           "(debugger or inferior, /usr/bin/time). llvm-jitlink-19 registers one debug object per object file,",
           "so its row serves both as the one-unit and as the per-file comparison."] +
          ["N=%d: llvm-jitlink-19 crashed (SIGSEGV) with the stack limit of %s KiB; its rows ran with ulimit -s %s."
           % (n, orig_stack, stacks[n]) for n in sorted(stacks)])
    rows = []
    for d in debuggers:
        if d == "none":
            continue
        for t in ("lantern-per-unit", "lantern-repl", "llvm-jitlink"):
            prev, first = None, None
            for n in sizes:
                e = data.get((n, d, t))
                if e is None:  # not among --tools
                    continue
                m, nat = med(n, d, t), med(n, d, "native")
                if m is None or nat is None:
                    rows.append((d, label(n, t), n, e["regs"], "", "", "", ""))
                    prev = None
                    continue
                extra = m - nat
                per = extra / e["regs"] * 1000.0
                marg, growth = "", ""
                if prev is not None:
                    # The cost of the registrations added since the previous N: the fixed costs cancel.
                    mg = (extra - prev[0]) / (e["regs"] - prev[1]) * 1000.0
                    marg = "%.3f" % mg
                    if first is None:
                        first = mg
                    growth = ratio(mg, first)
                prev = (extra, e["regs"])
                rows.append((d, label(n, t), n, e["regs"], "%.2f" % extra, "%.3f" % per, marg, growth))
    if rows:
        table("Cost per registration",
              ("debugger", "tool", "N", "registrations", "extra s", "ms/registration",
               "marginal ms/registration", "x first marginal"), rows, 2,
              ["extra s: the session's median minus the native program's under the same debugger; it includes",
               "fixed costs (the debugger loading lantern's or libLLVM's own symbols), which weigh most at small N.",
               "ms/registration: extra s / registrations. marginal: (extra s at N - extra s at the previous N) /",
               "(the registrations added), which cancels the fixed costs. A constant cost per registration keeps",
               "the marginal cost flat (x 1.00); a marginal cost that grows with N means each registration costs",
               "more the more there already are (the session's total is superlinear in N)."])

txt = "\n".join(out_txt)
print(txt)
with open(os.path.join(results, "debug-summary.txt"), "w") as fh:
    fh.write(txt + "\n")
with open(os.path.join(results, "debug-summary.md"), "w") as fh:
    fh.write("\n".join(out_md) + "\n")
PY
    if [ -f "$RESULTS/debug-env.txt" ]; then
        cat "$RESULTS/debug-env.txt"
        { echo '### Environment'; echo; sed 's/^/- /' "$RESULTS/debug-env.txt"; } >>"$RESULTS/debug-summary.md"
    fi
    echo "results: $RESULTS (debug-size.tsv, debug-scale.tsv, debug-ref-N.json, debug-session-*.log, debug-summary.md)"
}

# plots: the scale part's medians as SVG curves (time against N, log-log), one plot per
# debugger, in $PLOT_DIR/debug-scale-DEBUGGER.svg.
plots() {
    [ -f "$RESULTS/debug-scale.tsv" ] || { note "no scale results to plot"; return; }
    command -v gnuplot >/dev/null || die "--plots needs gnuplot (Debian package: gnuplot-nox)"
    mkdir -p "$PLOT_DIR"
    local data=$RESULTS/plots d title file cols i t plot
    mkdir -p "$data"
    python3 - "$RESULTS" "$data" <<'PY'
import json, os, statistics, sys
results, out = sys.argv[1], sys.argv[2]
TOOLS = ["native", "lantern", "lantern-sep", "lantern-per-unit", "lantern-repl", "llvm-jitlink"]
med = {}
for line in list(open(os.path.join(results, "debug-scale.tsv")))[1:]:
    n, d, t, regs, st, times, rss, stack = line.rstrip("\n").split("\t")
    times = [float(x) for x in times.split(",") if x]
    if st == "ok" and times:
        med[(int(n), d, t)] = statistics.median(times)
sizes = sorted({n for n, _, _ in med})
for n in sizes:
    jf, tf = (os.path.join(results, "debug-ref-%d.%s" % (n, e)) for e in ("json", "tools"))
    if os.path.exists(jf) and os.path.exists(tf):
        tools = [l.strip() for l in open(tf)]
        for t, r in zip(tools, json.load(open(jf))["results"]):
            med[(n, "none", t)] = statistics.median(r["times"])
for d in ("none", "gdb", "lldb"):
    present = [t for t in TOOLS if any((n, d, t) in med for n in sizes)]
    if not present:
        continue
    with open(os.path.join(out, d + ".dat"), "w") as fh:
        fh.write("# N " + " ".join(present) + "\n")
        for n in sizes:
            fh.write(" ".join([str(n)] + ["%.6f" % med[(n, d, t)] if (n, d, t) in med else "NaN"
                                          for t in present]) + "\n")
PY
    for d in none gdb lldb; do
        file=$data/$d.dat
        [ -f "$file" ] || continue
        case $d in
            none) title="The programs alone (no debugger)" ;;
            gdb) title="gdb session: start, break at f_{N-1}, run, bt, kill" ;;
            lldb) title="lldb-19 session: start, break at f_{N-1}, run, bt, kill" ;;
        esac
        read -r -a cols < <(head -n1 "$file" | cut -d' ' -f3-)
        plot=
        for i in "${!cols[@]}"; do
            case ${cols[$i]} in
                native) t="native (gcc -o prog)" ;;
                lantern) t="lantern run (1 unit)" ;;
                lantern-sep) t="lantern run --separate-units" ;;
                lantern-per-unit) t="--separate-units --debug-registration=per-unit" ;;
                lantern-repl) t="examples/repl (a unit per file)" ;;
                *) t="llvm-jitlink-19" ;;
            esac
            plot+="${plot:+, }'$file' using 1:$((i + 2)) with linespoints title '$t'"
        done
        gnuplot <<GNUPLOT || die "gnuplot failed on $file"
set terminal svg size 720,440 dynamic font 'sans,11' background '#ffffff'
set output '$PLOT_DIR/debug-scale-$d.svg'
set title "$title" noenhanced
set xlabel 'N (objects)'
set ylabel 'median wall time (s)'
set logscale xy
set grid
set key top left noenhanced
set datafile missing 'NaN'
plot $plot
GNUPLOT
        note "plot: $PLOT_DIR/debug-scale-$d.svg"
    done
}

if [ "$SUMMARY_ONLY" = 1 ]; then
    summarize
    [ "$PLOTS" = 0 ] || plots
    exit 0
fi

# ---------------------------------------------------------------- tool checks
missing=()
need() {   # need COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package: $2)")
}
need python3 python3
need gcc gcc
need hyperfine hyperfine
need timeout coreutils
need "$GDB" gdb
need "$JITLINK" llvm-19
[[ " $DEBUGGERS " == *" lldb "* ]] && need "$LLDB" lldb-19
[ -x /usr/bin/time ] || missing+=("/usr/bin/time (Debian package: time)")
if [ ${#missing[@]} -gt 0 ]; then
    for m in "${missing[@]}"; do echo "debug-bench: missing: $m" >&2; done
    die "install the missing packages first, e.g. apt-get install -y gdb lldb-19 llvm-19 hyperfine time"
fi
case $LANTERN in /*) ;; *) LANTERN=$PWD/$LANTERN ;; esac
if [ ! -x "$LANTERN" ]; then
    die "lantern binary not found at $LANTERN
  build it first:  (cd $REPO && cargo build --release)"
fi
GDB=$(command -v "$GDB")
JITLINK=$(command -v "$JITLINK")
[[ " $DEBUGGERS " == *" lldb "* ]] && LLDB=$(command -v "$LLDB")
HAVE_SEPARATE=1
if ! "$LANTERN" run --help 2>/dev/null | grep -q -- '--separate-units'; then
    HAVE_SEPARATE=0
    note "warning: $LANTERN has no 'run --separate-units' (rebuild with cargo build --release);"
    note "         the lantern-sep rows will say 'missing'"
fi

START=$SECONDS
ORIG_STACK=$(ulimit -S -s)

# The process group of the command being run, killed if the script is interrupted.
CUR_PGID=
cleanup() { [ -z "$CUR_PGID" ] || kill -KILL -- "-$CUR_PGID" 2>/dev/null || true; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# in_group DIR LOG CMD...: run CMD from DIR (stdin /dev/null, stdout and stderr to LOG)
# under `timeout -k 10 $TIMEOUT`, which puts it in a process group of its own; sets RC
# (124 or 137: timed out). Whatever is left of the group afterwards (a stopped inferior,
# an lldb-server) is killed by the group's id. If STACK_KIB is set, CMD runs with
# `ulimit -s $STACK_KIB` (and so does any program it starts).
STACK_KIB=
in_group() {
    local dir=$1 log=$2
    shift 2
    (cd "$dir" && if [ -n "$STACK_KIB" ]; then ulimit -S -s "$STACK_KIB"; fi &&
        exec timeout -k 10 "$TIMEOUT" "$@") </dev/null >"$log" 2>&1 &
    CUR_PGID=$!
    RC=0
    wait "$CUR_PGID" || RC=$?
    kill -KILL -- "-$CUR_PGID" 2>/dev/null || true
    CUR_PGID=
}

# A gdb Python script that records the symfile_size of every JIT registration
# (action JIT_REGISTER_FN) and prints them when the inferior exits. It reads
# __jit_debug_descriptor as raw memory, so it works without debug info for it
# (libLLVM has none).
JIT_PY=$WORKDIR/jit-registrations.py
cat >"$JIT_PY" <<'PY'
import struct
import gdb
sizes, errors = [], []
def read(addr, n):
    return bytes(gdb.selected_inferior().read_memory(addr, n))
class RegisterCode(gdb.Breakpoint):
    def stop(self):
        try:
            d = int(gdb.parse_and_eval("(unsigned long) &__jit_debug_descriptor"))
            _version, action, relevant, _first = struct.unpack("<IIQQ", read(d, 24))
            if relevant and action == 1:           # JIT_REGISTER_FN
                _next, _prev, _addr, size = struct.unpack("<QQQQ", read(relevant, 32))
                sizes.append(size)
        except Exception as e:                    # noqa: BLE001 - reported below
            errors.append(str(e))
        return False
gdb.execute("set language c")                    # lantern's own code is Rust
RegisterCode("__jit_debug_register_code", internal=True)
def exited(_event):
    print("JIT-REGISTRATIONS count=%d bytes=%d errors=%d %s"
          % (len(sizes), sum(sizes), len(errors), errors[:1]))
gdb.events.exited.connect(exited)
PY

# registered OUTVAR DIR CMD...: run CMD under gdb with $JIT_PY; OUTVAR := "COUNT BYTES" or "".
registered() {
    local -n out=$1
    local dir=$2 log line
    shift 2
    log=$(mktemp)
    out=
    in_group "$dir" "$log" "$GDB" -batch -nx -ex "source $JIT_PY" -ex run --args "$@"
    line=$(grep -m1 '^JIT-REGISTRATIONS ' "$log" || true)
    if [[ $line =~ count=([0-9]+)\ bytes=([0-9]+)\ errors=0 ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
        out="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
    else
        note "could not read the registrations of: $* (in $dir); gdb's output ends with:"
        tail -n 5 "$log" | sed 's/^/    /' >&2
    fi
    rm -f "$log"
}

# ------------------------------------------------------------------ inputs
# prepare INPUT: bench/link-bench.sh's inputs, generated and compiled exactly as it does
# (same directory and stamp, so the two scripts share the cache).
prepare() {
    local input=$1 dir=$WORKDIR/$1 stamp
    stamp=$( { sha256sum <"$GEN"; gcc --version | head -n1; echo "$CFLAGS $input"; } | sha256sum | cut -d' ' -f1)
    if [ "$REGEN" = 0 ] && [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ]; then
        note "$input: cached inputs in $dir"
        return
    fi
    rm -rf "$dir"
    mkdir -p "$dir/src"
    note "$input: generating C sources"
    python3 "$GEN" "$input" "$dir/src" >&2
    note "$input: compiling with gcc $CFLAGS -c ($JOBS jobs)"
    local t0=$SECONDS
    # shellcheck disable=SC2016
    (cd "$dir" && printf '%s\n' src/*.c | CFLAGS=$CFLAGS xargs -P "$JOBS" -n 1 \
        sh -c 'gcc $CFLAGS -c "$1" -o "$(basename "$1" .c).o"' sh) ||
        die "$input: compiling the generated sources failed"
    note "$input: compiled in $((SECONDS - t0)) s"
    echo "$stamp" >"$dir/stamp"
}

# prepare_shapes: tests/debug-programs/shapes/*.c compiled with gcc $UNIT_CFLAGS -c.
prepare_shapes() {
    local dir=$WORKDIR/shapes src=$REPO/tests/debug-programs/shapes
    [ -d "$src" ] || die "shapes: $src is missing"
    rm -rf "$dir"
    mkdir -p "$dir"
    for c in "$src"/*.c; do
        # shellcheck disable=SC2086
        gcc $UNIT_CFLAGS -c "$c" -o "$dir/$(basename "$c" .c).o" || die "shapes: gcc failed on $c"
    done
}

# prepare_units N: the scale part's generated program in WORKDIR/units-N (cached by a stamp).
prepare_units() {
    local n=$1 dir=$WORKDIR/units-$1 stamp
    stamp=$( { sha256sum <"$GEN_UNITS"; gcc --version | head -n1; echo "$UNIT_CFLAGS units $n"; } | sha256sum | cut -d' ' -f1)
    if [ "$REGEN" = 0 ] && [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ]; then
        note "units-$n: cached inputs in $dir"
    else
        rm -rf "$dir"
        mkdir -p "$dir/src"
        python3 "$GEN_UNITS" "$n" "$dir/src" >&2
        note "units-$n: compiling $((n + 1)) files with gcc $UNIT_CFLAGS -c ($JOBS jobs)"
        local t0=$SECONDS
        # Many files per gcc run (gcc -c a.c b.c writes a.o b.o in the current directory).
        # shellcheck disable=SC2086
        (cd "$dir" && printf 'src/%s\n' main.c $(seq -f 'f_%g.c' 0 $((n - 1))) |
            xargs -P "$JOBS" -n 64 gcc $UNIT_CFLAGS -c) || die "units-$n: compiling failed"
        note "units-$n: compiled in $((SECONDS - t0)) s"
        echo "$stamp" >"$dir/stamp"
    fi
    # Definitions before uses: the order --separate-units needs (and main last).
    seq -f 'f_%g.o' 0 $((n - 1)) >"$dir/objs.rsp"
    echo main.o >>"$dir/objs.rsp"
}

# rsp_for INPUT: write WORKDIR/INPUT/objs.rsp: its objects, main.o (if there is one) last.
rsp_for() {
    local dir=$WORKDIR/$1 f
    case $1 in units-*) return ;; esac   # written by prepare_units
    for f in "$dir"/*.o; do
        [ "${f##*/}" = main.o ] || echo "${f##*/}"
    done >"$dir/objs.rsp"
    if [ -f "$dir/main.o" ]; then echo main.o >>"$dir/objs.rsp"; fi
}

START_INPUTS=$SECONDS
section "inputs"
SIZE_INPUTS=
if has_part size; then
    for input in $INPUTS; do
        case $input in
            shapes) prepare_shapes ;;
            *) prepare "$input" ;;
        esac
        SIZE_INPUTS+=" $input"
    done
fi
for n in $SIZES; do
    if has_part scale || has_part size; then
        prepare_units "$n"
        has_part size && SIZE_INPUTS+=" units-$n"
    fi
done
for input in $SIZE_INPUTS; do rsp_for "$input"; done
note "inputs ready in $((SECONDS - START_INPUTS)) s"

# ------------------------------------------------------------------ part 1: sizes
if has_part size; then
    section "size of the registered debug objects"
    SIZE_TSV=$RESULTS/debug-size.tsv
    printf 'input\tobjects\tfile_bytes\tdebug_bytes\teh_frame_bytes\tsymtab_strtab_bytes\tlantern_object_bytes\tlantern_registered\tjitlink_registered\n' >"$SIZE_TSV"
    for input in $SIZE_INPUTS; do
        dir=$WORKDIR/$input
        # Per-kind section sums over the input objects, from the ELF section headers.
        read -r nobj fbytes dbytes ebytes sbytes < <(cd "$dir" && python3 - objs.rsp <<'PY'
import struct, sys
names = [l.strip() for l in open(sys.argv[1]) if l.strip()]
tot = [0, 0, 0, 0]
for name in names:
    data = open(name, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit("not an ELF64 file: " + name)
    tot[0] += len(data)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    for h in hdrs:
        nm = data[stroff + h[0]:data.index(b"\0", stroff + h[0])].decode()
        if h[1] == 8:            # SHT_NOBITS has no bytes in the file
            continue
        if nm.startswith(".debug_"):
            tot[1] += h[5]
        elif nm == ".eh_frame":
            tot[2] += h[5]
        elif nm in (".symtab", ".strtab"):
            tot[3] += h[5]
print(len(names), *tot)
PY
)
        [ -n "${nobj:-}" ] || die "$input: could not read the section headers of its objects"
        rm -rf "$dir/debug-object"
        dolog=$dir/debug-object.log
        if (cd "$dir" && "$LANTERN" debug-object -lm @objs.rsp --out debug-object) >"$dolog" 2>&1; then
            lbytes=$(grep -o '([0-9]* bytes)' "$dolog" | tr -dc '0-9\n' | awk '{ s += $1 } END { print s + 0 }')
        else
            lbytes=FAILED
            note "$input: lantern debug-object FAILED:"
            head -n 10 "$dolog" | sed 's/^/    /' >&2
        fi
        registered lreg "$dir" "$LANTERN" run -lm @objs.rsp
        if [ "$nobj" -le "$MEASURE_MAX" ]; then
            registered jreg "$dir" "$JITLINK" @objs.rsp
        else
            jreg=
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$input" "$nobj" "$fbytes" "$dbytes" "$ebytes" "$sbytes" \
            "$lbytes" "${lreg:-}" "${jreg:-}" >>"$SIZE_TSV"
        note "$input: $nobj objects, $fbytes bytes; .debug_*+.eh_frame+.symtab+.strtab: $((dbytes + ebytes + sbytes)); lantern debug object: $lbytes; registered (count bytes): lantern ${lreg:-?}, llvm-jitlink ${jreg:-not measured}"
    done
fi

# ------------------------------------------------------------------ part 2: scale
read -r -a TOOLS <<<"$TOOLS_LIST"
for t in "${TOOLS[@]}"; do
    case $t in native | lantern | lantern-sep | lantern-per-unit | lantern-repl | llvm-jitlink) ;;
        *) die "--tools: unknown program '$t'" ;;
    esac
done
REPL=$(dirname "$LANTERN")/examples/repl

# tool_argv N TOOL: the program ARGV of TOOL for units-N, run from its directory.
tool_argv() {
    case $2 in
        native) ARGV=(./prog) ;;
        lantern) ARGV=("$LANTERN" run @objs.rsp) ;;
        lantern-sep) ARGV=("$LANTERN" run --separate-units @objs.rsp) ;;
        lantern-per-unit) ARGV=("$LANTERN" run --separate-units --debug-registration=per-unit @objs.rsp) ;;
        lantern-repl) ARGV=("$REPL" @objs.rsp) ;;
        llvm-jitlink) ARGV=("$JITLINK" @objs.rsp) ;;
    esac
}

# session_argv DEBUGGER LAST: the debugger command line in front of the program.
session_argv() {
    case $1 in
        gdb) DARGV=("$GDB" -batch -nx -ex 'set breakpoint pending on' -ex "break $2" -ex run -ex bt -ex kill --args) ;;
        lldb) DARGV=("$LLDB" -b -o 'settings set plugin.jit-loader.gdb.enable on' -o "breakpoint set --name $2"
                     -o 'process launch' -o bt -o kill --) ;;
    esac
}

# hit DEBUGGER LAST LOG: did the session stop at the breakpoint in LAST?
hit() {
    case $1 in
        gdb) grep -q "Breakpoint 1, $2 (" "$3" ;;
        lldb) grep -q 'stop reason = breakpoint' "$3" && grep -q "\`$2(" "$3" ;;
    esac
}

# timed_session DIR LOG CMD...: in_group, timed; sets ELAPSED (wall s), RSS (peak KiB of the
# largest process of the session, from /usr/bin/time; 0 if unknown) and RC.
timed_session() {
    local dir=$1 log=$2 t0 t1 tf
    shift 2
    tf=$log.time
    rm -f "$tf"
    t0=$EPOCHREALTIME
    in_group "$dir" "$log" /usr/bin/time -f '%M' -o "$tf" "$@"
    t1=$EPOCHREALTIME
    ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    RSS=$(tail -n1 "$tf" 2>/dev/null | tr -dc '0-9' || true)
    RSS=${RSS:-0}
    rm -f "$tf"
}

if has_part scale; then
    SCALE_TSV=$RESULTS/debug-scale.tsv
    printf 'n\tdebugger\ttool\tregistrations\tstatus\ttimes_s\trss_kib\tstack_kib\n' >"$SCALE_TSV"
    for n in $SIZES; do
        dir=$WORKDIR/units-$n
        last=f_$((n - 1))
        section "N=$n: sanity checks"
        (cd "$dir" && gcc -o prog @objs.rsp) || die "units-$n: gcc -o prog failed"
        declare -A ST=()
        JL_STACK=
        for t in "${TOOLS[@]}"; do
            if [ "${t#lantern-}" != "$t" ] && [ "$HAVE_SEPARATE" = 0 ]; then ST[$t]=missing; continue; fi
            if [ "$t" = lantern-repl ] && [ ! -x "$REPL" ]; then
                note "N=$n: $REPL is missing (cargo build --release --examples): lantern-repl rows say 'missing'"
                ST[$t]=missing
                continue
            fi
            tool_argv "$n" "$t"
            in_group "$dir" "$dir/$t.log" "${ARGV[@]}"
            if [ "$t" = llvm-jitlink ] && [ "$RC" = 139 ] && [ "$JITLINK_STACK" -gt 0 ]; then
                note "N=$n: llvm-jitlink-19 crashed (SIGSEGV; log: $dir/$t.log); retrying with ulimit -s $JITLINK_STACK"
                mv "$dir/$t.log" "$dir/$t.default-stack.log"
                STACK_KIB=$JITLINK_STACK
                in_group "$dir" "$dir/$t.log" "${ARGV[@]}"
                STACK_KIB=
                if [ "$RC" = 0 ]; then
                    JL_STACK=$JITLINK_STACK
                    note "N=$n: with ulimit -s $JITLINK_STACK it runs; all its sessions for N=$n use that limit"
                fi
            fi
            # The program prints f_{N-1}(0), which is N (stdout and stderr share the log).
            if [ "$RC" = 0 ] && grep -q -x "$n" "$dir/$t.log"; then
                ST[$t]=ok
            else
                case $RC in
                    0) ST[$t]="FAILED (wrong output)" ;;
                    124|137) ST[$t]="did not finish in ${TIMEOUT}s" ;;
                    139) ST[$t]="FAILED (SIGSEGV)" ;;
                    *) ST[$t]="FAILED (exit status $RC)" ;;
                esac
                note "N=$n: $t does not print $n (exit status $RC; see $dir/$t.log)"
                head -n 5 "$dir/$t.log" | sed 's/^/    /' >&2
            fi
        done
        note "N=$n: $(for t in "${TOOLS[@]}"; do printf '%s=%s ' "$t" "${ST[$t]}"; done)"
        for t in "${TOOLS[@]}"; do printf '%s\t%s\n' "$t" "${ST[$t]}"; done >"$RESULTS/debug-ref-$n.status"

        section "N=$n: without a debugger (hyperfine -N --warmup 1 --runs $REF_RUNS)"
        args=()
        : >"$RESULTS/debug-ref-$n.tools"
        for t in "${TOOLS[@]}"; do
            [ "${ST[$t]}" = ok ] || continue
            tool_argv "$n" "$t"
            if [ "$t" = llvm-jitlink ] && [ -n "$JL_STACK" ]; then
                ARGV=(bash -c "ulimit -S -s $JL_STACK && exec $(printf '%q ' "${ARGV[@]}")")
            fi
            args+=(-n "$t" "$(printf '%q ' "${ARGV[@]}")")
            echo "$t" >>"$RESULTS/debug-ref-$n.tools"
        done
        if [ ${#args[@]} -gt 0 ]; then
            (cd "$dir" && hyperfine -N --warmup 1 --runs "$REF_RUNS" --export-json "$RESULTS/debug-ref-$n.json" "${args[@]}") >&2
        fi

        section "N=$n: debugger sessions ($RUNS runs each, round robin, timeout ${TIMEOUT}s)"
        declare -A TIMES=() RSSES=() SST=()
        for d in $DEBUGGERS; do
            for t in "${TOOLS[@]}"; do
                SST[$d/$t]=${ST[$t]}
                TIMES[$d/$t]=
                RSSES[$d/$t]=
            done
        done
        for ((r = 1; r <= RUNS; r++)); do
            for d in $DEBUGGERS; do
                session_argv "$d" "$last"
                for t in "${TOOLS[@]}"; do
                    [ "${SST[$d/$t]}" = ok ] || continue
                    tool_argv "$n" "$t"
                    log=$RESULTS/debug-session-$n-$d-$t.log
                    [ "$t" != llvm-jitlink ] || STACK_KIB=$JL_STACK
                    timed_session "$dir" "$log" "${DARGV[@]}" "${ARGV[@]}"
                    STACK_KIB=
                    el=$ELAPSED rss=$RSS rc=$RC
                    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
                        SST[$d/$t]="did not finish in ${TIMEOUT}s"
                        note "N=$n $d $t run $r: did not finish in ${TIMEOUT}s (log: $log)"
                    elif hit "$d" "$last" "$log"; then
                        TIMES[$d/$t]+="${TIMES[$d/$t]:+,}$el"
                        RSSES[$d/$t]+="${RSSES[$d/$t]:+,}$rss"
                        note "N=$n $d $t run $r: $el s, peak RSS $((rss / 1024)) MiB"
                    else
                        SST[$d/$t]=FAILED
                        note "N=$n $d $t run $r: FAILED, no stop at $last (exit status $rc; log: $log). It ends with:"
                        tail -n 8 "$log" | sed 's/^/    /' >&2
                    fi
                done
            done
        done
        for d in $DEBUGGERS; do
            for t in "${TOOLS[@]}"; do
                case $t in native) regs=0 ;; lantern | lantern-sep) regs=1 ;; *) regs=$((n + 1)) ;; esac
                stack=
                [ "$t" != llvm-jitlink ] || stack=$JL_STACK
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$d" "$t" "$regs" "${SST[$d/$t]}" \
                    "${TIMES[$d/$t]}" "${RSSES[$d/$t]}" "$stack" >>"$SCALE_TSV"
            done
        done
        unset ST TIMES RSSES SST
    done
fi

# ------------------------------------------------------------------ summary
{
    echo "host: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "gcc: $(gcc --version | head -n1)"
    echo "gdb: $("$GDB" --version | head -n1)"
    [[ " $DEBUGGERS " == *" lldb "* ]] && echo "lldb: $("$LLDB" --version | head -n1)"
    echo "llvm-jitlink: $("$JITLINK" --version | grep -m1 -i 'llvm version' | sed 's/^ *//')"
    echo "lantern: $LANTERN ($("$LANTERN" --version); built $(date -u -r "$LANTERN" '+%Y-%m-%d %H:%M UTC'); tree at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'))"
    echo "hyperfine: $(hyperfine --version); session runs: $RUNS; reference runs: $REF_RUNS; timeout: ${TIMEOUT}s"
    echo "stack limit (ulimit -s, KiB): $ORIG_STACK; for llvm-jitlink-19 after a crash: $JITLINK_STACK"
} >"$RESULTS/debug-env.txt"

summarize
[ "$PLOTS" = 0 ] || plots
echo "total time: $((SECONDS - START)) s"
