// JSON Schema 2020-12 validation for the schemas our tools declare.
//
// MCP servers must not trust tool arguments: every tools/call is checked
// against the tool's inputSchema before anything runs. We implement the
// 2020-12 keywords our schemas use (and check, in tests, that they use no
// others): type, properties, required, additionalProperties, items,
// minItems, maxItems, enum, const, minimum, maximum, minLength, maxLength,
// pattern (a small anchored subset, see below), oneOf, anyOf, $ref to
// "#/$defs/...". Annotations (title, description, default, examples,
// $schema, format, readOnly, x-*) are ignored, as the specification allows.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ipfskit::mcp {

// The first violation as "<instance pointer>: <what is wrong>", or nullopt
// when `instance` is valid. `root` resolves "$ref": "#/$defs/x".
std::optional<std::string> validate_schema(const nlohmann::json& schema, const nlohmann::json& instance);

// Names the first keyword in `schema` (at any depth) that validate_schema
// does not implement; nullopt when every keyword is understood.
std::optional<std::string> unsupported_keyword(const nlohmann::json& schema);

}  // namespace ipfskit::mcp
