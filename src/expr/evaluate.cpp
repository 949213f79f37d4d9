#include "tributary/expr/evaluate.h"

#include "expr/evaluator.h"
#include "expr/json_access.h"
#include "expr/operations.h"

namespace tributary::expr {

template <class Json>
value evaluator<Json>::eval_profile(const detail::node& n) const {
  switch (n.code) {
    case op::traits: {
      if (n.b == 0) return lookup(profile_->traits(), code_.strings.data() + n.a, 0);
      const nlohmann::json* t = profile_->trait(code_.strings[n.a]);
      return t ? lookup(*t, code_.strings.data() + n.a + 1, n.b - 1) : value::null();
    }
    case op::audience:
      return value::boolean(profile_->in_audience(code_.strings[n.a]));
    case op::user_id: {
      std::string_view id = profile_->user_id();
      return id.empty() ? value::null() : value::string(id);
    }
    case op::anonymous_ids: {
      nlohmann::json ids = nlohmann::json::array();
      for (std::string_view id : profile_->anonymous_ids()) ids.push_back(std::string(id));
      return value::owned_node(std::move(ids));
    }
    case op::now:
      return value::time(profile_->now());
    case op::history:
      return profile_->history(n.a);
    case op::performed: {
      value count = profile_->history(n.a);
      return value::boolean(count.type() == kind::number && count.as_number() > 0);
    }
    default:
      return value::null();
  }
}

template <class Json>
value evaluator<Json>::eval(std::uint32_t i) const {
  const detail::node& n = code_.nodes[i];
  switch (n.code) {
    case op::lit_null:
      return value::null();
    case op::lit_bool:
      return value::boolean(n.flag);
    case op::lit_number:
      return value::number(n.number);
    case op::lit_string:
      return value::string(code_.strings[n.a]);
    case op::lit_duration:
      return value::duration(n.ms);
    case op::lit_list:
      return value::node(code_.constants[n.a]);
    case op::path:
      return doc_ ? lookup(*doc_, code_.strings.data() + n.a, n.b) : value::null();
    case op::traits:
    case op::audience:
    case op::user_id:
    case op::anonymous_ids:
    case op::now:
    case op::history:
    case op::performed:
      return profile_ ? eval_profile(n) : value::null();
    case op::all:
      return value::boolean(true);
    case op::not_:
      return value::boolean(!eval(n.a).is_true());
    case op::and_:
      return value::boolean(eval(n.a).is_true() && eval(n.b).is_true());
    case op::or_:
      return value::boolean(eval(n.a).is_true() || eval(n.b).is_true());
    case op::eq:
    case op::ne:
    case op::lt:
    case op::le:
    case op::gt:
    case op::ge:
      return value::boolean(compare(n.code, eval(n.a), eval(n.b), mode_, n.flag));
    case op::in:
      return value::boolean(contains_item(eval(n.b), eval(n.a)));
    case op::add:
    case op::sub:
      return arithmetic(n.code, eval(n.a), eval(n.b));
    case op::call: {
      value args[2];
      for (std::uint32_t k = 0; k < n.b && k < 2; ++k) args[k] = eval(code_.args[n.a + k]);
      return call_function(n.f, args, profile_ ? profile_->now() : 0);
    }
  }
  return value::null();
}

template class evaluator<nlohmann::json>;
template class evaluator<nlohmann::ordered_json>;

namespace {

template <class Json>
value evaluate_event(const program& p, const Json& event) {
  if (p.kind() != mode::event) return value::null();
  return evaluator<Json>(p, &event, nullptr).eval(p.code().root);
}

template <class Json>
std::optional<std::string_view> event_name(const Json& event) {
  if (!event.is_object()) return std::nullopt;
  auto type = event.find("type");
  if (type == event.end() || !type->is_string()) return std::nullopt;
  const auto& t = type->template get_ref<const std::string&>();
  if (t == "page") return "Page Viewed";
  if (t == "screen") return "Screen Viewed";
  if (t != "track") return std::nullopt;
  auto name = event.find("event");
  if (name == event.end() || !name->is_string()) return std::nullopt;
  return std::string_view(name->template get_ref<const std::string&>());
}

template <class Json>
bool counts(const history_term& term, const Json& event) {
  auto name = event_name(event);
  if (!name || (term.event != "*" && *name != term.event)) return false;
  return !term.where || matches(*term.where, event);
}

}  // namespace

value evaluate(const program& p, const nlohmann::json& event) {
  return evaluate_event(p, event);
}
value evaluate(const program& p, const nlohmann::ordered_json& event) {
  return evaluate_event(p, event);
}
bool matches(const program& p, const nlohmann::json& event) {
  return evaluate_event(p, event).is_true();
}
bool matches(const program& p, const nlohmann::ordered_json& event) {
  return evaluate_event(p, event).is_true();
}

value evaluate(const program& p, const profile_view& profile) {
  if (p.kind() != mode::profile) return value::null();
  return evaluator<nlohmann::json>(p, nullptr, &profile).eval(p.code().root);
}
bool matches(const program& p, const profile_view& profile) {
  return evaluate(p, profile).is_true();
}

std::optional<std::string_view> effective_event_name(const nlohmann::json& event) {
  return event_name(event);
}
std::optional<std::string_view> effective_event_name(const nlohmann::ordered_json& event) {
  return event_name(event);
}
bool counts_for(const history_term& term, const nlohmann::json& event) {
  return counts(term, event);
}
bool counts_for(const history_term& term, const nlohmann::ordered_json& event) {
  return counts(term, event);
}

}  // namespace tributary::expr
