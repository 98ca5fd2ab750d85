// cxx: the C++ runtime: iostream, std::string, std::vector, std::map, std::sort,
// std::unique_ptr, static constructors, and exceptions thrown and caught across several
// frames (a custom exception class, std::runtime_error, rethrow with `throw;`,
// std::exception_ptr), with a trace of destructor order during unwinding. Unwinding
// needs the .eh_frame tables and the unwinder's register restore to work exactly.
// Exit status 0 if every check passed, 1 otherwise.
#include <algorithm>
#include <exception>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

static int failures = 0;
static std::vector<std::string> trace;

struct Tracer {
    std::string name;
    explicit Tracer(std::string n) : name(std::move(n)) { trace.push_back("ctor " + name); }
    ~Tracer() { trace.push_back("dtor " + name); }
};

struct GlobalInit {
    GlobalInit() { std::cout << "static constructor ran before main" << std::endl; }
    ~GlobalInit() { std::cout << "static destructor ran after main" << std::endl; }
};
static GlobalInit global_init;

class MimicError : public std::exception {
public:
    MimicError(int code, std::string where) : code_(code), msg_("MimicError " + std::to_string(code) + " in " + where) {}
    const char *what() const noexcept override { return msg_.c_str(); }
    int code() const { return code_; }

private:
    int code_;
    std::string msg_;
};

__attribute__((noinline)) static void level3(int n)
{
    Tracer t("level3");
    if (n == 1)
        throw MimicError(42, "level3");
    if (n == 2)
        throw std::runtime_error("runtime_error from level3");
    if (n == 3)
        throw 7;
}
__attribute__((noinline)) static void level2(int n)
{
    Tracer t("level2");
    std::vector<Tracer> v;
    v.reserve(2);
    v.emplace_back("vec[0]");
    v.emplace_back("vec[1]");
    level3(n);
}
__attribute__((noinline)) static void level1(int n)
{
    Tracer t("level1");
    try {
        level2(n);
    } catch (const MimicError &e) {
        trace.push_back(std::string("level1 caught and rethrows: ") + e.what());
        throw;
    }
}

static void dump_trace(const char *title)
{
    std::cout << title << ":\n";
    for (const auto &s : trace)
        std::cout << "  " << s << '\n';
    trace.clear();
}

int main()
{
    // iostream formatting
    std::cout << "int " << 42 << ", negative " << -7 << ", hex " << std::hex << 255 << std::dec << '\n';
    std::cout << "double " << 3.14159 << ", fixed " << std::fixed << std::setprecision(3) << 2.0 / 3.0
              << std::defaultfloat << ", sci " << std::scientific << 12345.678 << std::defaultfloat << '\n';
    std::cout << std::setw(8) << std::left << "left" << '|' << std::setw(8) << std::right << "right" << "|\n";
    std::cerr << "this line goes to stderr" << std::endl;

    // std::string
    std::string s = "Hello";
    s += ", ";
    s.append("mimic");
    s.insert(0, ">> ");
    std::cout << s << " (size " << s.size() << ", find(\"mimic\")=" << s.find("mimic") << ")\n";
    std::string upper = s;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    std::cout << upper << ", substr(3,5)=" << s.substr(3, 5) << '\n';
    std::string longstr(1000, 'x');  // heap allocated, beyond SSO
    longstr[500] = 'y';
    std::cout << "long string size " << longstr.size() << " y at " << longstr.find('y') << '\n';

    // vector + sort
    std::vector<int> v;
    unsigned x = 2463534242u;
    for (int i = 0; i < 20; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        v.push_back(int(x % 1000));
    }
    std::sort(v.begin(), v.end());
    std::cout << "sorted:";
    for (int e : v)
        std::cout << ' ' << e;
    std::cout << '\n';
    std::sort(v.begin(), v.end(), std::greater<int>());
    std::cout << "max " << v.front() << " min " << v.back() << '\n';
    if (!std::is_sorted(v.rbegin(), v.rend()))
        failures++;

    // map: word frequencies, iterated in key order
    std::map<std::string, int> freq;
    std::istringstream words("the cat and the dog and the bird");
    for (std::string w; words >> w;)
        freq[w]++;
    std::cout << "map:";
    for (const auto &kv : freq)
        std::cout << ' ' << kv.first << '=' << kv.second;
    std::cout << '\n';

    // unique_ptr and destructor order at scope exit (reverse of construction)
    {
        auto a = std::make_unique<Tracer>("unique a");
        auto b = std::make_unique<Tracer>("unique b");
        std::unique_ptr<Tracer> c = std::move(a);
        std::cout << "a is " << (a ? "set" : "null") << " after move\n";
        b.reset();
        Tracer local("local");
    }
    dump_trace("scope exit trace");

    // exceptions across frames
    try {
        level1(1);
        failures++;
    } catch (const MimicError &e) {
        trace.push_back(std::string("main caught: ") + e.what() + " code=" + std::to_string(e.code()));
    }
    dump_trace("custom exception + rethrow trace");

    try {
        level1(2);
        failures++;
    } catch (const std::exception &e) {
        trace.push_back(std::string("main caught std::exception: ") + e.what());
    }
    dump_trace("runtime_error trace");

    try {
        level1(3);
        failures++;
    } catch (int i) {
        trace.push_back("main caught int " + std::to_string(i));
    }
    dump_trace("int exception trace");

    level1(0);  // no throw
    dump_trace("no exception trace");

    // exception_ptr: capture and rethrow later
    std::exception_ptr saved;
    try {
        throw std::out_of_range("saved for later");
    } catch (...) {
        saved = std::current_exception();
    }
    try {
        std::rethrow_exception(saved);
    } catch (const std::out_of_range &e) {
        std::cout << "rethrown exception_ptr: " << e.what() << '\n';
    }

    // library-thrown exceptions
    try {
        std::vector<int> small(3);
        (void)small.at(10);
        failures++;
    } catch (const std::out_of_range &) {
        std::cout << "vector::at threw std::out_of_range\n";
    }
    try {
        (void)std::stoi("not a number");
        failures++;
    } catch (const std::invalid_argument &) {
        std::cout << "stoi threw std::invalid_argument\n";
    }

    std::cout << "cxx: " << (failures ? "FAILED" : "all checks passed") << " (" << failures << " failures)\n";
    return failures ? 1 : 0;
}
