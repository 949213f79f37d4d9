// Loading tributary.yaml (config/config.h): every section, defaults, ${VAR} substitution, and
// precise FILE:LINE:COL errors for everything an admin can get wrong.
#include "tributary/config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config_util.h"

namespace tributary::config {
namespace {

constexpr const char* kFile = "test.yaml";
constexpr const char* kSources = "sources:\n  web:\n    write_keys: [web-key]\n";

load_result load(const std::string& text) {
  return load_from_string(text, kFile);
}

using test_util::dump;
using test_util::ok;

// True when some error sits at line:col and its message contains `needle`.
::testing::AssertionResult has_error(const load_result& r, int line, int col,
                                     const std::string& needle) {
  for (const auto& e : r.errors)
    if (e.line == line && e.column == col && e.message.find(needle) != std::string::npos) {
      if (e.file != kFile) return ::testing::AssertionFailure() << "wrong file: " << e.file;
      return ::testing::AssertionSuccess();
    }
  return ::testing::AssertionFailure()
         << "no error at " << line << ":" << col << " containing '" << needle << "'; got:\n"
         << dump(r);
}

// Sets an environment variable for one test and restores the previous state afterwards.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~scoped_env() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// ---- whole-file behaviour ----

TEST(ConfigLoad, MinimalFileGetsEveryDefault) {
  auto r = load(kSources);
  const auto& c = ok(r);
  ASSERT_TRUE(r.cfg);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(c.server.listen.host, "0.0.0.0");
  EXPECT_EQ(c.server.listen.port, 8088);
  EXPECT_EQ(c.server.admin_listen.host, "127.0.0.1");
  EXPECT_EQ(c.server.admin_listen.port, 8089);
  EXPECT_EQ(c.server.io_threads, 0);
  EXPECT_FALSE(c.server.tls.has_value());
  EXPECT_EQ(c.server.limit.message_bytes, 32u * 1024);
  EXPECT_EQ(c.server.limit.batch_bytes, 500u * 1024);
  EXPECT_EQ(c.server.limit.batch_messages, 2500u);
  EXPECT_EQ(c.server.request_timeout, 30'000);
  EXPECT_EQ(c.server.shutdown_timeout, 10'000);
  EXPECT_EQ(c.storage.path, "./data");
  EXPECT_TRUE(c.storage.sync_always);
  EXPECT_EQ(c.storage.retention, 0);
  EXPECT_EQ(c.storage.dedupe_window, 24LL * 3600 * 1000);
  EXPECT_EQ(c.storage.min_free_bytes, 256ull << 20);
  EXPECT_EQ(c.storage.max_pending_bytes, 64ull << 20);
  EXPECT_TRUE(c.admin.tokens.empty());
  EXPECT_EQ(c.admin.space, "default");
  EXPECT_EQ(c.file, kFile);
}

TEST(ConfigLoad, FingerprintIsSixteenHexCharsOfTheText) {
  auto a = load(kSources);
  auto b = load(kSources);
  auto c = load(std::string(kSources) + "# a comment changes the text\n");
  ASSERT_TRUE(a.cfg && b.cfg && c.cfg);
  EXPECT_EQ(a.cfg->fingerprint.size(), 16u);
  EXPECT_EQ(a.cfg->fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a.cfg->fingerprint, b.cfg->fingerprint);
  EXPECT_NE(a.cfg->fingerprint, c.cfg->fingerprint);
}

TEST(ConfigLoad, EmptyFileIsAnErrorAtTheStart) {
  for (const char* text : {"", "\n\n", "# only a comment\n"}) {
    auto r = load(text);
    EXPECT_FALSE(r.cfg);
    ASSERT_EQ(r.errors.size(), 1u) << dump(r);
    EXPECT_TRUE(has_error(r, 1, 1, "empty"));
  }
}

TEST(ConfigLoad, TopLevelMustBeAMapping) {
  auto r = load("- server\n- storage\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 1, 1, "the top level must be a mapping"));
}

TEST(ConfigLoad, YamlSyntaxErrorHasItsPosition) {
  auto r = load("sources:\n  web: {write_keys: [a]}\nserver: a: b\n");
  EXPECT_FALSE(r.cfg);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].file, kFile);
  EXPECT_EQ(r.errors[0].line, 3);
  EXPECT_EQ(r.errors[0].column, 10);
  EXPECT_NE(r.errors[0].message.find("illegal map value"), std::string::npos);
}

TEST(ConfigLoad, UnclosedFlowSequenceIsASyntaxError) {
  auto r = load("sources:\n  web:\n    write_keys: [a, b\nstorage: {}\n");
  EXPECT_FALSE(r.cfg);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_GE(r.errors[0].line, 3);
  EXPECT_GE(r.errors[0].column, 1);
}

TEST(ConfigLoad, MissingSourcesIsAnError) {
  auto r = load("storage:\n  path: /tmp/x\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 1, 1, "no 'sources'"));
}

TEST(ConfigLoad, ErrorToStringIsFileLineColMessage) {
  config_error e{"/etc/tributary.yaml", 12, 5, "unknown key 'x'"};
  EXPECT_EQ(e.to_string(), "/etc/tributary.yaml:12:5: unknown key 'x'");
}

TEST(ConfigLoad, LoadedErrorsFormatWithTheFileName) {
  auto r = load_from_string("bogus: 1\n" + std::string(kSources), "conf/prod.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string().substr(0, 20), "conf/prod.yaml:1:1: ");
}

// ---- server ----

TEST(ConfigServer, EveryKey) {
  auto r = load(std::string(kSources) + R"(
server:
  listen: "127.0.0.1:9000"
  admin_listen: "[::1]:0"
  io_threads: 4
  tls: {cert: /etc/t/crt.pem, key: /etc/t/key.pem}
  limits: {message_bytes: 16KB, batch_bytes: 1MB, batch_messages: 100}
  request_timeout: 5s
  shutdown_timeout: 500ms
)");
  const auto& c = ok(r);
  EXPECT_EQ(c.server.listen.host, "127.0.0.1");
  EXPECT_EQ(c.server.listen.port, 9000);
  EXPECT_EQ(c.server.admin_listen.host, "::1");
  EXPECT_EQ(c.server.admin_listen.port, 0);
  EXPECT_EQ(c.server.io_threads, 4);
  ASSERT_TRUE(c.server.tls.has_value());
  EXPECT_EQ(c.server.tls->cert, "/etc/t/crt.pem");
  EXPECT_EQ(c.server.tls->key, "/etc/t/key.pem");
  EXPECT_EQ(c.server.limit.message_bytes, 16u * 1024);
  EXPECT_EQ(c.server.limit.batch_bytes, 1024u * 1024);
  EXPECT_EQ(c.server.limit.batch_messages, 100u);
  EXPECT_EQ(c.server.request_timeout, 5000);
  EXPECT_EQ(c.server.shutdown_timeout, 500);
}

TEST(ConfigServer, PartialLimitsKeepOtherDefaults) {
  auto r = load(std::string(kSources) + "server:\n  limits: {batch_messages: 10}\n");
  const auto& c = ok(r);
  EXPECT_EQ(c.server.limit.batch_messages, 10u);
  EXPECT_EQ(c.server.limit.message_bytes, 32u * 1024);
  EXPECT_EQ(c.server.limit.batch_bytes, 500u * 1024);
}

TEST(ConfigServer, BadPorts) {
  auto r = load(std::string(kSources) +
                "server:\n"
                "  listen: \"0.0.0.0:99999\"\n"
                "  admin_listen: localhost\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 5, 11, "server.listen: '0.0.0.0:99999' has an invalid port"));
  EXPECT_TRUE(has_error(r, 6, 17, "server.admin_listen: 'localhost' must be HOST:PORT"));
}

TEST(ConfigServer, NonNumericAndNegativePorts) {
  for (const char* addr : {"0.0.0.0:http", "0.0.0.0:-1", "0.0.0.0:80x", "0.0.0.0:"}) {
    auto r = load(std::string(kSources) + "server:\n  listen: \"" + addr + "\"\n");
    EXPECT_TRUE(has_error(r, 5, 11, "invalid port")) << addr;
  }
}

TEST(ConfigServer, IoThreadsRange) {
  EXPECT_EQ(ok(load(std::string(kSources) + "server: {io_threads: 256}\n")).server.io_threads, 256);
  auto r = load(std::string(kSources) + "server:\n  io_threads: 257\n");
  EXPECT_TRUE(has_error(r, 5, 15, "server.io_threads: '257' is not an integer between 0 and 256"));
  r = load(std::string(kSources) + "server:\n  io_threads: many\n");
  EXPECT_TRUE(has_error(r, 5, 15, "server.io_threads: 'many'"));
}

TEST(ConfigServer, TlsNeedsCertAndKey) {
  auto r = load(std::string(kSources) + "server:\n  tls: {cert: /a.pem}\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 5, 8, "server.tls needs both cert and key"));
}

TEST(ConfigServer, BadSizesAndLimits) {
  auto r = load(std::string(kSources) +
                "server:\n"
                "  limits:\n"
                "    message_bytes: lots\n"
                "    batch_bytes: 1TB\n"
                "    batch_messages: 0\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_EQ(r.errors.size(), 3u) << dump(r);
  EXPECT_TRUE(has_error(r, 6, 20, "server.limits.message_bytes: 'lots' is not a size"));
  EXPECT_TRUE(has_error(r, 7, 18, "server.limits.batch_bytes: '1TB' is not a size"));
  EXPECT_TRUE(has_error(r, 8, 21, "server.limits.batch_messages: '0'"));
}

TEST(ConfigServer, MessageLimitMustNotExceedBatchLimit) {
  auto r =
      load(std::string(kSources) + "server:\n  limits: {message_bytes: 1MB, batch_bytes: 64KB}\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 5, 11, "message_bytes must not exceed batch_bytes"));
}

TEST(ConfigServer, BadDurations) {
  auto r = load(std::string(kSources) +
                "server:\n"
                "  request_timeout: soon\n"
                "  shutdown_timeout: 10\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 5, 20, "server.request_timeout: 'soon' is not a duration"));
  EXPECT_TRUE(has_error(r, 6, 21, "server.shutdown_timeout: '10' is not a duration"));
}

TEST(ConfigServer, ScalarExpectedButListGiven) {
  auto r = load(std::string(kSources) + "server:\n  listen: [a, b]\n");
  EXPECT_TRUE(has_error(r, 5, 11, "server.listen must be a single value"));
}

TEST(ConfigServer, SectionMustBeAMapping) {
  auto r = load(std::string(kSources) + "server: 8088\n");
  EXPECT_TRUE(has_error(r, 4, 9, "server must be a mapping"));
}

// ---- storage ----

TEST(ConfigStorage, EveryKey) {
  auto r = load(std::string(kSources) + R"(
storage:
  path: /var/lib/tributary
  sync: never
  retention: 400d
  dedupe_window: 1h
  min_free_bytes: 1GB
  max_pending_bytes: 8MB
)");
  const auto& c = ok(r);
  EXPECT_EQ(c.storage.path, "/var/lib/tributary");
  EXPECT_FALSE(c.storage.sync_always);
  EXPECT_EQ(c.storage.retention, 400LL * 86'400'000);
  EXPECT_EQ(c.storage.dedupe_window, 3'600'000);
  EXPECT_EQ(c.storage.min_free_bytes, 1ull << 30);
  EXPECT_EQ(c.storage.max_pending_bytes, 8ull << 20);
}

TEST(ConfigStorage, SyncAlways) {
  EXPECT_TRUE(ok(load(std::string(kSources) + "storage: {sync: always}\n")).storage.sync_always);
}

TEST(ConfigStorage, SyncMustBeAlwaysOrNever) {
  for (const char* v : {"sometimes", "true", "Always", "yes"}) {
    auto r = load(std::string(kSources) + "storage:\n  sync: " + v + "\n");
    EXPECT_FALSE(r.cfg) << v;
    EXPECT_TRUE(has_error(r, 5, 9, "must be 'always' or 'never'")) << v;
  }
}

TEST(ConfigStorage, RetentionZeroMeansForever) {
  EXPECT_EQ(ok(load(std::string(kSources) + "storage: {retention: 0}\n")).storage.retention, 0);
}

TEST(ConfigStorage, BadValues) {
  auto r = load(std::string(kSources) +
                "storage:\n"
                "  path: \"\"\n"
                "  retention: -1d\n"
                "  dedupe_window: 24 hours\n"
                "  min_free_bytes: 1PB\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 5, 9, "storage.path must not be empty"));
  EXPECT_TRUE(has_error(r, 6, 14, "storage.retention: '-1d' is not a duration"));
  EXPECT_TRUE(has_error(r, 7, 18, "storage.dedupe_window: '24 hours' is not a duration"));
  EXPECT_TRUE(has_error(r, 8, 19, "storage.min_free_bytes: '1PB' is not a size"));
}

// ---- admin ----

TEST(ConfigAdmin, EveryKey) {
  auto r = load(std::string(kSources) + "admin:\n  tokens: [t1, t2]\n  space: prod\n");
  const auto& c = ok(r);
  EXPECT_EQ(c.admin.tokens, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(c.admin.space, "prod");
}

TEST(ConfigAdmin, EmptyTokenIsAnError) {
  auto r = load(std::string(kSources) + "admin:\n  tokens: [good, \"\"]\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 5, 18, "a token must not be empty"));
}

TEST(ConfigAdmin, TokensMustBeAList) {
  auto r = load(std::string(kSources) + "admin:\n  tokens: secret\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 5, 11, "admin.tokens must be a list"));
}

// ---- sources ----

TEST(ConfigSources, SeveralSourcesAndWriteKeys) {
  auto r = load(
      "sources:\n"
      "  web:\n"
      "    write_keys: [w1, w2]\n"
      "  backend: {write_keys: [b1], tracking_plan: off}\n"
      "  ios: {write_keys: [i1], tracking_plan: enforce}\n");
  const auto& c = ok(r);
  ASSERT_EQ(c.sources.size(), 3u);
  EXPECT_EQ(c.sources[0].name, "web");
  EXPECT_EQ(c.sources[0].write_keys, (std::vector<std::string>{"w1", "w2"}));
  EXPECT_EQ(c.sources[1].name, "backend");
  EXPECT_EQ(c.sources[2].name, "ios");
  ASSERT_NE(c.source_for("w1"), nullptr);
  EXPECT_EQ(*c.source_for("w1"), "web");
  EXPECT_EQ(*c.source_for("w2"), "web");
  EXPECT_EQ(*c.source_for("b1"), "backend");
  EXPECT_EQ(*c.source_for("i1"), "ios");
  EXPECT_EQ(c.source_for("nope"), nullptr);
  EXPECT_EQ(c.source_for(""), nullptr);
}

TEST(ConfigSources, DuplicateWriteKeyAcrossSources) {
  auto r = load(
      "sources:\n"
      "  web: {write_keys: [shared]}\n"
      "  backend: {write_keys: [own, shared]}\n");
  EXPECT_FALSE(r.cfg);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_TRUE(
      has_error(r, 3, 31, "sources.backend.write_keys: this key is already used by source 'web'"));
}

TEST(ConfigSources, EmptySourcesIsAnError) {
  auto r = load("sources: {}\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 1, 10, "at least one source"));
}

TEST(ConfigSources, SourcesMustBeAMapping) {
  auto r = load("sources: [web]\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 1, 10, "sources must be a mapping"));
}

TEST(ConfigSources, SourceNeedsWriteKeys) {
  auto r = load("sources:\n  web: {}\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 2, 3, "sources.web needs write_keys"));
}

TEST(ConfigSources, EmptyWriteKeyIsAnError) {
  auto r = load("sources:\n  web: {write_keys: [\"\"]}\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 2, 22, "a write key must not be empty"));
}

TEST(ConfigSources, TrackingPlanModeMustBeOffOrEnforce) {
  auto r = load("sources:\n  web: {write_keys: [k], tracking_plan: maybe}\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 2, 41, "sources.web.tracking_plan: 'maybe' must be 'off' or 'enforce'"));
}

TEST(ConfigSources, SourceMustBeAMapping) {
  auto r = load("sources:\n  web: [k]\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 2, 8, "sources.web must be a mapping"));
}

// ---- unknown and duplicate keys ----

TEST(ConfigKeys, UnknownTopLevelKey) {
  auto r = load(std::string(kSources) + "sevrer:\n  listen: \"0.0.0.0:1\"\n");
  EXPECT_FALSE(r.cfg);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_TRUE(has_error(r, 4, 1, "unknown key 'sevrer' in the top level"));
  EXPECT_NE(r.errors[0].message.find("server"), std::string::npos) << "lists the allowed keys";
}

TEST(ConfigKeys, UnknownKeysAtEveryDepth) {
  auto r = load(
      "server:\n"
      "  lisen: \"0.0.0.0:1\"\n"
      "  limits: {message_bytes: 1KB, batch_byte: 2KB}\n"
      "  tls:\n"
      "    cert: a\n"
      "    key: b\n"
      "    ca: c\n"
      "storage:\n"
      "  retension: 1d\n"
      "admin:\n"
      "  token: [x]\n"
      "sources:\n"
      "  web:\n"
      "    write_keys: [k]\n"
      "    writekeys: [k2]\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_EQ(r.errors.size(), 6u) << dump(r);
  EXPECT_TRUE(has_error(r, 2, 3, "unknown key 'lisen' in server"));
  EXPECT_TRUE(has_error(r, 3, 32, "unknown key 'batch_byte' in server.limits"));
  EXPECT_TRUE(has_error(r, 7, 5, "unknown key 'ca' in server.tls"));
  EXPECT_TRUE(has_error(r, 9, 3, "unknown key 'retension' in storage"));
  EXPECT_TRUE(has_error(r, 11, 3, "unknown key 'token' in admin"));
  EXPECT_TRUE(has_error(r, 15, 5, "unknown key 'writekeys' in sources.web"));
}

TEST(ConfigKeys, ErrorsOfDifferentKindsAreAllCollected) {
  auto r = load(
      "server:\n"
      "  listen: nowhere\n"
      "storage:\n"
      "  sync: maybe\n"
      "  dedupe_window: forever\n"
      "admin:\n"
      "  tokens: [\"\"]\n"
      "sources:\n"
      "  web: {write_keys: [a]}\n"
      "  app: {write_keys: [a]}\n");
  EXPECT_FALSE(r.cfg);
  ASSERT_EQ(r.errors.size(), 5u) << dump(r);
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[1].line, 4);
  EXPECT_EQ(r.errors[2].line, 5);
  EXPECT_EQ(r.errors[3].line, 7);
  EXPECT_EQ(r.errors[4].line, 10);
}

TEST(ConfigKeys, DuplicateTopLevelKey) {
  auto r = load(std::string(kSources) + "storage: {sync: always}\nstorage: {sync: never}\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 5, 1, "duplicate key 'storage' in the top level"));
}

TEST(ConfigKeys, DuplicateNestedKey) {
  auto r = load(std::string(kSources) + "server:\n  io_threads: 1\n  io_threads: 2\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 6, 3, "duplicate key 'io_threads' in server"));
}

TEST(ConfigKeys, DuplicateSourceName) {
  auto r = load("sources:\n  web: {write_keys: [a]}\n  web: {write_keys: [b]}\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 3, 3, "duplicate key 'web' in sources"));
}

// ---- environment substitution ----

TEST(ConfigEnv, VariableIsSubstituted) {
  scoped_env key("TRIB_UT_WRITE_KEY", "from-env");
  const auto& c = ok(load("sources:\n  web: {write_keys: [\"${TRIB_UT_WRITE_KEY}\"]}\n"));
  EXPECT_NE(c.source_for("from-env"), nullptr);
}

TEST(ConfigEnv, DefaultUsedWhenUnset) {
  scoped_env unset("TRIB_UT_UNSET", nullptr);
  const auto& c =
      ok(load(std::string(kSources) + "storage: {path: \"${TRIB_UT_UNSET:-/srv/data}\"}\n"));
  EXPECT_EQ(c.storage.path, "/srv/data");
}

TEST(ConfigEnv, DefaultIgnoredWhenSet) {
  scoped_env set("TRIB_UT_PATH", "/from/env");
  const auto& c =
      ok(load(std::string(kSources) + "storage: {path: \"${TRIB_UT_PATH:-/srv/data}\"}\n"));
  EXPECT_EQ(c.storage.path, "/from/env");
}

TEST(ConfigEnv, DefaultUsedWhenSetButEmpty) {
  scoped_env empty("TRIB_UT_EMPTY", "");
  const auto& c =
      ok(load(std::string(kSources) + "admin: {space: \"${TRIB_UT_EMPTY:-fallback}\"}\n"));
  EXPECT_EQ(c.admin.space, "fallback");
}

TEST(ConfigEnv, SetButEmptyWithoutDefaultIsEmpty) {
  scoped_env empty("TRIB_UT_EMPTY", "");
  auto r = load("sources:\n  web: {write_keys: [\"${TRIB_UT_EMPTY}\"]}\n");
  EXPECT_TRUE(has_error(r, 2, 22, "a write key must not be empty"));
}

TEST(ConfigEnv, EmptyDefault) {
  scoped_env unset("TRIB_UT_UNSET", nullptr);
  const auto& c = ok(load(std::string(kSources) + "admin: {space: \"x${TRIB_UT_UNSET:-}y\"}\n"));
  EXPECT_EQ(c.admin.space, "xy");
}

TEST(ConfigEnv, SeveralVariablesInsideText) {
  scoped_env host("TRIB_UT_HOST", "10.0.0.1");
  scoped_env port("TRIB_UT_PORT", "9999");
  const auto& c =
      ok(load(std::string(kSources) + "server: {listen: \"${TRIB_UT_HOST}:${TRIB_UT_PORT}\"}\n"));
  EXPECT_EQ(c.server.listen.host, "10.0.0.1");
  EXPECT_EQ(c.server.listen.port, 9999);
}

TEST(ConfigEnv, TypedValuesComeFromVariables) {
  scoped_env threads("TRIB_UT_THREADS", "7");
  scoped_env window("TRIB_UT_WINDOW", "2h");
  const auto& c =
      ok(load(std::string(kSources) + "server: {io_threads: \"${TRIB_UT_THREADS}\"}\n"
                                      "storage: {dedupe_window: \"${TRIB_UT_WINDOW}\"}\n"));
  EXPECT_EQ(c.server.io_threads, 7);
  EXPECT_EQ(c.storage.dedupe_window, 7'200'000);
}

TEST(ConfigEnv, MissingVariableIsAnErrorAtItsValue) {
  scoped_env unset("TRIB_UT_MISSING", nullptr);
  auto r = load(
      "sources:\n"
      "  web:\n"
      "    write_keys: [\"${TRIB_UT_MISSING}\"]\n");
  EXPECT_FALSE(r.cfg);
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_TRUE(has_error(r, 3, 18, "environment variable TRIB_UT_MISSING is not set"));
  EXPECT_NE(r.errors[0].message.find("${TRIB_UT_MISSING:-default}"), std::string::npos)
      << r.errors[0].message;
}

TEST(ConfigEnv, MissingVariableInDeferredSectionIsAnError) {
  scoped_env unset("TRIB_UT_BRAZE", nullptr);
  auto r = load(std::string(kSources) +
                "destinations:\n"
                "  braze:\n"
                "    type: webhook\n"
                "    headers: {Authorization: \"Bearer ${TRIB_UT_BRAZE}\"}\n");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 7, 30, "TRIB_UT_BRAZE is not set"));
}

TEST(ConfigEnv, UnterminatedReferenceIsKeptLiterally) {
  const auto& c = ok(load(std::string(kSources) + "admin: {space: \"a${b\"}\n"));
  EXPECT_EQ(c.admin.space, "a${b");
}

// ---- every section is active ----

TEST(ConfigSections, AllActiveWithoutWarnings) {
  auto r = load(std::string(kSources) + R"(
identity:
  priority: [user_id, email]
computed_traits:
  activation_score: {type: score, milestones: {"Project Created": 1}}
audiences:
  stuck: {name: Stuck, where: "true"}
destinations:
  braze: {type: webhook, url: "https://example.test/"}
)");
  const auto& c = ok(r);
  EXPECT_EQ(c.identity.priority, (std::vector<std::string>{"user_id", "email"}));
  EXPECT_TRUE(r.warnings.empty());
}

// ---- the shipped default ----

// Clears the variables the shipped file reads, so it shows its own defaults.
struct clean_default_env {
  scoped_env a{"TRIBUTARY_LISTEN", nullptr};
  scoped_env b{"TRIBUTARY_ADMIN_LISTEN", nullptr};
  scoped_env c{"TRIBUTARY_DATA", nullptr};
  scoped_env d{"TRIBUTARY_ADMIN_TOKEN", nullptr};
  scoped_env e{"TRIBUTARY_WRITE_KEY", nullptr};
};

TEST(ConfigDefault, EmbeddedDefaultLoads) {
  clean_default_env env;
  auto r = load_from_string(kEmbeddedDefault, "<embedded>");
  const auto& c = ok(r);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(c.server.listen.port, 8088);
  EXPECT_EQ(c.server.admin_listen.host, "127.0.0.1");
  EXPECT_EQ(c.server.admin_listen.port, 8089);
  EXPECT_EQ(c.storage.path, "./data");
  EXPECT_TRUE(c.storage.sync_always);
  EXPECT_EQ(c.admin.tokens, (std::vector<std::string>{"dev-admin-token"}));
  ASSERT_NE(c.source_for("dev-write-key"), nullptr);
  EXPECT_EQ(*c.source_for("dev-write-key"), "dev");
}

TEST(ConfigDefault, EmbeddedDefaultFollowsTheEnvironment) {
  clean_default_env env;
  scoped_env key("TRIBUTARY_WRITE_KEY", "prod-key");
  scoped_env listen("TRIBUTARY_LISTEN", "0.0.0.0:0");
  const auto& c = ok(load_from_string(kEmbeddedDefault, "<embedded>"));
  EXPECT_NE(c.source_for("prod-key"), nullptr);
  EXPECT_EQ(c.source_for("dev-write-key"), nullptr);
  EXPECT_EQ(c.server.listen.port, 0);
}

TEST(ConfigDefault, EmbeddedTextIsTheShippedFile) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../../config/tributary.yaml";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "source tree not available at " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), kEmbeddedDefault);
  clean_default_env env;
  auto r = load_from_file(path.string());
  ok(r);
  ASSERT_TRUE(r.cfg);
  EXPECT_EQ(r.cfg->file, path.string());
}

TEST(ConfigDefault, MissingFileIsAnError) {
  auto r = load_from_file("/nonexistent/tributary.yaml");
  EXPECT_FALSE(r.cfg);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), "/nonexistent/tributary.yaml:1:1: cannot open the file");
}

// ---- units ----

TEST(ParseDuration, Units) {
  EXPECT_EQ(parse_duration("500ms"), 500);
  EXPECT_EQ(parse_duration("30s"), 30'000);
  EXPECT_EQ(parse_duration("15m"), 900'000);
  EXPECT_EQ(parse_duration("4h"), 14'400'000);
  EXPECT_EQ(parse_duration("3d"), 259'200'000);
  EXPECT_EQ(parse_duration("1w"), 604'800'000);
  EXPECT_EQ(parse_duration("400d"), 400LL * 86'400'000);
}

TEST(ParseDuration, ZeroAndFractions) {
  EXPECT_EQ(parse_duration("0"), 0);
  EXPECT_EQ(parse_duration("0s"), 0);
  EXPECT_EQ(parse_duration("1.5h"), 5'400'000);
  EXPECT_EQ(parse_duration("0.5s"), 500);
}

TEST(ParseDuration, Invalid) {
  for (const char* s :
       {"", "10", "s", "-1s", "1x", "1 hour", "1S", "1H", "1.2.3s", "ms", "1e3s", "5 m s", "abc"})
    EXPECT_EQ(parse_duration(s), std::nullopt) << "'" << s << "'";
}

TEST(ParseSize, Units) {
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("512B"), 512u);
  EXPECT_EQ(parse_size("32KB"), 32u * 1024);
  EXPECT_EQ(parse_size("500KB"), 500u * 1024);
  EXPECT_EQ(parse_size("1MB"), 1024u * 1024);
  EXPECT_EQ(parse_size("1.5MB"), 1572864u);
  EXPECT_EQ(parse_size("2GB"), 2ull << 30);
  EXPECT_EQ(parse_size("0"), 0u);
}

TEST(ParseSize, UnitSpellings) {
  EXPECT_EQ(parse_size("32kb"), 32u * 1024);
  EXPECT_EQ(parse_size("32K"), 32u * 1024);
  EXPECT_EQ(parse_size("32KiB"), 32u * 1024);
  EXPECT_EQ(parse_size("8 MB"), 8u << 20);
  EXPECT_EQ(parse_size("1G"), 1u << 30);
}

TEST(ParseSize, Invalid) {
  for (const char* s : {"", "KB", "-1", "-1KB", "1TB", "1PB", "lots", "1.2.3KB", "1 K B", "0x10"})
    EXPECT_EQ(parse_size(s), std::nullopt) << "'" << s << "'";
}

// ---- computed traits, audiences and destinations: compiled at load, errors at positions ----

TEST(ConfigProfiles, EngageIsAReservedSourceName) {
  auto r = load("sources:\n  engage: {write_keys: [k]}\n");
  EXPECT_TRUE(has_error(r, 2, 3, "reserved"));
}

TEST(ConfigProfiles, EveryAudienceProblemIsReported) {
  auto r = load(std::string(kSources) + R"(audiences:
  a: {where: "audiences.b"}
  b: {where: "audiences.a"}
  c: {where: "audiences.nope"}
  d: {where: "traits.x = = 1"}
)");
  EXPECT_TRUE(has_error(r, 5, 14, "cycle")) << dump(r);
  EXPECT_TRUE(has_error(r, 7, 14, "not defined")) << dump(r);
  EXPECT_TRUE(has_error(r, 8, 26, "found '='")) << dump(r);
}

TEST(ConfigProfiles, HistoryFunctionsBecomeImplicitTraits) {
  const auto& c = ok(load(std::string(kSources) + R"(audiences:
  active: {where: 'event_count("Login", 7d) > 2 and last_seen("Paid") > now() - 30d'}
destinations:
  hook:
    type: webhook
    url: "http://127.0.0.1:9/"
    profile_where: '!performed("Churned")'
)"));
  std::vector<std::string> keys;
  for (const auto& t : c.computed_traits) {
    EXPECT_TRUE(t.implicit);
    keys.push_back(t.key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"__a.active.0", "__a.active.1", "__d.hook.0"}));
  EXPECT_EQ(c.computed_traits[0].window, 7LL * 86'400'000);
  ASSERT_EQ(c.routing.size(), 1u);
  EXPECT_EQ(c.routing[0].profile_where_terms, (std::vector<std::string>{"__d.hook.0"}));
}

TEST(ConfigProfiles, DestinationExpressionsAndListsAreChecked) {
  auto r = load(std::string(kSources) + R"(destinations:
  hook:
    type: webhook
    url: "http://127.0.0.1:9/"
    subscribe: type = = "track"
    audiences: [missing]
    computed_traits: [nope]
    mapping: {a: {"@path": 5}}
)");
  EXPECT_TRUE(has_error(r, 8, 23, "subscribe")) << dump(r);
  EXPECT_TRUE(has_error(r, 5, 3, "audiences: 'missing' is not defined")) << dump(r);
  EXPECT_TRUE(has_error(r, 5, 3, "computed_traits: 'nope' is not defined")) << dump(r);
  bool mapping = false;
  for (const auto& e : r.errors)
    mapping = mapping || e.message.find("mapping") != std::string::npos;
  EXPECT_TRUE(mapping) << dump(r);
}

TEST(ConfigProfiles, ComputedTraitKeysAreChecked) {
  auto r = load(std::string(kSources) + R"(computed_traits:
  a: {type: aggregate, event: X}
  b: {type: days_since}
  c: {type: bogus}
  d: {type: score, milestones: {X: many}}
  e: {type: first, event: X, value: name}
)");
  EXPECT_TRUE(has_error(r, 5, 6, "needs 'function'")) << dump(r);
  EXPECT_TRUE(has_error(r, 6, 6, "needs 'trait'")) << dump(r);
  EXPECT_TRUE(has_error(r, 7, 13, "unknown type 'bogus'")) << dump(r);
  EXPECT_TRUE(has_error(r, 8, 36, "not a number")) << dump(r);
  EXPECT_TRUE(has_error(r, 9, 37, "not supported")) << dump(r);
}

TEST(ConfigProfiles, DoubleUnderscoreTraitKeysAreReserved) {
  // Audiences and destinations name the traits they derive `__a.<audience>.<n>` and
  // `__d.<destination>.<n>`: a user's key must not be able to take one of those names.
  auto r = load(std::string(kSources) + R"(computed_traits:
  __a.stuck.0: {type: event_count, event: X}
  _ok: {type: event_count, event: X}
)");
  EXPECT_TRUE(has_error(r, 5, 3, "keys starting with '__' are reserved")) << dump(r);
  EXPECT_EQ(r.errors.size(), 1u) << dump(r);
}

}  // namespace
}  // namespace tributary::config
