/* only referenced weakly: must not be extracted */
int arch_optional(void) { return 1; }
