// UTF-8 validation, for text that must be valid before it becomes JSON or
// IPLD strings (names from uploads, config values, dag-json).
#pragma once

#include <string_view>

namespace ipfskit {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool valid_utf8(std::string_view s);

}  // namespace ipfskit
