/* A program for the debugger tests: breakpoints, backtraces, stepping, locals,
 * globals, structs and arrays across two objects. */
#include <stdio.h>

struct shape {
    const char *name;
    int sides;
    double size;
};

struct shape shapes[3] = {
    {"triangle", 3, 1.5},
    {"square", 4, 2.0},
    {"hexagon", 6, 0.5},
};
int counter = 0;
int history[8] = {1, 1, 2, 3, 5, 8, 13, 21};

double perimeter(const struct shape *s);
int scaled_sides(int sides, int factor);

static int accumulate(int value)
{
    int before = counter;
    counter = before + value;
    return counter;
}

int main(void)
{
    double total = 0.0;
    int checksum = 0;
    for (int i = 0; i < 3; i++) {
        double p = perimeter(&shapes[i]);
        total += p;
        checksum = accumulate(scaled_sides(shapes[i].sides, i + 1));
    }
    printf("total perimeter %.2f, checksum %d\n", total, checksum);
    return checksum == 0;
}
