/* bench/lazy-bench.sh: the cost of a call into another object through a
 * redirectable symbol's stub, back-patched, and linked directly, and the
 * first-call latency of a lazy unit.
 *
 * The three timed loops are the same instructions, in assembly so that
 * each call's place is known: `loop_direct` calls `direct_add` (this
 * object: always a direct call), `loop_patchable` calls `lazy_add` with
 * the call's rel32 field inside one aligned 8-byte word (under `run --lazy
 * --back-patch` it is rewritten to call `lazy_add` directly; under `run
 * --lazy` it calls the stub), `loop_unaligned` calls it with the field
 * across two words (back-patching never rewrites it: it calls the stub).
 * Natively and under `lantern run` all three are direct calls. */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>

int lazy_add(int a, int b); /* lazy.c: a lazy unit under --lazy */
int first_once(int x);      /* first.c: its first call links its unit */

__attribute__((noinline)) int direct_add(int a, int b)
{
    __asm__ volatile("");
    return a + b;
}

int loop_direct(int n);
int loop_patchable(int n);
int loop_unaligned(int n);

/* int NAME(int n): s = CALLEE(s, i) for i in [0, n); returns s. The loop
 * starts 16-byte aligned: two moves (5 bytes), BEFORE nops, the call,
 * AFTER nops (7 nops in all, so every loop runs the same instructions). */
#define LOOP(NAME, CALLEE, BEFORE, AFTER)                                     \
    ".globl " #NAME "\n.type " #NAME ", @function\n.p2align 4\n" #NAME ":\n" \
    "    .cfi_startproc\n"                                                   \
    "    push %rbx\n    .cfi_def_cfa_offset 16\n"                            \
    "    push %r12\n    .cfi_def_cfa_offset 24\n"                            \
    "    push %r13\n    .cfi_def_cfa_offset 32\n"                            \
    "    mov %edi, %r12d\n    xor %ebx, %ebx\n    xor %r13d, %r13d\n"        \
    "    .p2align 4\n"                                                       \
    "1:  mov %ebx, %edi\n    mov %r13d, %esi\n"                              \
    "    .fill " #BEFORE ", 1, 0x90\n"                                       \
    "    call " #CALLEE "@PLT\n"                                             \
    "    .fill " #AFTER ", 1, 0x90\n"                                        \
    "    mov %eax, %ebx\n    inc %r13d\n    cmp %r12d, %r13d\n    jl 1b\n"   \
    "    mov %ebx, %eax\n"                                                   \
    "    pop %r13\n    .cfi_def_cfa_offset 24\n"                             \
    "    pop %r12\n    .cfi_def_cfa_offset 16\n"                             \
    "    pop %rbx\n    .cfi_def_cfa_offset 8\n"                              \
    "    ret\n    .cfi_endproc\n.size " #NAME ", .-" #NAME "\n"

/* call at 8 (rel32 at 9: one word) or at 12 (rel32 at 13: two words) */
__asm__(".text\n" LOOP(loop_direct, direct_add, 3, 4) LOOP(loop_patchable, lazy_add, 3, 4)
            LOOP(loop_unaligned, lazy_add, 7, 0));

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

#define CALLS 100000000
#define ROUNDS 10

int main(void)
{
    double t0 = now_ns();
    int r = first_once(1);
    double t1 = now_ns();
    r += first_once(2);
    double t2 = now_ns();
    printf("first call: %.1f us, second call: %.3f us\n", (t1 - t0) / 1e3, (t2 - t1) / 1e3);
    /* The loops alternate; the fastest round of each is the least
       disturbed by other load on the machine. */
    double best[3] = {1e30, 1e30, 1e30};
    int s = 0;
    for (int round = 0; round < ROUNDS; round++) {
        double t[4];
        t[0] = now_ns();
        s += loop_direct(CALLS);
        t[1] = now_ns();
        s += loop_patchable(CALLS);
        t[2] = now_ns();
        s += loop_unaligned(CALLS);
        t[3] = now_ns();
        for (int i = 0; i < 3; i++)
            if ((t[i + 1] - t[i]) / CALLS < best[i])
                best[i] = (t[i + 1] - t[i]) / CALLS;
    }
    printf("fastest of %d rounds: direct %.3f ns/call, other object %.3f (back-patchable), "
           "%.3f (never patched) (%d)\n",
           ROUNDS, best[0], best[1], best[2], s + r);
    return 0;
}
