#pragma once
//! Helpers shared by the unit tests: a temporary directory and a gzip compressor.
#include <zlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "tributary/common/codec.h"
#include "tributary/eventlog/event_log.h"

namespace tributary::test_support {

//! A unique directory under the system temp dir for one test, removed with its contents after.
class temp_dir {
 public:
  temp_dir()
      : path_(std::filesystem::temp_directory_path() / ("tributary-unit-" + random_hex16())) {
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

//! Deflates `in` with zlib: window_bits 15 + 16 writes a gzip member, 15 a zlib stream.
inline std::string deflate_with(std::string_view in, int window_bits) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

//! A gzip member holding `in`, as an SDK that gzips its body sends it.
inline std::string gzip(std::string_view in) {
  return deflate_with(in, 15 + 16);
}

//! An event log in `dir` on `clock`, without fsync and without the free-disk check; null if it
//! cannot be opened.
inline std::unique_ptr<eventlog::event_log> open_test_log(const temp_dir& dir,
                                                          const clock_source& clock) {
  eventlog::options o;
  o.path = dir.str();
  o.sync = false;
  o.min_free_bytes = 0;
  o.clock = &clock;
  auto r = eventlog::event_log::open(o);
  return r.ok() ? std::move(r).value() : nullptr;
}

}  // namespace tributary::test_support
