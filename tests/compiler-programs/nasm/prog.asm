; A whole program in nasm (position independent, as gcc links it by default):
; main -> add_counter -> twice, a global counter, printf for output.
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
    lea rax, [rdi + rdi]
    ret

add_counter:
    push rbx
    mov rbx, rdi
    call twice
    add [counter], rax
    add [counter], rbx
    mov rax, [counter]
    pop rbx
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
