; A whole program in nasm (position independent, as gcc links it by default):
; main -> add_counter -> twice, a global counter, printf for output. nasm
; writes no CFI: the functions keep frame pointers, which is how debuggers
; walk such code (by prologue analysis), natively or not.
default rel
extern printf

global main:function
global add_counter:function
global twice:function
global counter:data 8

section .data
counter:    dq 10
format:     db "counter = %ld, twice(21) = %ld", 10, 0

section .text
twice:
    push rbp
    mov rbp, rsp
    lea rax, [rdi + rdi]
    pop rbp
    ret

add_counter:
    push rbp
    mov rbp, rsp
    push rbx
    sub rsp, 8
    mov rbx, rdi
    call twice
    add [counter], rax
    add [counter], rbx
    mov rax, [counter]
    add rsp, 8
    pop rbx
    pop rbp
    ret

main:
    push rbp
    mov rbp, rsp
    mov rdi, 4
    call add_counter
    mov rdi, 5
    call add_counter
    mov rdi, 21
    call twice
    mov rdx, rax
    mov rsi, [counter]
    lea rdi, [format]
    xor eax, eax
    call printf wrt ..plt
    mov eax, 0
    pop rbp
    ret

section .note.GNU-stack noalloc noexec nowrite progbits
