/* third object: pointers into the other objects and into host libc */
#include <stdio.h>
extern int numbers[10];
int *const numbers_mid = &numbers[5];
int *const *const numbers_mid_ref = &numbers_mid;
const char *const tail_strings[3] = { &"relocation"[2], "relocation", &"xyz-suffix"[4] };
int (*const host_printf)(const char *, ...) = printf;
FILE **const host_stdout_ref = &stdout;
