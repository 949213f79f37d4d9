// The admin API (admin/admin_api.h): token checks, and its routes answered as a pure function over
// a real event log in a temporary directory.
#include "tributary/admin/admin_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>

#include "test_util.h"
#include "tributary/common/codec.h"

namespace tributary::admin {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// ---- token_matches ----

TEST(TokenMatches, ExactMatch) {
  EXPECT_TRUE(token_matches({"secret"}, "secret"));
}

TEST(TokenMatches, AnyOfSeveralTokens) {
  EXPECT_TRUE(token_matches({"first", "second"}, "second"));
  EXPECT_TRUE(token_matches({"first", "second"}, "first"));
}

TEST(TokenMatches, WrongLengthNeverMatches) {
  EXPECT_FALSE(token_matches({"secret"}, "secre"));
  EXPECT_FALSE(token_matches({"secret"}, "secret2"));
  EXPECT_FALSE(token_matches({"secret"}, "secret "));
}

TEST(TokenMatches, SameLengthDifferentBytes) {
  EXPECT_FALSE(token_matches({"secret"}, "Secret"));
  EXPECT_FALSE(token_matches({"secret"}, "secreT"));
}

TEST(TokenMatches, EmptyTokenNeverMatches) {
  EXPECT_FALSE(token_matches({""}, ""));
  EXPECT_FALSE(token_matches({"", "real"}, ""));
  EXPECT_FALSE(token_matches({"real"}, ""));
}

TEST(TokenMatches, NoTokensNeverMatch) {
  EXPECT_FALSE(token_matches({}, ""));
  EXPECT_FALSE(token_matches({}, "anything"));
}

TEST(TokenMatches, EmbeddedNulIsCompared) {
  EXPECT_FALSE(token_matches({std::string("ab\0c", 4)}, std::string_view("ab\0d", 4)));
  EXPECT_TRUE(token_matches({std::string("ab\0c", 4)}, std::string_view("ab\0c", 4)));
}

// ---- routes ----

constexpr millis kNow = 1577836800000;
constexpr const char* kToken = "admin-token";

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest() : clock_(kNow) {
    auto loaded = config::load_from_string(
        "admin: {tokens: [admin-token]}\nsources:\n  web: {write_keys: [wk]}\n", "admin.yaml");
    EXPECT_TRUE(loaded.errors.empty());
    holder_ = std::make_unique<config::holder>(loaded.cfg);
    log_ = test_support::open_test_log(dir_, clock_);
    EXPECT_TRUE(log_);
    admin_deps d;
    d.cfg = holder_.get();
    d.log = log_.get();
    d.ingest = &ingest_;
    d.clock = &clock_;
    d.started_at = kNow - 5000;
    d.reload = [this] { return reload_result_; };
    api_ = std::make_unique<admin_api>(std::move(d));
  }

  http::response call(std::string method, std::string path, std::string query = "",
                      std::string auth = std::string("Bearer ") + kToken) {
    http::request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.query = std::move(query);
    if (!auth.empty()) req.headers.emplace_back("authorization", std::move(auth));
    http::response out;
    int calls = 0;
    api_->handle(std::move(req), [&](http::response r) {
      out = std::move(r);
      ++calls;
    });
    EXPECT_EQ(calls, 1);
    return out;
  }

  json body(const http::response& r) {
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  void append(int n) {
    eventlog::append_request req;
    req.source = "web";
    req.received_at = clock_.now_ms();
    for (int i = 0; i < n; ++i) req.items.push_back({"", "{\"n\":" + std::to_string(i) + "}"});
    req.rejections.push_back({kNow, "web", "missing_event", "a track call needs 'event'", 2, "{}"});
    std::promise<void> done;
    req.done = [&done](eventlog::append_outcome) { done.set_value(); };
    log_->submit(std::move(req));
    ASSERT_EQ(done.get_future().wait_for(20s), std::future_status::ready);
  }

  test_support::temp_dir dir_;
  manual_clock clock_;
  std::unique_ptr<config::holder> holder_;
  std::unique_ptr<eventlog::event_log> log_;
  ingest::ingest_stats ingest_;
  std::string reload_result_;
  std::unique_ptr<admin_api> api_;
};

TEST_F(AdminApiTest, HealthReadyAndMetricsNeedNoToken) {
  EXPECT_EQ(call("GET", "/healthz", "", "").status, 200);
  EXPECT_EQ(call("GET", "/readyz", "", "").status, 200);
  auto m = call("GET", "/metrics", "", "");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.content_type.find("text/plain"), std::string::npos);
}

TEST_F(AdminApiTest, AdminRoutesNeedAToken) {
  auto r = call("GET", "/admin/v1/events", "", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(body(r)["error"]["code"], "authentication_error");
  bool challenged = false;
  for (const auto& [k, v] : r.headers) challenged = challenged || k == "WWW-Authenticate";
  EXPECT_TRUE(challenged);
}

TEST_F(AdminApiTest, WrongTokenIsRefused) {
  EXPECT_EQ(call("GET", "/admin/v1/events", "", "Bearer nope").status, 401);
  EXPECT_EQ(call("GET", "/admin/v1/events", "", "Bearer ").status, 401);
  EXPECT_EQ(call("GET", "/admin/v1/events", "", kToken).status, 401);  // no scheme
}

TEST_F(AdminApiTest, BearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(call("GET", "/admin/v1/events", "", std::string("bearer ") + kToken).status, 200);
}

TEST_F(AdminApiTest, BasicAuthWithTheTokenAsUserName) {
  EXPECT_EQ(call("GET", "/admin/v1/events", "", "Basic " + base64_encode("admin-token:")).status,
            200);
  EXPECT_EQ(call("GET", "/admin/v1/events", "", "Basic " + base64_encode("admin-token")).status,
            200);
  EXPECT_EQ(call("GET", "/admin/v1/events", "", "Basic " + base64_encode("other:")).status, 401);
}

TEST_F(AdminApiTest, EventsArePagedOldestFirst) {
  append(5);
  auto j = body(call("GET", "/admin/v1/events", "after=1&limit=2"));
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0]["seq"], 2);
  EXPECT_EQ(j["events"][0]["event"]["n"], 1);
  EXPECT_EQ(j["events"][0]["source"], "web");
  EXPECT_EQ(j["events"][0]["received_at"], "2020-01-01T00:00:00.000Z");
  EXPECT_EQ(j["events"][1]["seq"], 3);
  EXPECT_EQ(j["next"], 3);
  EXPECT_EQ(j["last_seq"], 5);
}

TEST_F(AdminApiTest, EventsPastTheEndKeepTheCursor) {
  append(2);
  auto j = body(call("GET", "/admin/v1/events", "after=2"));
  EXPECT_TRUE(j["events"].empty());
  EXPECT_EQ(j["next"], 2);
}

TEST_F(AdminApiTest, EventsRejectBadParameters) {
  for (const char* q : {"after=abc", "after=-1", "limit=x", "limit=-5", "after=1x"}) {
    auto r = call("GET", "/admin/v1/events", q);
    EXPECT_EQ(r.status, 400) << q;
    EXPECT_EQ(body(r)["error"]["code"], "validation_error") << q;
  }
}

TEST_F(AdminApiTest, RejectionsListWithIsoTimes) {
  append(1);
  auto j = body(call("GET", "/admin/v1/rejections"));
  ASSERT_EQ(j["rejections"].size(), 1u);
  EXPECT_EQ(j["rejections"][0]["code"], "missing_event");
  EXPECT_EQ(j["rejections"][0]["index"], 2);
  EXPECT_EQ(j["rejections"][0]["at"], "2020-01-01T00:00:00.000Z");
}

TEST_F(AdminApiTest, RejectionCountsComeFromIngestStats) {
  ingest_.rejected.add("reason=\"invalid_json\"", 3);
  auto j = body(call("GET", "/admin/v1/rejections"));
  EXPECT_EQ(j["counts_since_start"]["invalid_json"], 3);
}

TEST_F(AdminApiTest, ConfigShowsTheActiveSnapshot) {
  auto j = body(call("GET", "/admin/v1/config"));
  EXPECT_EQ(j["file"], "admin.yaml");
  EXPECT_EQ(j["fingerprint"].get<std::string>().size(), 16u);
  EXPECT_TRUE(j["last_reload_error"].is_null());
  ASSERT_EQ(j["sources"].size(), 1u);
  EXPECT_EQ(j["sources"][0]["name"], "web");
  EXPECT_EQ(j["sources"][0]["write_keys"], 1);
  EXPECT_EQ(j.dump().find("\"wk\""), std::string::npos) << "write keys are not shown";
}

TEST_F(AdminApiTest, ReloadReportsTheLoaderResult) {
  auto ok = call("POST", "/admin/v1/reload");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(body(ok)["reloaded"], true);
  reload_result_ = "t.yaml:3:1: unknown key 'x'";
  auto bad = call("POST", "/admin/v1/reload");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(body(bad)["error"]["code"], "invalid_config");
  EXPECT_EQ(body(bad)["error"]["message"], reload_result_);
  EXPECT_EQ(call("GET", "/admin/v1/reload").status, 404);  // POST only
}

TEST_F(AdminApiTest, UnknownRouteIsNotFound) {
  auto r = call("GET", "/admin/v1/nothing-here");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body(r)["error"]["code"], "not_found");
}

TEST_F(AdminApiTest, MetricsReportTheLog) {
  append(3);
  auto text = call("GET", "/metrics", "", "").body;
  EXPECT_NE(text.find("tributary_log_last_sequence 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tributary_log_appended_events_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE tributary_ingest_ack_latency_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("tributary_process_uptime_seconds 5\n"), std::string::npos);
  // The three events are in the log's memtable: both sizes count them.
  auto gauge = [&](const std::string& name) {
    auto at = text.find("\n" + name + " ");
    EXPECT_NE(at, std::string::npos) << name << " missing:\n" << text;
    return at == std::string::npos ? 0.0 : std::stod(text.substr(at + name.size() + 2));
  };
  double log = gauge("tributary_log_size_bytes"), all = gauge("tributary_storage_size_bytes");
  EXPECT_GT(log, 0);
  EXPECT_GE(all, log);
}

TEST(LatencyHistogram, CumulativeBuckets) {
  latency_histogram h;
  h.observe(0.0004);  // first bucket
  h.observe(0.003);   // le=0.005
  h.observe(7.0);     // only +Inf
  std::string out;
  h.render(out, "lat");
  EXPECT_NE(out.find("lat_bucket{le=\"0.0005\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_bucket{le=\"0.002\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_bucket{le=\"0.005\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_bucket{le=\"5\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("lat_count 3\n"), std::string::npos) << out;
}

TEST(LabeledCounter, AddsPerLabelSet) {
  labeled_counter c;
  c.add("a=\"1\"");
  c.add("a=\"1\"", 4);
  c.add("a=\"2\"");
  auto snap = c.snapshot();
  EXPECT_EQ(snap["a=\"1\""], 5u);
  EXPECT_EQ(snap["a=\"2\""], 1u);
}

}  // namespace
}  // namespace tributary::admin
