/* Exercises: function-local `static __thread` variables (.tdata and .tbss)
 * in several functions and objects, including functions with the same
 * static name in different objects, counting calls per thread; a
 * per-thread memo table kept in a function-local static __thread array. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

int a_calls(void)
{
    static __thread int calls;
    return ++calls;
}

static int ticket(void)
{
    static __thread int next = 1000;
    return next++;
}

int b_calls(void);                /* b_more.c */
int b_ticket(void);               /* b_more.c: its own static ticket() */
unsigned long b_fib_memo(int n);  /* b_more.c: memo in a static __thread array */
int b_memo_hits(void);            /* b_more.c */

static void work(const char *who, int n)
{
    int a = 0, b = 0, t = 0, bt = 0;
    for (int i = 0; i < n; i++) {
        a = a_calls();
        t = ticket();
    }
    for (int i = 0; i < 2 * n; i++) {
        b = b_calls();
        bt = b_ticket();
    }
    unsigned long f = b_fib_memo(60 + n);
    printf("%-7s a_calls %d b_calls %d ticket %d b_ticket %d fib(%d) %lu memo hits %d\n", who, a, b, t, bt, 60 + n,
           f, b_memo_hits());
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char name[16];
    snprintf(name, sizeof name, "thread%d", id);
    work(name, id + 1);
    work(name, 1);
    return NULL;
}

int main(void)
{
    work("main", 3);
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, worker, (void *)(intptr_t)i);
        pthread_join(t, NULL);
    }
    work("main", 1);
    return 0;
}
