/* &f is one address before and after f's first call, in every object. */
#include <stdio.h>

int square(int x);
int cube(int x);
int (*square_as_seen_by_ops(void))(int);
int apply_twice(int (*f)(int), int x);

int main(void)
{
    int (*before)(int) = square;
    printf("before first call: equal=%d\n", before == square_as_seen_by_ops());
    printf("square(7)=%d cube(3)=%d\n", square(7), cube(3));
    printf("after first call: equal=%d same=%d\n", before == square_as_seen_by_ops(), before == square);
    printf("apply_twice(cube, 2)=%d\n", apply_twice(cube, 2));
    printf("varargs-safe: %d\n", apply_twice(square, 3));
    return before == square_as_seen_by_ops() ? 0 : 1;
}
