/* Exercises: argc/argv/envp handoff to main (arguments come from the 'args'
 * file, one per line, including one with spaces and one in UTF-8),
 * argv[argc] == NULL, parsing with strtol/strchr; main returns argc - 1
 * (8) as the exit status.  argv[0] is never printed (it differs between
 * native and JIT runs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int classify(const char *arg, long *num);          /* parse.c */

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d argv[argc]==NULL: %s envp!=NULL: %s\n", argc, argv[argc] == NULL ? "yes" : "no",
           envp != NULL ? "yes" : "no");
    long sum = 0;
    size_t bytes = 0;
    for (int i = 1; i < argc; i++) {
        long num = 0;
        int kind = classify(argv[i], &num);
        bytes += strlen(argv[i]);
        printf("argv[%d]=\"%s\" len=%zu kind=%d", i, argv[i], strlen(argv[i]), kind);
        if (kind == 1) { printf(" number=%ld", num); sum += num; }
        if (kind == 2) printf(" option=%.*s value=%s", (int)(strchr(argv[i], '=') - argv[i] - 2), argv[i] + 2,
                              strchr(argv[i], '=') + 1);
        printf("\n");
    }
    printf("numeric sum=%ld total bytes=%zu\n", sum, bytes);
    return argc - 1;
}
