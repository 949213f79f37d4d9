// The `tributary` command line: serve, check-config, backup, restore, version.
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/backup_cli.h"
#include "app/eval_cli.h"
#include "tributary/config/config.h"
#include "tributary/server/server.h"

namespace {

constexpr const char* kUsage = R"(usage:
  tributary serve [--config FILE] [--ready-file FILE] [--log-level LEVEL] [--log-format text|json]
      Runs the server. Without --config it uses the embedded default (config/tributary.yaml).
  tributary check-config FILE
      Validates FILE; prints every problem as FILE:LINE:COL: message and exits 1 if any.
  tributary backup --config FILE --to DIR [--admin HOST:PORT] [--token TOKEN]
      Asks the running server (admin API from FILE) for an online backup into the new DIR.
  tributary restore --from DIR --config FILE [--force]
      Copies a backup into FILE's storage.path; the server must be stopped. --force replaces
      a non-empty storage.path.
  tributary eval 'EXPRESSION' < event.json
      Evaluates an FQL expression on the JSON event read from standard input and prints the
      result, or the error with its line and column (exit 1).
  tributary test-destination NAME [--config FILE] < event.json
      Event Tester: prints whether the event would reach destination NAME, why not, and the
      request it would get (without a profile, and without sending anything).
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

// JSON-escapes the log message, so `--log-format json` writes one valid object per line.
class json_message_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static const char kHex[] = "0123456789abcdef";
    for (char ch : std::string_view(msg.payload.data(), msg.payload.size())) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(ch);
      } else if (c < 0x20) {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        dest.append(esc, esc + 6);
      } else {
        dest.push_back(ch);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_message_flag>();
  }
};

// False (with a message) for an unknown level or format.
bool setup_logging(const std::string& level, const std::string& format) {
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), level) == std::end(kLevels)) {
    std::fprintf(stderr,
                 "--log-level: '%s' is not one of trace, debug, info, warn, error, critical, off\n",
                 level.c_str());
    return false;
  }
  if (format != "text" && format != "json") {
    std::fprintf(stderr, "--log-format: '%s' must be text or json\n", format.c_str());
    return false;
  }
  auto logger = spdlog::stderr_color_mt("tributary");
  if (format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<json_message_flag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
    logger->set_formatter(std::move(f));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
  return true;
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
  if (cmd == "backup") return tributary::app::backup_command(args);
  if (cmd == "eval") return tributary::app::eval_command(args);
  if (cmd == "test-destination") return tributary::app::test_destination_command(args);
  if (cmd == "restore") return tributary::app::restore_command(args);
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
    if (!setup_logging(level, format)) return 2;
    return tributary::server::serve(opts);
  }
  std::fprintf(stderr, "unknown command '%s'\n", cmd.c_str());
  return usage(2);
}
