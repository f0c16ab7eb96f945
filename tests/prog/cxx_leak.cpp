// cxx_leak.cpp - new[] of 40 ints (160 bytes) leaked from make_array: direct.
#include <cstdio>
#pragma GCC optimize("O0", "no-optimize-sibling-calls", "no-inline")
__attribute__((noinline)) int *make_array() { return new int[40](); }
int main()
{
    int *a = make_array();
    a = nullptr;
    std::puts("done");
    return 0;
}
