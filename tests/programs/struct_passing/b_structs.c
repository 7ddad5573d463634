/* second object: implementations */
#include <string.h>

struct small { int a, b; };
struct pair16 { long x; long y; };
struct fpair { float x, y; };
struct dvec3 { double x, y, z; };
struct mixed { int tag; double val; };
struct mixed2 { float f; int i; char c; double d; };
struct big { int v[20]; char name[16]; };
struct withld { long double ld; int n; };

struct small sm_add(struct small p, struct small q) { return (struct small){ p.a + q.a, p.b + q.b }; }
struct pair16 p16_swap_scale(struct pair16 p, long k) { return (struct pair16){ p.y * k, p.x * k }; }
struct fpair fp_rot90(struct fpair p) { return (struct fpair){ -p.y, p.x }; }

struct dvec3 dv_cross(struct dvec3 a, struct dvec3 b)
{
    return (struct dvec3){ a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x };
}
static struct dvec3 dv_scale2(struct dvec3 a, struct dvec3 b)
{
    return (struct dvec3){ a.x * 2 + b.x, a.y * 2 + b.y, a.z * 2 + b.z };
}
typedef struct dvec3 (*dv_fn)(struct dvec3, struct dvec3);
static const dv_fn dv_ops[] = { dv_cross, dv_scale2 };
dv_fn get_dv_op(int which) { return dv_ops[which]; }

struct mixed mx_combine(struct mixed a, struct mixed b, struct mixed c)
{
    return (struct mixed){ a.tag | b.tag | c.tag, a.val * b.val + c.val };
}
struct mixed2 mx2_bump(struct mixed2 m)
{
    m.f *= 2; m.i += 1; m.c = (char)(m.c - 'a' + 'A'); m.d -= 0.5;
    return m;
}
struct big big_make(int seed, const char *name)
{
    struct big b;
    for (int i = 0; i < 20; i++) b.v[i] = seed * (i + 1) - i * i;
    memset(b.name, 0, sizeof b.name);
    strncpy(b.name, name, sizeof b.name - 1);
    return b;
}
long big_sum(struct big b)
{
    long s = 0;
    for (int i = 0; i < 20; i++) s += b.v[i];
    for (int i = 0; b.name[i]; i++) s += b.name[i];
    return s;
}
struct withld ld_half(struct withld w) { w.ld /= 2; w.n *= 2; return w; }

struct small apply_to_small(struct small (*f)(struct small, struct small), struct small a, struct small b)
{
    struct small r = f(a, b);
    r.a += 1;
    return r;
}
