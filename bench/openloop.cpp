// Open-loop HTTP load generator for the latency scenario of bench/run.sh, and an fsync probe.
//
//   openloop load --port P --rate R --duration S [--connections C] [--warmup S] [--path /v1/track]
//                 [--auth "Basic ..."] [--tag RUN] [--batch N] [--method GET|POST]
//   openloop fsync DIR [COUNT] [BYTES]
//
// load: request i is *scheduled* at t0 + i/R, whatever happened before (open loop, like wrk2).
// It goes out on an idle keep-alive connection; when none is idle it waits in a queue. Latency is
// measured from the scheduled time to the end of the response, so a server stall is charged to
// every request that should have been sent during it (no coordinated omission). The latency from
// the actual send is reported too. Every message has a distinct messageId and userId; with --batch
// N a request carries N of them in {"batch":[...]} (the rate stays in requests per second). With
// --method GET every request is the same GET of --path (e.g. a Profile API read). Prints
// one line: "OPENLOOP key=value ...". Only 127.0.0.1 is used.
//
// fsync: appends BYTES (default 4096) to a file and fdatasync()s it COUNT times (default 300), as
// RocksDB's WAL does on a synced write; prints "FSYNC p50_us=.. p99_us=.. mean_us=..".
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

using clk = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clk::now().time_since_epoch())
      .count();
}

struct conn {
  int fd = -1;
  bool busy = false;
  std::int64_t scheduled = 0, sent = 0;
  std::string out;  // unsent bytes of the current request
  std::string in;   // received bytes of the current response
};

struct options {
  int port = 0;
  double rate = 1000;
  double duration = 10;
  double warmup = 1;
  int connections = 64;
  std::string path = "/v1/track";
  std::string auth;
  std::string tag = "ol";
  int batch = 0;     // > 0: send {"batch":[...]} with this many messages per request
  bool get = false;  // --method GET: the same request for --path every time, without a body
};

std::uint64_t pct(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    perror("connect");
    std::exit(1);
  }
  return fd;
}

// -1: incomplete; otherwise the status code (the response is complete).
int parse_response(const std::string& in) {
  auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return -1;
  int status = in.size() > 12 ? std::atoi(in.c_str() + 9) : 0;
  size_t len = 0;
  for (size_t p = in.find("\r\n"); p < end; p = in.find("\r\n", p + 2)) {
    if (strncasecmp(in.c_str() + p + 2, "content-length:", 15) == 0)
      len = std::strtoul(in.c_str() + p + 17, nullptr, 10);
  }
  return in.size() >= end + 4 + len ? status : -1;
}

int run_load(const options& o) {
  int ep = epoll_create1(0);
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

  std::vector<conn> conns(o.connections);
  std::vector<int> idle;
  for (int i = 0; i < o.connections; ++i) {
    conns[i].fd = connect_to(o.port);
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = static_cast<std::uint64_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    idle.push_back(i);
  }

  std::uint64_t counter = 0;
  auto make_message = [&]() {
    ++counter;
    std::string id = o.tag + "-" + std::to_string(counter);
    return "{\"userId\":\"user-" + id +
           "\",\"event\":\"Order Completed\",\"properties\":{\"orderId\":\"o-" +
           std::to_string(counter) +
           "\",\"revenue\":42.5,\"currency\":\"USD\",\"products\":[{\"sku\":\"sku-1\",\"price\":19."
           "99,\"quantity\":2}]},"
           "\"context\":{\"library\":{\"name\":\"analytics-node\",\"version\":\"6.2.0\"},\"page\":{"
           "\"path\":\"/checkout\"}},"
           "\"timestamp\":\"2024-05-01T12:00:00.000Z\",\"messageId\":\"m-" +
           id + "\"" + (o.batch > 0 ? ",\"type\":\"track\"}" : "}");
  };
  auto make_request = [&]() {
    if (o.get) {
      std::string r = "GET " + o.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
      if (!o.auth.empty()) r += "Authorization: " + o.auth + "\r\n";
      return r + "\r\n";
    }
    std::string body;
    if (o.batch <= 0) {
      body = make_message();
    } else {
      body = "{\"batch\":[";
      for (int i = 0; i < o.batch; ++i) body += (i ? "," : "") + make_message();
      body += "]}";
    }
    std::string r =
        "POST " + o.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    if (!o.auth.empty()) r += "Authorization: " + o.auth + "\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return r;
  };

  const std::int64_t interval = static_cast<std::int64_t>(1e9 / o.rate);
  const std::int64_t t0 = now_ns() + 20'000'000;  // let the connections establish
  const std::int64_t measure_from = t0 + static_cast<std::int64_t>(o.warmup * 1e9);
  const std::int64_t stop_at = t0 + static_cast<std::int64_t>((o.warmup + o.duration) * 1e9);
  std::int64_t next = t0;
  std::deque<std::int64_t> backlog;  // scheduled times waiting for a connection
  std::vector<std::uint32_t> lat_sched, lat_sent;
  lat_sched.reserve(static_cast<size_t>(o.rate * o.duration) + 16);
  lat_sent.reserve(lat_sched.capacity());
  std::uint64_t scheduled = 0, completed = 0, ok = 0, non200 = 0, errors = 0, max_backlog = 0,
                idle_closed = 0;

  auto flush = [&](int i) -> bool {
    conn& c = conns[i];
    while (!c.out.empty()) {
      ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      return false;
    }
    return true;
  };
  auto start_on = [&](int i, std::int64_t sched) {
    conn& c = conns[i];
    c.busy = true;
    c.scheduled = sched;
    c.sent = now_ns();
    c.out = make_request();
    c.in.clear();
    if (!flush(i)) ++errors;
  };
  auto arm = [&](std::int64_t at) {
    itimerspec ts{};
    ts.it_value.tv_sec = at / 1'000'000'000;
    ts.it_value.tv_nsec = at % 1'000'000'000;
    if (ts.it_value.tv_sec == 0 && ts.it_value.tv_nsec == 0) ts.it_value.tv_nsec = 1;
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &ts, nullptr);
  };
  // CLOCK_MONOTONIC and steady_clock share an epoch on Linux.
  arm(next);

  std::int64_t drain_deadline = 0;
  epoll_event events[256];
  for (;;) {
    std::int64_t now = now_ns();
    while (!backlog.empty() && !idle.empty()) {  // only after a reconnect
      int i = idle.back();
      idle.pop_back();
      start_on(i, backlog.front());
      backlog.pop_front();
    }
    if (now < stop_at) {
      while (next <= now) {
        ++scheduled;
        if (!idle.empty()) {
          int i = idle.back();
          idle.pop_back();
          start_on(i, next);
        } else {
          backlog.push_back(next);
          max_backlog = std::max<std::uint64_t>(max_backlog, backlog.size());
        }
        next += interval;
      }
      arm(std::min(next, stop_at));
    } else {
      if (!drain_deadline) drain_deadline = now + 3'000'000'000LL;
      bool busy = !backlog.empty();
      for (auto& c : conns) busy = busy || c.busy;
      if (!busy || now > drain_deadline) break;
      arm(now + 5'000'000);
    }
    int n = epoll_wait(ep, events, 256, 100);
    for (int k = 0; k < n; ++k) {
      if (events[k].data.u64 == UINT64_MAX) {
        std::uint64_t x;
        while (read(tfd, &x, sizeof x) > 0) {
        }
        continue;
      }
      int i = static_cast<int>(events[k].data.u64);
      conn& c = conns[i];
      if ((events[k].events & EPOLLOUT) && !c.out.empty() && !flush(i)) ++errors;
      if (!(events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      char buf[16384];
      for (;;) {
        ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
        if (r > 0) {
          c.in.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          // Connection lost: an error if a request was out on it; an idle one closed by the
          // server (its keep-alive timeout) is only counted. Either way, reconnect.
          bool was_busy = c.busy;
          ++(was_busy ? errors : idle_closed);
          epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
          close(c.fd);
          c = conn{};
          c.fd = connect_to(o.port);
          ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
          ev.data.u64 = static_cast<std::uint64_t>(i);
          epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
          if (was_busy) idle.push_back(i);  // an idle one is in `idle` already
        }
        break;
      }
      if (!c.busy) continue;
      int status = parse_response(c.in);
      if (status < 0) continue;
      std::int64_t done = now_ns();
      ++completed;
      status == 200 ? ++ok : ++non200;
      if (c.scheduled >= measure_from) {
        lat_sched.push_back(static_cast<std::uint32_t>((done - c.scheduled) / 1000));
        lat_sent.push_back(static_cast<std::uint32_t>((done - c.sent) / 1000));
      }
      c.busy = false;
      c.in.clear();
      if (!backlog.empty()) {
        std::int64_t s = backlog.front();
        backlog.pop_front();
        start_on(i, s);
      } else {
        idle.push_back(i);
      }
    }
  }
  std::sort(lat_sched.begin(), lat_sched.end());
  std::sort(lat_sent.begin(), lat_sent.end());
  std::printf(
      "OPENLOOP target_rate=%.0f measured_requests=%zu achieved_rate=%.1f scheduled=%llu "
      "completed=%llu ok=%llu "
      "non200=%llu errors=%llu idle_closed=%llu max_backlog=%llu p50_us=%llu p90_us=%llu "
      "p99_us=%llu p999_us=%llu "
      "max_us=%llu "
      "sent_p50_us=%llu sent_p99_us=%llu\n",
      o.rate, lat_sched.size(), lat_sched.size() / o.duration, (unsigned long long)scheduled,
      (unsigned long long)completed, (unsigned long long)ok, (unsigned long long)non200,
      (unsigned long long)errors, (unsigned long long)idle_closed, (unsigned long long)max_backlog,
      (unsigned long long)pct(lat_sched, 50), (unsigned long long)pct(lat_sched, 90),
      (unsigned long long)pct(lat_sched, 99), (unsigned long long)pct(lat_sched, 99.9),
      (unsigned long long)(lat_sched.empty() ? 0 : lat_sched.back()),
      (unsigned long long)pct(lat_sent, 50), (unsigned long long)pct(lat_sent, 99));
  for (auto& c : conns) close(c.fd);
  return 0;
}

int run_fsync(const std::string& dir, int count, size_t bytes) {
  std::string path = dir + "/fsync-probe.bin";
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_APPEND | O_TRUNC, 0600);
  if (fd < 0) {
    perror("open");
    return 1;
  }
  std::string block(bytes, 'x');
  std::vector<std::uint32_t> us;
  double sum = 0;
  for (int i = 0; i < count; ++i) {
    auto t = now_ns();
    if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size()) ||
        fdatasync(fd) != 0) {
      perror("write/fdatasync");
      return 1;
    }
    auto d = static_cast<std::uint32_t>((now_ns() - t) / 1000);
    us.push_back(d);
    sum += d;
  }
  close(fd);
  unlink(path.c_str());
  std::sort(us.begin(), us.end());
  std::printf("FSYNC count=%d bytes=%zu p50_us=%llu p99_us=%llu mean_us=%.0f max_us=%u\n", count,
              bytes, (unsigned long long)pct(us, 50), (unsigned long long)pct(us, 99), sum / count,
              us.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "fsync")
    return run_fsync(argv[2], argc > 3 ? std::atoi(argv[3]) : 300,
                     argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 4096);
  if (argc < 2 || std::string(argv[1]) != "load") {
    std::fprintf(
        stderr,
        "usage: openloop load --port P --rate R --duration S [--connections C] [--warmup S] "
        "[--path P] [--auth A] [--tag T] [--batch N] [--method GET|POST]\n       openloop fsync "
        "DIR [COUNT] [BYTES]\n");
    return 2;
  }
  options o;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      o.port = std::atoi(v.c_str());
    else if (k == "--rate")
      o.rate = std::atof(v.c_str());
    else if (k == "--duration")
      o.duration = std::atof(v.c_str());
    else if (k == "--warmup")
      o.warmup = std::atof(v.c_str());
    else if (k == "--connections")
      o.connections = std::atoi(v.c_str());
    else if (k == "--path")
      o.path = v;
    else if (k == "--auth")
      o.auth = v;
    else if (k == "--tag")
      o.tag = v;
    else if (k == "--batch")
      o.batch = std::atoi(v.c_str());
    else if (k == "--method" && (v == "GET" || v == "POST"))
      o.get = v == "GET";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.port <= 0 || o.rate <= 0 || o.duration <= 0 || o.connections <= 0) {
    std::fprintf(stderr, "--port, --rate, --duration and --connections must be positive\n");
    return 2;
  }
  return run_load(o);
}
