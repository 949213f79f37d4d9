// Operations keys of tributary.yaml: server.header_timeout, server.max_connections and
// sources.<name>.rate_limit, with parse_rate() and FILE:LINE:COL errors.
#include <gtest/gtest.h>

#include "tributary/config/config.h"

namespace tributary::config {
namespace {

constexpr const char* kFile = "ops.yaml";

std::string dump(const load_result& r) {
  std::string out;
  for (const auto& e : r.errors) out += "  " + e.to_string() + "\n";
  return out;
}

bool has_error(const load_result& r, int line, int col, const std::string& needle) {
  for (const auto& e : r.errors)
    if (e.line == line && e.column == col && e.message.find(needle) != std::string::npos)
      return true;
  return false;
}

TEST(ParseRate, PerSecondMinuteHour) {
  EXPECT_DOUBLE_EQ(*parse_rate("200/s"), 200);
  EXPECT_DOUBLE_EQ(*parse_rate("0.5/s"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_rate("60/m"), 1);
  EXPECT_DOUBLE_EQ(*parse_rate("7200/h"), 2);
}

TEST(ParseRate, RejectsWhatIsNotARate) {
  for (const char* bad : {"", "200", "/s", "0/s", "-1/s", "10/d", "ten/s", "10/s/s"})
    EXPECT_FALSE(parse_rate(bad)) << bad;
}

TEST(OpsConfig, Defaults) {
  auto r = load_from_string("sources:\n  web:\n    write_keys: [k]\n", kFile);
  ASSERT_TRUE(r.cfg) << dump(r);
  EXPECT_EQ(r.cfg->server.header_timeout, 10'000);
  EXPECT_EQ(r.cfg->server.max_connections, 10'000u);
  EXPECT_EQ(r.cfg->sources[0].rate_limit, 0);
}

TEST(OpsConfig, ValuesAreRead) {
  auto r = load_from_string(
      "server:\n  header_timeout: 2s\n  max_connections: 50\n"
      "sources:\n  web:\n    write_keys: [k]\n    rate_limit: 120/m\n",
      kFile);
  ASSERT_TRUE(r.cfg) << dump(r);
  EXPECT_EQ(r.cfg->server.header_timeout, 2'000);
  EXPECT_EQ(r.cfg->server.max_connections, 50u);
  EXPECT_DOUBLE_EQ(r.cfg->sources[0].rate_limit, 2);
}

TEST(OpsConfig, ErrorsPointAtTheValue) {
  auto r = load_from_string(
      "server:\n  header_timeout: 0\n  max_connections: 0\n"
      "sources:\n  web:\n    write_keys: [k]\n    rate_limit: lots\n",
      kFile);
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 2, 19, "server.header_timeout")) << dump(r);
  EXPECT_TRUE(has_error(r, 3, 20, "server.max_connections")) << dump(r);
  EXPECT_TRUE(has_error(r, 7, 17, "sources.web.rate_limit: 'lots'")) << dump(r);
}

}  // namespace
}  // namespace tributary::config
