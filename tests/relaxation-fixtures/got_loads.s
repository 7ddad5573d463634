# GOT loads of a symbol the unit defines (R_X86_64_GOTPCRELX and
# R_X86_64_REX_GOTPCRELX, as compilers emit for -fPIC code): the target is
# always within 2 GiB, so Lantern's post-allocation pass relaxes them.
#
#   mov_rex:   movq foo@GOTPCREL(%rip), %rax  ->  leaq foo(%rip), %rax   (48 8b 05 -> 48 8d 05)
#   mov_rex_r: movq foo@GOTPCREL(%rip), %r12  ->  leaq foo(%rip), %r12   (4c 8b 25 -> 4c 8d 25)
#   mov_norex: movl foo@GOTPCREL(%rip), %eax  ->  leal foo(%rip), %eax   (8b 05 -> 8d 05)
#   call_got:  call *foo@GOTPCREL(%rip)       ->  addr32 call foo        (ff 15 -> 67 e8)
#   jmp_got:   jmp *foo@GOTPCREL(%rip)        ->  jmp foo; nop           (ff 25 -> e9 .. 90)
#
# and the loads that must stay loads from a GOT entry holding foo's address:
#
#   add_rex:   addq foo@GOTPCREL(%rip), %rax  (REX_GOTPCRELX on an instruction that is not mov)
#   plain:     movq foo@GOTPCREL(%rip), %rax  (R_X86_64_GOTPCREL: not marked relaxable)
#   weak:      movq weak@GOTPCREL(%rip), %rax (undefined weak: its entry holds 0)
#
# add_rex and plain share one GOT entry for foo.

        .text
        .globl  main
        .type   main,@function
main:
        .globl  mov_rex
mov_rex:
        movq    foo@GOTPCREL(%rip), %rax
        .globl  mov_rex_r
mov_rex_r:
        movq    foo@GOTPCREL(%rip), %r12
        .globl  mov_norex
mov_norex:
        movl    foo@GOTPCREL(%rip), %eax
        .globl  call_got
call_got:
        call    *foo@GOTPCREL(%rip)
        .globl  jmp_got
jmp_got:
        jmp     *foo@GOTPCREL(%rip)
        .globl  add_rex
add_rex:
        addq    foo@GOTPCREL(%rip), %rax
        .globl  plain
plain:
        movq    0(%rip), %rax
        .reloc  plain+3, R_X86_64_GOTPCREL, foo-4
        .globl  weak_load
weak_load:
        movq    weak@GOTPCREL(%rip), %rax
        ret
        .size   main, .-main

        .globl  foo
        .type   foo,@function
foo:
        ret
        .size   foo, .-foo

        .weak   weak
