/* The C view of the C++ side (b_tracker.cpp) and of the C side (a_main.c). */
/* In C++, `extern thread_local` of a variable defined elsewhere goes through
 * a TLS wrapper that calls the init function _ZTH... if it is defined: a weak
 * reference, undefined here since the C definition has none. */
#ifdef __cplusplus
#define TLS thread_local
extern "C" {
#else
#define TLS _Thread_local
#endif
extern TLS int c_level;               /* a_main.c: plain C TLS, used from C++ */
extern TLS long plain_from_cxx;       /* b_tracker.cpp: constant-initialized C++ thread_local */
void tracker_note(const char *event); /* b_tracker.cpp: appends to a thread_local std::vector */
void tracker_report(const char *who); /* b_tracker.cpp */
int tracker_constructions(void);      /* b_tracker.cpp */
#ifdef __cplusplus
}
#endif
