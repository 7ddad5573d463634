/* Exercises: GNU C nested functions whose address is taken, forcing gcc to
 * build a trampoline on the stack (needs an executable stack, signalled by the
 * .note.GNU-stack section flags).  The trampolines are called from host qsort
 * and from another object; finally a nested function calls exit(7), which
 * must run the atexit handler and flush stdout.  gcc only. */
#include <stdio.h>
#include <stdlib.h>

int for_each_int(const int *v, int n, void (*fn)(int));     /* visit.c */
void run_callback(void (*cb)(void));                        /* visit.c */

static void bye(void) { printf("atexit handler runs, stdout flushed\n"); }

static int process(int *v, int n, int bias)
{
    int calls = 0;
    long total = 0;
    int cmp(const void *a, const void *b)          /* uses 'calls' and 'bias' */
    {
        int x = *(const int *)a + bias, y = *(const int *)b + bias;
        calls++;
        return (x % 10 > y % 10) - (x % 10 < y % 10) ?: (x > y) - (x < y);
    }
    void add(int x) { total += (long)x * bias; }
    qsort(v, n, sizeof *v, cmp);
    for_each_int(v, n, add);
    printf("bias %d sorted:", bias);
    for (int i = 0; i < n; i++) printf(" %d", v[i]);
    printf(" | total=%ld cmp_called=%s\n", total, calls > 0 ? "yes" : "no");
    return (int)(total % 1000);
}

int main(void)
{
    int v[] = { 42, 17, 93, 5, 68, 31, 74, 29, 10, 56 };
    int r1 = process(v, 10, 1);
    int r2 = process(v, 10, 3);
    printf("results %d %d\n", r1, r2);
    atexit(bye);
    int status = 7;
    void finish(void)
    {
        printf("nested finish() calling exit(%d)\n", status);
        exit(status);
    }
    run_callback(finish);
    printf("not reached\n");
    return 0;
}
