/* extracted for cc_needed; its strong arch_hook2 then overrides the weak one */
const char *arch_hook2(void) { return "strong arch_hook2 from archive member cc_hook2"; }
int cc_needed(int x) { return x * x + 1; }
#include <stdio.h>
__attribute__((constructor)) static void cc_ctor(void) { printf("constructor in extracted member cc_hook2 runs\n"); }
