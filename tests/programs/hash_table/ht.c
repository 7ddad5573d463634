/* second object: the hash table implementation */
#include <stdlib.h>
#include <string.h>

struct item { struct item *next; unsigned hash; int count; char key[]; };
struct ht { struct item **b; unsigned nb, n; };

static unsigned fnv1a(const char *s)
{
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

struct ht *ht_new(unsigned initial)
{
    struct ht *t = malloc(sizeof *t);
    t->nb = initial; t->n = 0;
    t->b = calloc(initial, sizeof *t->b);
    return t;
}

static void grow(struct ht *t)
{
    unsigned nb = t->nb * 2;
    struct item **b = calloc(nb, sizeof *b);
    for (unsigned i = 0; i < t->nb; i++) {
        struct item *it = t->b[i];
        while (it) {
            struct item *next = it->next;
            it->next = b[it->hash & (nb - 1)];
            b[it->hash & (nb - 1)] = it;
            it = next;
        }
    }
    free(t->b);
    t->b = b; t->nb = nb;
}

int *ht_find(struct ht *t, const char *key)
{
    unsigned h = fnv1a(key);
    for (struct item *it = t->b[h & (t->nb - 1)]; it; it = it->next)
        if (it->hash == h && strcmp(it->key, key) == 0) return &it->count;
    return NULL;
}

int *ht_get_or_insert(struct ht *t, const char *key)
{
    int *c = ht_find(t, key);
    if (c) return c;
    if (t->n * 4 >= t->nb * 3) grow(t);
    size_t len = strlen(key);
    struct item *it = malloc(sizeof *it + len + 1);
    memcpy(it->key, key, len + 1);
    it->hash = fnv1a(key);
    it->count = 0;
    it->next = t->b[it->hash & (t->nb - 1)];
    t->b[it->hash & (t->nb - 1)] = it;
    t->n++;
    return &it->count;
}

int ht_remove(struct ht *t, const char *key)
{
    unsigned h = fnv1a(key);
    for (struct item **pp = &t->b[h & (t->nb - 1)]; *pp; pp = &(*pp)->next) {
        if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0) {
            struct item *dead = *pp;
            *pp = dead->next;
            free(dead);
            t->n--;
            return 1;
        }
    }
    return 0;
}

unsigned ht_size(const struct ht *t) { return t->n; }
unsigned ht_buckets(const struct ht *t) { return t->nb; }

void ht_foreach(struct ht *t, void (*fn)(const char *, int, void *), void *ctx)
{
    for (unsigned i = 0; i < t->nb; i++)
        for (struct item *it = t->b[i]; it; it = it->next) fn(it->key, it->count, ctx);
}

void ht_free(struct ht *t)
{
    for (unsigned i = 0; i < t->nb; i++) {
        struct item *it = t->b[i];
        while (it) { struct item *n = it->next; free(it); it = n; }
    }
    free(t->b);
    free(t);
}
