/* Exercises: symbol visibility across objects: hidden, internal and protected
 * functions and data (STV_HIDDEN/STV_INTERNAL/STV_PROTECTED in st_other),
 * referenced from another object of the same link; also a hidden function
 * whose address is stored in a data table. */
#include <stdio.h>

#define HIDDEN    __attribute__((visibility("hidden")))
#define INTERNAL  __attribute__((visibility("internal")))
#define PROTECTED __attribute__((visibility("protected")))
#define DEFAULT   __attribute__((visibility("default")))

HIDDEN int hidden_add(int a, int b);
INTERNAL int internal_mul(int a, int b);
PROTECTED int protected_sub(int a, int b);
DEFAULT int default_fn(int a);
extern HIDDEN int hidden_data[4];
extern INTERNAL const char internal_msg[];
extern PROTECTED long protected_counter;
extern HIDDEN int (*const vis_table[4])(int, int);

HIDDEN int main_hidden_twice(int x) { return 2 * x; }

int main(void)
{
    printf("hidden_add=%d internal_mul=%d protected_sub=%d default_fn=%d\n",
           hidden_add(2, 3), internal_mul(4, 5), protected_sub(10, 4), default_fn(6));
    int s = 0;
    for (int i = 0; i < 4; i++) s += hidden_data[i];
    printf("hidden_data sum=%d internal_msg=%s\n", s, internal_msg);
    protected_counter += 5;
    printf("protected_counter=%ld\n", protected_counter);
    for (int i = 0; i < 4; i++) printf("vis_table[%d](7,3)=%d\n", i, vis_table[i](7, 3));
    hidden_data[2] = 100;
    printf("default_fn(1) after write=%d\n", default_fn(1));
    return 0;
}
