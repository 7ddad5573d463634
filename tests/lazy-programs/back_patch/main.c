/* Where does a direct call to a lazy function go? The program reads its
 * own call sites back (tests/lazy.rs, `back_patched_call_sites`):
 * natively, and under `run --lazy` without back-patching, both call
 * `answer` as `&answer` names it (the function, or its stub); with
 * `--back-patch`, the site whose rel32 field lies inside one aligned
 * 8-byte word calls the trampoline before the first call and the
 * implementation after it, while the other one keeps calling the stub. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int answer(int x); /* answer.c: a lazy unit under --lazy */
int call_patchable(int x);
int call_unaligned(int x);

/* Each `call answer` at a known place: in call_patchable at offset 8 (its
 * rel32 field at 9, 1 into an aligned 8-byte word), in call_unaligned at
 * offset 4 (field at 5: across two words, never patched). */
__asm__(".text\n"
        ".globl call_patchable\n"
        ".type call_patchable, @function\n"
        ".p2align 4\n"
        "call_patchable:\n"
        "    push %rbx\n"
        "    nop; nop; nop; nop; nop; nop; nop\n"
        "    call answer@PLT\n"
        "    pop %rbx\n"
        "    ret\n"
        ".size call_patchable, .-call_patchable\n"
        ".globl call_unaligned\n"
        ".type call_unaligned, @function\n"
        ".p2align 4\n"
        "call_unaligned:\n"
        "    push %rbx\n"
        "    nop; nop; nop\n"
        "    call answer@PLT\n"
        "    pop %rbx\n"
        "    ret\n"
        ".size call_unaligned, .-call_unaligned\n");

/* What the `call rel32` at `offset` into `site` reaches. */
static const char *target_of(int (*site)(int), int offset, int *result)
{
    const unsigned char *code = (const unsigned char *)site;
    int32_t rel;
    if (code[offset] != 0xe8)
        return "not a call";
    memcpy(&rel, code + offset + 1, 4);
    const unsigned char *target = code + offset + 5 + rel;
    *result = -1;
    if (target == (const unsigned char *)answer)
        return "&answer";
    if (target[0] == 0xff && target[1] == 0x25)
        return "a stub (jmp *slot)";
    if (target[0] == 0xe8 && target[5] == 0x41 && target[6] == 0xff && target[7] == 0xe3)
        return "a trampoline (call; jmp *%r11)";
    *result = ((int (*)(int))target)(5);
    return "code";
}

static void show(const char *when)
{
    int patchable = 0, unaligned = 0;
    const char *p = target_of(call_patchable, 8, &patchable);
    const char *u = target_of(call_unaligned, 4, &unaligned);
    printf("%s: patchable site -> %s", when, p);
    if (patchable != -1)
        printf(" (returns %d for 5)", patchable);
    printf(", unaligned site -> %s\n", u);
}

int main(void)
{
    show("before the first call");
    printf("answer(1) = %d\n", call_patchable(1));
    printf("answer(2) = %d\n", call_unaligned(2));
    show("after the first call");
    printf("answer(3) = %d, answer(4) = %d\n", call_patchable(3), call_unaligned(4));
    return 0;
}
