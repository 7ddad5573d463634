/* Exercises: many small functions (200, generated, split over two objects)
 * referenced from initialized tables of function pointers (200 absolute
 * relocations each in .data.rel.ro and .data) and by direct calls; calls
 * chain inside and across objects. */
#include <stdio.h>

typedef unsigned (*fn_t)(unsigned);
extern const fn_t fn_table[200];
extern fn_t fn_table_rw[200];
unsigned f000(unsigned), f057(unsigned), f123(unsigned), f199(unsigned);

int main(void)
{
    unsigned acc = 1;
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < 200; i++) acc = fn_table[i](acc + (unsigned)i) ^ (acc >> 7);
    printf("table chain acc=%u\n", acc);
    unsigned per[10] = { 0 };
    for (int i = 0; i < 200; i++) per[i / 20] = per[i / 20] * 3 + fn_table[i](12345u);
    for (int g = 0; g < 10; g++) printf("group %d: %u\n", g, per[g]);
    printf("direct: %u %u %u %u\n", f000(7), f057(7), f123(7), f199(7));
    int same = 0;
    for (int i = 0; i < 200; i++) same += fn_table[i] == fn_table_rw[i];
    printf("tables agree on %d entries\n", same);
    for (int i = 0; i < 200; i++) fn_table_rw[i] = fn_table[199 - i];
    unsigned r = 0;
    for (int i = 0; i < 200; i++) r += fn_table_rw[i](99u) * (unsigned)(i + 1);
    printf("reversed weighted sum=%u\n", r);
    return 0;
}
