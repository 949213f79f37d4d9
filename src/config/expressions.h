#pragma once
//! Compiles the FQL expressions found in the YAML, reporting errors at their file positions.
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <memory>
#include <string>

#include "config/yaml_reader.h"
#include "tributary/expr/program.h"

namespace tributary::config {

//! Compiles `text` (found at node `at`); on error reports it to `r` and returns null.
std::shared_ptr<const expr::program> compile_expression(yaml_reader& r, const YAML::Node& at,
                                                        const std::string& text,
                                                        const std::string& what, expr::mode m);

//! An FQL predicate on an event, compiled once; errors go to `r` at the expression's position.
//! Returns an empty function on error.
std::function<bool(const nlohmann::json&)> compile_event_predicate(yaml_reader& r,
                                                                   const YAML::Node& at,
                                                                   const std::string& text,
                                                                   const std::string& what);

}  // namespace tributary::config
