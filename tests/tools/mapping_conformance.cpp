// Runs Segment's recorded mapping-kit cases (shared/conformance/*.json) against
// tributary_transform and prints pass/fail counts and each failure. A developer tool: see
// scripts/mapping-conformance.sh.
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "tributary/transform/js_json.h"
#include "tributary/transform/mapping.h"

namespace tt = tributary::transform;
using tt::ordered_json;

namespace {

ordered_json load(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  return tt::parse(ss.str());
}

//! The file's stand-ins for values JSON cannot hold, turned into ours.
ordered_json decode(const ordered_json& v) {
  if (v.is_object()) {
    if (v.size() == 1 && v.contains("$undefined"))
      return ordered_json(ordered_json::value_t::discarded);
    if (v.size() == 1 && v.contains("$number")) {
      const auto s = v["$number"].get<std::string>();
      return s == "NaN" ? NAN : (s == "-Infinity" ? -INFINITY : INFINITY);
    }
    ordered_json out = ordered_json::object();
    for (const auto& kv : v.items()) {
      ordered_json d = decode(kv.value());
      if (!d.is_discarded()) out[kv.key()] = std::move(d);
    }
    return out;
  }
  if (v.is_array()) {
    ordered_json out = ordered_json::array();
    for (const auto& e : v) out.push_back(decode(e));
    return out;
  }
  return v;
}

bool uses_liquid(const ordered_json& c) {
  if (c.contains("directives"))
    for (const auto& d : c["directives"])
      if (d == "@liquid") return true;
  return tt::stringify(c["input"]).find("\"@liquid\"") != std::string::npos;
}

std::string show(const ordered_json& v) {
  return v.is_discarded() ? "undefined" : tt::stringify(v);
}

struct tally {
  int passed = 0, failed = 0, skipped = 0;
};

tally run_transform(const ordered_json& file) {
  tally t;
  for (const auto& c : file["cases"]) {
    if (uses_liquid(c)) {
      ++t.skipped;
      continue;
    }
    const ordered_json& in = c["input"];
    const ordered_json mapping = decode(in["mapping"]);
    const ordered_json data = in.contains("data") ? decode(in["data"]) : ordered_json::object();
    const ordered_json& expected = c["expected"];
    std::string got;
    bool threw = false;
    try {
      got = show(tt::transform(mapping, data));
    } catch (const tt::mapping_error& e) {
      threw = true;
      got = std::string("throws: ") + e.what();
    } catch (const std::exception& e) {
      got = std::string("unexpected exception: ") + e.what();
    }
    const bool expect_throw = expected.value("throws", false);
    const std::string want = expect_throw ? "throws" : show(decode(expected["result"]));
    const bool ok = expect_throw ? threw : (!threw && got == want);
    if (ok) {
      ++t.passed;
    } else {
      ++t.failed;
      std::cout << "FAIL " << c["id"].get<std::string>() << " ("
                << c["source_test"]["name"].get<std::string>()
                << ")\n  mapping: " << tt::stringify(in["mapping"]) << "\n  want:    " << want
                << "\n  got:     " << got << "\n";
    }
  }
  return t;
}

tally run_validate(const ordered_json& file) {
  tally t;
  for (const auto& c : file["cases"]) {
    if (uses_liquid(c)) {
      ++t.skipped;
      continue;
    }
    const ordered_json mapping = decode(c["input"]["mapping"]);
    const bool want_valid = c["expected"]["valid"].get<bool>();
    const auto problems = tt::validate(mapping);
    if (want_valid == !problems) {
      ++t.passed;
    } else {
      ++t.failed;
      std::cout << "FAIL " << c["id"].get<std::string>()
                << "\n  mapping: " << tt::stringify(c["input"]["mapping"])
                << "\n  want:    " << (want_valid ? "valid" : "invalid")
                << "\n  got:     " << (problems ? "invalid: " + *problems : "valid") << "\n";
    }
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: mapping_conformance TRANSFORM_JSON VALIDATE_JSON\n";
    return 2;
  }
  try {
    const tally tr = run_transform(load(argv[1]));
    const tally va = run_validate(load(argv[2]));
    std::cout << "transform: " << tr.passed << " passed, " << tr.failed << " failed (" << tr.skipped
              << " @liquid cases skipped)\n"
              << "validate:  " << va.passed << " passed, " << va.failed << " failed (" << va.skipped
              << " @liquid cases skipped)\n";
    return tr.failed + va.failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "mapping_conformance: " << e.what() << "\n";
    return 2;
  }
}
