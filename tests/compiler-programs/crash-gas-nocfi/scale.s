# Hand-written GNU as with nothing for debuggers: no .type, no .size, no CFI,
# and assembled without -g. It keeps a frame pointer, so callers can be found
# by the frame-pointer chain. Linked right after main.c's code, whose DWARF
# range ends where this begins.
    .text
    .globl scale_into
scale_into:
    pushq   %rbp
    movq    %rsp, %rbp
    leaq    (%rsi,%rsi,2), %rax
    movq    %rax, (%rdi)
    popq    %rbp
    ret

    .section .note.GNU-stack,"",@progbits
