#include "tls.h"

__thread const char *label = "unset";
static __thread int hidden = 500;

int c_private_bump(void) { return hidden += 5; }
void c_relabel(const char *s) { label = s; }
int c_counter_times(int k) { return counter * k; }
