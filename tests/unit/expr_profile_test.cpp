// Profile (audience) expressions: the data-driven cases of tests/cases/expr/*.yaml that have
// `profiles:`, the compiled program's history terms and references, and next_change checked
// against a brute-force scan of time.
//
// A profile file has `now:`, `profiles:` (name → traits, audiences, user_id, anonymous_ids,
// events with an ISO `timestamp`) and `cases:` with `expr`, `profile` (default "default"),
// optional `now`, `expect` (the result as JSON) and optional `next_change` (ISO time or null).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "tributary/common/time.h"
#include "tributary/expr/evaluate.h"
#include "yaml_json.h"

namespace tributary::expr {
namespace {

namespace fs = std::filesystem;

//! A profile_view over plain data. History terms are computed from `events_` the way the
//! computed-trait engine is meant to: an event counts once its timestamp is reached, and for a
//! window while now < timestamp + window.
class fake_profile final : public profile_view {
 public:
  const nlohmann::json& traits() const override { return traits_; }
  bool in_audience(std::string_view key) const override {
    return audiences_.count(std::string(key)) > 0;
  }
  std::string_view user_id() const override { return user_id_; }
  std::vector<std::string_view> anonymous_ids() const override {
    return {anonymous_ids_.begin(), anonymous_ids_.end()};
  }
  millis now() const override { return now_; }

  value history(std::size_t i) const override {
    const history_term& term = program_->history().at(i);
    double count = 0;
    std::optional<millis> first, last;
    for_each_counted(term, [&](millis ts) {
      ++count;
      first = first ? std::min(*first, ts) : ts;
      last = last ? std::max(*last, ts) : ts;
    });
    switch (term.k) {
      case history_term::kind::count:
        return value::number(count);
      case history_term::kind::first_seen:
        return first ? value::time(*first) : value::null();
      case history_term::kind::last_seen:
        return last ? value::time(*last) : value::null();
    }
    return value::null();
  }

  std::optional<millis> history_next_change(std::size_t i) const override {
    const history_term& term = program_->history().at(i);
    if (term.window == 0) return std::nullopt;
    std::optional<millis> next;
    for_each_counted(term, [&](millis ts) {
      next = next ? std::min(*next, ts + term.window) : ts + term.window;
    });
    return next;
  }

  nlohmann::json traits_ = nlohmann::json::object();
  std::set<std::string> audiences_;
  std::string user_id_;
  std::vector<std::string> anonymous_ids_;
  millis now_ = 0;
  std::vector<nlohmann::json> events_;
  const program* program_ = nullptr;

 private:
  template <class F>
  void for_each_counted(const history_term& term, F&& f) const {
    for (const auto& e : events_) {
      auto ts = parse_iso8601(e.value("timestamp", ""));
      if (!ts || *ts > now_ || !counts_for(term, e)) continue;
      if (term.window > 0 && now_ >= *ts + term.window) continue;
      f(*ts);
    }
  }
};

millis at(std::string_view iso) {
  auto t = parse_iso8601(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t.value_or(0);
}

std::shared_ptr<const program> compile_profile(std::string_view text) {
  auto r = compile(text, mode::profile);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().to_string());
  return r.ok() ? r.value() : nullptr;
}

// ---- data-driven cases -------------------------------------------------------------------

struct profile_case {
  std::string file;
  std::string expr;
  YAML::Node doc;
  YAML::Node c;
};

void PrintTo(const profile_case& c, std::ostream* os) {
  *os << c.file << ": " << c.expr;
}

std::vector<profile_case> load_cases() {
  std::vector<profile_case> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(TRIBUTARY_CASES_DIR) / "expr"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    YAML::Node doc = YAML::LoadFile(f.string());
    if (!doc["profiles"]) continue;
    for (const auto& c : doc["cases"])
      out.push_back({f.filename().string(), c["expr"].as<std::string>(), doc, c});
  }
  return out;
}

fake_profile make_profile(const YAML::Node& p, millis now) {
  fake_profile f;
  f.now_ = now;
  if (p["traits"]) f.traits_ = test_support::yaml_to_json(p["traits"]);
  if (p["audiences"])
    for (const auto& a : p["audiences"]) f.audiences_.insert(a.as<std::string>());
  if (p["user_id"]) f.user_id_ = p["user_id"].as<std::string>();
  if (p["anonymous_ids"])
    for (const auto& a : p["anonymous_ids"]) f.anonymous_ids_.push_back(a.as<std::string>());
  if (p["events"])
    for (const auto& e : p["events"]) f.events_.push_back(test_support::yaml_to_json(e));
  return f;
}

class ProfileCase : public ::testing::TestWithParam<profile_case> {};

TEST_P(ProfileCase, Evaluates) {
  const profile_case& tc = GetParam();
  const YAML::Node& c = tc.c;
  auto p = compile_profile(tc.expr);
  ASSERT_TRUE(p);
  ASSERT_TRUE(c["expect"].IsDefined()) << "a case needs `expect`";
  const std::string name = c["profile"] ? c["profile"].as<std::string>() : "default";
  ASSERT_TRUE(tc.doc["profiles"][name]) << "no profile " << name;
  const millis now = at((c["now"] ? c["now"] : tc.doc["now"]).as<std::string>());
  fake_profile view = make_profile(tc.doc["profiles"][name], now);
  view.program_ = p.get();

  const nlohmann::json expect = test_support::yaml_to_json(c["expect"]);
  EXPECT_EQ(to_json(evaluate(*p, view)), expect);
  EXPECT_EQ(matches(*p, view), expect == true);
  if (c["next_change"]) {
    auto got = next_change(*p, view);
    if (c["next_change"].IsNull()) {
      EXPECT_EQ(got, std::nullopt) << format_iso8601(got.value_or(0));
    } else {
      ASSERT_TRUE(got.has_value()) << "expected a next change";
      EXPECT_EQ(format_iso8601(*got), format_iso8601(at(c["next_change"].as<std::string>())));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ProfileCase, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<profile_case>& info) {
                           std::string name = info.param.expr.substr(0, 48);
                           return test_support::case_test_name(info.param.file, name, info.index);
                         });

// ---- what a compiled program lists -------------------------------------------------------

TEST(ProfileProgram, ListsHistoryTermsOnceEach) {
  auto p = compile_profile(
      "performed(\"A\") and event_count(\"A\") > 1 and event_count(\"A\", 7d) > 0 and "
      "first_seen(\"B\") < now() and last_seen(\"B\", where properties.x = 1) != null and "
      "!performed(\"A\", 7d)");
  ASSERT_TRUE(p);
  const auto& h = p->history();
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].k, history_term::kind::count);
  EXPECT_EQ(h[0].event, "A");
  EXPECT_EQ(h[0].window, 0);
  EXPECT_EQ(h[0].where, nullptr);
  EXPECT_EQ(h[1].window, 7 * 86'400'000);  // performed("A", 7d) shares it
  EXPECT_EQ(h[2].k, history_term::kind::first_seen);
  EXPECT_EQ(h[3].k, history_term::kind::last_seen);
  ASSERT_NE(h[3].where, nullptr);
  EXPECT_EQ(h[3].where->source(), "properties.x = 1");
  EXPECT_EQ(h[3].where->kind(), mode::event);
  EXPECT_TRUE(p->depends_on_time());
}

TEST(ProfileProgram, WhereClausesWithDifferentTextAreDifferentTerms) {
  auto p = compile_profile(
      "performed(\"A\", where properties.x = 1) or performed(\"A\", where properties.x = 2)");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->history().size(), 2u);
  EXPECT_EQ(p->history()[1].where->source(), "properties.x = 2");
}

TEST(ProfileProgram, WhereProgramEvaluatesOnEvents) {
  auto p = compile_profile("performed(\"Order Completed\", 30d, where properties.total > 100)");
  ASSERT_TRUE(p);
  const history_term& term = p->history().at(0);
  nlohmann::json big = {
      {"type", "track"}, {"event", "Order Completed"}, {"properties", {{"total", 150}}}};
  nlohmann::json small = big;
  small["properties"]["total"] = 50;
  EXPECT_TRUE(matches(*term.where, big));
  EXPECT_FALSE(matches(*term.where, small));
  EXPECT_TRUE(counts_for(term, big));
  EXPECT_FALSE(counts_for(term, small));
  EXPECT_TRUE(counts_for(term, nlohmann::ordered_json::parse(big.dump())));
}

TEST(ProfileProgram, ListsAudiencesAndTraitPaths) {
  auto p = compile_profile(
      "audiences.a and !audiences.b and audiences.a and traits.plan = 'x' and "
      "traits.address.city = 'y' and traits.plan != 'z' and typeof(traits) = 'object'");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->audiences(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p->trait_paths(),
            (std::vector<std::vector<std::string>>{{"plan"}, {"address", "city"}, {}}));
  EXPECT_FALSE(p->depends_on_time());
  EXPECT_TRUE(p->history().empty());
}

TEST(ProfileProgram, EscapedTraitPathSegments) {
  auto p = compile_profile("traits.first\\ name = 'Ada'");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->trait_paths(), (std::vector<std::vector<std::string>>{{"first name"}}));
  fake_profile view;
  view.traits_ = {{"first name", "Ada"}};
  view.program_ = p.get();
  EXPECT_TRUE(matches(*p, view));
}

TEST(ProfileProgram, DependsOnTime) {
  EXPECT_TRUE(compile_profile("now() > traits.x")->depends_on_time());
  EXPECT_TRUE(compile_profile("days_since(traits.x) > 1")->depends_on_time());
  EXPECT_TRUE(compile_profile("performed(\"A\", 1h)")->depends_on_time());
  EXPECT_FALSE(compile_profile("performed(\"A\")")->depends_on_time());
  EXPECT_FALSE(compile_profile("traits.x + 1d > traits.y")->depends_on_time());
}

TEST(ProfileProgram, EventNames) {
  nlohmann::json page = {{"type", "page"}, {"name", "Home"}};
  nlohmann::json screen = {{"type", "screen"}};
  nlohmann::json track = {{"type", "track"}, {"event", "Signed Up"}};
  nlohmann::json identify = {{"type", "identify"}, {"event", "Signed Up"}};
  EXPECT_EQ(effective_event_name(page), "Page Viewed");
  EXPECT_EQ(effective_event_name(screen), "Screen Viewed");
  EXPECT_EQ(effective_event_name(track), "Signed Up");
  EXPECT_EQ(effective_event_name(identify), std::nullopt);
  EXPECT_EQ(effective_event_name(nlohmann::json::array()), std::nullopt);
  EXPECT_EQ(effective_event_name(nlohmann::ordered_json::parse(track.dump())), "Signed Up");
  auto any = compile_profile("performed(\"*\")");
  EXPECT_TRUE(counts_for(any->history()[0], page));
  EXPECT_TRUE(counts_for(any->history()[0], track));
  EXPECT_FALSE(counts_for(any->history()[0], identify));
  auto pages = compile_profile("performed(\"Page Viewed\")");
  EXPECT_TRUE(counts_for(pages->history()[0], page));
  EXPECT_FALSE(counts_for(pages->history()[0], screen));
}

TEST(ProfileProgram, ModesDoNotMix) {
  auto event_prog = compile("type = 'track'", mode::event).value();
  auto profile_prog = compile_profile("traits.plan = 'x'");
  fake_profile view;
  view.traits_ = {{"plan", "x"}};
  view.program_ = profile_prog.get();
  EXPECT_TRUE(matches(*profile_prog, view));
  EXPECT_TRUE(evaluate(*event_prog, view).is_null());
  EXPECT_TRUE(evaluate(*profile_prog, nlohmann::json{{"traits", {{"plan", "x"}}}}).is_null());
  EXPECT_EQ(next_change(*event_prog, view), std::nullopt);
}

TEST(ProfileProgram, NonObjectTraitsReadAsMissing) {
  auto p = compile_profile("traits.plan = null and typeof(traits) = 'null'");
  fake_profile view;
  view.traits_ = nullptr;
  view.program_ = p.get();
  EXPECT_TRUE(matches(*p, view));
}

// ---- next_change against a scan of time ---------------------------------------------------

//! Follows next_change from `from` to `to` like the audience engine would, and checks it
//! against evaluating every `step`: every change the scan sees must have been scheduled at or
//! before the scanned instant (and after the previous scan point), and every scheduled
//! re-evaluation that found a change must be one the scan sees.
void check_schedule(std::string_view text, fake_profile view, millis from, millis to, millis step,
                    std::size_t expected_changes) {
  SCOPED_TRACE(std::string(text));
  auto p = compile_profile(text);
  ASSERT_TRUE(p);
  view.program_ = p.get();
  auto value_at = [&](millis t) {
    view.now_ = t;
    return to_json(evaluate(*p, view));
  };
  std::vector<millis> scheduled;  // instants where a scheduled re-evaluation saw a change
  millis t = from;
  nlohmann::json current = value_at(t);
  for (int guard = 0; guard < 10'000; ++guard) {
    view.now_ = t;
    auto next = next_change(*p, view);
    if (!next || *next > to) break;
    ASSERT_GT(*next, t);
    nlohmann::json v = value_at(*next);
    if (v != current) scheduled.push_back(*next);
    current = v;
    t = *next;
  }
  std::vector<millis> scanned;  // first scan instant after each change
  nlohmann::json prev = value_at(from);
  for (millis s = from + step; s <= to; s += step) {
    nlohmann::json v = value_at(s);
    if (v != prev) scanned.push_back(s);
    prev = v;
  }
  ASSERT_EQ(scheduled.size(), scanned.size());
  EXPECT_EQ(scanned.size(), expected_changes);
  for (std::size_t i = 0; i < scanned.size(); ++i) {
    EXPECT_LE(scheduled[i], scanned[i]) << "scheduled too late";
    EXPECT_GT(scheduled[i], scanned[i] - step) << "change seen earlier than the scan allows";
    // And at the scheduled instant, not one millisecond before, the value is new.
    EXPECT_NE(value_at(scheduled[i] - 1), value_at(scheduled[i]));
  }
}

constexpr millis kMinute = 60'000;

TEST(NextChange, StuckAtStepOneEntersAtSignupPlus48h) {
  fake_profile v;
  v.traits_ = {{"signed_up_at", "2024-03-08T12:34:56.789Z"}};
  check_schedule("traits.signed_up_at < now() - 2d and !performed(\"Project Created\")", v,
                 at("2024-03-08T00:00:00Z"), at("2024-03-14T00:00:00Z"), kMinute, 1);
}

TEST(NextChange, AtRiskTrialEntersAndLeaves) {
  fake_profile v;
  v.traits_ = {
      {"plan", "trial"}, {"trial_ends_at", "2024-03-20T08:00:00.250Z"}, {"activation_score", 0}};
  check_schedule(
      "traits.plan = \"trial\" and traits.trial_ends_at > now() and "
      "traits.trial_ends_at <= now() + 3d and traits.activation_score < 2",
      v, at("2024-03-10T00:00:00Z"), at("2024-03-25T00:00:00Z"), kMinute, 2);
}

TEST(NextChange, DaysSinceStepsEveryDay) {
  fake_profile v;
  v.traits_ = {{"signed_up_at", "2024-03-01T09:30:00.5Z"}};
  check_schedule("days_since(traits.signed_up_at)", v, at("2024-03-01T00:00:00Z"),
                 at("2024-03-06T00:00:00Z"), kMinute, 5);
  check_schedule("days_since(traits.signed_up_at) >= 3", v, at("2024-03-01T00:00:00Z"),
                 at("2024-03-06T00:00:00Z"), kMinute, 1);
}

TEST(NextChange, WindowedCountsFollowEventsLeaving) {
  fake_profile v;
  v.events_ = {{{"type", "track"}, {"event", "Login"}, {"timestamp", "2024-03-01T10:00:00.1Z"}},
               {{"type", "track"}, {"event", "Login"}, {"timestamp", "2024-03-02T11:00:00Z"}},
               {{"type", "page"}, {"timestamp", "2024-03-02T12:00:00Z"}}};
  // Counted from 03-02T11:00 (2 logins) down to 1 at 03-04T10:00:00.1 and 0 at 03-05T11:00.
  check_schedule("event_count(\"Login\", 3d)", v, at("2024-03-02T11:00:00Z"),
                 at("2024-03-07T00:00:00Z"), kMinute, 2);
  check_schedule("performed(\"Login\", 3d) and now() - 1d > traits.missing_or_not", v,
                 at("2024-03-02T11:00:00Z"), at("2024-03-07T00:00:00Z"), kMinute, 0);
  check_schedule("!performed(\"*\", 1d)", v, at("2024-03-02T12:00:00Z"), at("2024-03-07T00:00:00Z"),
                 kMinute, 1);
}

TEST(NextChange, RelativeWindowOnLastSeen) {
  fake_profile v;
  v.events_ = {{{"type", "track"}, {"event", "Login"}, {"timestamp", "2024-03-01T10:00:00.1Z"}}};
  check_schedule("last_seen(\"Login\") > now() - 7d", v, at("2024-03-01T10:00:00.1Z"),
                 at("2024-03-10T00:00:00Z"), kMinute, 1);
  check_schedule("now() - last_seen(\"Login\") >= 2h", v, at("2024-03-01T10:00:00.1Z"),
                 at("2024-03-02T00:00:00Z"), kMinute, 1);
}

TEST(NextChange, BoundariesOfEachComparison) {
  // t = 2024-03-10T00:00:00Z; each expression compares t against now() ± 1h.
  fake_profile v;
  v.traits_ = {{"t", "2024-03-10T00:00:00Z"}};
  const millis t = at("2024-03-10T00:00:00Z"), hour = 3'600'000;
  struct row {
    const char* text;
    millis flips_at;  // the first instant with the new value
  };
  const row rows[] = {
      {"traits.t < now() - 1h", t + hour + 1},   // t < now - 1h ⇔ now > t + 1h
      {"traits.t <= now() - 1h", t + hour},      // ⇔ now >= t + 1h
      {"traits.t > now() - 1h", t + hour},       // true until now reaches t + 1h
      {"traits.t >= now() - 1h", t + hour + 1},  // true through t + 1h
      {"traits.t <= now() + 1h", t - hour},      // becomes true at t - 1h
      {"traits.t < now() + 1h", t - hour + 1},  {"now() + 1h > traits.t", t - hour + 1},
      {"now() - 1h >= traits.t", t + hour},     {"traits.t = now() - 1h", t + hour},
      {"traits.t != now() - 1h", t + hour},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.text);
    auto p = compile_profile(r.text);
    v.program_ = p.get();
    v.now_ = t - 2 * hour;
    const bool before = matches(*p, v);
    EXPECT_EQ(next_change(*p, v), r.flips_at);
    v.now_ = r.flips_at - 1;
    EXPECT_EQ(matches(*p, v), before);
    v.now_ = r.flips_at;
    EXPECT_NE(matches(*p, v), before);
  }
}

TEST(NextChange, ClampsAHistoryChangeInThePast) {
  struct stale final : profile_view {
    nlohmann::json t = nlohmann::json::object();
    const nlohmann::json& traits() const override { return t; }
    bool in_audience(std::string_view) const override { return false; }
    std::string_view user_id() const override { return {}; }
    std::vector<std::string_view> anonymous_ids() const override { return {}; }
    millis now() const override { return 1000; }
    value history(std::size_t) const override { return value::number(1); }
    std::optional<millis> history_next_change(std::size_t) const override { return 5; }
  } view;
  auto p = compile_profile("performed(\"A\", 1h)");
  EXPECT_EQ(next_change(*p, view), 1001);
}

TEST(NextChange, NoTimeTermsMeansNever) {
  fake_profile v;
  v.traits_ = {{"signed_up_at", "2024-03-01T00:00:00Z"}};
  for (const char* text : {"traits.signed_up_at + 1d > traits.signed_up_at", "performed(\"A\")",
                           "traits.signed_up_at = '2024-03-01T00:00:00Z'", "audiences.x"}) {
    auto p = compile_profile(text);
    v.program_ = p.get();
    EXPECT_EQ(next_change(*p, v), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace tributary::expr
