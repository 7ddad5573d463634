/* Exercises: finer static-archive semantics (libarchive_semantics.a):
 *  - a weak undefined reference does NOT extract the member defining it
 *    (aa_optional), so the pointer stays NULL;
 *  - a weak definition in an object is not replaced by an archive member
 *    that nobody else needs (bb_hook stays unextracted);
 *  - a member extracted for another symbol (cc_needed) brings a strong
 *    definition that overrides a weak one from main.c (arch_hook2);
 *  - a data-only member (dd_table) and a chain level1 -> level2 -> data across
 *    three members (ee -> ff -> gg);
 *  - constructors run only for extracted members. */
#include <stdio.h>

extern int arch_optional(void) __attribute__((weak));
__attribute__((weak)) const char *arch_hook(void) { return "weak arch_hook from main.c"; }
__attribute__((weak)) const char *arch_hook2(void) { return "weak arch_hook2 from main.c (WRONG)"; }
int cc_needed(int);
extern const short dd_table[16];
long ee_level1(int);

int main(void)
{
    printf("arch_optional is %s\n", arch_optional ? "present (WRONG for GNU ld)" : "NULL (not extracted)");
    printf("arch_hook -> %s\n", arch_hook());
    printf("cc_needed(5)=%d\n", cc_needed(5));
    printf("arch_hook2 -> %s\n", arch_hook2());
    long s = 0;
    for (int i = 0; i < 16; i++) s = s * 3 + dd_table[i];
    printf("dd_table checksum=%ld\n", s);
    printf("ee_level1(3)=%ld ee_level1(10)=%ld\n", ee_level1(3), ee_level1(10));
    return 0;
}
