; A hand-written routine as nasm users write it: `global` with no type or
; size (STT_NOTYPE, size 0), no CFI. It faults on its first instruction when
; given a null pointer, so its return address is at the stack pointer.
global poke

section .text
poke:
    mov [rdi], rsi
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
