#pragma once
//! Small encoders and decoders used at the HTTP edge: base64, gzip, random ids.
#include <optional>
#include <string>
#include <string_view>

namespace tributary {

//! Standard base64 (with or without padding). nullopt on invalid input.
std::optional<std::string> base64_decode(std::string_view in);
std::string base64_encode(std::string_view in);

//! Inflates a gzip or zlib stream. Fails with "too_large" once the output would pass max_bytes,
//! so a small compressed body cannot expand without bound.
enum class inflate_status { ok, invalid, too_large };
inflate_status gunzip(std::string_view in, size_t max_bytes, std::string& out);

//! A random RFC 4122 version-4 UUID in lowercase hex, from a per-thread generator.
std::string random_uuid();

//! 16 random lowercase hex characters.
std::string random_hex16();

}  // namespace tributary
