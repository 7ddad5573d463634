#include <any>
#include <bitset>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

static volatile long huge = 1L << 60; // 2^62 bytes: operator new fails
int *volatile sink;

static void vector_at() { std::vector<int> v(4); v.at(9) = 1; }
static void string_substr() { std::string s("abc"); (void)s.substr(10); }
static void map_at() { std::map<std::string, int> m{{"a", 1}}; (void)m.at("zz"); }
static void stoi_invalid() { (void)std::stoi("not a number"); }
static void stoi_range() { (void)std::stol("99999999999999999999999"); }
static void bitset_overflow() { std::bitset<100> b; b.set(80); (void)b.to_ulong(); }
static void bitset_string() { std::bitset<8> b(std::string("10x1")); }
static void bad_cast()
{
    struct A { virtual ~A() {} };
    struct B : A {};
    A a;
    A &ref = a;
    (void)dynamic_cast<B &>(ref);
}
static void bad_function() { std::function<void()> f; f(); }
static void bad_optional() { std::optional<int> o; (void)o.value(); }
static void bad_variant() { std::variant<int, std::string> v = 3; (void)std::get<std::string>(v); }
static void bad_any() { std::any a = 1; (void)std::any_cast<double>(a); }
static void bad_weak()
{
    std::weak_ptr<int> w;
    std::shared_ptr<int> s(w);
}
static void bad_alloc_huge() { sink = new int[static_cast<size_t>(huge)]; }
static void string_length() { std::string s; s.reserve(s.max_size() + 1); }
static void fine() { std::vector<int> v(3); v.at(2) = 5; }

typedef void (*Probe)();
Probe probes[] = {vector_at, string_substr, map_at, stoi_invalid, stoi_range, bitset_overflow,
                  bitset_string, bad_cast, bad_function, bad_optional, bad_variant, bad_any,
                  bad_weak, bad_alloc_huge, string_length, fine};
const char *names[] = {"vector::at", "string::substr", "map::at", "stoi", "stol range", "bitset::to_ulong",
                       "bitset(string)", "dynamic_cast&", "function()", "optional::value", "get<variant>",
                       "any_cast", "shared_ptr(weak)", "new int[2^60]", "string::reserve", "fine"};
int probe_count = sizeof probes / sizeof probes[0];
