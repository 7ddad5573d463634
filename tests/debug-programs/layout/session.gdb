# gdb session, run by `lantern debug-test` (tests/debugger.rs): sections
# named and laid out as GNU ld does (.bss, .data, .text for .text._Z... and
# a cold part before its function), no assembler-local symbols (.L.str).
break show
run
print message
finish
info symbol &zeroed
info symbol &initialized
info symbol &g_shape
info symbol &pointer_to_shape
info symbol twice<int>
info symbol classify
info symbol show
disassemble /s classify
print pointer_to_shape
continue
