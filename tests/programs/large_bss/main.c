/* Exercises: very large .bss sections (a 64 MiB static array here and a
 * 16 MiB global array in another object), touched sparsely; the memory must
 * be zero-filled and addressable at both ends. */
#include <stdio.h>
#include <stdint.h>

#define BIG (64u << 20)
static unsigned char big[BIG];          /* 64 MiB, local .bss */
extern uint32_t other_bss[];            /* 16 MiB, bss.c */
extern const unsigned other_bss_len;
uint64_t touch_other(unsigned stride);

int main(void)
{
    uint64_t nonzero = 0, sum = 0;
    for (unsigned i = 0; i < BIG; i += 4096 * 7)
        nonzero += big[i] != 0;
    printf("initially nonzero pages: %llu\n", (unsigned long long)nonzero);
    uint32_t x = 12345;
    for (unsigned i = 0; i < BIG; i += 65521) {
        x = x * 1103515245u + 12345u;
        big[i] = (unsigned char)(x >> 16);
    }
    big[BIG - 1] = 0xAB;
    big[0] = 0xCD;
    for (unsigned i = 0; i < BIG; i += 65521)
        sum = sum * 131 + big[i];
    printf("big first=%02x last=%02x checksum=%llu\n", big[0], big[BIG - 1], (unsigned long long)sum);
    printf("other_bss len=%u words, first=%u last=%u\n", other_bss_len, other_bss[0],
           other_bss[other_bss_len - 1]);
    printf("touch_other=%llu\n", (unsigned long long)touch_other(4099));
    printf("other_bss[4099*3]=%u\n", other_bss[4099 * 3]);
    return 0;
}
