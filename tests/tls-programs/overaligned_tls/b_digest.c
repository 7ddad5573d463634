extern __thread char before;
extern __thread int a128[4];
extern __thread char a256[5];
extern __thread unsigned char page[4096];
extern __thread short after;

unsigned long digest(void)
{
    unsigned long h = (unsigned char)before;
    for (int i = 0; i < 4; i++) h = h * 31 + (unsigned)a128[i];
    for (int i = 0; i < 5; i++) h = h * 31 + (unsigned char)a256[i];
    for (int i = 0; i < 4096; i++) h = h * 131 + page[i];
    return h * 7 + (unsigned long)after;
}
