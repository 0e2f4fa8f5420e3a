// The dashboard's metrics reader (and its Accept-Encoding reader): never
// crash; whatever parses must survive a round trip through the metrics writer
// unchanged (names, labels with their escapes, values).
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "dashboard/assets.h"
#include "dashboard/prometheus.h"
#include "metrics/metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ipfskit::dashboard::accepts_gzip(text);
  auto samples = ipfskit::dashboard::parse_prometheus(text, 10000);
  if (!samples) return 0;
  ipfskit::metrics::Writer w;
  for (const auto& s : *samples) {
    if (std::isnan(s.value)) continue;  // the writer has no NaN spelling
    ipfskit::metrics::Labels labels(s.labels.begin(), s.labels.end());
    w.sample(s.name, labels, s.value);
  }
  auto again = ipfskit::dashboard::parse_prometheus(w.text(), 10000);
  if (!again) std::abort();
  size_t j = 0;
  for (const auto& s : *samples) {
    if (std::isnan(s.value)) continue;
    if (j >= again->size()) std::abort();
    const auto& t = (*again)[j++];
    if (t.name != s.name || t.labels != s.labels || t.value != s.value) std::abort();
  }
  if (j != again->size()) std::abort();
  return 0;
}
