/* third object: initialized definition beating the COMMON ones */
long shared_total = 100;
long c_add_total(long v) { shared_total += v; return shared_total; }
