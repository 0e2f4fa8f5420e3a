#include "dashboard/prometheus.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace ipfskit::dashboard {

namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

Error bad_line(size_t line, std::string_view why) {
  return Error(Code::kInvalidArgument, "metrics line " + std::to_string(line) + ": " + std::string(why));
}

// A sample value: a float, +Inf, -Inf or NaN.
bool parse_value(std::string_view s, double& out) {
  if (s == "+Inf" || s == "Inf") {
    out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "-Inf") {
    out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (s == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s.empty()) return false;
  const char* begin = s.data();
  if (s[0] == '+') ++begin;  // from_chars takes no leading '+'
  auto r = std::from_chars(begin, s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

std::string_view MetricSample::label(std::string_view key) const {
  for (const auto& [k, v] : labels)
    if (k == key) return v;
  return {};
}

Result<std::vector<MetricSample>> parse_prometheus(std::string_view text, size_t max_samples) {
  std::vector<MetricSample> out;
  size_t line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size() || line[i] == '#') continue;
    if (out.size() >= max_samples) return tl::unexpected(bad_line(line_no, "too many samples"));
    MetricSample s;
    if (!name_start(line[i])) return tl::unexpected(bad_line(line_no, "a sample must start with a metric name"));
    size_t start = i;
    while (i < line.size() && name_char(line[i])) ++i;
    s.name.assign(line.substr(start, i - start));
    if (i < line.size() && line[i] == '{') {
      ++i;
      for (;;) {
        while (i < line.size() && line[i] == ' ') ++i;
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        if (i >= line.size() || !name_start(line[i])) return tl::unexpected(bad_line(line_no, "expected a label name"));
        size_t ks = i;
        while (i < line.size() && name_char(line[i])) ++i;
        std::string key(line.substr(ks, i - ks));
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
          return tl::unexpected(bad_line(line_no, "expected =\" after label " + key));
        i += 2;
        std::string value;
        for (;;) {
          if (i >= line.size()) return tl::unexpected(bad_line(line_no, "unterminated label value"));
          char c = line[i++];
          if (c == '"') break;
          if (c == '\\') {
            if (i >= line.size()) return tl::unexpected(bad_line(line_no, "unterminated escape"));
            char e = line[i++];
            if (e == 'n') value += '\n';
            else if (e == '\\' || e == '"') value += e;
            else return tl::unexpected(bad_line(line_no, "unknown escape in a label value"));
          } else {
            value += c;
          }
        }
        s.labels.emplace_back(std::move(key), std::move(value));
        while (i < line.size() && line[i] == ' ') ++i;
        if (i < line.size() && line[i] == ',') {
          ++i;
          continue;
        }
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        return tl::unexpected(bad_line(line_no, "expected , or } after a label"));
      }
    }
    if (i >= line.size() || (line[i] != ' ' && line[i] != '\t'))
      return tl::unexpected(bad_line(line_no, "expected a space before the value"));
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t vs = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (!parse_value(line.substr(vs, i - vs), s.value)) return tl::unexpected(bad_line(line_no, "malformed value"));
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size()) {
      // An optional timestamp: an integer (milliseconds).
      size_t ts = i;
      if (line[i] == '-') ++i;
      while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
      if (i == ts || i != line.size()) return tl::unexpected(bad_line(line_no, "unexpected text after the value"));
    }
    out.push_back(std::move(s));
  }
  return out;
}

double sum_samples(const std::vector<MetricSample>& samples, std::string_view name,
                   const std::vector<std::pair<std::string, std::string>>& match) {
  double total = 0;
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : match)
      if (s.label(k) != v) ok = false;
    if (ok && std::isfinite(s.value)) total += s.value;
  }
  return total;
}

}  // namespace ipfskit::dashboard
