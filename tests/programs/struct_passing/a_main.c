/* Exercises: SysV struct passing/returning by value across objects: INTEGER
 * class (8 and 16 bytes), SSE class (float pairs, doubles), mixed
 * INTEGER+SSE, MEMORY class (large structs, sret hidden pointer), structs
 * with long double, and struct returns through function pointers. */
#include <stdio.h>

struct small { int a, b; };
struct pair16 { long x; long y; };
struct fpair { float x, y; };
struct dvec3 { double x, y, z; };                 /* 24 bytes: MEMORY */
struct mixed { int tag; double val; };             /* INTEGER + SSE */
struct mixed2 { float f; int i; char c; double d; };
struct big { int v[20]; char name[16]; };
struct withld { long double ld; int n; };

struct small  sm_add(struct small p, struct small q);
struct pair16 p16_swap_scale(struct pair16 p, long k);
struct fpair  fp_rot90(struct fpair p);
struct dvec3  dv_cross(struct dvec3 a, struct dvec3 b);
struct mixed  mx_combine(struct mixed a, struct mixed b, struct mixed c);
struct mixed2 mx2_bump(struct mixed2 m);
struct big    big_make(int seed, const char *name);
long          big_sum(struct big b);
struct withld ld_half(struct withld w);
typedef struct dvec3 (*dv_fn)(struct dvec3, struct dvec3);
dv_fn get_dv_op(int which);

static struct dvec3 dv_add(struct dvec3 a, struct dvec3 b)
{
    return (struct dvec3){ a.x + b.x, a.y + b.y, a.z + b.z };
}

/* callback from the other object back into this one with struct arguments */
struct small apply_to_small(struct small (*f)(struct small, struct small), struct small a, struct small b);

static struct small sm_mul(struct small p, struct small q) { return (struct small){ p.a * q.a, p.b * q.b }; }

int main(void)
{
    struct small s = sm_add((struct small){ 3, 4 }, (struct small){ 10, 20 });
    printf("small: %d %d\n", s.a, s.b);
    struct pair16 p = p16_swap_scale((struct pair16){ 123456789012L, -5 }, 3);
    printf("pair16: %ld %ld\n", p.x, p.y);
    struct fpair f = fp_rot90((struct fpair){ 1.5f, -2.25f });
    printf("fpair: %.3f %.3f\n", (double)f.x, (double)f.y);
    struct dvec3 c = dv_cross((struct dvec3){ 1, 2, 3 }, (struct dvec3){ 4, 5, 6 });
    printf("cross: %.1f %.1f %.1f\n", c.x, c.y, c.z);
    struct mixed m = mx_combine((struct mixed){ 1, 0.5 }, (struct mixed){ 2, 1.25 }, (struct mixed){ 4, -3.0 });
    printf("mixed: %d %.3f\n", m.tag, m.val);
    struct mixed2 m2 = mx2_bump((struct mixed2){ 1.5f, 7, 'x', 2.75 });
    printf("mixed2: %.2f %d %c %.2f\n", (double)m2.f, m2.i, m2.c, m2.d);
    struct big b = big_make(7, "bigstruct");
    printf("big: v0=%d v19=%d name=%s sum=%ld\n", b.v[0], b.v[19], b.name, big_sum(b));
    b.v[5] = 1000;
    printf("big modified sum=%ld\n", big_sum(b));
    struct withld w = ld_half((struct withld){ 5.0L, 3 });
    printf("withld: %.4Lf %d\n", w.ld, w.n);
    dv_fn op = get_dv_op(0);
    struct dvec3 d = op((struct dvec3){ 1, 0, 0 }, (struct dvec3){ 0, 1, 0 });
    printf("via fnptr: %.1f %.1f %.1f\n", d.x, d.y, d.z);
    d = dv_add(d, get_dv_op(1)(d, d));
    printf("dv_add: %.1f %.1f %.1f\n", d.x, d.y, d.z);
    s = apply_to_small(sm_mul, (struct small){ 6, 7 }, (struct small){ 8, 9 });
    printf("callback small: %d %d\n", s.a, s.b);
    return 0;
}
