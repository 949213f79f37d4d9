#include "delivery/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tributary::delivery {
namespace {

std::string hmac_hex(const EVP_MD* md, std::string_view secret, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

}  // namespace

std::string hmac_sha1_hex(std::string_view secret, std::string_view data) {
  return hmac_hex(EVP_sha1(), secret, data);
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view data) {
  return hmac_hex(EVP_sha256(), secret, data);
}

std::string x_signature(std::string_view secret, std::string_view signed_json) {
  return hmac_sha1_hex(secret, signed_json);
}

std::string tributary_signature(std::string_view secret, std::int64_t unix_seconds,
                                std::string_view body) {
  std::string t = std::to_string(unix_seconds);
  std::string message = t;
  message.push_back('.');
  message.append(body);
  return "t=" + t + ",sha256=" + hmac_sha256_hex(secret, message);
}

}  // namespace tributary::delivery
