# gdb session, run by `lantern debug-test` (tests/debugger.rs) on the
# natively linked program and under `lantern run`; each command runs even
# if an earlier one failed.
# A breakpoint in a static constructor (before main), virtual calls,
# print *this, ptype of a class, catch throw and the frame that threw.
break Registry::Registry
break Rect::area
catch throw
run
bt 1
continue
bt
print *this
print w
ptype Rect
finish
continue
delete 2
continue
bt 2
up
info args
info symbol $pc
continue
