extern __thread int gd_var __attribute__((tls_model("initial-exec")));
extern __thread int ie_var __attribute__((tls_model("global-dynamic")));

int b_read_all(void) { return gd_var * 100 + ie_var; }

void b_bump_all(int k)
{
    gd_var += k;
    ie_var += 2 * k;
}
