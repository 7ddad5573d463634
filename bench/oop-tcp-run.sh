#!/usr/bin/env bash
# oop-tcp-run.sh EXECUTOR LANTERN [lantern run ARGS...]: one `lantern run
# --connect` over TCP on the loopback, to an executor started here
# (`listen=127.0.0.1:0`, the plain-protocol opt-in), for bench/oop-bench.sh.
# Includes starting the executor, as `--oop` does (plus this shell's start).
set -euo pipefail
exe=$1 lantern=$2
shift 2
coproc EX { LANTERN_EXECUTOR_ALLOW_LLVM_PROTOCOL=1 exec "$exe" listen=127.0.0.1:0 2>&1; }
pid=$EX_PID
exec 3<&"${EX[0]}"
read -r line <&3
addr=${line#lantern-executor: listening on }
status=0
"$lantern" run --connect "$addr" "$@" || status=$?
# The executor's output (the program's) stays in the pipe; wait for its exit.
cat <&3 >/dev/null
wait "$pid" 2>/dev/null || true
exit $status
