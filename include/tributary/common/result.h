#pragma once
//! A value or an error, for the request path where exceptions are not used.
#include <string>
#include <utility>
#include <variant>

namespace tributary {

//! An error with a stable machine-readable code and a human message.
struct error {
  std::string code;
  std::string message;
};

//! Either a T or an error; check with ok() before value().
template <class T>
class [[nodiscard]] result {
 public:
  result(T v) : v_(std::move(v)) {}
  result(error e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

}  // namespace tributary
