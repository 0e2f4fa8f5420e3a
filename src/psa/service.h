// The IPFS Pinning Service API, served (github.com/ipfs/pinning-services-api-spec,
// v1.0.0): so that one ipfs-kit is another's pinning service, and Kubo's
// `ipfs pin remote`, the pinning-service client and the compliance suite
// work against it.
//
// A pin request is queued, then a worker fetches its DAG: from the
// repository when it is already there, else from its `origins` given as HTTP
// multiaddrs (`/ip4/127.0.0.1/tcp/8080/http`, `/dns4/host/tcp/443/https`,
// optionally ending in `/p2p/<id>`) or http(s) URLs, each fetched as a
// trustless gateway CAR with every block's hash checked before it is stored.
// ipfs-kit speaks no bitswap: a request whose content is neither local nor
// at an HTTP origin fails, and says why. Pinned requests hold a recursive
// pin in the repository (named after the request, with psa.* metadata);
// removing the last request for a CID removes the pin it made.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/node.h"
#include "http/server.h"
#include "psa/store.h"

namespace ipfskit::psa {

struct ServiceOptions {
  core::Node* node = nullptr;
  // PinStatus.delegates: this node's addresses, as multiaddrs.
  std::function<std::vector<std::string>()> delegates;
  std::string download_dir;           // CARs being fetched (removed after import)
  uint64_t max_fetch_bytes = 8ULL << 30;  // a larger CAR is refused
  int fetch_timeout_seconds = 600;        // per origin
};

class PinningService {
 public:
  // Opens the store, puts requests a previous daemon left `pinning` back in
  // the queue, and starts the worker.
  static Result<std::unique_ptr<PinningService>> start(ServiceOptions options);
  ~PinningService();

  // Adds the API's routes under `prefix` (e.g. "/psa"). They authenticate
  // with PSA tokens, not the daemon's API token.
  void register_routes(http::Server& server, const std::string& prefix);

  // Token administration (the CLI's `psa token`, through the client API).
  Result<std::string> create_token(const std::string& name);
  Status remove_token(const std::string& name);
  Result<nlohmann::json> tokens();

  // Waits until the queue is empty (tests, shutdown).
  void drain();

 private:
  explicit PinningService(ServiceOptions o, Store store) : o_(std::move(o)), store_(std::move(store)) {}
  void work();
  // Fetches and pins one request; returns its final status and info.
  std::pair<RequestStatus, std::map<std::string, std::string>> process(const PinRequest& r, bool& owns_pin);
  Status fetch_from(const std::string& origin, const Cid& cid, std::string& detail);
  // Removes a request and, when it made the node's pin and no other request
  // holds the CID, that pin.
  Result<PinRequest> remove_request(const std::string& owner, const std::string& requestid);
  http::Response handle(const http::Request& req, const std::string& prefix);
  nlohmann::json status_json(const PinRequest& r);

  ServiceOptions o_;
  Store store_;
  std::mutex mu_;  // orders the worker's finishing with removals
  std::condition_variable wake_, idle_;
  bool stopping_ = false, busy_ = false;
  std::thread worker_;
};

// An origin as the base URL of a trustless gateway ("http://127.0.0.1:8080"),
// or nullopt for an address ipfs-kit cannot fetch from (libp2p transports).
std::optional<std::string> origin_url(std::string_view origin);

}  // namespace ipfskit::psa
