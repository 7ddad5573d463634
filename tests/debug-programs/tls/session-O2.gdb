# gdb session, run by `lantern debug-test` (tests/debugger.rs) on the
# natively linked program and under `lantern run`; each command runs even
# if an earlier one failed.
# At -O2 `touch` is inlined: stops in the C object's function only. Its
# static `calls` is left out (see docs/architecture.md).
set print thread-events off
break bump_c_counter
run
print counter
print hits
print c_counter
print 'ns::depth'
continue
print counter
print c_counter
thread apply 1 -q print counter
continue
