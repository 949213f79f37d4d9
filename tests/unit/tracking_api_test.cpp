// The Segment-compatible Tracking API handler (ingest/tracking_api.h), called as a function over
// a real event log in a temporary directory: auth, routing, bodies, limits, batches and replies.
#include "tributary/ingest/tracking_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>

#include "test_util.h"
#include "tributary/common/codec.h"

namespace tributary::ingest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test_support::gzip;

constexpr millis kNow = 1577836800000;  // 2020-01-01T00:00:00.000Z
constexpr const char* kConfig = R"(
server:
  limits: {message_bytes: 1KB, batch_bytes: 4KB, batch_messages: 3}
sources:
  web: {write_keys: [wk]}
  backend: {write_keys: [bk, "key with space"]}
)";

std::string basic(std::string_view user_and_password) {
  return "Basic " + base64_encode(user_and_password);
}

class TrackingApiTest : public ::testing::Test {
 protected:
  TrackingApiTest() : clock_(kNow) {
    auto loaded = config::load_from_string(kConfig, "t.yaml");
    EXPECT_TRUE(loaded.errors.empty());
    holder_ = std::make_unique<config::holder>(loaded.cfg);
    log_ = test_support::open_test_log(dir_, clock_);
    EXPECT_TRUE(log_);
    api_ = std::make_unique<tracking_api>(*holder_, *log_, clock_, stats_);
  }

  // Sends one request and waits for the reply, which may come from the log writer's thread.
  http::response call(std::string method, std::string path, std::string body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.body = std::move(body);
    req.headers = std::move(headers);
    req.remote_ip = "203.0.113.7";
    auto reply = std::make_shared<std::promise<http::response>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    api_->handle(std::move(req), [reply, calls](http::response r) {
      if (calls->fetch_add(1) == 0) reply->set_value(std::move(r));
    });
    auto f = reply->get_future();
    if (f.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "no reply";
      return {};
    }
    auto res = f.get();
    EXPECT_EQ(calls->load(), 1) << "reply called more than once";
    return res;
  }

  http::response post(std::string path, std::string body, std::string auth = basic("wk:")) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!auth.empty()) headers.emplace_back("authorization", std::move(auth));
    return call("POST", std::move(path), std::move(body), std::move(headers));
  }

  static json body(const http::response& r) {
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  static std::string header(const http::response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return {};
  }

  // The stored events, oldest first, parsed.
  std::vector<json> events() {
    std::vector<json> out;
    for (const auto& rec : log_->read(0, 1000)) out.push_back(json::parse(rec.json));
    return out;
  }

  // Rejections are written by the log writer after the reply may have gone: wait for them.
  std::vector<json> rejections(size_t expected) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    std::vector<std::string> raw;
    while ((raw = log_->rejections(100)).size() < expected &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(2ms);
    std::vector<json> out;
    for (const auto& s : raw) out.push_back(json::parse(s));
    return out;
  }

  test_support::temp_dir dir_;
  manual_clock clock_;
  std::unique_ptr<config::holder> holder_;
  std::unique_ptr<eventlog::event_log> log_;
  ingest_stats stats_;
  std::unique_ptr<tracking_api> api_;
};

constexpr const char* kTrack = R"({"userId":"u1","event":"Signed Up","properties":{"plan":"pro"}})";

// ---- auth ----

TEST_F(TrackingApiTest, BasicAuthWithEmptyPassword) {
  auto r = post("/v1/track", kTrack);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r), json({{"success", true}}));
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["event"], "Signed Up");
  EXPECT_EQ(ev[0]["type"], "track");
  EXPECT_EQ(log_->read(0, 1).at(0).source, "web");
}

TEST_F(TrackingApiTest, BasicAuthWithoutAColon) {
  EXPECT_EQ(post("/v1/track", kTrack, basic("wk")).status, 200);
}

TEST_F(TrackingApiTest, BasicSchemeIsCaseInsensitive) {
  EXPECT_EQ(post("/v1/track", kTrack, "basic " + base64_encode("bk:")).status, 200);
  EXPECT_EQ(log_->read(0, 1).at(0).source, "backend");
}

TEST_F(TrackingApiTest, WriteKeyInTheBody) {
  auto r = post("/v1/track", R"({"writeKey":"bk","userId":"u","event":"E"})", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(log_->read(0, 1).at(0).source, "backend");
  EXPECT_FALSE(events()[0].contains("writeKey"));
}

TEST_F(TrackingApiTest, WriteKeyWithASpace) {
  EXPECT_EQ(post("/v1/track", kTrack, basic("key with space:")).status, 200);
}

TEST_F(TrackingApiTest, MissingWriteKeyIs401) {
  auto r = post("/v1/track", kTrack, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(body(r)["code"], "invalid_write_key");
  EXPECT_EQ(body(r)["success"], false);
  EXPECT_TRUE(events().empty());
}

TEST_F(TrackingApiTest, UnknownWriteKeyIs401) {
  EXPECT_EQ(post("/v1/track", kTrack, basic("nope:")).status, 401);
  EXPECT_EQ(post("/v1/track", R"({"writeKey":"nope","userId":"u","event":"E"})", "").status, 401);
  EXPECT_EQ(post("/v1/track", kTrack, "Basic !!!not-base64").status, 401);
  EXPECT_EQ(post("/v1/track", kTrack, "Bearer wk").status, 401);
}

TEST_F(TrackingApiTest, BodyKeyIsUsedWhenTheHeaderKeyIsUnknown) {
  EXPECT_EQ(post("/v1/t", R"({"writeKey":"wk","userId":"u","event":"E"})", basic("stale:")).status,
            200);
}

// ---- routing ----

TEST_F(TrackingApiTest, EveryCallPathAndShortPath) {
  const std::pair<const char*, const char*> paths[] = {
      {"/v1/identify", "identify"}, {"/v1/i", "identify"},  {"/v1/track", "track"},
      {"/v1/t", "track"},           {"/v1/page", "page"},   {"/v1/p", "page"},
      {"/v1/screen", "screen"},     {"/v1/s", "screen"},    {"/v1/group", "group"},
      {"/v1/g", "group"},           {"/v1/alias", "alias"}, {"/v1/a", "alias"}};
  for (const auto& [path, type] : paths) {
    auto r = post(path, R"({"userId":"u","event":"E","groupId":"g","previousId":"p"})");
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
  }
  auto ev = events();
  ASSERT_EQ(ev.size(), std::size(paths));
  for (size_t i = 0; i < ev.size(); ++i)
    EXPECT_EQ(ev[i]["type"], paths[i].second) << paths[i].first;
}

TEST_F(TrackingApiTest, TrailingSlashIsAccepted) {
  EXPECT_EQ(post("/v1/track/", kTrack).status, 200);
}

TEST_F(TrackingApiTest, UnknownPathIs404) {
  EXPECT_EQ(post("/v1/purchase", kTrack).status, 404);
  EXPECT_EQ(post("/v2/track", kTrack).status, 404);
  EXPECT_EQ(post("/", kTrack).status, 404);
}

TEST_F(TrackingApiTest, OnlyPostIsAllowedOnCallPaths) {
  auto r = call("GET", "/v1/track");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(body(r)["code"], "method_not_allowed");
}

TEST_F(TrackingApiTest, CorsPreflight) {
  auto r = call("OPTIONS", "/v1/t", "",
                {{"origin", "https://app.example"},
                 {"access-control-request-headers", "content-type,authorization"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(header(r, "Access-Control-Allow-Credentials"), "true");
  EXPECT_NE(header(r, "Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_EQ(header(r, "Access-Control-Allow-Headers"), "content-type,authorization");
}

TEST_F(TrackingApiTest, CorsOnEveryResponse) {
  auto r = post("/v1/track", kTrack);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "*");
  auto denied = post("/v1/track", kTrack, "");
  EXPECT_EQ(header(denied, "Access-Control-Allow-Origin"), "*");
}

TEST_F(TrackingApiTest, HealthCheck) {
  auto r = call("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["status"], "ok");
}

TEST_F(TrackingApiTest, AnalyticsJsTelemetryIsAcceptedAndDropped) {
  auto r = post("/v1/m", R"({"series":[]})", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(events().empty());
}

TEST_F(TrackingApiTest, AnalyticsJsSettings) {
  auto r = call("GET", "/v1/projects/wk/settings", "", {{"host", "cdp.example:8088"}});
  EXPECT_EQ(r.status, 200);
  auto j = body(r);
  EXPECT_EQ(j["integrations"]["Segment.io"]["apiKey"], "wk");
  EXPECT_EQ(j["integrations"]["Segment.io"]["apiHost"], "cdp.example:8088/v1");
  EXPECT_EQ(j["integrations"]["Segment.io"]["protocol"], "http");
}

TEST_F(TrackingApiTest, AnalyticsJsSettingsBehindTls) {
  auto r = call("GET", "/v1/projects/key%20with%20space/settings", "",
                {{"host", "cdp.example"}, {"x-forwarded-proto", "https"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["integrations"]["Segment.io"]["protocol"], "https");
  EXPECT_EQ(body(r)["integrations"]["Segment.io"]["apiKey"], "key with space");
}

TEST_F(TrackingApiTest, AnalyticsJsSettingsForAnUnknownKey) {
  EXPECT_EQ(call("GET", "/v1/projects/nope/settings").status, 404);
}

// ---- bodies ----

TEST_F(TrackingApiTest, BodyIsJsonWhateverTheContentType) {
  auto r = call("POST", "/v1/t", kTrack,
                {{"authorization", basic("wk:")}, {"content-type", "text/plain"}});
  EXPECT_EQ(r.status, 200);
}

TEST_F(TrackingApiTest, InvalidJsonIs400) {
  auto r = post("/v1/track", "{\"userId\":");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["code"], "invalid_json");
  auto list = rejections(1);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["code"], "invalid_json");
  EXPECT_EQ(list[0]["source"], "web");
}

TEST_F(TrackingApiTest, NonObjectBodyIs400) {
  EXPECT_EQ(body(post("/v1/track", "[1,2]"))["code"], "invalid_json");
  EXPECT_EQ(body(post("/v1/track", "\"str\""))["code"], "invalid_json");
  EXPECT_EQ(body(post("/v1/track", ""))["code"], "invalid_json");
}

TEST_F(TrackingApiTest, GzipBodyIsInflated) {
  auto r =
      call("POST", "/v1/batch", gzip(R"({"batch":[{"type":"track","userId":"u","event":"Gz"}]})"),
           {{"authorization", basic("wk:")},
            {"content-encoding", "gzip"},
            {"content-type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(events()[0]["event"], "Gz");
}

TEST_F(TrackingApiTest, GzipIsDetectedWithoutTheHeader) {
  EXPECT_EQ(post("/v1/track", gzip(kTrack)).status, 200);
}

TEST_F(TrackingApiTest, LabelledGzipThatDoesNotInflateIs400) {
  auto r = call("POST", "/v1/track", kTrack,
                {{"authorization", basic("wk:")}, {"content-encoding", "gzip"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["code"], "invalid_gzip");
}

TEST_F(TrackingApiTest, GzipInflatingPastTheBatchLimitIs413) {
  std::string big =
      R"({"userId":"u","event":"E","properties":{"x":")" + std::string(10'000, 'x') + "\"}}";
  auto r = post("/v1/track", gzip(big));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(body(r)["code"], "payload_too_large");
}

TEST_F(TrackingApiTest, BodyOverTheBatchLimitIs413) {
  std::string big =
      R"({"userId":"u","event":"E","properties":{"x":")" + std::string(5000, 'x') + "\"}}";
  auto r = post("/v1/track", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(body(r)["code"], "payload_too_large");
}

TEST_F(TrackingApiTest, MessageOverTheMessageLimitIs400) {
  std::string big =
      R"({"userId":"u","event":"E","properties":{"x":")" + std::string(2000, 'x') + "\"}}";
  auto r = post("/v1/track", big);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["code"], "message_too_large");
}

// ---- single messages ----

TEST_F(TrackingApiTest, InvalidSingleMessageIs400AndRecorded) {
  auto r = post("/v1/track", R"({"userId":"u"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["code"], "missing_event");
  EXPECT_EQ(body(r)["success"], false);
  EXPECT_TRUE(events().empty());
  auto list = rejections(1);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["code"], "missing_event");
  EXPECT_FALSE(list[0].contains("index"));
  EXPECT_EQ(list[0]["payload"], R"({"userId":"u"})");
}

TEST_F(TrackingApiTest, StoredEventCarriesServerTimeAndClientIp) {
  clock_.set(kNow + 1500);
  post("/v1/identify", R"({"userId":"u","traits":{"email":"a@b.c"}})");
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["receivedAt"], "2020-01-01T00:00:01.500Z");
  EXPECT_EQ(ev[0]["timestamp"], "2020-01-01T00:00:01.500Z");
  EXPECT_EQ(ev[0]["context"]["ip"], "203.0.113.7");
  EXPECT_EQ(log_->read(0, 1).at(0).received_at, kNow + 1500);
}

TEST_F(TrackingApiTest, RepeatedMessageIdIsAcknowledgedButStoredOnce) {
  std::string msg = R"({"userId":"u","event":"E","messageId":"m-1"})";
  EXPECT_EQ(post("/v1/track", msg).status, 200);
  EXPECT_EQ(post("/v1/track", msg).status, 200);
  EXPECT_EQ(events().size(), 1u);
}

TEST_F(TrackingApiTest, SameMessageIdFromAnotherSourceIsKept) {
  std::string msg = R"({"userId":"u","event":"E","messageId":"m-1"})";
  EXPECT_EQ(post("/v1/track", msg, basic("wk:")).status, 200);
  EXPECT_EQ(post("/v1/track", msg, basic("bk:")).status, 200);
  EXPECT_EQ(events().size(), 2u);
}

// ---- batches ----

TEST_F(TrackingApiTest, BatchStoresEveryItemInOrder) {
  auto r = post("/v1/batch", R"({"batch":[
      {"type":"identify","userId":"u","traits":{"plan":"pro"}},
      {"type":"track","userId":"u","event":"A"},
      {"type":"page","anonymousId":"a","name":"Home"}]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r), json({{"success", true}}));
  auto ev = events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0]["type"], "identify");
  EXPECT_EQ(ev[1]["event"], "A");
  EXPECT_EQ(ev[2]["name"], "Home");
}

TEST_F(TrackingApiTest, ImportAndShortBatchPaths) {
  EXPECT_EQ(post("/v1/import", R"({"batch":[{"type":"track","userId":"u","event":"A"}]})").status,
            200);
  EXPECT_EQ(post("/v1/b", R"({"batch":[{"type":"track","userId":"u","event":"B"}]})").status, 200);
  EXPECT_EQ(events().size(), 2u);
}

TEST_F(TrackingApiTest, BadItemsAreRejectedAloneAndNamed) {
  auto r = post("/v1/batch", R"({"batch":[
      {"type":"track","userId":"u","event":"Good"},
      {"type":"track","userId":"u"},
      {"type":"shout","userId":"u"}]})");
  EXPECT_EQ(r.status, 200);
  auto j = body(r);
  EXPECT_EQ(j["success"], true);
  ASSERT_EQ(j["rejected"].size(), 2u);
  EXPECT_EQ(j["rejected"][0]["index"], 1);
  EXPECT_EQ(j["rejected"][0]["code"], "missing_event");
  EXPECT_EQ(j["rejected"][1]["index"], 2);
  EXPECT_EQ(j["rejected"][1]["code"], "invalid_type");
  EXPECT_FALSE(j["rejected"][0]["message"].get<std::string>().empty());
  ASSERT_EQ(events().size(), 1u);
  EXPECT_EQ(events()[0]["event"], "Good");
  auto list = rejections(2);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["index"], 2);  // newest first; within one request, later index is newer
  EXPECT_EQ(list[1]["index"], 1);
}

TEST_F(TrackingApiTest, NonObjectBatchItemIsRejectedAlone) {
  auto r =
      post("/v1/batch", R"({"batch":["track",{"type":"track","userId":"u","event":"A"},null]})");
  EXPECT_EQ(r.status, 200);
  auto j = body(r);
  ASSERT_EQ(j["rejected"].size(), 2u);
  EXPECT_EQ(j["rejected"][0]["index"], 0);
  EXPECT_EQ(j["rejected"][0]["code"], "invalid_message");
  EXPECT_EQ(j["rejected"][1]["index"], 2);
  EXPECT_EQ(events().size(), 1u);
}

TEST_F(TrackingApiTest, BatchWhoseEveryItemIsBadIs400) {
  auto r = post("/v1/batch", R"({"batch":[{"type":"track","userId":"u"},{"userId":"u"}]})");
  EXPECT_EQ(r.status, 400);
  auto j = body(r);
  EXPECT_EQ(j["success"], false);
  EXPECT_EQ(j["code"], "invalid_batch");
  ASSERT_EQ(j["rejected"].size(), 2u);
  EXPECT_EQ(j["rejected"][1]["code"], "invalid_type");
  EXPECT_TRUE(events().empty());
}

TEST_F(TrackingApiTest, BatchNeedsABatchArray) {
  EXPECT_EQ(body(post("/v1/batch", R"({"events":[]})"))["code"], "invalid_batch");
  EXPECT_EQ(body(post("/v1/batch", R"({"batch":{}})"))["code"], "invalid_batch");
}

TEST_F(TrackingApiTest, EmptyBatchIsAccepted) {
  auto r = post("/v1/batch", R"({"batch":[]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(events().empty());
}

TEST_F(TrackingApiTest, TooManyMessagesIs400) {
  auto r = post("/v1/batch", R"({"batch":[{"type":"page","userId":"u"},{"type":"page","userId":"u"},
      {"type":"page","userId":"u"},{"type":"page","userId":"u"}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body(r)["code"], "too_many_messages");
  EXPECT_TRUE(events().empty());
}

TEST_F(TrackingApiTest, BatchContextAndIntegrationsMergeIntoItems) {
  auto r = post("/v1/batch", R"({"context":{"library":{"name":"analytics-node"},"locale":"en"},
      "integrations":{"All":false},
      "batch":[{"type":"track","userId":"u","event":"A","context":{"locale":"fr"}},
               {"type":"track","userId":"u","event":"B"}]})");
  EXPECT_EQ(r.status, 200);
  auto ev = events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0]["context"]["locale"], "fr");
  EXPECT_EQ(ev[0]["context"]["library"]["name"], "analytics-node");
  EXPECT_EQ(ev[1]["context"]["locale"], "en");
  EXPECT_EQ(ev[1]["integrations"]["All"], false);
}

TEST_F(TrackingApiTest, BatchWriteKeyInTheBody) {
  auto r = post("/v1/batch",
                R"({"writeKey":"bk","batch":[{"type":"track","userId":"u","event":"A"}]})", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(log_->read(0, 1).at(0).source, "backend");
}

// ---- storage refusing ----

TEST_F(TrackingApiTest, StoppedLogIs503WithRetryAfter) {
  log_->stop();
  auto r = post("/v1/track", kTrack);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(body(r)["success"], false);
  EXPECT_FALSE(header(r, "Retry-After").empty());
}

// ---- metrics ----

TEST_F(TrackingApiTest, CountsRequestsEventsAndRejections) {
  post("/v1/track", kTrack);
  post("/v1/batch",
       R"({"batch":[{"type":"identify","userId":"u"},{"type":"track","userId":"u"}]})");
  post("/v1/track", kTrack, "");
  auto requests = stats_.requests.snapshot();
  EXPECT_EQ(requests["endpoint=\"track\",status=\"200\""], 1u);
  EXPECT_EQ(requests["endpoint=\"track\",status=\"401\""], 1u);
  EXPECT_EQ(requests["endpoint=\"batch\",status=\"200\""], 1u);
  auto ev = stats_.events.snapshot();
  EXPECT_EQ(ev["source=\"web\",type=\"track\""], 1u);
  EXPECT_EQ(ev["source=\"web\",type=\"identify\""], 1u);
  auto rej = stats_.rejected.snapshot();
  EXPECT_EQ(rej["reason=\"missing_event\""], 1u);
  EXPECT_EQ(rej["reason=\"invalid_write_key\""], 1u);
  EXPECT_GT(stats_.bytes_received.load(), 0u);
}

}  // namespace
}  // namespace tributary::ingest
