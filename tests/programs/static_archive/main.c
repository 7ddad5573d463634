/* Exercises: static archive (libstatic_archive.a) with members extracted on
 * demand.  Used: aa_vec (needs zz_util, later in the archive), mm_stats (needs
 * ab_base, earlier in the archive -> needs a rescan), dd_str (data + code).
 * Unused: bb_dup (defines main_helper, which main.c also defines -> duplicate
 * symbol if wrongly extracted) and cc_undef (references an undefined symbol). */
#include <stdio.h>

int vec_dot(const int *a, const int *b, int n);
int vec_sum_clamped(const int *a, int n, int lo, int hi);
long stats_weighted(const int *v, int n);
void str_reverse(char *s);
extern const char dd_alphabet[];
extern int ab_base_calls;

int main_helper(int x) { return x * 7; }

int main(void)
{
    int a[6] = { 3, -1, 4, 1, -5, 9 };
    int b[6] = { 2, 7, 1, 8, 2, 8 };
    char s[] = "archive-members";
    printf("vec_dot=%d\n", vec_dot(a, b, 6));
    printf("vec_sum_clamped=%d\n", vec_sum_clamped(a, 6, 0, 5));
    printf("stats_weighted=%ld\n", stats_weighted(b, 6));
    printf("ab_base_calls=%d\n", ab_base_calls);
    str_reverse(s);
    printf("reversed=%s\n", s);
    printf("alphabet=%s\n", dd_alphabet);
    printf("main_helper(6)=%d\n", main_helper(6));
    return 0;
}
