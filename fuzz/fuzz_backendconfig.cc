// Backend sections of config.json (whatever a user or a script writes):
// validation, redaction and the missing-key report never crash, and a
// section that validates validates again (normalization is stable).
#include <string>

#include <nlohmann/json.hpp>

#include "config/backends.h"
#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  for (const char* name : {"x", "lassie", "ipfs"}) {
    nlohmann::json section = j;
    std::string err = ipfskit::validate_backend(name, section);
    if (err.empty()) {
      nlohmann::json again = section;
      if (!ipfskit::validate_backend(name, again).empty() || again != section) __builtin_trap();
      (void)ipfskit::redact_backend(name, section).dump();
      auto missing = ipfskit::missing_fields(name, section);
      (void)ipfskit::describe_missing(name, section, missing);
      ipfskit::Config c = ipfskit::Config::defaults();
      (void)c.set_backend(name, section);
      (void)c.redacted();
    }
  }
  if (j.is_object() && j.contains("type") && j["type"].is_string())
    for (auto& [k, v] : j.items())
      if (v.is_string()) (void)ipfskit::parse_backend_value(j["type"].get<std::string>(), k, v.get<std::string>());
  return 0;
}
