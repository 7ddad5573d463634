/* Exercises: initialized TLS (.tdata) of several types and alignments,
 * zero-initialized TLS (.tbss), both __thread and _Thread_local, TLS holding
 * pointers to a global and to a function (relocated in the TLS image), and
 * a struct; values read, modified, and read again; a new thread sees the
 * initial image, not main's modifications. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct pair { short a; long long b; };

int global_target = 77;
static int twice(int x) { return 2 * x; }

__thread int t_int = 42;
__thread long long t_ll = -1234567890123LL;
_Thread_local double t_double = 2.5;
__thread char t_text[16] = "tls-text";
__thread struct pair t_pair = { 3, 4000000000LL };
__thread int *t_ptr = &global_target;
__thread int (*t_fn)(int) = twice;
__thread unsigned char t_small = 200;
__thread int t_zero;
_Thread_local long t_zero_long;
__thread char t_zero_buf[40];

void dump(const char *who);   /* b_dump.c */
void mutate(void);            /* b_dump.c */

static void *thread_main(void *arg)
{
    (void)arg;
    dump("thread (fresh)");
    mutate();
    dump("thread (mutated)");
    return NULL;
}

int main(void)
{
    dump("main (initial)");
    mutate();
    strcpy(t_zero_buf, "written by main");
    dump("main (mutated)");
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    dump("main (after join)");
    return 0;
}
