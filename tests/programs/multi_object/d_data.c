/* fourth object: data whose initializers point into other objects */
extern int table_b[8];
extern const char *names_c[];

struct config { int id; const char *label; int *values; };
int *ptr_to_b_table = table_b;
struct config global_config = { 42, "the-config", &table_b[1] };

static long helper(long a, long b) { return (a ^ b) + (a & b); }

long d_mix(long a, long b) { return helper(a, b) % 1000003L + (long)names_c[2][0]; }
