#pragma once
//! `tributary eval 'EXPR' < event.json`: evaluates an FQL expression on one event.
#include <string>
#include <vector>

namespace tributary::app {

//! Prints the result as JSON (exit 0), or the error with its position (exit 1).
int eval_command(const std::vector<std::string>& args);

//! `tributary test-destination NAME [--config FILE] < event.json`: the Event Tester offline
//! (no profile: require_traits and profile_where report that). Prints the verdict and request.
int test_destination_command(const std::vector<std::string>& args);

}  // namespace tributary::app
