#!/usr/bin/env bash
# lazy-bench.sh: what lazy linking costs and saves (docs/lazy.md, "Figures").
#
#  1. calls: 100 M calls timed inside the program (bench/lazy/main.c), three
#     loops of the same instructions: a direct call within the object, and
#     two calls into another object, one back-patchable and one whose rel32
#     field straddles an 8-byte word (never patched). Natively and under
#     `lantern run` all three are direct; under `lantern run --lazy` both
#     calls into the other object go through the stub; under `run --lazy
#     --back-patch` the first is rewritten to a direct call and the second
#     still goes through the stub: direct, back-patched and stub calls in
#     the same process.
#  2. first calls: 200 one-function lazy units called once each in turn; the
#     mean first-call latency (link + redirect + debugger registration),
#     with and without debugger support, and with --back-patch (each first
#     call also rewrites its call site in main).
#  3. Lua 5.4 (liblua5.4.a, 32 members, + bench/lazy/lua_main.c) running
#     `print('hello')`: native, `lantern run`, `lantern run --lazy`: wall time
#     to the program's end (its first and only output; hyperfine), peak RSS
#     (/usr/bin/time), units linked.
#
# Usage: bench/lazy-bench.sh [SECTION...]   (default: 1 2 3 4)
#
# Needs: gcc, a release build (cargo build --release); sections 3 and 4
# also hyperfine and /usr/bin/time, section 3 liblua5.4-dev.
# llvm-jitlink-19 has no -lazy mode (LLVM 20 added it) and fails on
# liblua5.4.a ("Unrecognized symbol visibility 1"), so it is not compared
# here.
set -euo pipefail
export LC_ALL=C
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANTERN=$REPO/target/release/lantern
WORK=$REPO/target/bench/lazy
LIBLUA=/usr/lib/x86_64-linux-gnu/liblua5.4.a
RUNS=${RUNS:-20}
SECTIONS=${*:-1 2 3 4}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
[ -x "$LANTERN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
if want 3; then
    [ -f "$LIBLUA" ] || { echo "section 3 needs liblua5.4-dev (apt-get install liblua5.4-dev)" >&2; exit 1; }
fi
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"

if want 1; then
echo "== 1. call cost (ns per call, fastest of 10 rounds of 100 M calls)"
for f in main lazy first; do gcc -O2 -g -c "$REPO/bench/lazy/$f.c" -o $f.o; done
gcc main.o lazy.o first.o -o calls
echo "-- native";             ./calls | tail -1
echo "-- lantern run";        "$LANTERN" run main.o lazy.o first.o | tail -1
echo "-- lantern run --lazy"; "$LANTERN" run --lazy main.o lazy.o first.o | tail -1
echo "-- lantern run --lazy --back-patch"
"$LANTERN" run --lazy --back-patch -v main.o lazy.o first.o 2>&1 | grep -E "^fastest|^lantern: --back-patch"
fi

if want 2; then
echo "== 2. first-call latency (200 one-function units)"
mkdir -p first && cd first
N=200
{
    echo '#include <stdio.h>'
    echo '#include <time.h>'
    for i in $(seq 0 $((N - 1))); do echo "int g$i(int);"; done
    echo 'static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }'
    echo 'int main(void) { int s = 0; double a = now();'
    for i in $(seq 0 $((N - 1))); do echo "s += g$i($i);"; done
    echo "double b = now(); printf(\"$N first calls: %.1f us each (%d)\\n\", (b - a) / 1e3 / $N, s); return 0; }"
} > main.c
for i in $(seq 0 $((N - 1))); do echo "int g$i(int x) { return x + $i; }" > g$i.c; done
for f in *.c; do gcc -O2 -g -c "$f"; done
for i in 1 2 3; do
    echo "-- with debugger support:    $("$LANTERN" run --lazy main.o g*.o)"
    echo "-- --no-debugger-support:    $("$LANTERN" run --lazy --no-debugger-support main.o g*.o)"
    echo "-- --back-patch:             $("$LANTERN" run --lazy --back-patch main.o g*.o)"
done
cd ..
fi

if want 3; then
echo "== 3. Lua 5.4, print('hello')"
gcc -O2 -g -c "$REPO/bench/lazy/lua_main.c" -o lua_main.o
gcc lua_main.o "$LIBLUA" -lm -o lua_native
LUA="lua_main.o $LIBLUA -lm"
"$LANTERN" run --lazy -v $LUA 2>&1 | grep -E "^lantern: --lazy|objects linked now" || true
hyperfine -N --warmup 3 --runs "$RUNS" \
    -n native "./lua_native" \
    -n "lantern run" "$LANTERN run $LUA" \
    -n "lantern run --lazy" "$LANTERN run --lazy $LUA" 2>&1 | grep -E "^Benchmark|Time \(mean"
for cmd in "./lua_native" "$LANTERN run $LUA" "$LANTERN run --lazy $LUA"; do
    rss=$( { /usr/bin/time -f %M $cmd > /dev/null; } 2>&1 | tail -1)
    echo "peak RSS ${rss} KiB: ${cmd#$REPO/}"
done

fi

if want 4; then
echo "== 4. a program that calls into 5 of its 100 objects (50 functions each, -O2 -g)"
mkdir -p few && cd few
{
    echo '#include <stdio.h>'
    for u in $(seq 0 99); do echo "int u${u}_f0(int);"; done
    echo 'int main(void) { int s = 0;'
    for u in 0 20 40 60 80; do echo "s += u${u}_f0($u);"; done
    echo 'printf("%d\n", s); return 0; }'
} > main.c
for u in $(seq 0 99); do
    {
        echo '#include <stdio.h>'
        for i in $(seq 0 49); do echo "int u${u}_f$i(int);"; done
        for i in $(seq 0 49); do
            next=0
            [ "$i" -lt 49 ] && next="u${u}_f$((i + 1))(x)"
            echo "int u${u}_f$i(int x) { char b[32]; snprintf(b, sizeof b, \"%d\", x + $i); return x * $i + b[0] + $next; }"
        done
    } > u$u.c
done
for f in *.c; do gcc -O2 -g -c "$f"; done
"$LANTERN" run --lazy -v main.o u*.o 2>&1 | grep -E "^lantern: --lazy" || true
hyperfine -N --warmup 2 --runs "$RUNS" \
    -n "lantern run" "$LANTERN run main.o $(echo u*.o)" \
    -n "lantern run --lazy" "$LANTERN run --lazy main.o $(echo u*.o)" 2>&1 | grep -E "^Benchmark|Time \(mean"
for flag in "" "--lazy"; do
    rss=$( { /usr/bin/time -f %M "$LANTERN" run $flag main.o u*.o > /dev/null; } 2>&1 | tail -1)
    echo "peak RSS ${rss} KiB: lantern run $flag"
done
fi
