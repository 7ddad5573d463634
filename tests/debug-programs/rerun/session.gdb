# gdb session, run by `lantern debug-test` (tests/debugger.rs): a breakpoint
# set once the JIT'd code is there (resolved, not pending) survives a second
# `run` (after the program exited) and a third (after `kill`), as natively.
break compute
run
break fact
continue
continue
continue
continue
continue
run
continue
bt
info breakpoints
kill
run
continue
bt 1
