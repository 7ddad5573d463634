/* Exercises: function pointers in both directions: JIT'd callbacks passed to
 * host qsort/bsearch, host functions (toupper, abs, strlen) stored in
 * initialized tables, const tables of pointers (.data.rel.ro / .rodata) and
 * writable ones (.data), pointers to functions in another object, and
 * function-pointer equality across objects. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*unop)(int);
int op_neg(int);
int op_sq(int);
int op_inc(int);
extern const unop ops_table_other[3];
unop get_op(int i);
int apply_all(const unop *t, int n, int x);

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
static int twice(int x) { return 2 * x; }

/* const table: .data.rel.ro under PIC, .rodata otherwise */
static const unop const_table[] = { op_neg, op_sq, op_inc, twice, abs, toupper, tolower };
/* writable table in .data */
static unop mutable_table[4] = { twice, op_inc, 0, op_sq };
static size_t (*const host_strlen)(const char *) = strlen;

int main(void)
{
    int v[] = { 42, -7, 19, 0, 1000, -300, 5, 5, 88, 13 };
    const char *words[] = { "pear", "apple", "fig", "kiwi", "banana", "cherry" };
    size_t nv = sizeof v / sizeof v[0], nw = sizeof words / sizeof words[0];

    qsort(v, nv, sizeof v[0], cmp_int);
    for (size_t i = 0; i < nv; i++) printf("%d ", v[i]);
    printf("\n");
    int key = 88;
    int *hit = bsearch(&key, v, nv, sizeof v[0], cmp_int);
    printf("bsearch 88 -> index %d\n", hit ? (int)(hit - v) : -1);
    key = 6;
    printf("bsearch 6 -> %s\n", bsearch(&key, v, nv, sizeof v[0], cmp_int) ? "found" : "missing");

    qsort(words, nw, sizeof words[0], cmp_str);
    for (size_t i = 0; i < nw; i++) printf("%s ", words[i]);
    printf("\n");
    const char *wk = "kiwi";
    const char **wh = bsearch(&wk, words, nw, sizeof words[0], cmp_str);
    printf("bsearch kiwi -> index %d\n", wh ? (int)(wh - words) : -1);

    for (size_t i = 0; i < sizeof const_table / sizeof const_table[0]; i++)
        printf("const_table[%zu](x)=%d\n", i, const_table[i](i == 4 ? -113 : 113));
    mutable_table[2] = get_op(0);
    for (int i = 0; i < 4; i++)
        printf("mutable_table[%d](9)=%d\n", i, mutable_table[i](9));
    printf("apply_all(other)=%d apply_all(const)=%d\n",
           apply_all(ops_table_other, 3, 5), apply_all(const_table, 4, 3));
    printf("host_strlen=%zu\n", host_strlen("function pointer"));
    printf("eq op_neg: %d %d\n", ops_table_other[0] == op_neg, get_op(0) == const_table[0]);
    printf("eq host abs: %d\n", get_op(3) == (unop)abs);
    return 0;
}
