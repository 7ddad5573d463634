struct item { int key; int tag; };

__thread int direction = 1;
__thread int by_tag;
__thread long comparisons;

int compare_items(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    comparisons++;
    int kx = by_tag ? x->tag : x->key, ky = by_tag ? y->tag : y->key;
    if (kx != ky) return kx < ky ? -direction : direction;
    return x->tag < y->tag ? -1 : x->tag > y->tag;
}
