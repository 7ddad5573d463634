/* Compiled by tcc, which describes it with stabs, not DWARF. */
int counter = 3;
static const char *label = "tcc";

static int helper(int x) {
    int doubled = x * 2;
    counter += doubled;
    return doubled + (label[0] == 't');
}

int compute(int n) {
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += helper(i);
    return sum;
}
