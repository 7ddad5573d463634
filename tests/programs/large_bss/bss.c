/* second object: 16 MiB global zero-initialized array */
#include <stdint.h>
#define N (4u << 20)
uint32_t other_bss[N];
const unsigned other_bss_len = N;

uint64_t touch_other(unsigned stride)
{
    uint64_t s = 0;
    for (unsigned i = 0; i < N; i += stride) other_bss[i] = i ^ 0x5a5a5a5au;
    for (unsigned i = 0; i < N; i += stride) s += other_bss[i];
    return s;
}
