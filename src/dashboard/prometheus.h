// A reader for the Prometheus text exposition format (version 0.0.4), for the
// daemon's /metrics as the dashboard charts it. The text comes from another
// process (the daemon, through the client API), so it is parsed as untrusted
// input: a malformed line is an error naming the line, never a crash.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace ipfskit::dashboard {

struct MetricSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // in the order written
  double value = 0;

  // A label's value; "" when absent.
  std::string_view label(std::string_view key) const;
};

// Every sample line; comments (# HELP, # TYPE) and blank lines are skipped,
// a timestamp after the value is accepted and ignored. InvalidArgument for a
// malformed line, or more than `max_samples` samples.
Result<std::vector<MetricSample>> parse_prometheus(std::string_view text, size_t max_samples = 100000);

// The sum of every sample named `name` whose labels include all of `match`.
double sum_samples(const std::vector<MetricSample>& samples, std::string_view name,
                   const std::vector<std::pair<std::string, std::string>>& match = {});

}  // namespace ipfskit::dashboard
