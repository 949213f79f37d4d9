#pragma once
//! A profile as profile expressions (audiences, destinations' profile_where) read it.
#include <nlohmann/json.hpp>

#include <optional>
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
               const config::config& cfg, millis now)
      : p_(p), terms_(term_traits), cfg_(cfg), now_(now) {}

  //! Custom traits with computed traits over them (implicit ones left out).
  static nlohmann::json traits_of(const profile::profile& p);

  //! traits_of(p), made on first use.
  const nlohmann::json& traits() const override;
  //! One trait of traits(), read from the profile directly.
  const nlohmann::json* trait(const std::string& key) const override;
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
  millis now_;
  mutable std::optional<nlohmann::json> traits_;
};

}  // namespace tributary::processor
