// The `destinations` section (config/destinations_loader.cpp): every key, defaults, expressions
// kept with their positions, the mapping as ordered JSON, and FILE:LINE:COL errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "config/destinations_loader.h"
#include "tributary/config/config.h"

#include "config_util.h"

namespace tributary::config {
namespace {

constexpr const char* kFile = "dest.yaml";
constexpr const char* kSources = "sources:\n  web:\n    write_keys: [web-key]\n";  // lines 1-3

load_result load(const std::string& body) {
  return load_from_string(std::string(kSources) + body, kFile);
}

using test_util::dump;
using test_util::ok;

::testing::AssertionResult has_error(const load_result& r, int line, int col,
                                     const std::string& needle) {
  for (const auto& e : r.errors)
    if (e.line == line && e.column == col && e.message.find(needle) != std::string::npos)
      return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "no error at " << line << ":" << col << " with '" << needle << "'; got:\n"
         << dump(r);
}

TEST(DestinationsConfig, EveryKey) {
  setenv("TRIB_UT_DEST_KEY", "s3cr3t-key", 1);
  auto r = load(R"(computed_traits:
  activation_score: {type: score, milestones: {"Project Created": 1}}
audiences:
  stuck: {name: Stuck, where: "true"}
destinations:
  braze:
    type: webhook
    url: https://rest.example.test:8443/users/track?api=1
    method: PUT
    headers: {Authorization: "Bearer ${TRIB_UT_DEST_KEY}", X-Team: growth}
    shared_secret: "${TRIB_UT_DEST_KEY}"
    subscribe: 'type = "identify" or type = "track"'
    filters:
      - {drop: 'event = "Debug"'}
      - {sample: {percent: 10, path: userId, if: 'type = "page"'}}
      - {drop_properties: {if: all, fields: [properties.password, context.ip]}}
      - {allow_properties: {fields: [traits.email]}}
    require_traits: [email]
    profile_where: 'traits.plan != "enterprise"'
    audiences: [stuck]
    audience_delivery: [track]
    computed_traits: [activation_score]
    computed_trait_delivery: [identify, track]
    mapping:
      zeta: {"@path": "$.userId"}
      alpha: {"@template": "{{event}}"}
      n: 3
      f: 1.5
      yes: true
      nothing: null
      quoted: "12"
    batch: {size: 50, max_wait: 250ms}
    timeout: 2s
    concurrency: 4
    rate_limit: 120/m
    retry: {max_age: 1h, initial_backoff: 500ms, max_backoff: 1m}
    tls: {verify: false}
)");
  const auto c = ok(r);
  ASSERT_EQ(c.destinations.size(), 1u);
  const auto& d = c.destinations[0];
  EXPECT_EQ(d.name, "braze");
  EXPECT_EQ(d.line, 9);
  EXPECT_EQ(d.type, "webhook");
  EXPECT_TRUE(d.parsed.https);
  EXPECT_EQ(d.parsed.host, "rest.example.test");
  EXPECT_EQ(d.parsed.port, 8443);
  EXPECT_EQ(d.parsed.target, "/users/track?api=1");
  EXPECT_EQ(d.parsed.display, "https://rest.example.test:8443/users/track");
  EXPECT_EQ(d.method, "PUT");
  ASSERT_EQ(d.headers.size(), 2u);
  EXPECT_EQ(d.headers[0],
            (std::pair<std::string, std::string>{"Authorization", "Bearer s3cr3t-key"}));
  EXPECT_EQ(d.headers[1].first, "X-Team");
  EXPECT_EQ(d.shared_secret, "s3cr3t-key");
  ASSERT_TRUE(d.subscribe);
  EXPECT_EQ(d.subscribe->text, R"(type = "identify" or type = "track")");
  EXPECT_EQ(d.subscribe->line, 15);
  EXPECT_EQ(d.subscribe->column, 16);
  EXPECT_FALSE(d.subscribe->plain);
  ASSERT_EQ(d.filters.size(), 4u);
  EXPECT_EQ(d.filters[0].type, destination_filter::kind::drop);
  EXPECT_EQ(d.filters[0].condition.text, R"(event = "Debug")");
  EXPECT_EQ(d.filters[0].condition.line, 17);
  EXPECT_EQ(d.filters[0].condition.column, 16);
  EXPECT_EQ(d.filters[1].type, destination_filter::kind::sample);
  EXPECT_EQ(d.filters[1].percent, 10);
  EXPECT_EQ(d.filters[1].path, "userId");
  EXPECT_EQ(d.filters[1].condition.text, R"(type = "page")");
  EXPECT_EQ(d.filters[2].type, destination_filter::kind::drop_properties);
  EXPECT_EQ(d.filters[2].condition.text, "all");
  EXPECT_TRUE(d.filters[2].condition.plain);
  EXPECT_EQ(d.filters[2].fields, (std::vector<std::string>{"properties.password", "context.ip"}));
  EXPECT_EQ(d.filters[3].type, destination_filter::kind::allow_properties);
  EXPECT_EQ(d.filters[3].condition.text, "all");  // `if` defaults to all
  EXPECT_EQ(d.require_traits, (std::vector<std::string>{"email"}));
  ASSERT_TRUE(d.profile_where);
  EXPECT_EQ(d.profile_where->line, 22);
  EXPECT_EQ(d.audiences, (std::vector<std::string>{"stuck"}));
  EXPECT_EQ(d.audience_delivery, (std::vector<std::string>{"track"}));
  EXPECT_EQ(d.computed_traits, (std::vector<std::string>{"activation_score"}));
  EXPECT_EQ(d.computed_trait_delivery, (std::vector<std::string>{"identify", "track"}));
  ASSERT_TRUE(d.mapping);
  EXPECT_EQ(
      d.mapping->dump(),
      R"({"zeta":{"@path":"$.userId"},"alpha":{"@template":"{{event}}"},"n":3,"f":1.5,"yes":true,"nothing":null,"quoted":"12"})");
  EXPECT_EQ(d.mapping_line, 28);
  ASSERT_TRUE(d.batch);
  EXPECT_EQ(d.batch->size, 50u);
  EXPECT_EQ(d.batch->max_wait, 250);
  EXPECT_EQ(d.timeout, 2000);
  EXPECT_EQ(d.concurrency, 4u);
  EXPECT_DOUBLE_EQ(d.rate_limit, 2.0);
  EXPECT_EQ(d.retry.max_age, 3'600'000);
  EXPECT_EQ(d.retry.initial_backoff, 500);
  EXPECT_EQ(d.retry.max_backoff, 60'000);
  EXPECT_FALSE(d.tls.verify);
}

TEST(DestinationsConfig, Defaults) {
  const auto c = ok(load("destinations:\n  hook: {url: \"http://127.0.0.1:9000\"}\n"));
  ASSERT_EQ(c.destinations.size(), 1u);
  const auto& d = c.destinations[0];
  EXPECT_EQ(d.type, "webhook");
  EXPECT_EQ(d.method, "POST");
  EXPECT_FALSE(d.parsed.https);
  EXPECT_EQ(d.parsed.port, 9000);
  EXPECT_EQ(d.parsed.target, "/");
  EXPECT_EQ(d.timeout, 5000);
  EXPECT_EQ(d.concurrency, 8u);
  EXPECT_EQ(d.rate_limit, 0);
  EXPECT_FALSE(d.batch);
  EXPECT_EQ(d.retry.max_age, 4LL * 3600 * 1000);
  EXPECT_EQ(d.retry.initial_backoff, 1000);
  EXPECT_EQ(d.retry.max_backoff, 600'000);
  EXPECT_TRUE(d.tls.verify);
  EXPECT_EQ(d.tls.ca_file, "");
  EXPECT_FALSE(d.subscribe);
  EXPECT_FALSE(d.mapping);
  EXPECT_EQ(d.audience_delivery, (std::vector<std::string>{"identify", "track"}));
  EXPECT_EQ(d.computed_trait_delivery, (std::vector<std::string>{"identify"}));
}

TEST(DestinationsConfig, OrderIsTheFileOrder) {
  const auto c = ok(load(R"(destinations:
  zeta: {url: "http://a.test/"}
  alpha: {url: "http://b.test/"}
  mid: {url: "http://c.test/"}
)"));
  ASSERT_EQ(c.destinations.size(), 3u);
  EXPECT_EQ(c.destinations[0].name, "zeta");
  EXPECT_EQ(c.destinations[2].name, "mid");
}

TEST(DestinationsConfig, EmptySectionIsNoDestinations) {
  EXPECT_TRUE(ok(load("destinations:\n")).destinations.empty());
}

TEST(DestinationsConfig, UnknownKeysAndMissingUrl) {
  auto r = load(R"(destinations:
  hook:
    url: "http://a.test/"
    retries: 3
    batch: {size: 10, wait: 1s}
  other: {type: webhook}
)");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 7, 5, "unknown key 'retries' in destinations.hook"));
  EXPECT_TRUE(has_error(r, 8, 23, "unknown key 'wait' in destinations.hook.batch"));
  EXPECT_TRUE(has_error(r, 9, 3, "destinations.other needs url"));
}

TEST(DestinationsConfig, BadValuesArePositioned) {
  auto r = load(R"(destinations:
  hook:
    type: kafka
    url: ftp://a.test/
    method: GET
    timeout: 0s
    concurrency: 0
    rate_limit: fast
    retry: {initial_backoff: 10s, max_backoff: 1s}
    tls: {verify: maybe}
    audience_delivery: [email]
    computed_trait_delivery: [identify, sms]
)");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 6, 11, "'kafka' is not supported (only webhook)"));
  EXPECT_TRUE(has_error(r, 7, 10, "must start with http:// or https://"));
  EXPECT_TRUE(has_error(r, 8, 13, "must be POST, PUT or PATCH"));
  EXPECT_TRUE(has_error(r, 9, 14, "timeout must be more than 0"));
  EXPECT_TRUE(has_error(r, 10, 18, "concurrency: '0' is not an integer between 1 and 1000"));
  EXPECT_TRUE(has_error(r, 11, 17, "must be a rate such as 200/s"));
  EXPECT_TRUE(has_error(r, 12, 12, "max_backoff must not be less than initial_backoff"));
  EXPECT_TRUE(has_error(r, 13, 19, "'maybe' must be true or false"));
  EXPECT_TRUE(has_error(r, 14, 25, "'email' must be identify or track"));
  EXPECT_TRUE(has_error(r, 15, 41, "computed_trait_delivery: 'sms' must be identify or track"));
}

TEST(DestinationsConfig, UrlForms) {
  std::string why;
  auto u = parse_sink_url("http://[::1]:8080/a/b?c=d#frag", why);
  ASSERT_TRUE(u) << why;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/a/b?c=d");
  EXPECT_EQ(u->display, "http://[::1]:8080/a/b");
  u = parse_sink_url("https://h.test?x=1", why);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/?x=1");
  EXPECT_EQ(u->display, "https://h.test/");
  for (const char* bad :
       {"http://", "http://:80/", "http://h.test:0/", "http://h.test:99999/", "http://h.test:8x/",
        "http://user:pw@h.test/", "http://h .test/", "mailto:a@b", "http://[::1/"})
    EXPECT_FALSE(parse_sink_url(bad, why)) << bad;
}

TEST(DestinationsConfig, FilterShapes) {
  auto r = load(R"(destinations:
  hook:
    url: "http://a.test/"
    filters:
      - {drop: 'event = "a"', sample: {percent: 1}}
      - {sample: {percent: 101}}
      - {sample: {path: userId}}
      - {drop_properties: {if: all}}
      - {keep: x}
      - {drop: ""}
)");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 8, 9, "must have exactly one of drop, sample"));
  EXPECT_TRUE(has_error(r, 9, 28, "percent: '101' is not a number between 0 and 100"));
  EXPECT_TRUE(has_error(r, 10, 18, "destinations.hook.filters[2].sample needs percent"));
  EXPECT_TRUE(has_error(r, 11, 27, "destinations.hook.filters[3].drop_properties needs fields"));
  EXPECT_TRUE(has_error(r, 12, 10, "unknown key 'keep'"));
  EXPECT_TRUE(has_error(r, 13, 16, "must not be empty"));
}

TEST(DestinationsConfig, HeadersAreCheckedWithoutShowingValues) {
  setenv("TRIB_UT_DEST_SECRET", "line1\nline2-very-secret", 1);
  auto r = load(R"(destinations:
  hook:
    url: "http://a.test/"
    headers:
      Content-Length: "5"
      "Bad Name": x
      X-Key: "${TRIB_UT_DEST_SECRET}"
      x-team: a
      X-Team: b
)");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 8, 7, "'Content-Length' is set by Tributary"));
  EXPECT_TRUE(has_error(r, 9, 7, "'Bad Name' is not a valid header name"));
  EXPECT_TRUE(has_error(r, 10, 14,
                        "destinations.hook.headers.X-Key: the value must not contain line breaks"));
  EXPECT_TRUE(has_error(r, 12, 7, "'X-Team' is given twice"));
  for (const auto& e : r.errors) EXPECT_EQ(e.message.find("very-secret"), std::string::npos);
}

TEST(DestinationsConfig, AudienceAndTraitNamesMustExist) {
  auto r = load(R"(audiences:
  stuck: {name: Stuck, where: "true"}
destinations:
  hook:
    url: "http://a.test/"
    audiences: [stuck, missing]
    computed_traits: [nope]
)");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 9, 24, "'missing' is not defined under audiences"));
  EXPECT_TRUE(has_error(r, 10, 23, "'nope' is not defined under computed_traits"));
}

TEST(DestinationsConfig, NamesAndTls) {
  auto r = load(R"(destinations:
  "a/b": {url: "http://a.test/"}
  plain: {url: "http://a.test/", tls: {verify: true}}
  secure: {url: "https://a.test/", tls: {ca_file: /nonexistent/ca.pem}}
)");
  EXPECT_FALSE(r.cfg);
  EXPECT_TRUE(has_error(r, 5, 3, "a destination name must be 1 to 100 printable characters"));
  EXPECT_TRUE(has_error(r, 6, 39, "tls is only used with an https:// url"));
  EXPECT_TRUE(has_error(r, 7, 51, "cannot read '/nonexistent/ca.pem'"));
}

TEST(DestinationsConfig, MappingMustBeAMap) {
  auto r = load("destinations:\n  hook: {url: \"http://a.test/\", mapping: [1, 2]}\n");
  EXPECT_TRUE(has_error(r, 5, 42, "mapping must be a mapping"));
}

TEST(DestinationsConfig, BlockScalarExpressionPosition) {
  const auto c = ok(load(R"(destinations:
  hook:
    url: "http://a.test/"
    subscribe: >
      type = "track"
      and event = "A"
)"));
  ASSERT_EQ(c.destinations.size(), 1u);
  const auto& s = *c.destinations[0].subscribe;
  EXPECT_EQ(s.text, "type = \"track\" and event = \"A\"\n");
  EXPECT_EQ(s.line, 7);
  EXPECT_EQ(s.column, 16);
  EXPECT_FALSE(s.plain);
}

}  // namespace
}  // namespace tributary::config
