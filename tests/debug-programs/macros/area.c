#include "geometry.h"

int area_of(int w, int h) {
  int area = AREA(w, h);
  return area;
}
