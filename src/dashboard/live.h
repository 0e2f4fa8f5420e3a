// The dashboard's live data: one thread polls the client API and fans what it
// finds out to every open event stream, so the cost of a poll does not grow
// with the number of open dashboards, and no HTTP thread is held per stream
// (they are http::PushStreams, written on the listener's I/O threads).
//
// Events (server-sent events, `event: NAME` + one JSON `data:` line):
//  - snapshot: everything, sent once to each new stream (identity, daemon,
//    backends, replication, repo, the chart series, the last log lines, the
//    replication sync job);
//  - tick: each poll's news (daemon, backends, replication, repo, one chart
//    point, new latency points);
//  - log: log lines written since the last poll;
//  - sync: the replication sync job's state;
//  - pins: the pin set changed (the pins page reloads its current page).
// A comment line is sent when nothing else was for 15 s, so proxies and
// clients see a live connection.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/client.h"
#include "dashboard/prometheus.h"
#include "http/server.h"

namespace ipfskit::dashboard {

struct LiveOptions {
  std::chrono::milliseconds active_interval{1000};  // between polls while a dashboard is open
  std::chrono::milliseconds idle_interval{10000};   // otherwise (the charts keep a history)
  size_t history_points = 300;                      // per chart series
  size_t log_lines = 200;                           // the log tail kept and sent in a snapshot
};

class LiveFeed {
 public:
  LiveFeed(api::Client& client, LiveOptions options);
  ~LiveFeed();

  void start();
  // Stops polling and ends every stream. Idempotent.
  void stop();

  // Adds an open stream: it gets a snapshot now and every event after.
  void subscribe(std::shared_ptr<http::PushStream> stream);
  size_t subscribers() const;

  // The state a new stream's snapshot holds.
  nlohmann::json snapshot() const;

  // Sends an event to every stream; `remember` keeps it in the snapshot under
  // that event's name (for state such as the sync job).
  void publish(const std::string& event, const nlohmann::json& data, bool remember = false);

  // Polls now instead of at the next interval (after an action).
  void poke();

  // SSE framing of one event (exposed for tests).
  static std::string frame(const std::string& event, const nlohmann::json& data);

 private:
  void run();
  void poll();
  void broadcast(const std::string& bytes);
  void sample_metrics(int64_t now_ms, nlohmann::json& point);
  void sample_logs();

  api::Client& client_;
  const LiveOptions o_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  bool stopping_ = false, poke_ = false, started_ = false;
  std::thread thread_;
  std::vector<std::shared_ptr<http::PushStream>> streams_;
  std::chrono::steady_clock::time_point last_sent_{};

  nlohmann::json identity_, daemon_, backends_, replication_, repo_;
  nlohmann::json remembered_ = nlohmann::json::object();
  std::deque<nlohmann::json> points_;                       // chart points: {t, req:{}, bytes:{}, rss}
  std::map<std::string, std::deque<nlohmann::json>> latency_;  // per backend: {t, ms, health}
  std::map<std::string, std::string> last_probe_;           // per backend: last_check seen
  std::deque<std::string> log_tail_;
  std::string metrics_error_;
  // The previous metrics reading, for rates.
  int64_t prev_ms_ = 0;
  std::map<std::string, double> prev_requests_, prev_bytes_;
  uint64_t prev_pins_ = UINT64_MAX;
};

}  // namespace ipfskit::dashboard
