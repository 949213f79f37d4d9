#pragma once
//! Compiling an expression (Segment FQL, plus the audience additions of the EXPRESSIONS spec)
//! into a program: a flat node vector evaluated by evaluate.h. Syntax notes: src/expr/README.md.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tributary/common/clock.h"

namespace tributary::expr {

//! What an expression is evaluated against.
enum class mode : std::uint8_t {
  event,    //!< FQL over one event: subscriptions, filters, `where` of history functions
  profile,  //!< audiences: traits, audiences, identities, time and event history
};

//! Why an expression does not compile, and where. Positions are within the expression text;
//! a caller that knows where the text sits in a file (YAML) adds its own offset.
struct error {
  std::size_t offset = 0;  //!< bytes from the start of the expression
  int line = 1;            //!< 1-based
  int column = 1;          //!< 1-based, in characters (UTF-8 code points) within the line
  std::string message;  //!< says what was expected, e.g. "expected ')' after arguments of contains"

  //! "line L, column C: message".
  std::string to_string() const;
};

class program;

//! One event-history term of a profile expression. Each is kept current by the computed-trait
//! engine as an implicit computed trait; the profile view reports its current value.
struct history_term {
  enum class kind : std::uint8_t {
    count,       //!< event_count(...) and performed(...): a number
    first_seen,  //!< time of the earliest matching event, or null
    last_seen,   //!< time of the latest matching event, or null
  };
  kind k = kind::count;
  //! Event name; "*" = any track, page or screen. A page counts as "Page Viewed", a screen as
  //! "Screen Viewed" (see effective_event_name in evaluate.h).
  std::string event;
  //! count only: an event counts while now < its timestamp + window; 0 = all time.
  millis window = 0;
  std::shared_ptr<const program> where;  //!< mode::event filter on the event; null = every event
};

namespace detail {
struct code;  //!< the node vector and its tables (src/expr/node.h)
}

//! A compiled expression. Immutable and shareable across threads once compiled.
class program {
 public:
  program(const program&) = delete;
  program& operator=(const program&) = delete;
  ~program();

  mode kind() const { return mode_; }
  //! The expression text (for a `where` program, just its part of the outer text).
  const std::string& source() const { return source_; }
  //! The expression is `all` (or the literal `true`).
  bool always_true() const { return always_true_; }
  //! History terms (profile mode), indexed by the `term_index` of profile_view::history.
  const std::vector<history_term>& history() const { return history_; }
  //! Keys of `audiences.<key>` references, deduplicated, in order of appearance.
  const std::vector<std::string>& audiences() const { return audiences_; }
  //! `traits.<path>` references as path segments, deduplicated; `{}` = the whole traits object.
  const std::vector<std::vector<std::string>>& trait_paths() const { return trait_paths_; }
  //! Uses now(), days_since() or a windowed history term (next_change may return a time).
  bool depends_on_time() const { return depends_on_time_; }

  //! The compiled form, for the evaluator in src/expr/.
  const detail::code& code() const { return *code_; }

 private:
  friend class builder;
  program();

  mode mode_ = mode::event;
  std::string source_;
  bool always_true_ = false;
  bool depends_on_time_ = false;
  std::unique_ptr<detail::code> code_;
  std::vector<history_term> history_;
  std::vector<std::string> audiences_;
  std::vector<std::vector<std::string>> trait_paths_;
};

//! A compiled program or the error that prevented it.
class [[nodiscard]] compile_result {
 public:
  compile_result(std::shared_ptr<const program> p) : v_(std::move(p)) {}
  compile_result(error e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const std::shared_ptr<const program>& value() const { return std::get<0>(v_); }
  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<std::shared_ptr<const program>, error> v_;
};

//! Compiles `source` for `m`. Never throws on bad input: syntax errors, unknown functions,
//! wrong arity and profile-only constructs in event mode come back as an error with position.
compile_result compile(std::string_view source, mode m);

}  // namespace tributary::expr
