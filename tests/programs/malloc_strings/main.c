/* Exercises: heap use through host malloc/calloc/realloc/free from JIT'd code
 * (a growable string builder and a linked list in another object) and many
 * string.h functions (strtok_r, strstr, strchr, strrchr, memmove, memcmp,
 * strspn, strcspn, strdup, strncpy, strcat). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sb { char *buf; size_t len, cap; };
void sb_init(struct sb *s);
void sb_append(struct sb *s, const char *t);
void sb_appendf_int(struct sb *s, long v);
char *sb_finish(struct sb *s);
struct node;
struct node *list_push(struct node *head, const char *word);
size_t list_free_count(struct node *head, unsigned *hash);

int main(void)
{
    struct sb s;
    sb_init(&s);
    for (int i = 0; i < 200; i++) { sb_appendf_int(&s, (long)i * i - 50); sb_append(&s, i % 10 == 9 ? "\n" : ","); }
    char *text = sb_finish(&s);
    printf("built %zu bytes, first line: %.*s\n", strlen(text), (int)(strchr(text, '\n') - text), text);
    printf("last comma-field: %s", strrchr(text, ',') + 1);
    char *save, *tok;
    long total = 0;
    int ntok = 0;
    for (tok = strtok_r(text, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) { total += atol(tok); ntok++; }
    printf("tokens=%d total=%ld\n", ntok, total);
    free(text);

    const char *hay = "the quick brown fox jumps over the lazy dog";
    const char *f = strstr(hay, "fox");
    printf("strstr fox at %d, 'the' again at %d\n", (int)(f - hay), (int)(strstr(hay + 1, "the") - hay));
    printf("strspn=%zu strcspn=%zu\n", strspn(hay, "eht "), strcspn(hay, "xyz"));
    char buf[64];
    strcpy(buf, "0123456789abcdef");
    memmove(buf + 4, buf, 10);
    printf("memmove overlap: %s\n", buf);
    memmove(buf, buf + 6, 8);
    printf("memmove back: %s memcmp=%d\n", buf, memcmp(buf, "6789", 4) == 0);
    char *dup = strdup(hay);
    for (char *p = dup; *p; p++) if (*p == ' ') *p = '_';
    strncpy(buf, dup, 20); buf[20] = 0;
    strcat(buf, "...");
    printf("dup: %s\n", buf);

    struct node *head = NULL;
    for (char *w = strtok_r(dup, "_", &save); w; w = strtok_r(NULL, "_", &save)) head = list_push(head, w);
    free(dup);
    unsigned h = 0;
    size_t n = list_free_count(head, &h);
    printf("list nodes=%zu hash=%u\n", n, h);

    int *arr = NULL;
    size_t cap = 0;
    for (int i = 0; i < 10000; i++) {
        if ((size_t)i == cap) { cap = cap ? cap * 2 : 4; arr = realloc(arr, cap * sizeof *arr); }
        arr[i] = i * 3;
    }
    long asum = 0;
    for (int i = 0; i < 10000; i++) asum += arr[i];
    int *z = calloc(1000, sizeof *z);
    for (int i = 0; i < 1000; i++) asum += z[i];
    free(z);
    free(arr);
    printf("realloc array sum=%ld final cap=%zu\n", asum, cap);
    return 0;
}
