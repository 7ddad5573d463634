/* third object: string tables and callback into main's object */
#include <string.h>

const char *names_c[] = { "alpha", "beta", "gamma", "delta", 0 };

int main_exported(int x);
extern long counter_shared;

static const char *helper(int i) { return names_c[i & 3]; }

const char *c_name(int i) { return helper(i + 1); }

int c_callback_into_main(void)
{
    int total = 0;
    for (int i = 0; names_c[i]; i++)
        total += main_exported((int)strlen(names_c[i]));
    return total;
}
