/* Exercises: weak symbols: a weak definition overridden by a strong one in
 * another object (function and data), weak definitions used when no strong
 * one exists, two weak definitions of the same symbol (the first in link order
 * wins), and undefined weak function/data references that must resolve to
 * NULL (checked, never called/dereferenced). */
#include <stdio.h>

__attribute__((weak)) int config_value(void) { return -1; }      /* overridden */
__attribute__((weak)) const char *fallback_name(void) { return "weak-fallback"; } /* used */
__attribute__((weak)) int weak_limit = 10;                        /* overridden */
__attribute__((weak)) int weak_default = 555;                     /* used */
__attribute__((weak)) int double_weak(void) { return 1; }         /* also weak in c_weak2.c */

extern void optional_hook(int) __attribute__((weak));             /* never defined */
extern int optional_data __attribute__((weak));                   /* never defined */

int b_reads_weak_default(void);
int b_calls_config(void);
int c_double_weak(void);

int main(void)
{
    printf("config_value=%d (from b: %d)\n", config_value(), b_calls_config());
    printf("fallback_name=%s\n", fallback_name());
    printf("weak_limit=%d\n", weak_limit);
    printf("weak_default=%d (from b: %d)\n", weak_default, b_reads_weak_default());
    printf("double_weak main=%d c=%d\n", double_weak(), c_double_weak());
    if (optional_hook) {
        printf("optional_hook present?!\n");
        optional_hook(1);
    } else {
        printf("optional_hook is NULL\n");
    }
    printf("optional_data is %s\n", &optional_data == 0 ? "NULL" : "present?!");
    return 0;
}
