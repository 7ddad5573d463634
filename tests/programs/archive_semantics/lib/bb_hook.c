/* would override main.c's weak arch_hook, but nothing forces extraction */
const char *arch_hook(void) { return "strong arch_hook from archive (WRONG)"; }
int bb_unused(void) { return 2; }
#include <stdio.h>
__attribute__((constructor)) static void bb_ctor(void) { printf("constructor in unextracted member bb_hook (WRONG)\n"); }
