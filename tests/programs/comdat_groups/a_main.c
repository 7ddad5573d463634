/* Exercises: COMDAT section groups: every object of this program defines
 * the same groups (function comdat_mix, function+rodata comdat_lookup,
 * writable data object comdat_counter) via top-level inline asm; the linker
 * must keep one copy of each group and resolve all references to it. */
#include <stdio.h>

int comdat_mix(int a, int b);
int comdat_lookup(int i);
extern long comdat_counter;
int b_use(int x);
long b_bump(long by);
int c_use(int x);

/* Identical COMDAT groups also emitted by the other .c files of this program:
 * the linker must keep exactly one copy of each group. */
__asm__(
    ".pushsection .text.comdat_mix,\"axG\",@progbits,comdat_mix,comdat\n"
    "  .globl comdat_mix\n"
    "  .type comdat_mix,@function\n"
    "comdat_mix:\n"
    "  imull $31, %edi, %eax\n"
    "  addl %esi, %eax\n"
    "  ret\n"
    "  .size comdat_mix, .-comdat_mix\n"
    ".popsection\n"
    /* group with two sections: code + its private lookup table */
    ".pushsection .text.comdat_lookup,\"axG\",@progbits,comdat_lookup,comdat\n"
    "  .globl comdat_lookup\n"
    "  .type comdat_lookup,@function\n"
    "comdat_lookup:\n"
    "  andl $7, %edi\n"
    "  leaq .Lcomdat_lookup_tab(%rip), %rax\n"
    "  movl (%rax,%rdi,4), %eax\n"
    "  ret\n"
    "  .size comdat_lookup, .-comdat_lookup\n"
    ".popsection\n"
    ".pushsection .rodata.comdat_lookup,\"aG\",@progbits,comdat_lookup,comdat\n"
    "  .p2align 2\n"
    ".Lcomdat_lookup_tab:\n"
    "  .long 2, 3, 5, 7, 11, 13, 17, 19\n"
    ".popsection\n"
    /* COMDAT data object (writable) */
    ".pushsection .data.comdat_counter,\"awG\",@progbits,comdat_counter,comdat\n"
    "  .globl comdat_counter\n"
    "  .type comdat_counter,@object\n"
    "  .p2align 3\n"
    "comdat_counter:\n"
    "  .quad 1000\n"
    "  .size comdat_counter, 8\n"
    ".popsection\n");

int main(void)
{
    printf("comdat_mix(2,3)=%d\n", comdat_mix(2, 3));
    for (int i = 0; i < 9; i++) printf("%d ", comdat_lookup(i));
    printf("\n");
    printf("b_use(5)=%d c_use(6)=%d\n", b_use(5), c_use(6));
    printf("comdat_counter=%ld\n", comdat_counter);
    long r = b_bump(7);
    comdat_counter += 100;
    printf("after b_bump: ret=%ld counter=%ld\n", r, comdat_counter);
    printf("b sees %ld\n", b_bump(0));
    return 0;
}
