// Exercises: virtual calls through vtables defined in another object;
// multiple inheritance (calls through the second base go through `this`
// adjusting thunks); a diamond with a virtual base; dynamic_cast down,
// across (Printable -> Measurable) and to void* (most-derived address),
// failing casts returning nullptr, and a failing reference cast throwing
// std::bad_cast; typeid of dynamic types.
#include <cstdio>
#include <memory>
#include <typeinfo>
#include <vector>
#include "shapes.h"

int main()
{
    std::vector<std::unique_ptr<Printable>> shapes;
    for (int k = 0; k < 4; k++) shapes.emplace_back(make_shape(k));
    double total_area = 0;
    for (auto &p : shapes) {
        const Printable &ref = *p;
        Measurable *m = dynamic_cast<Measurable *>(p.get());
        Rect *rect = dynamic_cast<Rect *>(p.get());
        Square *sq = dynamic_cast<Square *>(p.get());
        void *most = dynamic_cast<void *>(p.get());
        void *via_m = m ? dynamic_cast<void *>(m) : nullptr;
        std::printf("%-22s type %-8s area %8.3f sides %d rect %d square %d same-object %d second-base-offset %d\n",
                    p->describe().c_str(), typeid(ref).name(), m ? m->area() : -1.0, m ? m->sides() : -1,
                    rect != nullptr, sq != nullptr, most == via_m,
                    m ? static_cast<int>(reinterpret_cast<char *>(m) - reinterpret_cast<char *>(most)) : -1);
        if (m) total_area += m->area();
        try {
            Square &s = dynamic_cast<Square &>(*p);
            std::printf("  is a square of side %.1f\n", s.w);
        } catch (const std::bad_cast &e) {
            std::printf("  not a square (bad_cast caught)\n");
        }
    }
    std::printf("total area %.4f\n", total_area);

    for (int k = 0; k < 3; k++) {
        std::unique_ptr<Named> a(make_animal(k));
        const Named &ref = *a;
        Walker *w = dynamic_cast<Walker *>(a.get());
        Swimmer *s = dynamic_cast<Swimmer *>(a.get());
        std::printf("%s: name '%s' type %s walker %d swimmer %d", a->who().c_str(), a->name.c_str(),
                    typeid(ref).name(), w != nullptr, s != nullptr);
        if (w) std::printf(" legs %d speed %d", w->legs, w->speed());
        if (s) std::printf(" fins %d depth %d", s->fins, s->depth());
        if (w && s) {
            Swimmer *cross = dynamic_cast<Swimmer *>(w);
            std::printf(" cross-cast ok %d, shared base %d", cross == s,
                        static_cast<Named *>(w) == static_cast<Named *>(s));
        }
        std::printf("\n");
    }
    return 0;
}
