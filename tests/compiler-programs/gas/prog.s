# A whole program in GNU as, with symbol types, sizes and CFI, as a
# hand-written runtime routine has them: main -> scale_all -> scale.
    .data
    .globl  factor
    .type   factor, @object
    .size   factor, 8
    .align  8
factor:
    .quad   3

    .section .rodata
format:
    .string "scale_all(5) = %ld\n"

    .text
    .globl  scale
    .type   scale, @function
scale:
    .cfi_startproc
    movq    factor(%rip), %rax
    imulq   %rdi, %rax
    ret
    .cfi_endproc
    .size   scale, .-scale

    .globl  scale_all
    .type   scale_all, @function
scale_all:
    .cfi_startproc
    pushq   %rbx
    .cfi_def_cfa_offset 16
    .cfi_offset %rbx, -16
    pushq   %r12
    .cfi_def_cfa_offset 24
    .cfi_offset %r12, -24
    subq    $8, %rsp
    .cfi_def_cfa_offset 32
    movq    %rdi, %rbx
    xorl    %r12d, %r12d
1:
    testq   %rbx, %rbx
    je      2f
    movq    %rbx, %rdi
    call    scale
    addq    %rax, %r12
    decq    %rbx
    jmp     1b
2:
    movq    %r12, %rax
    addq    $8, %rsp
    .cfi_def_cfa_offset 24
    popq    %r12
    .cfi_def_cfa_offset 16
    popq    %rbx
    .cfi_def_cfa_offset 8
    ret
    .cfi_endproc
    .size   scale_all, .-scale_all

    .globl  main
    .type   main, @function
main:
    .cfi_startproc
    subq    $8, %rsp
    .cfi_def_cfa_offset 16
    movl    $5, %edi
    call    scale_all
    movq    %rax, %rsi
    leaq    format(%rip), %rdi
    xorl    %eax, %eax
    call    printf@PLT
    xorl    %eax, %eax
    addq    $8, %rsp
    .cfi_def_cfa_offset 8
    ret
    .cfi_endproc
    .size   main, .-main

    .section .note.GNU-stack,"",@progbits
