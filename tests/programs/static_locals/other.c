/* second object: statics with the same names as in main.c */
static int count = 100;                 /* file-scope static */

int next_id(void)
{
    static int count = 1000;            /* function-scope, shadows the above */
    return ++count;
}

const char *other_name(void)
{
    static const char *const pool[] = { "red", "green", "blue" };
    static int idx;
    count += 5;
    return pool[idx++ % 3] + (count > 1000 ? 1 : 0);
}
