/* Shared by every object: gcc -g3 puts its macros in a wm4.* COMDAT group
   per object, of which the link keeps one. */
#ifndef CONFIG_H
#define CONFIG_H
#define SCALE 3
#define AREA(w, h) ((w) * (h) * SCALE)
#define GREETING "macros"
#endif
