/* Exercises: absolute data relocations (R_X86_64_64, with addends) in
 * initialized .data/.data.rel.ro: pointers to data and functions in other
 * objects with offsets, a statically linked list and self-referential
 * structs, pointers into string literals, pointer-to-pointer chains across
 * three objects, and addresses of host libc objects/functions (&stdout,
 * printf, puts) stored in initialized data. */
#include <stdio.h>
#include <string.h>

struct node { int value; struct node *next; const char *label; };
extern struct node list_head;                  /* b_list.c: static chain */
extern int numbers[10];                        /* b_list.c */
extern int *const numbers_mid;                 /* c_ptrs.c: &numbers[5] */
extern int *const *const numbers_mid_ref;      /* c_ptrs.c: &numbers_mid */
extern const char *const tail_strings[3];      /* c_ptrs.c: literal + offsets */
extern int (*const host_printf)(const char *, ...);
extern FILE **const host_stdout_ref;
int b_total(void);

struct self { struct self *me; int tag; struct self *peer; };
static struct self pair[2] = { { &pair[0], 10, &pair[1] }, { &pair[1], 20, &pair[0] } };
static int (*const put_fn)(const char *) = puts;
static char buffer[32] = "abcdefghijklmnopqrstuvwxyz";
static char *const cursors[] = { buffer, buffer + 5, &buffer[25], buffer + 31 };
static const long offsets_into_numbers[] = { 0, 3, 9 };

int main(void)
{
    int n = 0;
    for (struct node *p = &list_head; p; p = p->next, n++) printf("node %d: %d %s\n", n, p->value, p->label);
    printf("numbers_mid=%d via ref=%d, mid[-2]=%d mid[4]=%d\n", *numbers_mid, **numbers_mid_ref,
           numbers_mid[-2], numbers_mid[4]);
    for (int i = 0; i < 3; i++) printf("tail_strings[%d]=\"%s\"\n", i, tail_strings[i]);
    host_printf("host_printf through data pointer: %d\n", 42);
    fprintf(*host_stdout_ref, "fprintf via &stdout stored in data: %s\n", *host_stdout_ref == stdout ? "same" : "different");
    put_fn("puts through static function pointer");
    printf("pair: %d->%d %d->%d self ok: %d %d\n", pair[0].tag, pair[0].peer->tag, pair[1].tag,
           pair[1].peer->tag, pair[0].me == &pair[0], pair[1].peer->peer == &pair[1]);
    printf("cursors: %c %c %c nul=%d\n", *cursors[0], *cursors[1], *cursors[2], *cursors[3] == 0);
    numbers[5] = 500;
    printf("after write numbers_mid=%d b_total=%d\n", *numbers_mid, b_total());
    for (int i = 0; i < 3; i++) printf("numbers[%ld]=%d\n", offsets_into_numbers[i], numbers[offsets_into_numbers[i]]);
    printf("strlen via buffer cursor: %zu\n", strlen(cursors[1]));
    return 0;
}
