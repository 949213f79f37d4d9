#pragma once
//! Notices changes of the configuration file, for reload without a signal (Linux inotify).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "tributary/common/result.h"

namespace tributary::config {

//! Watches one file through inotify on its directory, so that editors and tools that replace the
//! file by rename (vim, `mv`, Kubernetes ConfigMap `..data` symlink swaps) are seen as well as
//! in-place writes. Once the directory has been quiet for `debounce` after a change, and the
//! file's bytes differ from the last ones seen, `on_change` runs on the watcher's own thread.
//! Owned by the server wiring; the destructor stops and joins the thread.
class file_watcher {
 public:
  //! Starts watching; an error when inotify cannot be set up (the caller logs it; SIGHUP and
  //! POST /admin/v1/reload still work).
  static result<std::unique_ptr<file_watcher>> start(std::string path,
                                                     std::chrono::milliseconds debounce,
                                                     std::function<void()> on_change);
  ~file_watcher();
  file_watcher(const file_watcher&) = delete;
  file_watcher& operator=(const file_watcher&) = delete;

 private:
  file_watcher(std::string path, std::chrono::milliseconds debounce,
               std::function<void()> on_change);
  void run();
  bool relevant(const char* name) const;

  std::string path_;
  std::string basename_;
  std::chrono::milliseconds debounce_;
  std::function<void()> on_change_;
  std::string last_seen_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;  // eventfd written by the destructor
  std::thread thread_;
};

}  // namespace tributary::config
