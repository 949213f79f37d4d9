#pragma once
//! The current configuration snapshot, swapped atomically on reload.
#include <memory>
#include <mutex>
#include <string>

#include "tributary/config/config.h"

namespace tributary::config {

//! Shared by every thread; readers take a snapshot and use it for one whole request.
class holder {
 public:
  explicit holder(std::shared_ptr<const config> c) : current_(std::move(c)) {}
  std::shared_ptr<const config> get() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  void set(std::shared_ptr<const config> c) {
    std::lock_guard lock(mu_);
    current_ = std::move(c);
  }
  //! The errors of the last failed reload ("" after a good one).
  std::string last_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
  }
  void set_last_error(std::string e) {
    std::lock_guard lock(mu_);
    last_error_ = std::move(e);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const config> current_;
  std::string last_error_;
};

}  // namespace tributary::config
