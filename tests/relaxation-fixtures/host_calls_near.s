# Calls and GOT loads of host functions (libc's puts) when the unit's memory
# lies within 2 GiB of them. `movq stdout(%rip)`, a 32-bit PC-relative
# reference to host data, makes Lantern place the unit near the host; the
# post-allocation pass then bypasses the stub and relaxes the GOT loads:
#
#   call_plt:  call puts@PLT                  ->  call puts            (e8, rel32 to puts itself)
#   jmp_plt:   jmp puts@PLT                   ->  jmp puts             (e9, rel32 to puts itself)
#   call_got:  call *puts@GOTPCREL(%rip)      ->  addr32 call puts     (ff 15 -> 67 e8)
#   mov_got:   movq puts@GOTPCREL(%rip), %rax ->  leaq puts(%rip), %rax
#   lea_puts:  leaq puts(%rip), %rdi          (R_X86_64_PC32 to a host function, lowered to
#                                              its stub like a call, then bypassed: rel32 to puts)
#
# The stub stays in memory (ff 25 <GOT entry> cc cc), its GOT entry holds
# puts' address; `puts_address` holds it too (R_X86_64_64), for the check.

        .text
        .globl  main
        .type   main,@function
main:
        movq    stdout(%rip), %rax
        leaq    puts_address(%rip), %rax
        .globl  call_plt
call_plt:
        call    puts@PLT
        .globl  call_got
call_got:
        call    *puts@GOTPCREL(%rip)
        .globl  mov_got
mov_got:
        movq    puts@GOTPCREL(%rip), %rax
        .globl  lea_puts
lea_puts:
        leaq    puts(%rip), %rdi
        .globl  jmp_plt
jmp_plt:
        jmp     puts@PLT
        .size   main, .-main

        .data
        .globl  puts_address
puts_address:
        .quad   puts
