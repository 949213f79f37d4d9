#include "tributary/config/file_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "tributary/common/thread.h"

namespace tributary::config {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr std::uint32_t kMask =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;

}  // namespace

file_watcher::file_watcher(std::string path, std::chrono::milliseconds debounce,
                           std::function<void()> on_change)
    : path_(std::move(path)), debounce_(debounce), on_change_(std::move(on_change)) {}

result<std::unique_ptr<file_watcher>> file_watcher::start(std::string path,
                                                          std::chrono::milliseconds debounce,
                                                          std::function<void()> on_change) {
  std::unique_ptr<file_watcher> w(
      new file_watcher(std::move(path), debounce, std::move(on_change)));
  std::filesystem::path p = std::filesystem::absolute(w->path_);
  w->basename_ = p.filename().string();
  std::string dir = p.parent_path().string();
  w->inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  w->stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->inotify_fd_ < 0 || w->stop_fd_ < 0)
    return error{"watch_failed", std::string("inotify: ") + std::strerror(errno)};
  if (inotify_add_watch(w->inotify_fd_, dir.c_str(), kMask) < 0)
    return error{"watch_failed", "cannot watch " + dir + ": " + std::strerror(errno)};
  w->last_seen_ = read_all(w->path_);
  w->thread_ = std::thread([raw = w.get()] {
    name_this_thread("config-watch");
    raw->run();
  });
  return w;
}

file_watcher::~file_watcher() {
  if (thread_.joinable()) {
    std::uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

bool file_watcher::relevant(const char* name) const {
  // The file itself, or Kubernetes' `..data` symlink that a ConfigMap update swaps.
  return basename_ == name || std::strcmp(name, "..data") == 0;
}

void file_watcher::run() {
  using clock = std::chrono::steady_clock;
  std::optional<clock::time_point> due;  // set while a change waits out the debounce
  alignas(inotify_event) char buf[8192];
  for (;;) {
    int timeout = -1;
    if (due) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*due - clock::now());
      timeout = static_cast<int>(std::max<long long>(0, left.count()));
    }
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int n = poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (n > 0 && fds[0].revents) {
      ssize_t len;
      while ((len = read(inotify_fd_, buf, sizeof buf)) > 0) {
        for (char* p = buf; p < buf + len;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          if (ev->mask & IN_IGNORED) return;  // the directory itself went away
          if (ev->len > 0 && relevant(ev->name)) due = clock::now() + debounce_;
          p += sizeof(inotify_event) + ev->len;
        }
      }
      continue;
    }
    if (due && clock::now() >= *due) {
      due.reset();
      std::string now = read_all(path_);
      if (now == last_seen_) continue;  // touched, or rewritten with the same bytes
      last_seen_ = std::move(now);
      on_change_();
    }
  }
}

}  // namespace tributary::config
