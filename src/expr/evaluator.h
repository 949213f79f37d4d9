#pragma once
//! The tree walker over a program's flat node vector. Stateless apart from its inputs; one is
//! made per evaluation on the caller's stack. Instantiated for both nlohmann flavors in
//! evaluate.cpp.
#include <cstdint>

#include "expr/node.h"
#include "tributary/expr/evaluate.h"

namespace tributary::expr {

template <class Json>
class evaluator {
 public:
  //! Event programs read `doc`; profile programs read `profile` (then Json is nlohmann::json
  //! and doc is the profile's traits).
  evaluator(const program& p, const Json* doc, const profile_view* profile)
      : code_(p.code()), mode_(p.kind()), doc_(doc), profile_(profile) {}

  value eval(std::uint32_t i) const;
  const detail::code& code() const { return code_; }
  mode kind() const { return mode_; }

 private:
  value eval_profile(const detail::node& n) const;  //!< profile_ is set

  const detail::code& code_;
  mode mode_;
  const Json* doc_;
  const profile_view* profile_;
};

extern template class evaluator<nlohmann::json>;
extern template class evaluator<nlohmann::ordered_json>;

}  // namespace tributary::expr
