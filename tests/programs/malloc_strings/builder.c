/* second object: string builder and linked list on the host heap */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb { char *buf; size_t len, cap; };
struct node { struct node *next; char *word; };

void sb_init(struct sb *s) { s->buf = NULL; s->len = s->cap = 0; }

static void sb_reserve(struct sb *s, size_t extra)
{
    if (s->len + extra + 1 <= s->cap) return;
    size_t nc = s->cap ? s->cap : 16;
    while (nc < s->len + extra + 1) nc *= 2;
    s->buf = realloc(s->buf, nc);
    s->cap = nc;
}

void sb_append(struct sb *s, const char *t)
{
    size_t n = strlen(t);
    sb_reserve(s, n);
    memcpy(s->buf + s->len, t, n + 1);
    s->len += n;
}

void sb_appendf_int(struct sb *s, long v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%ld", v);
    sb_append(s, tmp);
}

char *sb_finish(struct sb *s) { sb_reserve(s, 0); return s->buf; }

struct node *list_push(struct node *head, const char *word)
{
    struct node *n = malloc(sizeof *n);
    n->word = strdup(word);
    n->next = head;
    return n;
}

size_t list_free_count(struct node *head, unsigned *hash)
{
    size_t n = 0;
    while (head) {
        struct node *next = head->next;
        for (const char *p = head->word; *p; p++) *hash = *hash * 131 + (unsigned char)*p;
        free(head->word);
        free(head);
        head = next;
        n++;
    }
    return n;
}
