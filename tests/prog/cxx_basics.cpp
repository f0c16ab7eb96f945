// cxx_basics.cpp - std::vector, std::string, std::thread, new[]/delete[]:
// C++ allocation reaches the shim through libstdc++'s operator new.
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

int main()
{
    std::vector<std::thread> threads;
    std::vector<std::size_t> results(4);
    for (int t = 0; t < 4; t++)
        threads.emplace_back([t, &results] {
            std::map<std::string, std::vector<int>> m;
            for (int i = 0; i < 20000; i++)
                m[std::to_string(i * (t + 1))].push_back(i);
            std::size_t n = 0;
            for (auto &kv : m)
                n += kv.first.size() + kv.second.size();
            results[t] = n;
        });
    for (auto &th : threads)
        th.join();
    for (auto r : results)
        std::cout << r << "\n";
    std::unique_ptr<int[]> arr(new int[1000]());
    long s = 0;
    for (int i = 0; i < 1000; i++)
        s += arr[i];
    std::string big(100000, 'x');
    big += "y";
    std::cout << s << " " << big.size() << "\n";
    return 0;
}
