# gdb session, run by `lantern debug-test` (tests/debugger.rs) on the
# natively linked program and under `lantern run`: macros of objects built
# with -g3 that share headers (gdb crashed when the imports of the shared
# headers' macros pointed at a tombstone).
break perimeter_of
break area_of
run
info macro SCALE
info macro AREA
info macro PERIMETER
macro expand AREA(w, h)
print AREA(2, 5)
print GREETING
continue
info macro SCALE
print PERIMETER(w, h)
up
info macro LOCAL_ONLY
info macro SCALE
print LOCAL_ONLY + SCALE
continue
