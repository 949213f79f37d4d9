#pragma once
//! A profile as profile expressions (audiences, destinations' profile_where) read it.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "tributary/config/config.h"
#include "tributary/expr/evaluate.h"
#include "tributary/profile/profile.h"

namespace tributary::processor {

class profile_view final : public expr::profile_view {
 public:
  //! `term_traits[i]` is the implicit computed trait keeping history term i of the program.
  profile_view(const profile::profile& p, const std::vector<std::string>& term_traits,
               const config::config& cfg, const nlohmann::json& traits, millis now)
      : p_(p), terms_(term_traits), cfg_(cfg), traits_(traits), now_(now) {}

  //! Custom traits with computed traits over them (implicit ones left out).
  static nlohmann::json traits_of(const profile::profile& p);

  const nlohmann::json& traits() const override { return traits_; }
  bool in_audience(std::string_view key) const override;
  std::string_view user_id() const override;
  std::vector<std::string_view> anonymous_ids() const override;
  millis now() const override { return now_; }
  expr::value history(std::size_t i) const override;
  std::optional<millis> history_next_change(std::size_t i) const override;

 private:
  const config::computed_trait* def(std::size_t i) const;
  const profile::profile& p_;
  const std::vector<std::string>& terms_;
  const config::config& cfg_;
  const nlohmann::json& traits_;
  millis now_;
};

}  // namespace tributary::processor
