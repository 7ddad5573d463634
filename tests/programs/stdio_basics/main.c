/* Exercises: calls into host libc stdio (printf, puts, putchar, fputs,
 * fprintf, fwrite, snprintf, fflush) and references to host data symbols
 * (stdout, stderr) from JIT-linked code, plus .rodata string relocations. */
#include <stdio.h>
#include <string.h>

static const char *const greetings[] = { "hello", "bonjour", "hola", "ciao", "hallo" };
static const char banner[] = "=== stdio basics ===";

static void print_row(FILE *f, int i, const char *s)
{
    fprintf(f, "%2d: %-8s len=%zu\n", i, s, strlen(s));
}

int main(void)
{
    char buf[64];
    unsigned sum = 0;
    puts(banner);
    for (int i = 0; i < 5; i++)
        print_row(stdout, i, greetings[i]);
    fputs("fputs to stdout\n", stdout);
    fprintf(stderr, "this goes to stderr (not compared)\n");
    for (int c = 'A'; c <= 'Z'; c++)
        putchar(c);
    putchar('\n');
    fwrite("fwrite-bytes\n", 1, 13, stdout);
    int n = snprintf(buf, sizeof buf, "%s/%d/%x/%o/%c/%5.2f", "fmt", -42, 0xbeefu, 8u, 'z', 3.14159);
    printf("snprintf wrote %d: [%s]\n", n, buf);
    for (size_t i = 0; i < strlen(buf); i++)
        sum = sum * 31u + (unsigned char)buf[i];
    printf("checksum %u\n", sum);
    printf("%%d %5d|%-5d|%05d\n", 42, 42, 42);
    printf("%s\n", stdout == stderr ? "same" : "stdout and stderr differ");
    fflush(stdout);
    printf("after fflush\n");
    return 0;
}
