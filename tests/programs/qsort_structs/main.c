/* Exercises: host qsort/bsearch over arrays of structs with comparators in
 * another JIT'd object, selected through a const table of comparator
 * pointers; the record table itself is initialized data containing pointers
 * to string literals (relocations into .rodata.str). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec { const char *name; int dept; double salary; unsigned id; };
typedef int (*cmp_fn)(const void *, const void *);
extern const cmp_fn comparators[4];
extern const char *const comparator_names[4];
int cmp_by_id(const void *a, const void *b);

static struct rec staff[] = {
    { "mallory", 3, 5100.0, 17 }, { "alice", 1, 7200.5, 4 },   { "bob", 2, 4800.0, 9 },
    { "carol", 1, 7200.5, 12 },   { "dave", 3, 3900.0, 2 },    { "erin", 2, 6100.25, 30 },
    { "frank", 1, 5000.0, 7 },    { "grace", 4, 9100.0, 21 },  { "heidi", 2, 4800.0, 1 },
    { "ivan", 4, 3000.0, 15 },    { "judy", 3, 5100.0, 3 },    { "oscar", 1, 6500.0, 26 },
    { "peggy", 2, 7000.0, 11 },   { "trent", 4, 4400.0, 8 },   { "victor", 3, 8800.0, 19 },
    { "walter", 1, 4100.0, 5 },
};
#define N (sizeof staff / sizeof staff[0])

int main(void)
{
    for (int k = 0; k < 4; k++) {
        qsort(staff, N, sizeof staff[0], comparators[k]);
        printf("by %s:", comparator_names[k]);
        for (size_t i = 0; i < N; i++) printf(" %s", staff[i].name);
        printf("\n");
    }
    qsort(staff, N, sizeof staff[0], cmp_by_id);
    unsigned probe[] = { 1, 6, 15, 26, 31, 19 };
    for (int i = 0; i < 6; i++) {
        struct rec key = { 0, 0, 0, probe[i] };
        struct rec *r = bsearch(&key, staff, N, sizeof staff[0], cmp_by_id);
        if (r) printf("id %u -> %s dept %d salary %.2f\n", probe[i], r->name, r->dept, r->salary);
        else printf("id %u -> none\n", probe[i]);
    }
    double by_dept[5] = { 0 };
    for (size_t i = 0; i < N; i++) by_dept[staff[i].dept] += staff[i].salary;
    for (int d = 1; d <= 4; d++) printf("dept %d payroll %.2f\n", d, by_dept[d]);
    return 0;
}
