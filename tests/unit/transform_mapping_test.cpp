// Mapping-kit directives (transform/mapping.h): our own cases, one row per behaviour. Each row
// is mapping, event, and the expected result as JSON text, "undefined" (the whole mapping
// resolved to nothing) or "throws".
#include "tributary/transform/mapping.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "tributary/transform/js_json.h"

namespace tributary::transform {
namespace {

constexpr const char* kEvent = R"({
  "type": "track", "event": "Order Completed", "userId": "u42", "anonymousId": "",
  "properties": {
    "total": 39.5, "count": 0, "coupon": null, "gift": false, "note": " ", "label": "0",
    "tags": ["a", "b", null], "empty_list": [], "empty_obj": {}, "ratio": 1e21,
    "items": [{"sku": "A-1", "price": 2, "qty": 1}, {"sku": "B.2", "price": 3.25, "qty": 2}],
    "order": {"id": "o-1", "meta": {"source": "web", "missing": null}}
  },
  "traits": {"first": "Ada", "last": "Lovelace", "email": "ADA@Example.com", "city": "Stra\u00dfe"},
  "context": {"ip": "10.0.0.1", "Actions Thing": {"k": "v"}},
  "raw": "{\"a\":[1,{\"b\":null}]}", "notjson": "{oops"
})";

struct mapping_case {
  const char* name;
  const char* mapping;
  const char* expected;
  const char* event = kEvent;
};

std::ostream& operator<<(std::ostream& os, const mapping_case& c) {
  return os << c.name;
}

class MappingCase : public testing::TestWithParam<mapping_case> {};

TEST_P(MappingCase, Resolves) {
  const auto& c = GetParam();
  const ordered_json mapping = parse(c.mapping);
  const ordered_json event = parse(c.event);
  const std::string expected = c.expected;
  if (expected == "throws") {
    EXPECT_THROW(transform(mapping, event), mapping_error);
    return;
  }
  const ordered_json got = transform(mapping, event);
  if (expected == "undefined") {
    EXPECT_TRUE(is_undefined(got)) << stringify(got);
  } else {
    ASSERT_FALSE(is_undefined(got));
    EXPECT_EQ(stringify(got), stringify(parse(expected)));
  }
}

std::string case_name(const testing::TestParamInfo<mapping_case>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(
    Path, MappingCase,
    testing::Values(
        mapping_case{"nested", R"({"id":{"@path":"$.properties.order.id"}})", R"({"id":"o-1"})"},
        mapping_case{"without_dollar", R"({"ip":{"@path":"context.ip"}})", R"({"ip":"10.0.0.1"})"},
        mapping_case{"bracket_index", R"({"@path":"$.properties.items[1].sku"})", R"("B.2")"},
        mapping_case{"dot_index", R"({"@path":"$.properties.items.0.price"})", "2"},
        mapping_case{"array_length", R"({"@path":"$.properties.items.length"})", "2"},
        mapping_case{"string_character", R"({"@path":"$.userId.0"})", R"("u")"},
        mapping_case{"key_with_space", R"({"@path":"$.context.Actions Thing.k"})", R"("v")"},
        mapping_case{"falsy_value_part_way_is_result", R"({"@path":"$.properties.count.value"})",
                     "0"},
        mapping_case{"null_part_way_is_result", R"({"@path":"$.properties.coupon.code"})", "null"},
        mapping_case{"missing_key_dropped", R"({"a":{"@path":"$.nope.deeper"},"b":1})",
                     R"({"b":1})"},
        mapping_case{"whole_event", R"({"all":{"@path":"$."}})", R"({"all":{"x":[1]}})",
                     R"({"x":[1]})"},
        mapping_case{"missing_at_top_level", R"({"@path":"$.nope"})", "undefined"},
        mapping_case{"path_from_directive", R"({"@path":{"@template":"properties.{{event}}"}})",
                     R"("yes")", R"({"event":"flag","properties":{"flag":"yes"}})"},
        mapping_case{"path_without_keys_throws", R"({"@path":"$.[]"})", "throws"},
        mapping_case{"non_string_path_throws", R"({"@path":{"@path":"$.properties.total"}})",
                     "throws"},
        mapping_case{"null_kept", R"({"x":null,"y":{"@path":"$.properties.coupon"}})",
                     R"({"x":null,"y":null})"},
        mapping_case{"keys_keep_mapping_order", R"({"z":1,"a":{"@path":"$.userId"},"m":2})",
                     R"({"z":1,"a":"u42","m":2})"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    TemplateAndLiteral, MappingCase,
    testing::Values(
        mapping_case{"several_fields",
                     R"({"@template":"{{traits.first}} {{traits.last}} <{{traits.email}}>"})",
                     R"("Ada Lovelace <ADA@Example.com>")"},
        mapping_case{
            "numbers_and_booleans",
            R"({"@template":"t={{properties.total}} g={{properties.gift}} r={{properties.ratio}}"})",
            R"("t=39.5 g=false r=1e+21")"},
        mapping_case{"array_joined", R"({"@template":"[{{properties.tags}}]"})", R"("[a,b,]")"},
        mapping_case{"object_as_js_string", R"({"@template":"{{properties.order}}"})",
                     R"("[object Object]")"},
        mapping_case{"missing_and_null_empty", R"({"@template":"x{{nope}}{{properties.coupon}}y"})",
                     R"("xy")"},
        mapping_case{"key_trimmed", R"({"@template":"{{  userId  }}"})", R"("u42")"},
        mapping_case{"triple_braces", R"({"@template":"<{{{userId}}}>"})", R"("<u42>")"},
        mapping_case{"no_html_escaping", R"({"@template":"{{v}}"})", R"("<a href='x'>&</a>")",
                     R"({"v":"<a href='x'>&</a>"})"},
        mapping_case{"unclosed_left_alone", R"({"@template":"{{userId"})", R"("{{userId")"},
        mapping_case{"template_from_event", R"({"@template":{"@path":"$.tpl"}})", R"("hi u1")",
                     R"({"tpl":"hi {{id}}","id":"u1"})"},
        mapping_case{"literal_resolves_nested", R"({"@literal":{"k":{"@path":"$.userId"},"n":1}})",
                     R"({"k":"u42","n":1})"},
        mapping_case{"literal_braces_not_rendered", R"({"@literal":"{{userId}}"})",
                     R"("{{userId}}")"},
        mapping_case{"literal_null", R"({"@literal":null})", "null"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    If, MappingCase,
    testing::Values(
        mapping_case{"exists_false_counts",
                     R"({"@if":{"exists":{"@path":"$.properties.gift"},"then":"y","else":"n"}})",
                     R"("y")"},
        mapping_case{"exists_null_does_not",
                     R"({"@if":{"exists":{"@path":"$.properties.coupon"},"then":"y","else":"n"}})",
                     R"("n")"},
        mapping_case{"missing_branch_drops_key",
                     R"({"a":{"@if":{"exists":{"@path":"$.nope"},"then":1}},"b":2})", R"({"b":2})"},
        mapping_case{"blank_zero",
                     R"({"@if":{"blank":{"@path":"$.properties.count"},"then":"y","else":"n"}})",
                     R"("n")"},
        mapping_case{"blank_false",
                     R"({"@if":{"blank":{"@path":"$.properties.gift"},"then":"y","else":"n"}})",
                     R"("n")"},
        mapping_case{
            "blank_empty_array",
            R"({"@if":{"blank":{"@path":"$.properties.empty_list"},"then":"y","else":"n"}})",
            R"("n")"},
        mapping_case{"blank_string_zero_is_not",
                     R"({"@if":{"blank":{"@path":"$.properties.label"},"then":"y","else":"n"}})",
                     R"("y")"},
        mapping_case{"blank_space_is_not",
                     R"({"@if":{"blank":{"@path":"$.properties.note"},"then":"y","else":"n"}})",
                     R"("y")"},
        mapping_case{
            "blank_empty_object_is_not",
            R"({"@if":{"blank":{"@path":"$.properties.empty_obj"},"then":"y","else":"n"}})",
            R"("y")"},
        mapping_case{"falsy_else_not_used",
                     R"({"x":{"@if":{"exists":{"@path":"$.nope"},"then":1,"else":0}}})", "{}"},
        mapping_case{"branches_resolve_directives",
                     R"({"@if":{"exists":{"@path":"$.userId"},"then":{"@path":"$.userId"}}})",
                     R"("u42")"},
        mapping_case{"no_condition_throws", R"({"@if":{"then":1,"else":2}})", "throws"},
        mapping_case{"falsy_condition_literal_throws", R"({"@if":{"exists":0,"then":1}})",
                     "throws"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    CaseAndReplace, MappingCase,
    testing::Values(
        mapping_case{"upper_sharp_s",
                     R"({"@case":{"operator":"upper","value":{"@path":"$.traits.city"}}})",
                     R"("STRASSE")"},
        mapping_case{"lower_non_ascii", R"({"@case":{"operator":"lower","value":"\u00c9COLE"}})",
                     R"("\u00e9cole")"},
        mapping_case{"non_string_untouched",
                     R"({"@case":{"operator":"upper","value":{"@path":"$.properties.items"}}})",
                     R"([{"sku":"A-1","price":2,"qty":1},{"sku":"B.2","price":3.25,"qty":2}])"},
        mapping_case{"unknown_operator_ignored_for_non_string",
                     R"({"@case":{"operator":"title","value":{"@path":"$.properties.total"}}})",
                     "39.5"},
        mapping_case{"unknown_operator_throws_for_string",
                     R"({"@case":{"operator":"title","value":{"@path":"$.userId"}}})", "throws"},
        mapping_case{"case_without_value_dropped", R"({"k":{"@case":{"operator":"lower"}}})", "{}"},
        mapping_case{"replace_every_by_default",
                     R"({"@replace":{"pattern":"-","replacement":"_","value":"a-b-c"}})",
                     R"("a_b_c")"},
        mapping_case{
            "replace_first_only",
            R"({"@replace":{"pattern":"-","replacement":"_","value":"a-b-c","global":false}})",
            R"("a_b-c")"},
        mapping_case{
            "replace_pattern_is_literal",
            R"({"@replace":{"pattern":".","replacement":"","value":{"@path":"$.properties.items.1.sku"}}})",
            R"("B2")"},
        mapping_case{
            "replace_ignorecase",
            R"({"@replace":{"pattern":"ada","replacement":"x","value":{"@path":"$.traits.email"},"ignorecase":true}})",
            R"("x@Example.com")"},
        mapping_case{
            "replace_case_sensitive_default",
            R"({"@replace":{"pattern":"ada","replacement":"x","value":{"@path":"$.traits.email"}}})",
            R"("ADA@Example.com")"},
        mapping_case{"replace_dollar_patterns",
                     R"({"@replace":{"pattern":"b","replacement":"[$&$$$`]","value":"abc"}})",
                     R"("a[b$a]c")"},
        mapping_case{
            "replace_number_value",
            R"({"@replace":{"pattern":".","replacement":",","value":{"@path":"$.properties.total"}}})",
            R"("39,5")"},
        mapping_case{"replace_object_value_empty",
                     R"({"@replace":{"pattern":"a","value":{"@path":"$.properties.order"}}})",
                     R"("")"},
        mapping_case{
            "replace_second_pattern",
            R"({"@replace":{"pattern":" ","replacement":"-","pattern2":"Ada","replacement2":"A","value":{"@template":"{{traits.first}} {{traits.last}}"}}})",
            R"("A-Lovelace")"},
        mapping_case{"replace_second_pattern_too_long_throws",
                     R"({"@replace":{"pattern":"a","pattern2":"abcdefghijk","value":"abc"}})",
                     "throws"},
        mapping_case{"replace_empty_value_dropped",
                     R"({"k":{"@replace":{"pattern":"a","value":""}}})", "{}"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    ArrayPathJsonMerge, MappingCase,
    testing::Values(
        mapping_case{
            "array_path_item_shape",
            R"({"lines":{"@arrayPath":["$.properties.items",{"id":{"@path":"$.sku"},"t":{"@template":"{{qty}}x{{price}}"}}]}})",
            R"({"lines":[{"id":"A-1","t":"1x2"},{"id":"B.2","t":"2x3.25"}]})"},
        mapping_case{"array_path_object_wrapped",
                     R"({"@arrayPath":["$.properties.order",{"id":{"@path":"$.id"}}]})",
                     R"([{"id":"o-1"}])"},
        mapping_case{"array_path_missing_dropped",
                     R"({"x":{"@arrayPath":["$.nope",{"id":{"@path":"$.id"}}]}})", "{}"},
        mapping_case{"array_path_scalar_root_as_is",
                     R"({"@arrayPath":["$.userId",{"id":{"@path":"$.id"}}]})", R"("u42")"},
        mapping_case{"array_path_empty_shape_root_as_is",
                     R"({"@arrayPath":["$.properties.tags",{}]})", R"(["a","b",null])"},
        mapping_case{"array_path_missing_item_key_dropped",
                     R"({"@arrayPath":["$.rows",{"a":{"@path":"$.a"}}]})", R"([{"a":1},{}])",
                     R"({"rows":[{"a":1},{"b":2}]})"},
        mapping_case{"json_encode_js_numbers",
                     R"({"@json":{"mode":"encode","value":{"@path":"$.properties.ratio"}}})",
                     R"("1e+21")"},
        mapping_case{
            "json_encode_drops_undefined",
            R"({"@json":{"mode":"encode","value":{"a":{"@path":"$.nope"},"b":[1,{"@path":"$.nope"}]}}})",
            R"("{\"b\":[1,null]}")"},
        mapping_case{"json_encode_undefined_dropped",
                     R"({"k":{"@json":{"mode":"encode","value":{"@path":"$.nope"}}}})", "{}"},
        mapping_case{"json_decode_nested",
                     R"({"@json":{"mode":"decode","value":{"@path":"$.raw"}}})",
                     R"({"a":[1,{"b":null}]})"},
        mapping_case{"json_decode_invalid_kept",
                     R"({"@json":{"mode":"decode","value":{"@path":"$.notjson"}}})", R"("{oops")"},
        mapping_case{"json_decode_non_string_as_is",
                     R"({"@json":{"mode":"decode","value":{"@path":"$.properties.total"}}})",
                     "39.5"},
        mapping_case{"json_uppercase_mode_passes_but_yields_nothing",
                     R"({"k":{"@json":{"mode":"ENCODE","value":1}}})", "{}"},
        mapping_case{"merge_right_later_wins_first_position",
                     R"({"@merge":{"direction":"right","objects":[{"a":1,"b":2},{"c":3,"a":9}]}})",
                     R"({"a":9,"b":2,"c":3})"},
        mapping_case{"merge_left_earlier_wins",
                     R"({"@merge":{"direction":"left","objects":[{"a":1,"b":2},{"c":3,"a":9}]}})",
                     R"({"c":3,"a":1,"b":2})"},
        mapping_case{
            "merge_undefined_member_removes_key",
            R"({"@merge":{"direction":"right","objects":[{"@path":"$.properties.order"},{"meta":{"@path":"$.nope"}}]}})",
            R"({"id":"o-1"})"},
        mapping_case{
            "merge_skips_missing_and_numbers",
            R"({"@merge":{"direction":"right","objects":[{"a":1},{"@path":"$.nope"},{"@path":"$.properties.total"}]}})",
            R"({"a":1})"},
        mapping_case{"merge_string_spreads_characters",
                     R"({"@merge":{"direction":"right","objects":[{"@path":"$.userId"}]}})",
                     R"({"0":"u","1":"4","2":"2"})"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    FlattenTransformExclude, MappingCase,
    testing::Values(
        mapping_case{"flatten_objects",
                     R"({"@flatten":{"value":{"@path":"$.properties.order"},"separator":"__"}})",
                     R"({"id":"o-1","meta__source":"web","meta__missing":null})"},
        mapping_case{
            "flatten_arrays_indexed",
            R"({"@flatten":{"value":{"@path":"$.properties.items"},"separator":"."}})",
            R"({"0.sku":"A-1","0.price":2,"0.qty":1,"1.sku":"B.2","1.price":3.25,"1.qty":2})"},
        mapping_case{
            "flatten_omit_arrays",
            R"({"@flatten":{"value":{"a":{"b":[1,{"c":2}]}},"separator":"/","omitArrays":true}})",
            R"({"a/b":[1,{"c":2}]})"},
        mapping_case{"flatten_empty_objects_vanish",
                     R"({"@flatten":{"value":{"a":{},"b":{"c":{}}},"separator":"."}})", "{}"},
        mapping_case{"flatten_scalar_under_empty_key",
                     R"({"@flatten":{"value":5,"separator":"."}})", R"({"":5})"},
        mapping_case{"flatten_missing_value_empty",
                     R"({"@flatten":{"value":{"@path":"$.nope"},"separator":"."}})", "{}"},
        mapping_case{"flatten_empty_separator_throws",
                     R"({"@flatten":{"value":{"a":{"b":1}},"separator":""}})", "throws"},
        mapping_case{
            "transform_apply_then_map",
            R"({"@transform":{"apply":{"name":{"@template":"{{traits.first}} {{traits.last}}"}},"mapping":{"full":{"@path":"$.name"},"orig":{"@path":"$.traits"}}}})",
            R"({"full":"Ada Lovelace"})"},
        mapping_case{
            "root_directive_receives_other_keys",
            R"({"__segment_internal_directive":{"@transform":{"apply":{"uid":{"@case":{"operator":"upper","value":{"@path":"$.userId"}}}}}},"user":{"@path":"$.uid"},"fixed":1})",
            R"({"user":"U42","fixed":1})"},
        mapping_case{"root_directive_must_be_object",
                     R"({"__segment_internal_directive":"x","a":1})", "throws"},
        mapping_case{"exclude_null_drops_key",
                     R"({"c":{"@excludeWhenNull":{"@path":"$.properties.coupon"}},"d":1})",
                     R"({"d":1})"},
        mapping_case{
            "exclude_null_keeps_falsy",
            R"({"a":{"@excludeWhenNull":{"@path":"$.properties.count"}},"b":{"@excludeWhenNull":{"@path":"$.properties.gift"}},"c":{"@excludeWhenNull":{"@path":"$.anonymousId"}}})",
            R"({"a":0,"b":false,"c":""})"},
        mapping_case{
            "exclude_null_cleans_nested_objects_not_arrays",
            R"({"@excludeWhenNull":{"@literal":{"a":null,"b":{"c":null,"d":1},"e":[null,{"f":null}]}}})",
            R"({"b":{"d":1},"e":[null,{}]})"}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    Shapes, MappingCase,
    testing::Values(
        mapping_case{"top_level_array_keyed_by_index", R"(["x",{"@path":"$.userId"}])",
                     R"({"0":"x","1":"u42"})"},
        mapping_case{"top_level_string_keyed_by_index", R"("ok")", R"({"0":"o","1":"k"})"},
        mapping_case{"top_level_number_empty", "7", "{}"},
        mapping_case{"top_level_null_throws", "null", "throws"},
        mapping_case{"nested_array_undefined_element_null",
                     R"({"list":["x",{"@path":"$.nope"},{"@path":"$.userId"}]})",
                     R"({"list":["x",null,"u42"]})"},
        mapping_case{"metadata_key_allowed", R"({"@path":"$.userId","_metadata":{"label":"User"}})",
                     R"("u42")"},
        mapping_case{"unknown_directive_in_array_throws_when_run", R"({"list":[{"@nope":1}]})",
                     "throws"},
        mapping_case{"invalid_mapping_throws", R"({"a":{"@template":7}})", "throws"},
        mapping_case{"array_data_throws", R"({"a":1})", "throws", "[1]"},
        mapping_case{"null_data_throws", R"({"a":1})", "throws", "null"}),
    case_name);

TEST(MappingTransform, DoesNotModifyItsInputs) {
  const ordered_json mapping = parse(
      R"({"__segment_internal_directive":{"@transform":{"apply":{"x":1}}},"y":{"@path":"$.x"}})");
  const ordered_json event = parse(kEvent);
  const ordered_json mapping_before = mapping, event_before = event;
  EXPECT_EQ(stringify(transform(mapping, event)), R"({"y":1})");
  EXPECT_EQ(mapping, mapping_before);
  EXPECT_EQ(event, event_before);
}

TEST(MappingTransform, ErrorNamesTheDirective) {
  try {
    transform(parse(R"({"@case":{"operator":"snake","value":"abc"}})"), ordered_json::object());
    FAIL() << "no exception";
  } catch (const mapping_error& e) {
    EXPECT_NE(std::string(e.what()).find("operator"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tributary::transform
