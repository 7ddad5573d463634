/* Exercises: GNU computed goto: static tables of label addresses (&&label,
 * which need absolute/relative relocations against .text in .data.rel.ro or
 * .rodata) and tables of label differences (&&l - &&base, resolved at
 * assembly time), driving a small direct-threaded stack machine. */
#include <stdio.h>

enum { OP_PUSH, OP_ADD, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_PRINT, OP_HALT, OP_OVER, OP_DROP };

static long run_abs(const int *code)
{
    static void *const dispatch[] = { &&do_push, &&do_add, &&do_mul, &&do_dup, &&do_swap, &&do_jnz,
                                      &&do_dec, &&do_print, &&do_halt, &&do_over, &&do_drop };
    long stack[64];
    int sp = 0, pc = 0;
    long steps = 0;
#define NEXT do { steps++; goto *dispatch[code[pc++]]; } while (0)
    NEXT;
do_push:  stack[sp++] = code[pc++]; NEXT;
do_add:   sp--; stack[sp - 1] += stack[sp]; NEXT;
do_mul:   sp--; stack[sp - 1] *= stack[sp]; NEXT;
do_dup:   stack[sp] = stack[sp - 1]; sp++; NEXT;
do_swap:  { long t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; } NEXT;
do_jnz:   { int target = code[pc++]; if (stack[--sp]) pc = target; } NEXT;
do_dec:   stack[sp - 1]--; NEXT;
do_print: printf("  print %ld\n", stack[sp - 1]); NEXT;
do_over:  stack[sp] = stack[sp - 2]; sp++; NEXT;
do_drop:  sp--; NEXT;
do_halt:
#undef NEXT
    printf("  steps=%ld\n", steps);
    return sp ? stack[sp - 1] : 0;
}

static long run_rel(const int *code)
{
    static const int offsets[] = { &&r_push - &&r_push, &&r_add - &&r_push, &&r_mul - &&r_push,
                                   &&r_dup - &&r_push, &&r_swap - &&r_push, &&r_jnz - &&r_push,
                                   &&r_dec - &&r_push, &&r_print - &&r_push, &&r_halt - &&r_push,
                                   &&r_over - &&r_push, &&r_drop - &&r_push };
    long stack[64];
    int sp = 0, pc = 0;
#define NEXT goto *(&&r_push + offsets[code[pc++]])
    NEXT;
r_push:  stack[sp++] = code[pc++]; NEXT;
r_add:   sp--; stack[sp - 1] += stack[sp]; NEXT;
r_mul:   sp--; stack[sp - 1] *= stack[sp]; NEXT;
r_dup:   stack[sp] = stack[sp - 1]; sp++; NEXT;
r_swap:  { long t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; } NEXT;
r_jnz:   { int target = code[pc++]; if (stack[--sp]) pc = target; } NEXT;
r_dec:   stack[sp - 1]--; NEXT;
r_print: printf("  rel print %ld\n", stack[sp - 1]); NEXT;
r_over:  stack[sp] = stack[sp - 2]; sp++; NEXT;
r_drop:  sp--; NEXT;
r_halt:
#undef NEXT
    return sp ? stack[sp - 1] : 0;
}

int main(void)
{
    /* factorial of 10: acc n -> loop { acc*=n; n--; } */
    static const int fact[] = {
        OP_PUSH, 1, OP_PUSH, 10,           /* acc n */
        /* 4: */ OP_DUP, OP_JNZ, 9, OP_DROP, OP_HALT,
        /* 9: */ OP_SWAP, OP_OVER, OP_MUL, OP_PRINT, OP_SWAP, OP_DEC, OP_PUSH, 1, OP_JNZ, 4,
    };
    static const int sum[] = {            /* sum of 1..100 */
        OP_PUSH, 0, OP_PUSH, 100,
        /* 4: */ OP_DUP, OP_JNZ, 9, OP_DROP, OP_HALT,
        /* 9: */ OP_SWAP, OP_OVER, OP_ADD, OP_SWAP, OP_DEC, OP_PUSH, 1, OP_JNZ, 4,
    };
    printf("fact abs:\n");
    long a = run_abs(fact);
    printf("-> %ld\n", a);
    printf("sum abs:\n");
    a = run_abs(sum);
    printf("-> %ld\n", a);
    printf("fact rel:\n");
    a = run_rel(fact);
    printf("-> %ld\n", a);
    a = run_rel(sum);
    printf("sum rel -> %ld\n", a);
    return 0;
}
