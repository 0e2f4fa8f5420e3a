// The Pinning Service API's state: access tokens and pin requests, kept in
// the repository's index (tables psa_tokens, psa_requests, psa_meta), so that
// requests survive restarts and a daemon killed mid-fetch resumes them.
//
// Every request belongs to the token that made it: a token sees and changes
// only its own requests (as the spec's "for the current access token").
// Tokens are stored as SHA-256 hashes; the token itself is shown once, when
// it is made.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "multiformats/cid.h"
#include "repo/sqlite.h"

namespace ipfskit::psa {

enum class RequestStatus { kQueued, kPinning, kPinned, kFailed };
const char* status_name(RequestStatus s);
std::optional<RequestStatus> status_by_name(std::string_view name);

struct TokenInfo {
  std::string name;
  int64_t created = 0;  // unix seconds
};

struct PinRequest {
  std::string requestid;
  std::string owner;  // the token's name
  Cid cid;
  std::optional<std::string> name;
  std::vector<std::string> origins;
  std::map<std::string, std::string> meta;
  RequestStatus status = RequestStatus::kQueued;
  int64_t created_ms = 0;  // unique across requests: the spec pages by it
  std::map<std::string, std::string> info;  // PinStatus.info (status_details, ...)
  bool owns_node_pin = false;  // this request made the node's pin of `cid`
};

enum class Match { kExact, kIExact, kPartial, kIPartial };

struct Query {
  std::vector<Cid> cids;                 // any of (at most 10)
  std::optional<std::string> name;
  Match match = Match::kExact;
  std::vector<RequestStatus> statuses;          // any of; empty: all
  std::optional<int64_t> before_ms, after_ms;
  std::map<std::string, std::string> meta;  // all of
  uint64_t limit = 10;                   // 1..1000
};

struct Page {
  uint64_t count = 0;  // every request matching the query
  std::vector<PinRequest> results;  // newest first, at most `limit`
};

class Store {
 public:
  // Creates the tables when absent.
  static Result<Store> open(sql::Database& db);

  // ---- tokens ----
  // Makes a token for `name` (AlreadyExists when the name is taken); returns
  // the token, which is not stored.
  Result<std::string> create_token(const std::string& name);
  // Removes the token; its requests go with it (the node's pins they made
  // are reported in `orphaned` for the caller to unpin).
  Status remove_token(const std::string& name, std::vector<PinRequest>* orphaned);
  Result<std::vector<TokenInfo>> tokens();
  // The name of the token, or nullopt when it is unknown.
  Result<std::optional<std::string>> authenticate(std::string_view token);

  // ---- requests ----
  // Records a new request (requestid and created are set here).
  Result<PinRequest> add(PinRequest r);
  Result<std::optional<PinRequest>> get(const std::string& owner, const std::string& requestid);
  Result<Page> list(const std::string& owner, const Query& q);
  // Removes a request; returns it (NotFound for an unknown id or another owner's).
  Result<PinRequest> remove(const std::string& owner, const std::string& requestid);
  // Sets the status and info of a request (the worker's progress).
  Status set_status(const std::string& requestid, RequestStatus status, const std::map<std::string, std::string>& info,
                    bool owns_node_pin);
  // The oldest queued request, for the worker; nullopt when none.
  Result<std::optional<PinRequest>> next_queued();
  // Requests left `pinning` by a daemon that stopped go back to the queue.
  Status requeue_interrupted();
  // Live requests (any owner) other than `except` for the same CID, pinned
  // or on their way; used to hand over the node's pin when one is removed.
  Result<std::vector<PinRequest>> others_for(const Cid& cid, const std::string& except);

 private:
  explicit Store(sql::Database& db) : db_(&db) {}
  Result<PinRequest> row(sql::Statement& q);
  sql::Database* db_;
};

// RFC 3339 (with optional fraction and offset) to unix milliseconds, and back
// ("2020-07-27T17:32:28.276Z").
Result<int64_t> parse_rfc3339_ms(std::string_view text);
std::string format_rfc3339_ms(int64_t ms);

}  // namespace ipfskit::psa
