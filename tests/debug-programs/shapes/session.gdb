# gdb session, run by `lantern debug-test` (tests/debugger.rs) on the
# natively linked program and under `lantern run`; each command runs even
# if an earlier one failed.
# Breakpoints in both objects (by name and by file:line), backtraces,
# finish, ten next/step, locals, globals, a struct, an array, ptype, info
# symbol, list, a watchpoint.
break shapes.c:18
break scaled_sides
break accumulate
break main.c:38
run
bt
info locals
print *s
print s->sides
delete 1
continue
bt
finish
next
next
next
step
bt
next
next
next
next
next
next
bt
info locals
print counter
print history
print shapes[1]
print shapes
ptype struct shape
ptype scaled_sides
info symbol perimeter
info symbol accumulate
list scaled_sides
delete 2 3
watch counter
continue
continue
delete 5
continue
bt
info locals
continue
