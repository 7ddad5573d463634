#pragma once
#include <string>

// Key functions are defined in b_shapes.cpp, so the vtables, typeinfo and
// thunks exist only there; a_main.cpp and c_zoo.cpp use them.
struct Printable {
    virtual ~Printable();
    virtual std::string describe() const = 0;
};
struct Measurable {
    virtual ~Measurable();
    virtual double area() const = 0;
    virtual int sides() const { return 0; }
};
struct Circle : Printable, Measurable {
    double r;
    explicit Circle(double radius) : r(radius) {}
    std::string describe() const override;
    double area() const override;
};
struct Rect : Printable, Measurable {
    double w, h;
    Rect(double a, double b) : w(a), h(b) {}
    std::string describe() const override;
    double area() const override;
    int sides() const override;
};
struct Square : Rect {
    explicit Square(double s) : Rect(s, s) {}
    std::string describe() const override;
};

// A diamond with a virtual base holding data.
struct Named {
    std::string name;
    explicit Named(const std::string &n) : name(n) {}
    virtual ~Named();
    virtual std::string who() const;
};
struct Walker : virtual Named {
    int legs;
    Walker(int l) : Named("walker"), legs(l) {}
    std::string who() const override;
    virtual int speed() const;
};
struct Swimmer : virtual Named {
    int fins;
    Swimmer(int f) : Named("swimmer"), fins(f) {}
    virtual int depth() const;
};
struct Frog : Walker, Swimmer {
    Frog() : Named("frog"), Walker(4), Swimmer(0) {}
    std::string who() const override;
    int depth() const override;
};

Printable *make_shape(int kind);      // c_zoo.cpp
Named *make_animal(int kind);         // c_zoo.cpp
