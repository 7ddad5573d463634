#ifndef GEOMETRY_H
#define GEOMETRY_H
#include "config.h"
#define PERIMETER(w, h) (2 * ((w) + (h)))
int area_of(int w, int h);
int perimeter_of(int w, int h);
#endif
