/* second object: a linked list entirely built from static initializers */
struct node { int value; struct node *next; const char *label; };
int numbers[10] = { 11, 22, 33, 44, 55, 66, 77, 88, 99, 110 };
static struct node n4 = { 4, 0, "four (last)" };
static struct node n3 = { 3, &n4, "three" };
static struct node n2 = { 2, &n3, "two" };
struct node list_head = { 1, &n2, "one (head)" };

int b_total(void)
{
    int s = 0;
    for (struct node *p = &list_head; p; p = p->next) s += p->value * 1000;
    for (int i = 0; i < 10; i++) s += numbers[i];
    return s;
}
