/* Exercises: TLS read and written inside callbacks called by libc: a qsort
 * comparator (in another object) reads the sort direction and key from TLS
 * and counts its calls in TLS; bsearch uses the same comparator; main and 3
 * threads sort the same data with their own settings, concurrently. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 500

struct item { int key; int tag; };

extern __thread int direction;     /* b_compare.c: +1 or -1 */
extern __thread int by_tag;        /* b_compare.c */
extern __thread long comparisons;  /* b_compare.c */
int compare_items(const void *a, const void *b); /* b_compare.c */

static struct item base[N];

static unsigned long sort_and_digest(int dir, int tag, int *found)
{
    struct item *v = malloc(sizeof base);
    for (int i = 0; i < N; i++) v[i] = base[i];
    direction = dir;
    by_tag = tag;
    comparisons = 0;
    qsort(v, N, sizeof *v, compare_items);
    long sorted_with = comparisons;
    struct item probe = v[N / 3];
    struct item *hit = bsearch(&probe, v, N, sizeof *v, compare_items);
    *found = hit != NULL && compare_items(hit, &probe) == 0;
    unsigned long h = (unsigned long)sorted_with;
    for (int i = 0; i < N; i++) h = h * 1000003u + (unsigned)(tag ? v[i].tag : v[i].key);
    free(v);
    return h;
}

static unsigned long results[3];
static int found[3];

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    results[id] = sort_and_digest(id % 2 ? -1 : 1, id == 2, &found[id]);
    return NULL;
}

int main(void)
{
    unsigned s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        base[i].key = (int)(s >> 16) % 10007;
        base[i].tag = i;
    }
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    int main_found;
    unsigned long mine = sort_and_digest(-1, 0, &main_found);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++) printf("thread %d: digest %016lx found %d\n", i, results[i], found[i]);
    printf("main: digest %016lx found %d direction %d comparisons>0 %d\n", mine, main_found, direction,
           comparisons > 0);
    return 0;
}
