// base64, gzip inflation and random ids (common/codec.h).
#include "tributary/common/codec.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cctype>
#include <random>
#include <unordered_set>

#include "test_util.h"

namespace tributary {
namespace {

using test_support::gzip;

// zlib's one-shot compress(): a zlib-wrapped stream.
std::string zlib_compress(std::string_view in) {
  uLongf size = compressBound(in.size());
  std::string out(size, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(out.data()), &size,
                     reinterpret_cast<const Bytef*>(in.data()), in.size()),
            Z_OK);
  out.resize(size);
  return out;
}

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

// ---- base64 ----

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodesRfc4648Vectors) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
}

TEST(Base64, DecodesWithoutPadding) {
  EXPECT_EQ(base64_decode("Zg"), "f");
  EXPECT_EQ(base64_decode("Zm8"), "fo");
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");
}

TEST(Base64, DecodesBasicAuthWriteKey) {
  // What an SDK sends for write key "KEY" with an empty password.
  EXPECT_EQ(base64_decode("S0VZOg=="), "KEY:");
  EXPECT_EQ(base64_encode("KEY:"), "S0VZOg==");
}

TEST(Base64, AcceptsUrlSafeAlphabet) {
  // 0xfb 0xff 0xbf encodes as "+/+/" in the standard alphabet and "-_-_" in the URL-safe one.
  const std::string bytes = "\xfb\xff\xbf";
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64_decode("+/+/"), bytes);
  EXPECT_EQ(base64_decode("-_-_"), bytes);
}

TEST(Base64, RoundTripsBinaryOfEveryLengthMod3) {
  for (size_t n = 0; n < 64; ++n) {
    std::string bytes = random_bytes(n, static_cast<unsigned>(n));
    std::string enc = base64_encode(bytes);
    EXPECT_EQ(enc.size() % 4, 0u);
    EXPECT_EQ(base64_decode(enc), bytes) << "length " << n;
  }
}

TEST(Base64, RejectsCharactersOutsideTheAlphabet) {
  EXPECT_EQ(base64_decode("Zm9v!"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm 9v"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9v\n"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9v\xc3\xa9"), std::nullopt);
}

TEST(Base64, RejectsPaddingInTheMiddle) {
  EXPECT_EQ(base64_decode("Zg==Zg=="), std::nullopt);
  EXPECT_EQ(base64_decode("Z=g"), std::nullopt);
}

TEST(Base64, RejectsADanglingSingleCharacter) {
  EXPECT_EQ(base64_decode("Z"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9vY"), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9vY==="), std::nullopt);
}

// ---- gunzip ----

TEST(Gunzip, InflatesGzip) {
  std::string text = R"({"batch":[{"type":"track","event":"Signed Up","userId":"u1"}]})";
  std::string out;
  ASSERT_EQ(gunzip(gzip(text), 1 << 20, out), inflate_status::ok);
  EXPECT_EQ(out, text);
}

TEST(Gunzip, InflatesZlibStreamFromCompress) {
  std::string text(10'000, 'a');
  std::string out;
  ASSERT_EQ(gunzip(zlib_compress(text), 1 << 20, out), inflate_status::ok);
  EXPECT_EQ(out, text);
}

TEST(Gunzip, InflatesEmptyPayload) {
  std::string out = "stale";
  ASSERT_EQ(gunzip(gzip(""), 100, out), inflate_status::ok);
  EXPECT_EQ(out, "");
}

TEST(Gunzip, InflatesOutputLargerThanOneChunk) {
  // Incompressible data well past the 64 KB inflate chunk.
  std::string data = random_bytes(300'000, 7);
  std::string out;
  ASSERT_EQ(gunzip(gzip(data), data.size(), out), inflate_status::ok);
  EXPECT_EQ(out, data);
}

TEST(Gunzip, OutputExactlyAtTheLimitIsAccepted) {
  std::string text(1000, 'x');
  std::string out;
  EXPECT_EQ(gunzip(gzip(text), 1000, out), inflate_status::ok);
  EXPECT_EQ(out.size(), 1000u);
}

TEST(Gunzip, OneByteOverTheLimitIsTooLarge) {
  std::string text(1001, 'x');
  std::string out;
  EXPECT_EQ(gunzip(gzip(text), 1000, out), inflate_status::too_large);
}

TEST(Gunzip, BombStopsAtTheLimit) {
  // 50 MB of zeros compress to ~50 KB; inflation must stop near the limit, not at 50 MB.
  std::string zeros(50u << 20, '\0');
  std::string bomb = gzip(zeros);
  zeros.clear();
  zeros.shrink_to_fit();
  ASSERT_LT(bomb.size(), 100'000u);
  std::string out;
  EXPECT_EQ(gunzip(bomb, 500 * 1024, out), inflate_status::too_large);
  EXPECT_LE(out.size(), 500u * 1024);
}

TEST(Gunzip, TruncatedStreamIsInvalid) {
  std::string data = random_bytes(5000, 3);
  std::string gz = gzip(data);
  std::string out;
  EXPECT_EQ(gunzip(std::string_view(gz).substr(0, gz.size() / 2), 1 << 20, out),
            inflate_status::invalid);
  EXPECT_EQ(gunzip(std::string_view(gz).substr(0, gz.size() - 4), 1 << 20, out),
            inflate_status::invalid);  // the trailer's length field is missing
}

TEST(Gunzip, CorruptChecksumIsInvalid) {
  std::string gz = gzip("hello, hello, hello");
  gz[gz.size() - 6] ^= 0x5a;  // inside the CRC32 of the trailer
  std::string out;
  EXPECT_EQ(gunzip(gz, 1 << 20, out), inflate_status::invalid);
}

TEST(Gunzip, NotCompressedIsInvalid) {
  std::string out;
  EXPECT_EQ(gunzip(R"({"type":"track"})", 1 << 20, out), inflate_status::invalid);
  EXPECT_EQ(gunzip("", 1 << 20, out), inflate_status::invalid);
  EXPECT_EQ(gunzip("\x1f\x8b", 1 << 20, out), inflate_status::invalid);  // magic only
}

// ---- random ids ----

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

TEST(RandomUuid, HasTheVersion4Layout) {
  for (int i = 0; i < 200; ++i) {
    std::string u = random_uuid();
    ASSERT_EQ(u.size(), 36u) << u;
    for (size_t k = 0; k < u.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23)
        EXPECT_EQ(u[k], '-') << u;
      else
        EXPECT_TRUE(is_lower_hex(u[k])) << u;
    }
    EXPECT_EQ(u[14], '4') << "version nibble: " << u;
    EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b')
        << "variant bits: " << u;
  }
}

TEST(RandomUuid, TenThousandAreUnique) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) seen.insert(random_uuid());
  EXPECT_EQ(seen.size(), 10'000u);
}

TEST(RandomUuid, AllRandomNibblesVary) {
  // Over many ids every non-fixed hex position takes more than one value.
  std::vector<std::unordered_set<char>> seen(36);
  for (int i = 0; i < 500; ++i) {
    std::string u = random_uuid();
    for (size_t k = 0; k < u.size(); ++k) seen[k].insert(u[k]);
  }
  for (size_t k = 0; k < 36; ++k) {
    if (k == 8 || k == 13 || k == 18 || k == 23 || k == 14) {
      EXPECT_EQ(seen[k].size(), 1u) << "position " << k;
    } else if (k == 19) {
      EXPECT_EQ(seen[k].size(), 4u);
    } else {
      EXPECT_GT(seen[k].size(), 8u) << "position " << k;
    }
  }
}

TEST(RandomHex16, SixteenLowercaseHexCharactersAndUnique) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string h = random_hex16();
    ASSERT_EQ(h.size(), 16u);
    for (char c : h) EXPECT_TRUE(is_lower_hex(c)) << h;
    seen.insert(h);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace tributary
