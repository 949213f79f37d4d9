// compile(): a recursive-descent parser that emits the flat node vector of node.h directly.
//
// Precedence, loosest first: or; and; ! and not; comparison (= != < <= > >= in, not
// chainable); + and - (profile only); primary. So `not type in ['a']` negates the membership
// and `!x = 1` is `!(x = 1)`. A `!` in operand position (`x = !y`) applies to that operand.
#include <algorithm>
#include <optional>

#include "expr/lexer.h"
#include "expr/node.h"
#include "tributary/expr/program.h"

namespace tributary::expr {

program::program() : code_(std::make_unique<detail::code>()) {}
program::~program() = default;

std::string error::to_string() const {
  return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + message;
}

namespace {

constexpr int kMaxDepth = 100;

struct parse_failure {
  std::size_t offset;
  std::string message;
};

struct function_info {
  std::string_view name;
  int arity;
  fn f;
  bool profile_only;
};
constexpr function_info kFunctions[] = {
    {"contains", 2, fn::contains, false},    {"match", 2, fn::match, false},
    {"length", 1, fn::length, false},        {"lowercase", 1, fn::lowercase, false},
    {"uppercase", 1, fn::uppercase, false},  {"snakecase", 1, fn::snakecase, false},
    {"kebabcase", 1, fn::kebabcase, false},  {"titlecase", 1, fn::titlecase, false},
    {"typeof", 1, fn::type_of, false},       {"bool", 1, fn::to_bool, false},
    {"string", 1, fn::to_string, false},     {"number", 1, fn::to_number, false},
    {"days_since", 1, fn::days_since, true},
};

//! Integral numbers as JSON integers, so lists print as written.
nlohmann::json number_json(double d) {
  if (d == static_cast<double>(static_cast<std::int64_t>(d)) && d > -9.0e15 && d < 9.0e15)
    return static_cast<std::int64_t>(d);
  return d;
}

const function_info* find_function(std::string_view name) {
  for (const auto& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

bool is_history_function(std::string_view name) {
  return name == "event_count" || name == "performed" || name == "first_seen" ||
         name == "last_seen";
}

std::string plural(int n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

//! Parses one expression (and, for `where`, nested event programs) into programs.
class builder {
 public:
  builder(std::string_view src, mode m) : lex_(src), src_(src), mode_(m) {}

  compile_result run();

 private:
  using index = std::uint32_t;

  [[noreturn]] void fail(std::size_t at, std::string message) {
    throw parse_failure{at, std::move(message)};
  }
  [[noreturn]] void fail_here(const std::string& expected) {
    fail(cur_.offset, expected + ", found " + describe(cur_));
  }
  void advance() {
    prev_end_ = cur_.offset + cur_.length;
    prev_text_ = cur_.text;
    cur_ = lex_.next();
    if (cur_.kind == tok::error) fail(cur_.error_at, std::string(cur_.text));
  }
  bool accept(tok k) {
    if (cur_.kind != k) return false;
    advance();
    return true;
  }
  bool is_word(std::string_view w) const {
    return cur_.kind == tok::ident && !cur_.escaped && cur_.text == w;
  }

  detail::code& code() { return *prog_->code_; }
  index emit(detail::node n) {
    code().nodes.push_back(n);
    return static_cast<index>(code().nodes.size() - 1);
  }
  index emit(op o, std::size_t pos, index a = 0, index b = 0) {
    detail::node n;
    n.code = o;
    n.pos = static_cast<std::uint32_t>(pos);
    n.a = a;
    n.b = b;
    return emit(n);
  }
  index add_string(std::string s) {
    code().strings.push_back(std::move(s));
    return static_cast<index>(code().strings.size() - 1);
  }

  index parse_or();
  index parse_and();
  index parse_not();
  index parse_comparison();
  index parse_additive();
  index parse_unary();
  index parse_primary();
  index parse_name();
  index parse_call(const token& name);
  index parse_history(const token& name);
  nlohmann::json parse_literal();
  std::shared_ptr<const program> parse_where();

  lexer lex_;
  std::string_view src_;
  mode mode_;
  program* prog_ = nullptr;
  token cur_;
  std::size_t prev_end_ = 0;
  std::string_view prev_text_;
  int depth_ = 0;
};

compile_result builder::run() {
  auto prog = std::shared_ptr<program>(new program());
  prog->mode_ = mode_;
  prog->source_ = std::string(src_);
  prog_ = prog.get();
  try {
    cur_ = lex_.next();
    if (cur_.kind == tok::error) fail(cur_.error_at, std::string(cur_.text));
    if (cur_.kind == tok::end) fail(cur_.offset, "empty expression: expected a condition or 'all'");
    if (is_word("all")) {
      lexer probe = lex_;
      if (probe.next().kind == tok::end) {
        prog->always_true_ = true;
        code().root = emit(op::all, cur_.offset);
        return std::shared_ptr<const program>(std::move(prog));
      }
    }
    index root = parse_or();
    if (cur_.kind == tok::rparen) fail(cur_.offset, "unmatched ')'");
    if (cur_.kind != tok::end) fail_here("expected an operator, 'and', 'or' or end of expression");
    code().root = root;
    const auto& n = code().nodes[root];
    prog->always_true_ = n.code == op::lit_bool && n.flag;
  } catch (const parse_failure& f) {
    error e;
    e.offset = std::min(f.offset, src_.size());
    e.message = f.message;
    for (std::size_t i = 0; i < e.offset; ++i) {
      const auto c = static_cast<unsigned char>(src_[i]);
      if (c == '\n') {
        ++e.line;
        e.column = 1;
      } else if ((c & 0xc0) != 0x80) {
        ++e.column;
      }
    }
    return e;
  }
  return std::shared_ptr<const program>(std::move(prog));
}

builder::index builder::parse_or() {
  index left = parse_and();
  while (cur_.kind == tok::kw_or) {
    std::size_t pos = cur_.offset;
    advance();
    left = emit(op::or_, pos, left, parse_and());
  }
  return left;
}

builder::index builder::parse_and() {
  index left = parse_not();
  while (cur_.kind == tok::kw_and) {
    std::size_t pos = cur_.offset;
    advance();
    left = emit(op::and_, pos, left, parse_not());
  }
  return left;
}

builder::index builder::parse_not() {
  if (cur_.kind != tok::bang && cur_.kind != tok::kw_not) return parse_comparison();
  if (++depth_ > kMaxDepth) fail(cur_.offset, "expression nested too deeply");
  std::size_t pos = cur_.offset;
  advance();
  index result = emit(op::not_, pos, parse_not());
  --depth_;
  return result;
}

namespace {
std::optional<op> comparison_op(tok k) {
  switch (k) {
    case tok::eq:
      return op::eq;
    case tok::ne:
      return op::ne;
    case tok::lt:
      return op::lt;
    case tok::le:
      return op::le;
    case tok::gt:
      return op::gt;
    case tok::ge:
      return op::ge;
    case tok::kw_in:
      return op::in;
    default:
      return std::nullopt;
  }
}
}  // namespace

builder::index builder::parse_comparison() {
  index left = parse_additive();
  auto o = comparison_op(cur_.kind);
  if (!o) return left;
  std::size_t pos = cur_.offset;
  advance();
  index right = parse_additive();
  if (comparison_op(cur_.kind))
    fail(cur_.offset, "comparisons cannot be chained: combine them with 'and' or parentheses");
  detail::node n;
  n.code = *o;
  n.pos = static_cast<std::uint32_t>(pos);
  n.a = left;
  n.b = right;
  n.flag = code().nodes[left].code == op::lit_null || code().nodes[right].code == op::lit_null;
  return emit(n);
}

builder::index builder::parse_additive() {
  index left = parse_unary();
  while (cur_.kind == tok::plus || cur_.kind == tok::minus) {
    if (mode_ == mode::event)
      fail(cur_.offset, "arithmetic ('" + std::string(cur_.text) +
                            "') is only available in audience (profile) expressions");
    op o = cur_.kind == tok::plus ? op::add : op::sub;
    std::size_t pos = cur_.offset;
    advance();
    left = emit(o, pos, left, parse_unary());
  }
  return left;
}

builder::index builder::parse_unary() {
  if (++depth_ > kMaxDepth) fail(cur_.offset, "expression nested too deeply");
  index result;
  if (cur_.kind == tok::bang || cur_.kind == tok::kw_not) {
    std::size_t pos = cur_.offset;
    advance();
    result = emit(op::not_, pos, parse_unary());
  } else {
    result = parse_primary();
  }
  --depth_;
  return result;
}

builder::index builder::parse_primary() {
  const token t = cur_;
  detail::node n;
  n.pos = static_cast<std::uint32_t>(t.offset);
  switch (t.kind) {
    case tok::kw_null:
      advance();
      n.code = op::lit_null;
      return emit(n);
    case tok::kw_true:
    case tok::kw_false:
      advance();
      n.code = op::lit_bool;
      n.flag = t.kind == tok::kw_true;
      return emit(n);
    case tok::string:
      advance();
      n.code = op::lit_string;
      n.a = add_string(std::string(t.text));
      return emit(n);
    case tok::number:
    case tok::duration:
    case tok::minus: {
      bool negative = t.kind == tok::minus;
      if (negative) {
        advance();
        if (cur_.kind != tok::number && cur_.kind != tok::duration)
          fail_here("expected a number after '-'");
      }
      const token lit = cur_;
      if (lit.kind == tok::duration && mode_ == mode::event)
        fail(lit.offset, "duration '" + std::string(lit.text) +
                             "' is only available in audience (profile) expressions");
      advance();
      n.code = lit.kind == tok::duration ? op::lit_duration : op::lit_number;
      n.number = negative ? -lit.number : lit.number;
      n.ms = negative ? -lit.ms : lit.ms;
      return emit(n);
    }
    case tok::lbracket: {
      n.code = op::lit_list;
      code().constants.push_back(parse_literal());
      n.a = static_cast<index>(code().constants.size() - 1);
      return emit(n);
    }
    case tok::lparen: {
      advance();
      index inner = parse_or();
      if (cur_.kind != tok::rparen) {
        fail_here("expected ')' to close '('");
      }
      advance();
      return inner;
    }
    case tok::ident:
      return parse_name();
    default:
      break;
  }
  if (prev_text_.empty()) fail_here("expected an expression");
  fail_here("expected an expression after '" + std::string(prev_text_) + "'");
}

nlohmann::json builder::parse_literal() {
  const token t = cur_;
  switch (t.kind) {
    case tok::kw_null:
      advance();
      return nullptr;
    case tok::kw_true:
      advance();
      return true;
    case tok::kw_false:
      advance();
      return false;
    case tok::string:
      advance();
      return std::string(t.text);
    case tok::number:
      advance();
      return number_json(t.number);
    case tok::minus: {
      advance();
      if (cur_.kind != tok::number) fail_here("expected a number after '-'");
      double d = -cur_.number;
      advance();
      return number_json(d);
    }
    case tok::lbracket: {
      if (++depth_ > kMaxDepth) fail(cur_.offset, "expression nested too deeply");
      advance();
      nlohmann::json list = nlohmann::json::array();
      if (!accept(tok::rbracket)) {
        for (;;) {
          list.push_back(parse_literal());
          if (accept(tok::rbracket)) break;
          if (cur_.kind != tok::comma) fail_here("expected ',' or ']' in a list");
          advance();
        }
      }
      --depth_;
      return list;
    }
    default:
      fail_here("expected a literal in a list (a string, number, true, false, null or list)");
  }
}

builder::index builder::parse_name() {
  const token t = cur_;
  advance();
  if (cur_.kind == tok::lparen) {
    if (t.escaped || t.text.find('.') != std::string_view::npos)
      fail(t.offset, "'" + std::string(t.text) + "' is not a function");
    return parse_call(t);
  }
  std::vector<std::string> segments;
  split_path(t.text, [&](std::string s) { segments.push_back(std::move(s)); });
  detail::node n;
  n.pos = static_cast<std::uint32_t>(t.offset);
  auto add_segments = [&](std::size_t from) {
    n.a = static_cast<index>(code().strings.size());
    n.b = static_cast<index>(segments.size() - from);
    for (std::size_t i = from; i < segments.size(); ++i) add_string(segments[i]);
  };
  if (mode_ == mode::event) {
    n.code = op::path;
    add_segments(0);
    return emit(n);
  }
  const std::string& root = segments.front();
  // `\traits.x` names an event-like field "traits", not the profile's traits.
  const bool plain_root = t.text.substr(0, root.size()) == root;
  if (root == "traits" && plain_root) {
    n.code = op::traits;
    add_segments(1);
    std::vector<std::string> path(segments.begin() + 1, segments.end());
    auto& known = prog_->trait_paths_;
    if (std::find(known.begin(), known.end(), path) == known.end()) known.push_back(path);
    return emit(n);
  }
  if (root == "audiences" && plain_root) {
    if (segments.size() != 2)
      fail(t.offset, "expected audiences.<key> (one audience key after 'audiences.')");
    n.code = op::audience;
    n.a = add_string(segments[1]);
    auto& known = prog_->audiences_;
    if (std::find(known.begin(), known.end(), segments[1]) == known.end())
      known.push_back(segments[1]);
    return emit(n);
  }
  if (segments.size() == 1 && (root == "user_id" || root == "anonymous_ids")) {
    n.code = root == "user_id" ? op::user_id : op::anonymous_ids;
    return emit(n);
  }
  if (segments.size() == 1 && (find_function(root) || is_history_function(root) || root == "now"))
    fail(t.offset, "'" + root + "' is a function: write " + root + "(...)");
  fail(t.offset, "unknown name '" + std::string(t.text) +
                     "' in an audience expression: use traits.<name>, audiences.<key>, "
                     "user_id, anonymous_ids or a function");
}

builder::index builder::parse_call(const token& name) {
  const std::string fname(name.text);
  const bool history = is_history_function(fname);
  const function_info* info = history || fname == "now" ? nullptr : find_function(fname);
  if (!history && !info && fname != "now") fail(name.offset, "unknown function '" + fname + "'");
  const bool profile_only = info ? info->profile_only : true;  // history functions, now()
  if (mode_ == mode::event && profile_only)
    fail(name.offset, fname + "() is only available in audience (profile) expressions");
  advance();  // '('
  if (history) return parse_history(name);
  if (fname == "now") {
    if (cur_.kind != tok::rparen) fail_here("expected ')': now() takes no arguments");
    advance();
    prog_->depends_on_time_ = true;
    return emit(op::now, name.offset);
  }
  std::vector<index> args;
  for (int i = 0; i < info->arity; ++i) {
    if (i > 0) {
      if (cur_.kind == tok::rparen)
        fail(cur_.offset,
             fname + " takes " + plural(info->arity, "argument") + ", got " + std::to_string(i));
      if (cur_.kind != tok::comma)
        fail_here("expected ',' after argument " + std::to_string(i) + " of " + fname);
      advance();
    } else if (cur_.kind == tok::rparen) {
      fail(cur_.offset, fname + " takes " + plural(info->arity, "argument") + ", got 0");
    }
    args.push_back(parse_or());
  }
  if (cur_.kind == tok::comma)
    fail(cur_.offset, fname + " takes " + plural(info->arity, "argument") + ", got more");
  if (cur_.kind != tok::rparen) fail_here("expected ')' after arguments of " + fname);
  advance();
  if (info->f == fn::days_since) prog_->depends_on_time_ = true;
  detail::node n;
  n.code = op::call;
  n.f = info->f;
  n.pos = static_cast<std::uint32_t>(name.offset);
  n.a = static_cast<index>(code().args.size());
  n.b = static_cast<index>(args.size());
  code().args.insert(code().args.end(), args.begin(), args.end());
  return emit(n);
}

builder::index builder::parse_history(const token& name) {
  const std::string fname(name.text);
  history_term term;
  term.k = fname == "first_seen"  ? history_term::kind::first_seen
           : fname == "last_seen" ? history_term::kind::last_seen
                                  : history_term::kind::count;
  if (cur_.kind != tok::string)
    fail_here("expected the event name as a string, e.g. " + fname + "(\"Order Completed\")");
  if (cur_.text.empty()) fail(cur_.offset, "the event name of " + fname + " is empty");
  term.event = std::string(cur_.text);
  advance();
  bool comma = accept(tok::comma);
  bool windowed = false;
  if (comma &&
      (cur_.kind == tok::duration || cur_.kind == tok::number || cur_.kind == tok::minus)) {
    if (term.k != history_term::kind::count)
      fail(cur_.offset, fname + " has no window: use event_count or performed for a window");
    if (cur_.kind != tok::duration)
      fail(cur_.offset, "expected a window with a unit, e.g. 30d or 12h");
    if (cur_.ms <= 0) fail(cur_.offset, "a window must be longer than 0");
    term.window = cur_.ms;
    windowed = true;
    advance();
    comma = accept(tok::comma);
  }
  if (is_word("where")) {
    term.where = parse_where();
  } else if (comma) {
    fail_here(windowed || term.k != history_term::kind::count
                  ? "expected 'where' after ','"
                  : "expected a window (e.g. 30d) or 'where' after ','");
  }
  if (cur_.kind != tok::rparen) fail_here("expected ')' after arguments of " + fname);
  advance();
  if (term.window > 0) prog_->depends_on_time_ = true;
  auto& terms = prog_->history_;
  auto same = [&](const history_term& o) {
    return o.k == term.k && o.event == term.event && o.window == term.window &&
           (o.where ? o.where->source() : "") == (term.where ? term.where->source() : "");
  };
  auto it = std::find_if(terms.begin(), terms.end(), same);
  const auto index_of = static_cast<index>(it - terms.begin());
  if (it == terms.end()) terms.push_back(std::move(term));
  return emit(fname == "performed" ? op::performed : op::history, name.offset, index_of);
}

std::shared_ptr<const program> builder::parse_where() {
  advance();  // 'where'
  if (cur_.kind == tok::end || cur_.kind == tok::rparen)
    fail_here("expected a condition on the event after 'where'");
  const std::size_t start = cur_.offset;
  auto sub = std::shared_ptr<program>(new program());
  sub->mode_ = mode::event;
  program* outer = prog_;
  const mode outer_mode = mode_;
  prog_ = sub.get();
  mode_ = mode::event;
  const index root = parse_or();
  sub->code_->root = root;
  const auto& n = sub->code_->nodes[root];
  sub->always_true_ = n.code == op::lit_bool && n.flag;
  sub->source_ = std::string(src_.substr(start, prev_end_ - start));
  prog_ = outer;
  mode_ = outer_mode;
  return sub;
}

compile_result compile(std::string_view source, mode m) {
  return builder(source, m).run();
}

}  // namespace tributary::expr
