#include "base/line_splitter.h"

namespace ipfskit {

Status LineSplitter::feed(ByteView data) {
  pending_.append(reinterpret_cast<const char*>(data.data()), data.size());
  size_t start = 0;
  for (;;) {
    size_t nl = pending_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(pending_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) TRY_STATUS(on_line_(line));
    start = nl + 1;
  }
  pending_.erase(0, start);
  if (pending_.size() > max_line_)
    return make_error(Code::kResourceExhausted, "a response line exceeds " + std::to_string(max_line_) + " bytes");
  return {};
}

Status LineSplitter::finish() {
  if (pending_.empty()) return {};
  std::string rest = std::move(pending_);
  pending_.clear();
  while (!rest.empty() && (rest.back() == '\r' || rest.back() == ' ')) rest.pop_back();
  if (rest.empty()) return {};
  return on_line_(rest);
}

}  // namespace ipfskit
