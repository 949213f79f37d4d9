// next_change(): when a profile expression's value can next change with time alone.
//
// Each node is analysed into its value at now, how that value moves with time (`slope`: a time
// or duration that grows by `slope` ms per ms, e.g. now() - 2d has slope 1), and the earliest
// instant its value or slope can change in any other way (`until`). A comparison of operands
// with different slopes flips at an instant solved exactly on the millisecond grid; and/or use
// which operand decides the current result. Times are whole milliseconds, so "the first
// instant at which the value differs" is well defined.
#include <algorithm>

#include "expr/evaluator.h"
#include "expr/operations.h"

namespace tributary::expr {
namespace {

using opt_ms = std::optional<millis>;

opt_ms earliest(opt_ms a, opt_ms b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

millis ceil_div(millis a, millis b) {  // b > 0
  return -floor_div(-a, b);
}

struct timed {
  value v;
  int slope = 0;
  opt_ms until;  //!< earliest change other than the slope; nullopt = never
};

//! The first u >= 1 at which `D + s*u` (s != 0) changes the truth of `D op 0`.
opt_ms first_flip(op o, millis d, millis s) {
  if (o == op::eq || o == op::ne) {
    if (d == 0) return 1;
    if ((d > 0) == (s > 0)) return std::nullopt;  // moving away from equality
    return ceil_div(d > 0 ? d : -d, s > 0 ? s : -s);
  }
  // Every ordering is `D <= c` after negating D when needed: lt: D <= -1, le: D <= 0,
  // ge: -D <= 0, gt: -D <= -1.
  millis c = o == op::lt || o == op::gt ? -1 : 0;
  if (o == op::gt || o == op::ge) d = -d, s = -s;
  const bool holds = d <= c;
  if (s > 0 && holds) return floor_div(c - d, s) + 1;  // rises past c
  if (s < 0 && !holds) return ceil_div(d - c, -s);     // falls to c
  return std::nullopt;
}

//! Millisecond positions of two ordered operands of the same sort (both times, or both
//! durations), else nullopt: then the comparison does not move with time.
std::optional<std::pair<millis, millis>> positions(const value& a, const value& b) {
  if (a.type() == kind::duration && b.type() == kind::duration)
    return std::pair{a.as_millis(), b.as_millis()};
  if (a.type() == kind::time || b.type() == kind::time) {
    auto ta = as_time(a), tb = as_time(b);
    if (ta && tb) return std::pair{*ta, *tb};
  }
  return std::nullopt;
}

class analyzer {
 public:
  analyzer(const program& p, const profile_view& profile)
      : ev_(p, nullptr, &profile), profile_(profile), now_(profile.now()) {}

  timed run(std::uint32_t i) const;

 private:
  opt_ms at(opt_ms u) const { return u ? opt_ms(now_ + *u) : std::nullopt; }
  timed logical(const detail::node& n) const;
  timed comparison(const detail::node& n) const;
  timed call(const detail::node& n) const;

  evaluator<nlohmann::json> ev_;
  const profile_view& profile_;
  millis now_;
};

timed analyzer::run(std::uint32_t i) const {
  const detail::node& n = ev_.code().nodes[i];
  switch (n.code) {
    case op::now:
      return {value::time(now_), 1, std::nullopt};
    case op::history:
    case op::performed:
      return {ev_.eval(i), 0, profile_.history_next_change(n.a)};
    case op::not_: {
      timed x = run(n.a);  // a moving value is a time or duration: never `true`
      return {value::boolean(!x.v.is_true()), 0, x.until};
    }
    case op::and_:
    case op::or_:
      return logical(n);
    case op::eq:
    case op::ne:
    case op::lt:
    case op::le:
    case op::gt:
    case op::ge:
      return comparison(n);
    case op::in: {
      timed item = run(n.a), list = run(n.b);
      opt_ms until = earliest(item.until, list.until);
      if (item.slope != 0) until = earliest(until, now_ + 1);
      return {value::boolean(contains_item(list.v, item.v)), 0, until};
    }
    case op::add:
    case op::sub: {
      timed a = run(n.a), b = run(n.b);
      value v = arithmetic(n.code, a.v, b.v);
      const bool moves = v.type() == kind::time || v.type() == kind::duration;
      const int slope = n.code == op::add ? a.slope + b.slope : a.slope - b.slope;
      return {v, moves ? slope : 0, earliest(a.until, b.until)};
    }
    case op::call:
      return call(n);
    default:
      return {ev_.eval(i), 0, std::nullopt};
  }
}

timed analyzer::logical(const detail::node& n) const {
  timed a = run(n.a), b = run(n.b);
  const bool at = a.v.is_true(), bt = b.v.is_true();
  const bool is_and = n.code == op::and_;
  const bool result = is_and ? at && bt : at || bt;
  // The result is held by the operands that equal the absorbing value (false for and, true for
  // or); it cannot change before all of them have changed. Otherwise any operand may flip it.
  const bool absorbing = !is_and;
  if (result == absorbing) {
    opt_ms until;
    for (const timed* x : {&a, &b}) {
      if (x->v.is_true() != absorbing) continue;
      if (!x->until) return {value::boolean(result), 0, std::nullopt};
      until = until ? std::max(*until, *x->until) : x->until;
    }
    return {value::boolean(result), 0, until};
  }
  return {value::boolean(result), 0, earliest(a.until, b.until)};
}

timed analyzer::comparison(const detail::node& n) const {
  timed a = run(n.a), b = run(n.b);
  timed out{value::boolean(compare(n.code, a.v, b.v, ev_.kind(), n.flag)), 0,
            earliest(a.until, b.until)};
  if (a.slope == b.slope) return out;
  auto pos = positions(a.v, b.v);
  if (!pos) return out;
  out.until =
      earliest(out.until, at(first_flip(n.code, pos->first - pos->second, a.slope - b.slope)));
  return out;
}

timed analyzer::call(const detail::node& n) const {
  timed args[2];
  opt_ms until;
  bool moving = false;
  for (std::uint32_t k = 0; k < n.b && k < 2; ++k) {
    args[k] = run(ev_.code().args[n.a + k]);
    until = earliest(until, args[k].until);
    moving = moving || args[k].slope != 0;
  }
  value in[2] = {args[0].v, args[1].v};
  timed out{call_function(n.f, in, now_), 0, until};
  if (n.f == fn::days_since) {
    // whole days of (now - t): moves at rate 1 - slope(t); the next step is the next multiple
    // of a day.
    auto t = as_time(args[0].v);
    const millis rate = 1 - args[0].slope;
    if (!t || rate == 0) return out;
    const millis d = now_ - *t;
    const millis k = floor_div(d, kDay);
    const millis u =
        rate > 0 ? ceil_div((k + 1) * kDay - d, rate) : floor_div(d - k * kDay, -rate) + 1;
    out.until = earliest(out.until, now_ + u);
  } else if (n.f == fn::to_string && moving) {
    out.until = earliest(out.until, now_ + 1);  // the text of a moving time changes every ms
  }
  return out;
}

}  // namespace

std::optional<millis> next_change(const program& p, const profile_view& profile) {
  if (p.kind() != mode::profile || !p.depends_on_time()) return std::nullopt;
  const millis now = profile.now();
  timed root = analyzer(p, profile).run(p.code().root);
  opt_ms until = root.until;
  if (root.slope != 0) until = now + 1;  // the value itself is a moving time
  if (until && *until <= now) until = now + 1;
  return until;
}

}  // namespace tributary::expr
