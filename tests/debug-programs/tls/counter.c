// The C object of the thread-local program: a __thread variable the C++
// object declares extern.
__thread int c_counter = 40;

int bump_c_counter(int by)
{
    c_counter += by;
    return c_counter;
}
