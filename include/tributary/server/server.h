#pragma once
//! Wires the subsystems into one running server process.
#include <string>

namespace tributary::server {

struct serve_options {
  std::string config_path;  //!< empty: the embedded default
  std::string ready_file;   //!< when set, {"listen":PORT,"admin":PORT} is written here once serving
};

//! Runs until SIGINT/SIGTERM. Returns the process exit code.
int serve(const serve_options& opts);

}  // namespace tributary::server
