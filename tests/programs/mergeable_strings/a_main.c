/* Exercises: SHF_MERGE|SHF_STRINGS sections (.rodata.str1.1 / .str1.8) with
 * identical literals and tail-shared literals in several objects, string
 * tables of pointers into merged sections (relocations with addends into
 * mergeable sections), and SHF_MERGE constant pools (.rodata.cst8/.cst16). */
#include <stdio.h>
#include <string.h>

const char *b_greeting(void);
const char *b_word(int i);
const char *c_greeting(void);
const char *c_suffix(void);
double b_const(int i);
double c_const(int i);
extern const char *const c_table[];

static const char *const a_table[] = { "hello, world", "world", "lantern", "jit linker", "", "ld" };

int main(void)
{
    const char *g = "hello, world";
    printf("a: %s | b: %s | c: %s\n", g, b_greeting(), c_greeting());
    printf("strcmp a/b=%d a/c=%d\n", strcmp(g, b_greeting()), strcmp(g, c_greeting()));
    printf("suffix from c: '%s' equal to a_table[1]: %d\n", c_suffix(), strcmp(c_suffix(), a_table[1]) == 0);
    unsigned h = 0;
    for (int i = 0; i < 6; i++) {
        printf("[%d] a='%s' b='%s' c='%s'\n", i, a_table[i], b_word(i), c_table[i]);
        for (const char *p = c_table[i]; *p; p++) h = h * 33 + (unsigned char)*p;
        if (strcmp(a_table[i], b_word(i)) != 0 || strcmp(b_word(i), c_table[i]) != 0)
            printf("  mismatch at %d\n", i);
    }
    printf("hash=%u\n", h);
    printf("mid-string: %s / %s\n", &"hello, world"[7], b_greeting() + 7);
    for (int i = 0; i < 4; i++) printf("const %d: %.6f %.6f\n", i, b_const(i), c_const(i));
    return 0;
}
