/* Exercises: direct recursion (Ackermann, Fibonacci, Hanoi) and mutual
 * recursion whose two halves live in different objects (PLT/GOT or direct
 * PC32 calls between objects in both directions). */
#include <stdio.h>

int hof_female(int n);              /* b_female.c, calls hof_male */
int is_even(unsigned n);            /* b_female.c, calls is_odd */
long count_calls;

static unsigned ackermann(unsigned m, unsigned n)
{
    count_calls++;
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int hanoi(int n, int from, int to, int via, unsigned *sig)
{
    if (n == 0) return 0;
    int moves = hanoi(n - 1, from, via, to, sig);
    *sig = *sig * 7 + (unsigned)(from * 3 + to);
    return moves + 1 + hanoi(n - 1, via, to, from, sig);
}

int hof_male(int n) { return n == 0 ? 0 : n - hof_female(hof_male(n - 1)); }
int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

int main(void)
{
    for (unsigned m = 0; m <= 3; m++) {
        for (unsigned n = 0; n <= 5; n++) printf("%5u", ackermann(m, n));
        printf("\n");
    }
    count_calls = 0;
    unsigned a37 = ackermann(3, 7);
    printf("ack(3,7)=%u calls=%ld\n", a37, count_calls);
    printf("fib(27)=%ld\n", fib(27));
    unsigned sig = 0;
    int moves = hanoi(12, 1, 3, 2, &sig);
    printf("hanoi(12) moves=%d sig=%u\n", moves, sig);
    printf("F:");
    for (int i = 0; i < 20; i++) printf(" %d", hof_female(i));
    printf("\nM:");
    for (int i = 0; i < 20; i++) printf(" %d", hof_male(i));
    printf("\n");
    printf("is_even(10001)=%d is_odd(7777)=%d is_even(5000)=%d\n", is_even(10001), is_odd(7777), is_even(5000));
    return 0;
}
