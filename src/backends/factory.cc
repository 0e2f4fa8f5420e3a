#include "config/backends.h"
#include "backends/types.h"

namespace ipfskit::backends {

Result<std::string> TypeArgs::field(std::string_view name) const {
  auto v = resolve_field(*section, name);
  if (!v) return tl::unexpected(v.error().wrap("backends." + info.name));
  return v->value_or("");
}

Result<std::string> TypeArgs::required(std::string_view name) const {
  std::string v = TRY(field(name));
  if (v.empty()) return invalid_argument("set backends." + info.name + "." + std::string(name));
  return v;
}

Result<std::unique_ptr<Backend>> make_backend(const std::string& name, const nlohmann::json& section,
                                              const Environment& env) {
  auto type = backend_type_of(name, section);
  if (!type) return invalid_argument("backends." + name + " has no type");
  const BackendType* def = find_backend_type(*type);
  if (def == nullptr) return invalid_argument("backends." + name + ": unknown type \"" + *type + "\"");
  TypeArgs a;
  a.info.name = name;
  a.info.type = *type;
  a.section = &section;
  a.env = &env;
  if (section.contains("tags") && section["tags"].is_array())
    for (const auto& t : section["tags"])
      if (t.is_string()) a.info.tags.push_back(t.get<std::string>());
  if (section.contains("failure_domain") && section["failure_domain"].is_string())
    a.info.failure_domain = section["failure_domain"].get<std::string>();
  if (!def->unsupported_reason.empty()) return make_unsupported_backend(a, def->unsupported_reason);
  if (*type == "ipfs") return make_ipfs_backend(a);
  if (*type == "kubo") return make_kubo_backend(a);
  if (*type == "s3") return make_s3_backend(a);
  if (*type == "filesystem") return make_filesystem_backend(a);
  if (*type == "pinning_service") return make_pinning_service_backend(a);
  if (*type == "ipfs_cluster") return make_ipfs_cluster_backend(a);
  if (*type == "gateway") return make_gateway_backend(a);
  return internal_error("backend type " + *type + " has no implementation");
}

}  // namespace ipfskit::backends
