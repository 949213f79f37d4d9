// Tracking plan cost: parse + normalize a /v1/batch body of 100 events, with and without the
// example plan (shared/spec/examples/onboarding.yaml's tracking_plan), in CPU time per event.
// usage: plan_bench [ROUNDS]
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "ingest/normalize.h"
#include "tributary/config/config.h"

using namespace tributary;

static const char* kConfig = R"(
sources: {web: {write_keys: [k]}}
tracking_plan:
  events:
    "Project Created":
      properties:
        project_id:    {type: string, required: true}
        template_used: {type: boolean}
    "Teammate Invited":
      properties:
        invitee_email: {type: string}
    "Task Assigned":
      properties:
        task_id: {type: string, required: true}
    "Connection Setup Abandoned":
      properties:
        seconds_on_screen: {type: number}
  identify:
    traits:
      email:         {type: string}
      plan:          {type: string, enum: [trial, pro, enterprise]}
      company_size:  {type: string}
      signup_source: {type: string}
      signed_up_at:  {type: string, format: date-time}
      trial_ends_at: {type: string, format: date-time}
  unplanned_events: allow
  unplanned_properties: allow
  violations: flag
  rename_events: {project_created: "Project Created", ProjectCreated: "Project Created"}
)";

static double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 20000;
  auto loaded = config::load_from_string(kConfig, "plan_bench");
  if (!loaded.cfg) return 1;
  // The onboarding mix: planned milestones (one renamed, one violating), identifies, pages.
  std::string body = "{\"batch\":[";
  const char* kinds[] = {
      R"({"type":"track","userId":"u%d","event":"Project Created","properties":{"project_id":"p%d","template_used":true},"messageId":"m%d","timestamp":"2026-11-28T10:00:00Z","context":{"library":{"name":"analytics-node","version":"3.1.0"}}})",
      R"({"type":"track","userId":"u%d","event":"project_created","properties":{"project_id":"p%d"},"messageId":"m%d","timestamp":"2026-11-28T10:00:00Z"})",
      R"({"type":"track","userId":"u%d","event":"Task Assigned","properties":{"assignee":"x%d"},"messageId":"m%d","timestamp":"2026-11-28T10:00:00Z"})",
      R"({"type":"identify","userId":"u%d","traits":{"email":"u%d@example.com","plan":"trial","signed_up_at":"2026-11-28T10:00:00Z"},"messageId":"m%d"})",
      R"({"type":"page","anonymousId":"a%d","name":"Pricing","properties":{"path":"/pricing","n":%d},"messageId":"m%d"})",
  };
  for (int i = 0; i < 100; ++i) {
    char buf[512];
    std::snprintf(buf, sizeof buf, kinds[i % 5], i, i, i);
    body += (i ? "," : "") + std::string(buf);
  }
  body += "]}";
  simdjson::dom::parser parser;
  double results[2];
  for (int with_plan = 0; with_plan < 2; ++with_plan) {
    ingest::normalize_input in;
    in.received_at = 1'780'000'000'000;
    in.source = "web";
    in.plan = with_plan ? loaded.cfg->tracking_plan.get() : nullptr;
    std::size_t bytes = 0;
    double t0 = cpu_seconds();
    for (int r = 0; r < rounds; ++r) {
      simdjson::dom::element root;
      if (parser.parse(body).get(root)) return 2;
      simdjson::dom::array items = root["batch"].get_array().value_unsafe();  // a copy: no temporary
      for (auto item : items) {
        auto n = ingest::normalize(item, std::nullopt, in);
        if (!n.ok()) return 3;
        bytes += n.value().json.size();
      }
    }
    results[with_plan] = (cpu_seconds() - t0) / (rounds * 100.0) * 1e9;
    std::fprintf(stderr, "(%zu bytes written)\n", bytes);
  }
  std::printf("| parse + normalize, no plan (ns/event) | with the example plan (ns/event) | plan cost (ns/event) |\n");
  std::printf("|---|---|---|\n");
  std::printf("| %.0f | %.0f | %.0f |\n", results[0], results[1], results[1] - results[0]);
  return 0;
}
