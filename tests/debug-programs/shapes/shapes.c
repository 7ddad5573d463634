/* The second object of the debugger test program. */
struct shape {
    const char *name;
    int sides;
    double size;
};

static double side_length(const struct shape *s, int index)
{
    double length = s->size + index * 0.0;
    return length;
}

double perimeter(const struct shape *s)
{
    double sum = 0.0;
    for (int i = 0; i < s->sides; i++) {
        sum += side_length(s, i);
    }
    return sum;
}

int scaled_sides(int sides, int factor)
{
    int result = sides * factor;
    if (result > 10) {
        result = result - 1;
    }
    return result;
}
