/* second object: same COMDAT groups, uses them */
int comdat_mix(int a, int b);
int comdat_lookup(int i);
extern long comdat_counter;

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

int b_use(int x) { return comdat_mix(x, comdat_lookup(x)); }
long b_bump(long by) { comdat_counter += by; return comdat_counter; }
