/* Exercises: large initialized .data (1 MiB table) and large .rodata defined
 * in another object; checksums over the whole table detect wrong placement or
 * truncated section copies. */
#include <stdio.h>
#include <stdint.h>

extern uint64_t big_table[];
extern const unsigned big_table_len;
extern const int counter_base;
extern const uint32_t sparse_ro[65536];

int main(void)
{
    uint64_t h = 1469598103934665603ull;
    unsigned mismatches = 0;
    for (unsigned i = 0; i < big_table_len; i++) {
        uint64_t expect = (uint64_t)(counter_base + 1 + i) * 0x9E3779B97F4A7C15ull ^ 0xA5A5A5A5A5A5A5A5ull;
        mismatches += big_table[i] != expect;
        h = (h ^ big_table[i]) * 1099511628211ull;
    }
    printf("len=%u bytes=%zu mismatches=%u\n", big_table_len, big_table_len * sizeof(uint64_t), mismatches);
    printf("fnv=%016llx\n", (unsigned long long)h);
    printf("first=%016llx last=%016llx\n", (unsigned long long)big_table[0],
           (unsigned long long)big_table[big_table_len - 1]);
    big_table[12345] = 42;
    printf("write ok: %llu\n", (unsigned long long)big_table[12345]);
    uint64_t s = 0;
    unsigned nz = 0;
    for (unsigned i = 0; i < 65536; i++) { s += sparse_ro[i]; nz += sparse_ro[i] != 0; }
    printf("sparse_ro sum=%llu nonzero=%u\n", (unsigned long long)s, nz);
    return 0;
}
