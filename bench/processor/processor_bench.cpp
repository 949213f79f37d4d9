// Processor throughput on a realistic mix, from a pre-filled log (issue: identity and profiles).
// usage: processor_bench [EVENTS] [USERS] [CACHE_PROFILES]
//   defaults: 1,000,000 events over 1,000,000 distinct users, cache 100,000 profiles.
// Mix: 10% identify (half of them join a fresh anonymous id to the user: a merge when that
// anonymous id already has a profile, ~3% of events), 90% track, with timestamps and properties
// of realistic size. Prints events/s for the processor alone, and the process RSS.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "processor/processor.h"
#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"

using namespace tributary;

static long rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, rss = 0;
  statm >> pages >> rss;
  return rss * sysconf(_SC_PAGESIZE) / (1 << 20);
}

int main(int argc, char** argv) {
  const std::size_t events = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  const std::size_t users = argc > 2 ? std::stoul(argv[2]) : 1'000'000;
  const std::size_t cache = argc > 3 ? std::stoul(argv[3]) : 100'000;
  auto dir = std::filesystem::temp_directory_path() / ("tributary-procbench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);

  system_clock_source clock;
  eventlog::options opts;
  opts.path = dir.string();
  opts.sync = false;
  opts.clock = &clock;
  auto log = std::move(eventlog::event_log::open(opts).value());

  // Pre-fill the log in requests of 1000 events.
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::size_t> pick(0, users - 1);
  std::size_t merges_planned = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t done = 0; done < events;) {
    eventlog::append_request req;
    req.source = "bench";
    req.received_at = clock.now_ms();
    for (std::size_t i = 0; i < 1000 && done < events; ++i, ++done) {
      std::size_t u = pick(rng);
      std::string j;
      char buf[512];
      if (done % 10 == 0) {
        bool join = done % 20 == 0;  // identify joining an anonymous id seen before
        if (join) ++merges_planned;
        std::snprintf(buf, sizeof buf,
                      R"({"type":"identify","userId":"user-%zu","anonymousId":"anon-%zu","traits":{"email":"user-%zu@example.com","plan":"%s","seen":%zu},"messageId":"m-%zu","context":{"ip":"10.0.0.1","library":{"name":"analytics-node","version":"3.1.0"}},"timestamp":"2026-11-28T10:00:00.000Z","receivedAt":"2026-11-28T10:00:00.000Z"})",
                      u, join ? pick(rng) : u, u, done % 3 ? "pro" : "trial", done, done);
      } else {
        std::snprintf(buf, sizeof buf,
                      R"({"type":"track","event":"Event %zu","userId":"user-%zu","anonymousId":"anon-%zu","properties":{"project_id":"p-%zu","value":%zu,"template_used":true},"messageId":"m-%zu","context":{"ip":"10.0.0.1","library":{"name":"analytics.js","version":"2.1.0"}},"timestamp":"2026-11-28T10:00:00.000Z","receivedAt":"2026-11-28T10:00:00.000Z"})",
                      done % 12, u, u, done % 1000, done, done);
      }
      req.items.push_back({"", buf});
    }
    std::promise<void> p;
    req.done = [&p](eventlog::append_outcome) { p.set_value(); };
    log->submit(std::move(req));
    p.get_future().wait();
  }
  double fill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  auto cfg = std::make_shared<config::config>();
  cfg->processor.cache_profiles = cache;
  config::holder holder(cfg);
  processor::processor proc(*log, holder);
  auto t1 = std::chrono::steady_clock::now();
  while (proc.run_once() > 0) {
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  const auto& st = proc.counters();
  std::printf("| events | distinct users | cache (profiles) | prefill s | processor s | events/s | profiles | merges | RSS MB |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  std::printf("| %zu | %zu | %zu | %.1f | %.2f | %.0f | %llu | %llu | %ld |\n", events, users, cache, fill_s, s,
              events / s, static_cast<unsigned long long>(st.profiles_created.load()),
              static_cast<unsigned long long>(st.merges.load()), rss_mb());
  proc.stop();
  log->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
