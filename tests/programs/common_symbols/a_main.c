/* Exercises: COMMON symbols (SHN_COMMON, compiled with -fcommon): the same
 * tentative definitions in several objects must become one zero-initialized
 * object, sized by the largest declaration and with the strictest alignment;
 * a COMMON symbol plus a real initialized definition resolves to the
 * initialized one. */
#include <stdio.h>
#include <stdint.h>

int counter;                     /* also tentative in b_common.c */
double common_buf[512];          /* also tentative in b_common.c */
char varsize[16];                /* b_common.c declares it with 64 bytes */
long shared_total;               /* c_init.c has "long shared_total = 100;" */
int aligned_common __attribute__((aligned(64)));

void b_bump(int n);
double b_fill(void);
void b_fill_varsize(void);
long c_add_total(long v);

int main(void)
{
    printf("initial counter=%d shared_total=%ld\n", counter, shared_total);
    for (int i = 0; i < 5; i++) { counter++; b_bump(i); }
    printf("counter=%d\n", counter);
    double s = b_fill();
    double t = 0;
    for (int i = 0; i < 512; i++) t += common_buf[i];
    printf("common_buf sums: b=%.1f a=%.1f\n", s, t);
    b_fill_varsize();
    unsigned h = 0;
    for (int i = 0; i < 16; i++) h = h * 31 + (unsigned char)varsize[i];
    printf("varsize prefix=%.16s hash=%u\n", varsize, h);
    long r = c_add_total(5);
    printf("c_add_total(5)=%ld shared_total=%ld\n", r, shared_total);
    aligned_common = 9;
    printf("aligned_common=%d aligned64=%d\n", aligned_common, (int)((uintptr_t)&aligned_common % 64 == 0));
    return 0;
}
