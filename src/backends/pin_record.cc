#include "backends/pin_record.h"

#include "base/utf8.h"
#include "repo/pins.h"

namespace ipfskit::backends {

using nlohmann::json;

std::string pin_record(const PinSpec& spec, const PushStats& stats, int64_t created) {
  json j = {{"format", kPinRecordFormat}, {"cid", spec.cid.to_string()}, {"name", spec.name},
            {"meta", spec.meta},          {"type", "recursive"},          {"created", created},
            {"blocks", stats.blocks},     {"bytes", stats.bytes}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<RemotePin> parse_pin_record(std::string_view text) {
  if (text.size() > kMaxPinRecordBytes) return corruption("pin record larger than " + std::to_string(kMaxPinRecordBytes) + " bytes");
  if (!valid_utf8(text)) return corruption("pin record is not UTF-8");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corruption("pin record is not a JSON object");
  if (!j.contains("format") || j["format"] != kPinRecordFormat)
    return corruption("pin record format is not " + std::string(kPinRecordFormat));
  if (!j.contains("cid") || !j["cid"].is_string()) return corruption("pin record has no cid");
  RemotePin p;
  auto cid = Cid::parse(j["cid"].get<std::string>());
  if (!cid) return corruption("pin record cid: " + cid.error().message());
  p.cid = *cid;
  if (j.contains("name")) {
    if (!j["name"].is_string()) return corruption("pin record name is not a string");
    p.name = j["name"].get<std::string>();
    if (p.name.size() > repo::kMaxPinNameBytes) return corruption("pin record name is too long");
  }
  if (j.contains("meta")) {
    if (!j["meta"].is_object()) return corruption("pin record meta is not an object");
    if (j["meta"].size() > repo::kMaxPinMetaEntries) return corruption("pin record has too many meta entries");
    for (auto& [k, v] : j["meta"].items()) {
      if (!v.is_string()) return corruption("pin record meta value of \"" + k + "\" is not a string");
      p.meta[k] = v.get<std::string>();
    }
  }
  if (j.contains("created") && j["created"].is_number_integer()) p.created = j["created"].get<int64_t>();
  if (j.contains("blocks") && j["blocks"].is_number_unsigned()) p.details["blocks"] = j["blocks"];
  if (j.contains("bytes") && j["bytes"].is_number_unsigned()) p.details["bytes"] = j["bytes"];
  p.status = "pinned";
  return p;
}

std::string pin_record_name(const Cid& cid) { return cid.to_v1().to_string() + ".json"; }

}  // namespace ipfskit::backends
