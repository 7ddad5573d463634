/* second object: comparators (total orders, so qsort output is unique) */
#include <string.h>

struct rec { const char *name; int dept; double salary; unsigned id; };
typedef int (*cmp_fn)(const void *, const void *);

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct rec *)a)->name, ((const struct rec *)b)->name);
}
int cmp_by_id(const void *a, const void *b)
{
    unsigned x = ((const struct rec *)a)->id, y = ((const struct rec *)b)->id;
    return (x > y) - (x < y);
}
static int cmp_dept_salary(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->dept != y->dept) return x->dept - y->dept;
    if (x->salary != y->salary) return x->salary < y->salary ? 1 : -1;   /* descending */
    return cmp_name(a, b);
}
static int cmp_name_len(const void *a, const void *b)
{
    size_t x = strlen(((const struct rec *)a)->name), y = strlen(((const struct rec *)b)->name);
    if (x != y) return x < y ? -1 : 1;
    return -cmp_name(a, b);
}

const cmp_fn comparators[4] = { cmp_name, cmp_by_id, cmp_dept_salary, cmp_name_len };
const char *const comparator_names[4] = { "name", "id", "dept/salary", "name length (desc name)" };
