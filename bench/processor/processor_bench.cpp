// Processor throughput from a pre-filled log, and the timer burst (issues: profiles, traits,
// audiences).
// usage: processor_bench [EVENTS] [USERS] [CACHE_PROFILES] [CONFIG.yaml] [TIMER_BURST]
//   defaults: 1,000,000 events over 1,000,000 distinct users, cache 100,000 profiles, no config.
// Mix: 10% identify, 90% track. Half the identifies join a user id to the anonymous id of a
// recent anonymous visitor: a merge when the user already has a profile of their own. Tracks are
// 25% anonymous, 75% by user id, over the events the nine computed traits and three audiences of
// bench/processor/nine_traits.yaml read, with timestamps in the last three days.
// With TIMER_BURST = N > 0, N more profiles whose "Stuck at step 1" timer comes due in the same
// second are then created, the clock is moved past that second, and the time the processor takes
// to fire them all is printed.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <random>
#include <thread>

#include <rocksdb/db.h>

#include "processor/processor.h"
#include "tributary/common/time.h"
#include "tributary/config/holder.h"
#include "tributary/eventlog/event_log.h"

using namespace tributary;

namespace {

long rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, rss = 0;
  statm >> pages >> rss;
  return rss * sysconf(_SC_PAGESIZE) / (1 << 20);
}

std::string iso(millis t) {
  return format_iso8601(t);
}

void append(eventlog::event_log& log, std::vector<std::string>& bodies, millis now) {
  eventlog::append_request req;
  req.source = "bench";
  req.received_at = now;
  for (auto& b : bodies) req.items.push_back({"", std::move(b)});
  bodies.clear();
  std::promise<void> p;
  req.done = [&p](eventlog::append_outcome) { p.set_value(); };
  log.submit(std::move(req));
  p.get_future().wait();
}

// Until the log, the synthesized events and the due timers are all handled.
// `until`, if given, ends it early: checked after each flush.
double drain(processor::processor& proc, const eventlog::event_log& log, const clock_source& clock,
             const std::function<bool()>& until = {}) {
  auto t = std::chrono::steady_clock::now();
  for (;;) {
    if (proc.run_once(false) > 0) continue;  // as its thread does: writes overlap the next batch
    proc.flush();
    if (until && until()) break;
    auto due = proc.next_timer();
    if (proc.counters().emits_in_flight.load() == 0 && proc.cursor() == log.last_seq() &&
        (!due || *due > clock.now_ms()))
      break;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t events = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  const std::size_t users = argc > 2 ? std::stoul(argv[2]) : 1'000'000;
  const std::size_t cache = argc > 3 ? std::stoul(argv[3]) : 100'000;
  const std::string config_file = argc > 4 ? argv[4] : "";
  const std::size_t burst = argc > 5 ? std::stoul(argv[5]) : 0;
  auto dir =
      std::filesystem::temp_directory_path() / ("tributary-procbench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);

  const millis start = system_clock_source().now_ms();
  manual_clock clock(start);
  eventlog::options opts;
  opts.path = dir.string();
  opts.sync = false;
  opts.clock = &clock;
  auto log = std::move(eventlog::event_log::open(opts).value());

  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::size_t> pick(0, users - 1);
  std::uniform_int_distribution<millis> recent(0, 3 * 86'400'000LL);
  std::vector<std::size_t> visitors;  // anonymous-only visitors, not joined yet
  static const char* kEvents[] = {"Project Created",  "Teammate Invited", "Task Assigned",
                                  "Order Completed",  "Product Viewed",   "Plan Viewed",
                                  "Dashboard Viewed", "Report Exported"};
  static const char* kCategories[] = {"shoes", "books", "games", "tools"};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> bodies;
  char buf[1024];
  for (std::size_t i = 0; i < events; ++i) {
    std::size_t u = pick(rng);
    std::string ts = iso(start - recent(rng));
    if (i % 10 == 0) {
      if (i % 20 == 0 && !visitors.empty()) {  // join an anonymous visitor to a user
        std::size_t v = visitors.back();
        visitors.pop_back();
        std::snprintf(
            buf, sizeof buf,
            R"({"type":"identify","userId":"user-%zu","anonymousId":"anon-%zu","traits":{"email":"user-%zu@example.com"},"messageId":"m-%zu","context":{"ip":"10.0.0.1","library":{"name":"analytics.js","version":"2.1.0"}},"timestamp":"%s"})",
            u, v, u, i, ts.c_str());
      } else {
        std::string signed_up = iso(start - recent(rng) - recent(rng) / 2);
        std::string trial_ends = iso(start + recent(rng) * 2);
        std::snprintf(
            buf, sizeof buf,
            R"({"type":"identify","userId":"user-%zu","traits":{"email":"user-%zu@example.com","plan":"%s","signed_up_at":"%s","trial_ends_at":"%s","company_size":"11-50"},"messageId":"m-%zu","context":{"ip":"10.0.0.1","library":{"name":"analytics-node","version":"3.1.0"}},"timestamp":"%s"})",
            u, u, i % 3 ? "pro" : "trial", signed_up.c_str(), trial_ends.c_str(), i, ts.c_str());
      }
    } else {
      const char* name = kEvents[i % 8];
      bool anonymous = i % 4 == 1;
      if (anonymous) visitors.push_back(u);
      char who[64];
      std::snprintf(who, sizeof who,
                    anonymous ? R"("anonymousId":"anon-%zu")" : R"("userId":"user-%zu")", u);
      std::snprintf(
          buf, sizeof buf,
          R"({"type":"track","event":"%s",%s,"properties":{"project_id":"p-%zu","revenue":%zu.5,"total":%zu,"category":"%s","plan":"%s","template_used":true},"messageId":"m-%zu","context":{"ip":"10.0.0.1","campaign":{"source":"%s"},"library":{"name":"analytics.js","version":"2.1.0"}},"timestamp":"%s"})",
          name, who, i % 1000, i % 300, i % 250, kCategories[i % 4], i % 2 ? "pro" : "team", i,
          i % 5 ? "newsletter" : "ads", ts.c_str());
    }
    bodies.emplace_back(buf);
    if (bodies.size() == 1000) append(*log, bodies, start);
  }
  if (!bodies.empty()) append(*log, bodies, start);
  double fill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::shared_ptr<const config::config> cfg;
  if (!config_file.empty()) {
    auto r = config::load_from_file(config_file);
    if (!r.cfg) {
      for (const auto& e : r.errors) std::cerr << e.to_string() << "\n";
      return 2;
    }
    auto c = std::make_shared<config::config>(*r.cfg);
    c->processor.cache_profiles = cache;
    cfg = c;
  } else {
    auto c = std::make_shared<config::config>();
    c->processor.cache_profiles = cache;
    cfg = c;
  }
  config::holder holder(cfg);
  processor::processor proc(*log, holder, &clock);
  double s = drain(proc, *log, clock);
  const auto& st = proc.counters();
  std::printf(
      "| events | distinct users | cache (profiles) | traits | audiences | prefill s | processor s "
      "| events/s | profiles | merges | audience changes | RSS MB |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::printf("| %zu | %zu | %zu | %zu | %zu | %.1f | %.2f | %.0f | %llu | %llu | %llu | %ld |\n",
              events, users, cache, cfg->computed_traits.size(), cfg->audiences.size(), fill_s, s,
              events / s, static_cast<unsigned long long>(st.profiles_created.load()),
              static_cast<unsigned long long>(st.merges.load()),
              static_cast<unsigned long long>(st.audience_changes.load()), rss_mb());
  std::printf("\ncommits: %llu (%.0f events each on average)\n",
              static_cast<unsigned long long>(st.commits.load()),
              st.commits.load() ? static_cast<double>(events) / st.commits.load() : 0.0);
  const std::uint64_t synthesized = st.synthesized.load();
  // The synthesized Engage events it appended are processed too (they only touch the profile).
  double s2 = drain(proc, *log, clock);
  std::printf("\nsynthesized Engage events: %llu, processed afterwards in %.2f s\n",
              static_cast<unsigned long long>(synthesized), s2);

  if (burst > 0) {
    // Profiles that signed up 2 days minus 60 s ago, same second: all enter "Stuck at step 1"
    // in one second, 60 s from now.
    const millis due = (start / 1000 + 60) * 1000;
    for (std::size_t i = 0; i < burst; ++i) {
      std::string signed_up = iso(due - 2 * 86'400'000LL + static_cast<millis>(i % 1000));
      std::snprintf(
          buf, sizeof buf,
          R"({"type":"identify","userId":"burst-%zu","traits":{"email":"b%zu@example.com","signed_up_at":"%s"},"messageId":"b-%zu","timestamp":"%s"})",
          i, i, signed_up.c_str(), i, iso(start).c_str());
      bodies.emplace_back(buf);
      if (bodies.size() == 1000) append(*log, bodies, start);
    }
    if (!bodies.empty()) append(*log, bodies, start);
    drain(proc, *log, clock);
    const auto fired0 = st.timers_fired.load();
    const auto changes0 = st.audience_changes.load();
    const auto synth0 = st.synthesized.load();
    clock.set(due + 1000);
    // First until every timer has fired, its membership is committed and its synthesized events
    // are in the log; then until those events are processed too.
    double t_fired = drain(proc, *log, clock, [&] {
      return st.timers_fired.load() - fired0 >= burst && st.emits_in_flight.load() == 0;
    });
    double t_rest = drain(proc, *log, clock);
    std::printf(
        "\ntimer burst: %zu profiles due in the same second; %llu timers fired, %llu audience "
        "changes; all fired, committed and their events appended in %.2f s; the %llu appended "
        "events processed %.2f s later (%.2f s in all)\n",
        burst, static_cast<unsigned long long>(st.timers_fired.load() - fired0),
        static_cast<unsigned long long>(st.audience_changes.load() - changes0), t_fired,
        static_cast<unsigned long long>(st.synthesized.load() - synth0), t_rest, t_fired + t_rest);
  }
  std::printf("\nprocess RSS at the end: %ld MB\n", rss_mb());
  {
    const auto& h = log->state();
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator({}, h.profiles));
    std::size_t n = 0, bytes = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++n, bytes += it->value().size();
      if (getenv("BENCH_DUMP_ONE") && n == 100)
        std::printf("%s\n",
                    profile::to_json(*profile::decode(it->value().ToStringView())).dump().c_str());
    }
    std::printf("stored profile records: %zu, %.0f bytes each on average\n", n,
                n ? static_cast<double>(bytes) / n : 0.0);
  }
  proc.stop();
  log->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
