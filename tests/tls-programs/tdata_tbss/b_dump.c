#include <stdio.h>
#include <string.h>

struct pair { short a; long long b; };

extern __thread int t_int;
extern __thread long long t_ll;
extern _Thread_local double t_double;
extern __thread char t_text[16];
extern __thread struct pair t_pair;
extern __thread int *t_ptr;
extern __thread int (*t_fn)(int);
extern __thread unsigned char t_small;
extern __thread int t_zero;
extern _Thread_local long t_zero_long;
extern __thread char t_zero_buf[40];
extern int global_target;

void dump(const char *who)
{
    int nonzero = 0;
    for (int i = 0; i < 40; i++) nonzero += t_zero_buf[i] != 0;
    printf("%s:\n  int %d ll %lld double %.3f text '%s' pair {%d, %lld} small %u\n", who, t_int, t_ll,
           t_double, t_text, t_pair.a, t_pair.b, t_small);
    printf("  ptr->global %d (*ptr %d) fn(21) %d zero %d zero_long %ld buf nonzero %d '%s'\n",
           t_ptr == &global_target, *t_ptr, t_fn(21), t_zero, t_zero_long, nonzero, t_zero_buf);
}

static int thrice(int x) { return 3 * x; }
static int other_target = -5;

void mutate(void)
{
    t_int += 1000;
    t_ll *= -2;
    t_double *= t_double;
    strcat(t_text, "+m");
    t_pair.a++;
    t_pair.b += 1;
    t_ptr = &other_target;
    t_fn = thrice;
    t_small++;
    t_zero = 9;
    t_zero_long = 1L << 40;
}
