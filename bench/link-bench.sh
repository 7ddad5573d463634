#!/usr/bin/env bash
# link-bench.sh: compare Lantern's in-memory link with llvm-jitlink-19 -noexec and GNU ld.
# Run `bench/link-bench.sh --help` for the options; docs/benchmarks.md explains the method.
set -euo pipefail
export LC_ALL=C

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
GEN=$SCRIPT_DIR/gen_inputs.py

WORKDIR=$REPO/target/bench
LANTERN=$REPO/target/release/lantern
RUNS=20
RSS_RUNS=5
WARMUP=2
QUICK=0
USE_LANTERN=1
INPUTS="big multi"
JOBS=$(nproc 2>/dev/null || echo 2)
REGEN=0
JITLINK=llvm-jitlink-19
CFLAGS="-g -O1"     # gcc's defaults otherwise, i.e. PIE code on Debian

usage() {
    cat <<EOF
Usage: bench/link-bench.sh [OPTIONS]

Benchmarks Lantern's in-memory link (target/release/lantern link -lm OBJS) against
llvm-jitlink-19 -noexec OBJS and GNU ld (ld.bfd, invoked directly with the
command line gcc would give it) on two generated C programs:

  big    one ~50,000-line C file compiled with gcc -g -O1 -c into one object
  multi  20 C files of 1,000-2,000 lines each (cross-file calls and data
         references, one main), compiled with gcc -g -O1 -c

Wall time comes from one hyperfine run per input (all tools side by side);
peak RSS is the median of several /usr/bin/time runs. A table with ratios
(lantern / other tool) is printed at the end and saved in WORKDIR/results/.

Options:
  --workdir DIR     where inputs and results go (default: <repo>/target/bench)
  --quick           smoke check: 3 hyperfine runs and 3 RSS runs per tool
  --runs N          hyperfine runs per command (default: $RUNS)
  --rss-runs N      /usr/bin/time runs per tool for peak RSS (default: $RSS_RUNS)
  --inputs LIST     comma-separated subset of: big,multi (default: big,multi)
  --lantern PATH    the lantern binary (default: <repo>/target/release/lantern)
  --no-lantern      benchmark only the reference linkers (no lantern needed)
  --llvm-jitlink P  the llvm-jitlink binary (default: llvm-jitlink-19 on PATH)
  --regen           regenerate and recompile the inputs even if cached
  --jobs N          parallel gcc jobs when compiling inputs (default: $JOBS)
  -h, --help        show this help

Needs: python3, gcc, binutils (ld.bfd), hyperfine, time (/usr/bin/time);
llvm-19 (llvm-jitlink-19) is optional. Inputs are cached in WORKDIR and rebuilt
when the generator, the gcc version or the flags change. The script can be run
from any directory.
EOF
}

die() { echo "link-bench: error: $*" >&2; exit 1; }
note() { echo "link-bench: $*" >&2; }
section() { printf '\n==== %s ====\n' "$*" >&2; }

while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --workdir) [ $# -ge 2 ] || die "--workdir needs a directory"; WORKDIR=$2; shift 2 ;;
        --workdir=*) WORKDIR=${1#*=}; shift ;;
        --quick) QUICK=1; shift ;;
        --runs) [ $# -ge 2 ] || die "--runs needs a number"; RUNS=$2; shift 2 ;;
        --rss-runs) [ $# -ge 2 ] || die "--rss-runs needs a number"; RSS_RUNS=$2; shift 2 ;;
        --inputs) [ $# -ge 2 ] || die "--inputs needs a list"; INPUTS=${2//,/ }; shift 2 ;;
        --lantern) [ $# -ge 2 ] || die "--lantern needs a path"; LANTERN=$2; shift 2 ;;
        --no-lantern) USE_LANTERN=0; shift ;;
        --llvm-jitlink) [ $# -ge 2 ] || die "--llvm-jitlink needs a path"; JITLINK=$2; shift 2 ;;
        --regen) REGEN=1; shift ;;
        --jobs) [ $# -ge 2 ] || die "--jobs needs a number"; JOBS=$2; shift 2 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
if [ "$QUICK" = 1 ]; then RUNS=3; RSS_RUNS=3; fi
for n in "$RUNS" "$RSS_RUNS" "$JOBS"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $n"
done
for i in $INPUTS; do
    case $i in big|multi) ;; *) die "unknown input '$i' (expected big and/or multi)" ;; esac
done
mkdir -p "$WORKDIR"
WORKDIR=$(cd "$WORKDIR" && pwd)
RESULTS=$WORKDIR/results
mkdir -p "$RESULTS"

# ---------------------------------------------------------------- tool checks
missing=()
need() {   # need COMMAND DEBIAN-PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package: $2)")
}
need python3 python3
need gcc gcc
need ld.bfd binutils
need hyperfine hyperfine
[ -x /usr/bin/time ] || missing+=("/usr/bin/time (Debian package: time)")
if [ ${#missing[@]} -gt 0 ]; then
    for m in "${missing[@]}"; do echo "link-bench: missing: $m" >&2; done
    die "install the missing packages first, e.g. apt-get install -y hyperfine time"
fi
HAVE_JITLINK=1
if ! command -v "$JITLINK" >/dev/null 2>&1; then
    note "warning: $JITLINK not found (Debian package: llvm-19); benchmarking without it"
    HAVE_JITLINK=0
fi
if [ "$USE_LANTERN" = 1 ]; then
    case $LANTERN in /*) ;; *) LANTERN=$PWD/$LANTERN ;; esac
    if [ ! -x "$LANTERN" ]; then
        die "lantern binary not found at $LANTERN
  build it first:  (cd $REPO && cargo build --release)
  or run with --no-lantern to benchmark only the reference linkers"
    fi
fi
LD_BFD=$(command -v ld.bfd)

START=$SECONDS

# ------------------------------------------------------------------ inputs
# prepare INPUT: generate the C sources and compile them (cached by a stamp).
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

# objs INPUT: the object files of an input, relative to its directory, in order.
objs() { (cd "$WORKDIR/$1" && f=(*.o) && echo "${f[*]}"); }

# ld_command INPUT: the exact ld command line that `gcc -fuse-ld=bfd -o ld.out OBJS -lm`
# runs (through collect2), with ld.bfd called directly and the LTO plugin left out.
ld_command() {
    local input=$1
    # shellcheck disable=SC2046
    (cd "$WORKDIR/$input" && gcc -### -fuse-ld=bfd -o ld.out $(objs "$input") -lm 2>&1) |
        python3 -c '
import shlex, sys
def words(l):
    try:
        return shlex.split(l)
    except ValueError:
        return []
line = [w for w in map(words, sys.stdin) if w and w[0].endswith("/collect2")]
if not line:
    sys.exit("no collect2 command in the output of gcc -###")
args = line[-1]
out, skip = [sys.argv[1]], False
for a in args[1:]:
    if skip:
        skip = False
        continue
    if a == "-plugin":
        skip = True
        continue
    if a.startswith("-plugin-opt=") or a.startswith("-fuse-ld="):
        continue
    out.append(a)
print(shlex.join(out))
' "$LD_BFD"
}

# to_argv STRING: split a shell-quoted command line into the array ARGV.
to_argv() { eval "ARGV=($1)"; }

declare -A CMD       # CMD[input/tool] = shell-quoted command line, run from $WORKDIR/input
declare -A STATUS    # STATUS[input/tool] = ok | failed | missing
TOOLS=()
[ "$USE_LANTERN" = 1 ] && TOOLS+=(lantern)
TOOLS+=(llvm-jitlink ld ld-S)

section "inputs"
for input in $INPUTS; do
    prepare "$input"
done

section "sanity checks"
for input in $INPUTS; do
    dir=$WORKDIR/$input
    o=$(objs "$input")
    # The proof that the objects are sane: the natively linked program prints
    # exactly what the generator's Python mirror of it computed.
    # shellcheck disable=SC2086
    (cd "$dir" && gcc -o prog $o -lm) || die "$input: gcc -o prog OBJS -lm failed"
    (cd "$dir" && ./prog >prog.out) || die "$input: the natively linked program failed"
    cmp -s "$dir/prog.out" "$dir/src/expected.txt" ||
        die "$input: the program's output differs from $dir/src/expected.txt"
    # shellcheck disable=SC2086
    bytes=$(cd "$dir" && cat $o | wc -c)
    note "$input: $(echo "$o" | wc -w) object(s), $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB; the gcc-linked program prints the expected output"

    CMD[$input/ld]=$(ld_command "$input")
    CMD[$input/ld-S]=${CMD[$input/ld]/ /" -S "}
    CMD[$input/ld-S]=${CMD[$input/ld-S]/-o ld.out/-o ld-S.out}
    printf '%s\n' "${CMD[$input/ld]}" >"$RESULTS/$input.ld-command"
    for t in ld ld-S; do
        to_argv "${CMD[$input/$t]}"
        if (cd "$dir" && "${ARGV[@]}") >"$dir/$t.log" 2>&1; then
            out=$(cd "$dir" && ./"$t".out) || die "$input: the program linked by $t failed"
            [ "$out" = "$(cat "$dir/src/expected.txt")" ] || die "$input: the program linked by $t prints the wrong output"
            STATUS[$input/$t]=ok
        else
            die "$input: ld failed (see $dir/$t.log): ${CMD[$input/$t]}"
        fi
    done

    if [ "$HAVE_JITLINK" = 1 ]; then
        CMD[$input/llvm-jitlink]="$(printf '%q' "$(command -v "$JITLINK")") -noexec $o"
        to_argv "${CMD[$input/llvm-jitlink]}"
        if (cd "$dir" && "${ARGV[@]}") >"$dir/llvm-jitlink.log" 2>&1; then
            STATUS[$input/llvm-jitlink]=ok
            note "$input: llvm-jitlink-19 -noexec links the objects"
        else
            STATUS[$input/llvm-jitlink]=failed
            note "$input: llvm-jitlink-19 -noexec FAILED; continuing without it. Its output:"
            head -n 20 "$dir/llvm-jitlink.log" | sed 's/^/    /' >&2
        fi
    else
        STATUS[$input/llvm-jitlink]=missing
    fi

    if [ "$USE_LANTERN" = 1 ]; then
        # -lm: the programs call sin/cos/log/sqrt, as `gcc ... -lm` and ld's -lm do;
        # llvm-jitlink finds libm among its own process's symbols.
        CMD[$input/lantern]="$(printf '%q' "$LANTERN") link -lm $o"
        to_argv "${CMD[$input/lantern]}"
        if (cd "$dir" && "${ARGV[@]}") >"$dir/lantern.log" 2>&1; then
            STATUS[$input/lantern]=ok
            note "$input: lantern link succeeds; its --timings report:"
            # shellcheck disable=SC2086
            (cd "$dir" && "${ARGV[0]}" link --timings -lm $o 2>&1 | head -n 40 | sed 's/^/    /' >&2) || true
            # Not needed for the timings, but a wrong link makes them meaningless:
            # does `lantern run` print what the program must print? (a warning only)
            # shellcheck disable=SC2086
            if (cd "$dir" && timeout 120 "${ARGV[0]}" run -lm $o </dev/null >lantern-run.out 2>lantern-run.err) &&
                cmp -s "$dir/lantern-run.out" "$dir/src/expected.txt"; then
                note "$input: lantern run -lm OBJS prints the expected output"
            else
                note "$input: WARNING: lantern run -lm OBJS does not print the expected output (see $dir/lantern-run.out, lantern-run.err)"
            fi
        else
            STATUS[$input/lantern]=failed
            note "$input: lantern link FAILED (exit status != 0); its output:"
            head -n 20 "$dir/lantern.log" | sed 's/^/    /' >&2
        fi
    fi
done

# ------------------------------------------------------------------ wall time
section "wall time (hyperfine --warmup $WARMUP --runs $RUNS)"
for input in $INPUTS; do
    args=()
    : >"$RESULTS/$input.tools"
    : >"$RESULTS/$input.status"
    for t in "${TOOLS[@]}"; do
        printf '%s\t%s\n' "$t" "${STATUS[$input/$t]:-missing}" >>"$RESULTS/$input.status"
        [ "${STATUS[$input/$t]:-}" = ok ] || continue
        args+=(-n "$t" "${CMD[$input/$t]}")
        echo "$t" >>"$RESULTS/$input.tools"
    done
    echo "--- $input ---" >&2
    (cd "$WORKDIR/$input" && hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$RESULTS/$input.json" "${args[@]}") >&2
done

# ------------------------------------------------------------------ peak RSS
section "peak RSS (/usr/bin/time, $RSS_RUNS runs each, median)"
: >"$RESULTS/rss.tsv"
for input in $INPUTS; do
    while read -r t; do
        to_argv "${CMD[$input/$t]}"
        kbs=()
        for ((k = 0; k < RSS_RUNS; k++)); do
            (cd "$WORKDIR/$input" && /usr/bin/time -f %M -o "$RESULTS/time.out" "${ARGV[@]}" >/dev/null 2>&1) ||
                die "$input: $t failed under /usr/bin/time"
            kbs+=("$(tail -n1 "$RESULTS/time.out")")
        done
        med=$(printf '%s\n' "${kbs[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
        printf '%s\t%s\t%s\t%s\n' "$input" "$t" "$med" "${kbs[*]}" >>"$RESULTS/rss.tsv"
        printf '%-6s %-13s %8.1f MiB   (runs, KiB: %s)\n' "$input" "$t" "$(awk -v k="$med" 'BEGIN { print k / 1024 }')" "${kbs[*]}" >&2
    done <"$RESULTS/$input.tools"
done
rm -f "$RESULTS/time.out"

# ------------------------------------------------------------------ summary
{
    echo "host: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs"
    echo "gcc: $(gcc --version | head -n1); ld: $("$LD_BFD" --version | head -n1)"
    [ "$HAVE_JITLINK" = 1 ] && echo "llvm-jitlink: $("$JITLINK" --version | grep -m1 -i 'llvm version' | sed 's/^ *//')"
    echo "hyperfine: $(hyperfine --version); runs: $RUNS (warmup $WARMUP); RSS runs: $RSS_RUNS"
} >"$RESULTS/env.txt"

section "summary"
python3 - "$RESULTS" "$INPUTS" "$USE_LANTERN" <<'PY'
import json, os, statistics, sys
results, inputs, use_lantern = sys.argv[1], sys.argv[2].split(), sys.argv[3] == "1"
LABEL = {
    "lantern": "lantern link -lm",
    "llvm-jitlink": "llvm-jitlink-19 -noexec",
    "ld": "ld.bfd (PIE exe)",
    "ld-S": "ld.bfd -S (no debug)",
}
def ratio(a, b):
    if not a:
        return "-"
    r = a / b
    return "%.2f" % r if r >= 0.1 else "%.3f" % r

rss = {}
with open(os.path.join(results, "rss.tsv")) as fh:
    for line in fh:
        i, t, med, _ = line.rstrip("\n").split("\t")
        rss[(i, t)] = float(med) / 1024.0
rows = []
for i in inputs:
    with open(os.path.join(results, i + ".tools")) as fh:
        tools = [l.strip() for l in fh if l.strip()]
    with open(os.path.join(results, i + ".json")) as fh:
        res = json.load(fh)["results"]
    med = {t: statistics.median(r["times"]) * 1000.0 for t, r in zip(tools, res)}
    with open(os.path.join(results, i + ".status")) as fh:
        status = dict(l.rstrip("\n").split("\t") for l in fh if l.strip())
    ref_t = med.get("lantern")
    ref_m = rss.get((i, "lantern"))
    all_tools = (["lantern"] if use_lantern else []) + ["llvm-jitlink", "ld", "ld-S"]
    for t in all_tools:
        if t not in med:
            rows.append((i, LABEL[t], status.get(t, "missing"), "", "", ""))
            continue
        rt = ratio(ref_t, med[t])
        rm = ratio(ref_m, rss[(i, t)])
        rows.append((i, LABEL[t], "%.1f" % med[t], "%.1f" % rss[(i, t)], rt, rm))
head = ("input", "tool", "median ms", "peak RSS MiB", "lantern/tool time", "lantern/tool RSS")
w = [max(len(str(r[k])) for r in rows + [head]) for k in range(len(head))]
lines = []
for r in [head] + rows:
    lines.append("  ".join(str(x).rjust(w[k]) if k >= 2 else str(x).ljust(w[k]) for k, x in enumerate(r)))
    if r is head:
        lines.append("  ".join("-" * x for x in w))
txt = "\n".join(lines)
print(txt)
md = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 4) + "|"]
md += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
with open(os.path.join(results, "summary.txt"), "w") as fh:
    fh.write(txt + "\n")
with open(os.path.join(results, "summary.md"), "w") as fh:
    fh.write("\n".join(md) + "\n")
print()
print("ratios are lantern / tool: below 1.00 lantern is faster (or smaller).")
PY
cat "$RESULTS/env.txt"
echo "results: $RESULTS (hyperfine JSON, rss.tsv, summary.txt, summary.md)"
echo "total time: $((SECONDS - START)) s"

if [ "$USE_LANTERN" = 1 ]; then
    for input in $INPUTS; do
        [ "${STATUS[$input/lantern]:-}" = ok ] || die "lantern failed to link the '$input' input (see $WORKDIR/$input/lantern.log)"
    done
fi
