/* JIT'd by embed.c in the crash-report test: work() reads through NULL. */
int *volatile nowhere;

int work(int n) {
    return *nowhere + n;
}
