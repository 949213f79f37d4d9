// Mapping validation (transform/mapping.h validate()): which shapes are refused, and that each
// message names the key path of the problem.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "tributary/transform/js_json.h"
#include "tributary/transform/mapping.h"

namespace tributary::transform {
namespace {

struct invalid_case {
  const char* name;
  const char* mapping;
  const char* message;  //!< expected to appear in the error text
};

std::ostream& operator<<(std::ostream& os, const invalid_case& c) {
  return os << c.name;
}

class InvalidMapping : public testing::TestWithParam<invalid_case> {};

TEST_P(InvalidMapping, IsRefusedWithKeyPath) {
  const auto problems = validate(parse(GetParam().mapping));
  ASSERT_TRUE(problems.has_value());
  EXPECT_NE(problems->find(GetParam().message), std::string::npos) << *problems;
  EXPECT_THROW(transform(parse(GetParam().mapping), ordered_json::object()), mapping_error);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, InvalidMapping,
    testing::Values(
        invalid_case{"nested_path_type", R"({"a":{"b":{"@path":5}}})",
                     "/a/b/@path should be a string or a mapping directive but it is a number."},
        invalid_case{"unknown_directive", R"({"x":{"@lookup":"$.a"}})",
                     "/x has an invalid directive: @lookup."},
        invalid_case{"liquid_unsupported", R"({"x":{"@liquid":"{{ a }}"}})",
                     "/x uses @liquid, which is not supported."},
        invalid_case{"directive_beside_key", R"({"x":{"@path":"$.a","label":"A"}})",
                     "/x should only have one @-prefixed key but it has 2 keys."},
        invalid_case{"two_directives", R"({"@path":"$.a","@template":"b"})",
                     "/ should only have one @-prefixed key but it has 2 keys."},
        invalid_case{"replace_pattern_too_long",
                     R"({"@replace":{"pattern":"0123456789a","value":"x"}})",
                     "/@replace/pattern should be a string of length 10 or less."},
        invalid_case{"replace_pattern_empty", R"({"@replace":{"pattern":"","value":"x"}})",
                     "/@replace/pattern should be a string of length 1 or greater."},
        invalid_case{"replace_missing_value", R"({"k":{"@replace":{"pattern":"a"}}})",
                     "/k/@replace should have field \"value\" but it doesn't."},
        invalid_case{"replace_global_type",
                     R"({"@replace":{"pattern":"a","value":"x","global":1}})",
                     "/@replace/global should be a boolean but it is a number."},
        invalid_case{"json_missing_mode", R"({"@json":{"value":1}})",
                     "/@json should have field \"mode\" but it doesn't."},
        invalid_case{"json_bad_mode", R"({"@json":{"value":1,"mode":"yaml"}})",
                     "/@json/mode should be one of encode, decode but it is \"yaml\"."},
        invalid_case{"merge_bad_direction", R"({"@merge":{"objects":[],"direction":"up"}})",
                     "/@merge/direction should be one of left, right"},
        invalid_case{
            "merge_element_not_object",
            R"({"m":{"@merge":{"objects":[{},"s"],"direction":"left"}}})",
            "/m/@merge/objects/1 should be an object or a mapping directive but it is a string."},
        invalid_case{"merge_options_array", R"({"@merge":[{}]})",
                     "/@merge should be an object but it is an array."},
        invalid_case{"flatten_omit_arrays_type",
                     R"({"@flatten":{"value":1,"separator":".","omitArrays":"yes"}})",
                     "/@flatten/omitArrays should be a boolean but it is a string."},
        invalid_case{"transform_apply_not_object", R"({"@transform":{"apply":[1],"mapping":{}}})",
                     "/@transform/apply should be an object but it is an array."},
        invalid_case{"transform_options_directive", R"({"@transform":{"@path":"$.a"}})",
                     "/@transform should be an object but it is a directive."},
        invalid_case{"array_path_not_array", R"({"@arrayPath":{"path":"$.a"}})",
                     "/@arrayPath should be an array but it is an object."},
        invalid_case{"array_path_first_number", R"({"@arrayPath":[1]})",
                     "/@arrayPath should be a string or a mapping directive but it is a number."},
        invalid_case{"case_operator_type", R"({"@case":{"operator":1,"value":"a"}})",
                     "/@case/operator should be a string but it is a number."},
        invalid_case{"if_options_string", R"({"@if":"yes"})",
                     "/@if should be an object but it is a string."},
        invalid_case{"directive_inside_if_branch", R"({"@if":{"exists":1,"else":{"@nope":1}}})",
                     "/@if/else has an invalid directive: @nope."},
        invalid_case{"root_directive_two_keys",
                     R"({"__segment_internal_directive":{"@a":1,"@b":2}})", "single directive"},
        invalid_case{"null_mapping", "null", "null"}));

TEST(MappingValidate, CollectsEveryProblemOnePerLine) {
  const auto problems =
      validate(parse(R"({"a":{"@path":1},"b":{"c":{"@template":[]}},"d":{"@x":1}})"));
  ASSERT_TRUE(problems.has_value());
  EXPECT_EQ(*problems,
            "/a/@path should be a string or a mapping directive but it is a number.\n"
            "/b/c/@template should be a string or a mapping directive but it is an array.\n"
            "/d has an invalid directive: @x.");
}

class ValidMapping : public testing::TestWithParam<const char*> {};

TEST_P(ValidMapping, IsAccepted) {
  const auto problems = validate(parse(GetParam()));
  EXPECT_FALSE(problems.has_value()) << *problems;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ValidMapping,
    testing::Values(
        R"({"external_id":{"@path":"$.userId"},"name":{"@path":"$.event"},"fixed":[1,"a",null]})",
        R"({"__segment_internal_directive":{"@transform":{"apply":{"x":1}}},"y":{"@path":"$.x"}})",
        R"({"@if":{"exists":{"@path":"$.a"},"then":{"nested":{"@path":"$.a"}}}})",
        R"({"@json":{"mode":"Decode","value":null}})",
        R"({"@merge":{"direction":"LEFT","objects":[{"@path":"$.a"},{"b":{"@path":"$.b"}}]}})",
        R"({"@flatten":{"value":{"@path":"$.p"},"separator":{"@literal":"_"}}})",
        R"({"@excludeWhenNull":{"@path":"$.a"}})", R"("just a string")", "42", "[1,2]"));

}  // namespace
}  // namespace tributary::transform
