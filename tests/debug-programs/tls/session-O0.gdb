# gdb session, run by `lantern debug-test` (tests/debugger.rs) on the
# natively linked program and under `lantern run`; each command runs even
# if an earlier one failed.
# Thread-local variables of every kind, in the main thread, in a second
# thread, and in the main thread again while the second one is stopped.
set print thread-events off
break main.cpp:26
break bump_c_counter
run
print counter
print label
print ns::depth
print hits
print calls
print c_counter
continue
print calls
print counter
continue
print c_counter
print counter
continue
print counter
print label
print calls
print hits
print ns::depth
thread apply 1 -q print counter
thread apply 1 -q print ns::depth
continue
print c_counter
continue
