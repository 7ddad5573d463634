/* second object: definitions with non-default visibility */
#define HIDDEN    __attribute__((visibility("hidden")))
#define INTERNAL  __attribute__((visibility("internal")))
#define PROTECTED __attribute__((visibility("protected")))

HIDDEN int hidden_data[4] = { 1, 2, 3, 4 };
INTERNAL const char internal_msg[] = "internal-visibility-string";
PROTECTED long protected_counter = 37;
HIDDEN int main_hidden_twice(int x);

HIDDEN int hidden_add(int a, int b) { return a + b; }
INTERNAL int internal_mul(int a, int b) { return a * b; }
PROTECTED int protected_sub(int a, int b) { protected_counter++; return a - b; }
int default_fn(int a) { return hidden_add(a, hidden_data[2]) + main_hidden_twice(a); }
static int wrap_twice(int a, int b) { return main_hidden_twice(a) + b; }

HIDDEN int (*const vis_table[4])(int, int) = { hidden_add, internal_mul, protected_sub, wrap_twice };
