#define SMALL 1024
#define BIG (64 * 1024)

extern __thread int small_buf[SMALL];
extern __thread unsigned char big_buf[BIG];
extern __thread int pattern[512];
extern __thread long aligned64;
extern __thread char aligned32[3];

unsigned long checksum_tls(void)
{
    unsigned long h = 0;
    for (int i = 0; i < SMALL; i++) h = h * 31 + (unsigned)small_buf[i];
    for (int i = 0; i < BIG; i++) h = h * 131 + big_buf[i];
    for (int i = 0; i < 512; i++) h = h * 7 + (unsigned)pattern[i];
    return h + (unsigned long)aligned64 + (unsigned char)aligned32[2];
}

void fill_tls(int seed)
{
    for (int i = 0; i < SMALL; i++) small_buf[i] = i * seed;
    for (int i = 0; i < BIG; i++) big_buf[i] = (unsigned char)(i ^ seed);
    for (int i = 0; i < 512; i += 3) pattern[i] += seed;
    aligned64 += seed;
    aligned32[2] = (char)seed;
}
