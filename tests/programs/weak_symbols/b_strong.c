/* strong definitions overriding the weak ones in a_main.c */
int config_value(void) { return 4242; }
int weak_limit = 99;
extern int weak_default;
int config_value(void);
int b_reads_weak_default(void) { return weak_default + 1; }
int b_calls_config(void) { return config_value() * 2; }
