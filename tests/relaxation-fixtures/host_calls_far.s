# Calls and GOT loads of host functions when the unit lies in the low 2 GiB,
# out of 32-bit reach of libc: `movl $main, %eax` (R_X86_64_32 to the unit's
# own code, as -fno-pic code has) makes Lantern place it there. Nothing is
# relaxed; each call goes through an 8-byte stub, `jmp *entry(%rip)` padded
# with int3 (ff 25 <rel32> cc cc), whose GOT entry holds the host address:
#
#   call_plt:  call puts@PLT                  (e8, rel32 to puts' stub)
#   call_plt2: call puts@PLT                  (the same stub)
#   jmp_plt:   jmp puts@PLT                   (e9, rel32 to puts' stub)
#   call_got:  call *puts@GOTPCREL(%rip)      (ff 15, rel32 to the stub's GOT entry)
#   mov_got:   movq puts@GOTPCREL(%rip), %rax (48 8b 05, the same GOT entry)
#   call_local: call local@PLT                (e8, rel32 to local: defined in the unit, no stub)
#   lea_puts:  leaq puts(%rip), %rdi          (R_X86_64_PC32 to a host function: rel32 to puts' stub)
#
# A host function whose address -fno-pic code takes with a 32-bit absolute
# fixup gets a canonical address, its stub (as a non-PIE executable's PLT
# entry), used by every reference that takes its address:
#
#   abs_abort:  movl $abort, %edi             (R_X86_64_32: imm32 = abort's stub)
#   abs_abort_s: movq $abort, %rdi            (R_X86_64_32S: the same)
#   abort_address: .quad abort                (R_X86_64_64: abort's stub)
#   abort_delta: .quad abort - abort_delta    (R_X86_64_PC64: abort's stub - P)
#   got_abort:  movq abort@GOTPCREL(%rip), %rax (a GOT entry holding abort's stub, not relaxed)
#   call_got_abort: call *abort@GOTPCREL(%rip) (the same entry, not relaxed)
#   call_abort: call abort@PLT                (e8, rel32 to abort's stub)

        .text
        .globl  main
        .type   main,@function
main:
        movl    $main, %eax
        leaq    puts_address(%rip), %rax
        leaq    abort_address(%rip), %rax
        leaq    abort_delta(%rip), %rax
        .globl  call_plt
call_plt:
        call    puts@PLT
        .globl  call_plt2
call_plt2:
        call    puts@PLT
        .globl  call_got
call_got:
        call    *puts@GOTPCREL(%rip)
        .globl  mov_got
mov_got:
        movq    puts@GOTPCREL(%rip), %rax
        .globl  call_local
call_local:
        call    local@PLT
        .globl  lea_puts
lea_puts:
        leaq    puts(%rip), %rdi
        .globl  abs_abort
abs_abort:
        movl    $abort, %edi
        .globl  abs_abort_s
abs_abort_s:
        movq    $abort, %rdi
        .globl  got_abort
got_abort:
        movq    abort@GOTPCREL(%rip), %rax
        .globl  call_got_abort
call_got_abort:
        call    *abort@GOTPCREL(%rip)
        .globl  call_abort
call_abort:
        call    abort@PLT
        .globl  jmp_plt
jmp_plt:
        jmp     puts@PLT
        .size   main, .-main

        .globl  local
        .type   local,@function
local:
        ret
        .size   local, .-local

        .data
        .globl  puts_address
puts_address:
        .quad   puts
        .globl  abort_address
abort_address:
        .quad   abort
        .globl  abort_delta
abort_delta:
        .quad   abort - abort_delta
