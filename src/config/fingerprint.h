#pragma once
//! Short stable identities of config text: the first 16 hex digits of its SHA-256.
#include <string>
#include <string_view>

namespace tributary::config {

std::string fingerprint_of(std::string_view text);

}  // namespace tributary::config
