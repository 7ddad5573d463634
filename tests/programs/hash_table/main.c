/* Exercises: a chained hash table (in ht.c) storing string keys and counts
 * on the host heap; words come from a fixed-seed LCG over a syllable table in
 * .data.rel.ro; tests resizing, deletion, iteration via a callback into this
 * object, and qsort of the results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ht;
struct ht *ht_new(unsigned initial);
int *ht_get_or_insert(struct ht *t, const char *key);   /* returns pointer to count */
int *ht_find(struct ht *t, const char *key);
int ht_remove(struct ht *t, const char *key);
unsigned ht_size(const struct ht *t);
unsigned ht_buckets(const struct ht *t);
void ht_foreach(struct ht *t, void (*fn)(const char *, int, void *), void *ctx);
void ht_free(struct ht *t);

static const char *const syll[] = { "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "qu", "x", "" };
static unsigned long long rng = 20240601ull;
static unsigned rnd(unsigned n) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (unsigned)(rng >> 33) % n; }

struct entry { const char *k; int v; };
struct collect { struct entry *e; unsigned n; long sum; };
static void collect_cb(const char *k, int v, void *ctx)
{
    struct collect *c = ctx;
    c->e[c->n].k = k; c->e[c->n].v = v; c->n++; c->sum += v;
}
static int by_count(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->v != y->v) return y->v - x->v;
    return strcmp(x->k, y->k);
}

int main(void)
{
    struct ht *t = ht_new(8);
    char word[32];
    for (int i = 0; i < 20000; i++) {
        word[0] = 0;
        int parts = 1 + (int)rnd(3);
        for (int p = 0; p < parts; p++) strcat(word, syll[rnd(12)]);
        if (!word[0]) strcpy(word, "empty");
        (*ht_get_or_insert(t, word))++;
    }
    printf("distinct=%u buckets=%u\n", ht_size(t), ht_buckets(t));
    const char *probe[] = { "ka", "kalo", "zequx", "nope", "empty", "x" };
    for (int i = 0; i < 6; i++) {
        int *c = ht_find(t, probe[i]);
        printf("find %-6s -> %d\n", probe[i], c ? *c : -1);
    }
    int removed = ht_remove(t, "ka") + ht_remove(t, "nope") + ht_remove(t, "x");
    printf("removed=%d distinct=%u\n", removed, ht_size(t));
    struct collect c = { malloc(ht_size(t) * sizeof(struct entry)), 0, 0 };
    ht_foreach(t, collect_cb, &c);
    qsort(c.e, c.n, sizeof c.e[0], by_count);
    printf("collected=%u total=%ld top:", c.n, c.sum);
    for (unsigned i = 0; i < 8 && i < c.n; i++) printf(" %s=%d", c.e[i].k, c.e[i].v);
    printf("\n");
    unsigned h = 0;
    for (unsigned i = 0; i < c.n; i++) for (const char *p = c.e[i].k; *p; p++) h = h * 31 + (unsigned char)*p + (unsigned)c.e[i].v;
    printf("sorted hash=%u\n", h);
    free(c.e);
    ht_free(t);
    return 0;
}
