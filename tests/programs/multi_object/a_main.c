/* Exercises: symbol resolution across 4 objects (calls in both directions,
 * extern data arrays/structs/pointers defined in other objects, data
 * relocations pointing into other objects) and static functions with the
 * same name ("helper", "scale") in every object that must stay distinct. */
#include <stdio.h>

extern int table_b[8];
extern const char *names_c[];
extern struct config { int id; const char *label; int *values; } global_config;
extern int *ptr_to_b_table;            /* defined in d_data.c, points into b */
extern long counter_shared;            /* defined in b_math.c */

int b_sum(const int *v, int n);
int b_apply(int (*fn)(int), int x);
const char *c_name(int i);
int c_callback_into_main(void);
long d_mix(long a, long b);

static int helper(int x) { return x + 1000; }
static int scale(int x) { return x * 2; }

int main_exported(int x) { counter_shared += x; return helper(x); }

int main(void)
{
    printf("main helper(1)=%d scale(3)=%d\n", helper(1), scale(3));
    printf("b_sum(table_b)=%d\n", b_sum(table_b, 8));
    printf("b_apply(scale,21)=%d\n", b_apply(scale, 21));
    for (int i = 0; i < 4; i++)
        printf("c_name(%d)=%s direct=%s\n", i, c_name(i), names_c[i]);
    printf("config id=%d label=%s v[2]=%d\n", global_config.id, global_config.label,
           global_config.values[2]);
    printf("ptr_to_b_table[5]=%d (same array: %s)\n", ptr_to_b_table[5],
           ptr_to_b_table == table_b ? "yes" : "no");
    printf("c_callback_into_main=%d\n", c_callback_into_main());
    printf("counter_shared=%ld\n", counter_shared);
    printf("d_mix=%ld\n", d_mix(123456789L, 987654321L));
    table_b[0] = 77;
    printf("after write, b_sum=%d\n", b_sum(ptr_to_b_table, 8));
    return 0;
}
