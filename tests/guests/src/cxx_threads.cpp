// C++ threads under mimic: std::thread, std::atomic, std::mutex, std::condition_variable.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

int main() {
    std::atomic<long> hits{0};
    long locked = 0;
    std::mutex m;
    std::vector<std::thread> ts;
    for (int t = 0; t < 6; t++)
        ts.emplace_back([&, t] {
            for (int i = 0; i < 20000; i++) {
                hits.fetch_add(t + 1, std::memory_order_relaxed);
                std::lock_guard<std::mutex> g(m);
                locked++;
            }
        });
    for (auto &t : ts)
        t.join();
    std::printf("atomic %ld, locked %ld\n", hits.load(), locked);

    // a handshake over a condition variable
    std::condition_variable cv;
    int stage = 0;
    std::thread worker([&] {
        for (int i = 0; i < 1000; i++) {
            std::unique_lock<std::mutex> l(m);
            cv.wait(l, [&] { return stage % 2 == 1; });
            stage++;
            cv.notify_one();
        }
    });
    for (int i = 0; i < 1000; i++) {
        std::unique_lock<std::mutex> l(m);
        stage++;
        cv.notify_one();
        cv.wait(l, [&] { return stage % 2 == 0; });
    }
    worker.join();
    std::printf("handshake stage %d\n", stage);
    std::printf("hardware_concurrency > 0: %s\n",
                std::thread::hardware_concurrency() > 0 ? "yes" : "no");
    return 0;
}
