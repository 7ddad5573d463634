#include <stdio.h>

extern __thread char name[12];

void c_set_name(int id) { snprintf(name, sizeof name, "worker-%d", id); }

unsigned c_hash_name(void)
{
    unsigned h = 2166136261u;
    for (const char *p = name; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}
