# GOT and stub references of the large code model (-mcmodel=large) and of
# GOT-relative addressing: 64-bit fields that hold offsets from the GOT base
# (_GLOBAL_OFFSET_TABLE_) or PC-relative offsets to a GOT entry. None is
# relaxed; the instruction bytes stay as assembled:
#
#   got64:      movabsq $foo@GOT, %rax        R_X86_64_GOT64: foo's GOT entry - GOT base
#   gotplt64:   movabsq $foo@GOTPLT, %rax (.reloc) R_X86_64_GOTPLT64: the same entry
#   gotpcrel64: (.reloc, addend -8) R_X86_64_GOTPCREL64: foo's GOT entry - 8 - P (P: the field)
#   got32:      movl foo@GOT, %eax (.reloc)   R_X86_64_GOT32: foo's GOT entry - GOT base, 32 bits
#   pltoff_host:  movabsq $puts@PLTOFF, %rax  R_X86_64_PLTOFF64: puts' stub - GOT base
#   pltoff_local: movabsq $foo@PLTOFF, %rax   R_X86_64_PLTOFF64 to a defined function: foo - GOT base (no stub)
#   gotoff:     movabsq $foo@GOTOFF, %rax     R_X86_64_GOTOFF64: foo - GOT base
#   gotpc64:    movabsq $_GLOBAL_OFFSET_TABLE_-gotpc64, %r11 (R_X86_64_GOTPC64): GOT base - P + 2
#   gotpc32:    leaq _GLOBAL_OFFSET_TABLE_(%rip), %r15 (R_X86_64_GOTPC32): GOT base - P - 4
#
# The GOT entry all four GOT references share holds foo's address; puts'
# stub jumps through a GOT entry holding puts' address, which
# `puts_address` (R_X86_64_64) holds too, for the check.

        .text
        .globl  main
        .type   main,@function
main:
        leaq    puts_address(%rip), %rax
        .globl  got64
got64:
        movabsq $foo@GOT, %rax
        .globl  gotplt64
gotplt64:
        movabsq $0, %rax
        .reloc  gotplt64+2, R_X86_64_GOTPLT64, foo
        .globl  gotpcrel64
gotpcrel64:
        movabsq $0, %rax
        .reloc  gotpcrel64+2, R_X86_64_GOTPCREL64, foo-8
        .globl  got32
got32:
        movl    0, %eax
        .reloc  got32+3, R_X86_64_GOT32, foo
        .globl  pltoff_host
pltoff_host:
        movabsq $puts@PLTOFF, %rax
        .globl  pltoff_local
pltoff_local:
        movabsq $foo@PLTOFF, %rax
        .globl  gotoff
gotoff:
        movabsq $foo@GOTOFF, %rax
        .globl  gotpc64
gotpc64:
        movabsq $_GLOBAL_OFFSET_TABLE_-gotpc64, %r11
        .globl  gotpc32
gotpc32:
        leaq    _GLOBAL_OFFSET_TABLE_(%rip), %r15
        ret
        .size   main, .-main

        .globl  foo
        .type   foo,@function
foo:
        ret
        .size   foo, .-foo

        .data
        .globl  puts_address
puts_address:
        .quad   puts
