/* TLS defined in one object, used from the others. */
extern __thread int counter;           /* a_main.c, .tdata */
extern __thread long totals[8];        /* b_defs.c, .tbss */
extern __thread const char *label;     /* c_users.c, .tdata pointing at .rodata */
void b_add(int slot, long v);          /* b_defs.c */
long b_sum(void);                      /* b_defs.c */
int b_private_bump(void);              /* b_defs.c: a static __thread named `hidden` */
int c_private_bump(void);              /* c_users.c: another static __thread `hidden` */
void c_relabel(const char *s);         /* c_users.c */
int c_counter_times(int k);            /* c_users.c */
