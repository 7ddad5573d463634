/* Exercises: propagation of main's return value as the process exit status
 * (3 here), with output still flushed at exit; the status is computed from
 * results of calls into another object so a wrong relocation changes it. */
#include <stdio.h>

int count_failures(const int *expected, int n);   /* checks.c */

int main(void)
{
    static const int expected[] = { 1, 4, 9, 16, 25, 36, 49, 64, 81, 100 };
    int failures = count_failures(expected, 10);
    printf("%d of 10 checks failed\n", failures);
    printf("returning %d from main\n", failures);
    return failures;      /* 3 */
}
