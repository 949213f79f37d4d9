// The `tributary` command line: serve, check-config, version.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tributary/config/config.h"
#include "tributary/server/server.h"

namespace {

constexpr const char* kUsage = R"(usage:
  tributary serve [--config FILE] [--ready-file FILE] [--log-level LEVEL] [--log-format text|json]
      Runs the server. Without --config it uses the embedded default (config/tributary.yaml).
  tributary check-config FILE
      Validates FILE; prints every problem as FILE:LINE:COL: message and exits 1 if any.
  tributary version
)";

int usage(int code) {
  std::fputs(kUsage, code == 0 ? stdout : stderr);
  return code;
}

int check_config(const std::string& file) {
  auto r = tributary::config::load_from_file(file);
  for (const auto& e : r.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
  for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (!r.errors.empty()) return 1;
  std::printf("%s: OK (%zu source%s)\n", file.c_str(), r.cfg->sources.size(),
              r.cfg->sources.size() == 1 ? "" : "s");
  return 0;
}

void setup_logging(const std::string& level, const std::string& format) {
  auto logger = spdlog::stderr_color_mt("tributary");
  if (format == "json")
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  else
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage(2);
  const std::string& cmd = args[0];
  if (cmd == "version" || cmd == "--version") {
    std::printf("tributary %s\n", TRIBUTARY_VERSION);
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") return usage(0);
  if (cmd == "check-config") {
    if (args.size() != 2) return usage(2);
    return check_config(args[1]);
  }
  if (cmd == "serve") {
    tributary::server::serve_options opts;
    std::string level = "info", format = "text";
    for (size_t i = 1; i < args.size(); ++i) {
      auto value = [&](const char* flag) -> const std::string* {
        if (args[i] != flag) return nullptr;
        if (i + 1 >= args.size()) {
          std::fprintf(stderr, "%s needs a value\n", flag);
          std::exit(2);
        }
        return &args[++i];
      };
      if (auto v = value("--config"))
        opts.config_path = *v;
      else if (auto v2 = value("--ready-file"))
        opts.ready_file = *v2;
      else if (auto v3 = value("--log-level"))
        level = *v3;
      else if (auto v4 = value("--log-format"))
        format = *v4;
      else {
        std::fprintf(stderr, "unknown option '%s'\n", args[i].c_str());
        return usage(2);
      }
    }
    setup_logging(level, format);
    return tributary::server::serve(opts);
  }
  std::fprintf(stderr, "unknown command '%s'\n", cmd.c_str());
  return usage(2);
}
