#include "work.h"

uint64_t checksum_range(uint64_t begin, uint64_t end)
{
    uint64_t h = 0;
    for (uint64_t i = begin; i < end; i++) {
        uint64_t x = i * 0x9E3779B97F4A7C15ull;
        x ^= x >> 29;
        h += x * 0xBF58476D1CE4E5B9ull;
    }
    return h;
}
