#include "tls.h"

std::string thread_summary(const char *who)
{
    return std::string(who) + ": greeting '" + greeting + "' derived " + std::to_string(derived) + " constant " +
           std::to_string(constant_tls) + " inline " + std::to_string(inline_tls) + " long " +
           std::to_string(PerThread<long>::value) + " short " + std::to_string(PerThread<short>::value);
}
