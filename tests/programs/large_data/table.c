/* second object: a 1 MiB initialized table (131072 x uint64_t) in .data,
 * generated with nested object-like macros so each element gets a distinct
 * __COUNTER__ value, plus a read-only 256 KiB table with sparse initializers. */
#include <stdint.h>

#define E ((uint64_t)__COUNTER__ * 0x9E3779B97F4A7C15ull ^ 0xA5A5A5A5A5A5A5A5ull),
#define E4 E E E E
#define E16 E4 E4 E4 E4
#define E64 E16 E16 E16 E16
#define E256 E64 E64 E64 E64
#define E1K E256 E256 E256 E256
#define E4K E1K E1K E1K E1K
#define E16K E4K E4K E4K E4K
#define E64K E16K E16K E16K E16K

const int counter_base = __COUNTER__;   /* first element uses base + 1 */
uint64_t big_table[131072] = { E64K E64K };
const unsigned big_table_len = sizeof big_table / sizeof big_table[0];

const uint32_t sparse_ro[65536] = {
    [0] = 1, [1] = 2, [1000] = 0xdeadbeef, [32767] = 77, [65535] = 0xfeedface,
};
