/* Exercises: function-scope static variables (.data and .bss), static local
 * arrays and pointers initialized with addresses of other statics (data
 * relocations), functions returning pointers to their statics, and same-named
 * statics in two objects that must stay separate. */
#include <stdio.h>

int next_id(void);                 /* other.c, has its own static 'count' */
const char *other_name(void);

static int counter(void)
{
    static int count;              /* .bss */
    return ++count;
}

static int fib_memo(int n)
{
    static long memo[64] = { 0, 1 };   /* .data */
    static int filled = 2;
    while (filled <= n) { memo[filled] = memo[filled - 1] + memo[filled - 2]; filled++; }
    return (int)(memo[n] % 1000000007L);
}

static const char **names(void)
{
    static const char *list[] = { "zero", "one", "two", "three", 0 };
    return list;
}

static int *cursor(void)
{
    static int ring[5] = { 10, 20, 30, 40, 50 };
    static int *p = ring;          /* pointer to another static: relocation */
    int *r = p;
    p = (p == &ring[4]) ? ring : p + 1;
    return r;
}

int main(void)
{
    int s = 0;
    for (int i = 0; i < 10; i++) s += counter();
    int last = counter();
    printf("counter sum=%d last=%d\n", s, last);
    int f40 = fib_memo(40), f60 = fib_memo(60), f10 = fib_memo(10);
    printf("fib_memo(40)=%d fib_memo(60)=%d fib_memo(10)=%d\n", f40, f60, f10);
    for (const char **n = names(); *n; n++) printf("%s ", *n);
    printf("\n");
    names()[0] = "ZERO";
    printf("modified: %s\n", names()[0]);
    for (int i = 0; i < 7; i++) printf("%d ", *cursor());
    printf("\n");
    *cursor() = 999;
    for (int i = 0; i < 5; i++) printf("%d ", *cursor());
    printf("\n");
    int a = next_id(), b = next_id(), c = next_id();
    printf("next_id: %d %d %d\n", a, b, c);
    const char *n1 = other_name();
    const char *n2 = other_name();
    printf("other_name: %s %s\n", n1, n2);
    return 0;
}
