/* second object: callees and a const table referencing them */
#include <stdlib.h>
typedef int (*unop)(int);
int op_neg(int x) { return -x; }
int op_sq(int x) { return x * x; }
int op_inc(int x) { return x + 1; }
const unop ops_table_other[3] = { op_neg, op_sq, op_inc };
static const unop private_table[] = { op_neg, op_sq, op_inc, abs };

unop get_op(int i) { return private_table[i]; }

int apply_all(const unop *t, int n, int x)
{
    for (int i = 0; i < n; i++) x = t[i](x);
    return x;
}
