#include "replication/allocator.h"

#include <algorithm>
#include <map>
#include <set>

namespace ipfskit::replication {

using nlohmann::json;

namespace {

std::string domain_of(const BackendCandidate& b) {
  return b.failure_domain.empty() ? "backend:" + b.name : b.failure_domain;
}

// Why a backend cannot take a new copy now ("" when it can).
std::string unusable_reason(const BackendCandidate& b, uint64_t size) {
  if (!b.replica) return "not a replica store (a read source only)";
  if (!b.provable) return "cannot prove a copy's bytes (set its gateway so that copies can be read back)";
  if (!b.usable) return b.health.empty() ? "not available" : b.health;
  if (size > 0 && b.bytes_free && *b.bytes_free < size)
    return "not enough free space (" + std::to_string(*b.bytes_free) + " bytes free, " + std::to_string(size) + " needed)";
  return "";
}

struct Ranked {
  const BackendCandidate* b;
  int explicit_rank;  // position in the allocations (smaller first); INT_MAX when not named
  bool last_resort;   // failed here kAttemptsBeforeReallocation times
};

// Greedy: the best candidate given the domains and tags covered so far.
size_t best_of(const std::vector<Ranked>& cands, const std::vector<bool>& taken, const std::set<std::string>& domains,
               const std::set<std::string>& tags) {
  size_t best = cands.size();
  auto key = [&](const Ranked& r) {
    int new_tags = 0;
    for (const auto& t : r.b->tags)
      if (tags.count(t) == 0) new_tags++;
    const bool new_domain = domains.count(domain_of(*r.b)) == 0;
    return std::make_tuple(-r.explicit_rank, r.last_resort ? 0 : 1, new_domain ? 1 : 0, new_tags,
                           static_cast<double>(r.b->bytes_free.value_or(0)), -r.b->latency_ms);
  };
  for (size_t i = 0; i < cands.size(); ++i) {
    if (taken[i]) continue;
    if (best == cands.size() || key(cands[i]) > key(cands[best]) ||
        (key(cands[i]) == key(cands[best]) && cands[i].b->name < cands[best].b->name))
      best = i;
  }
  return best;
}

std::string choice_reason(const Ranked& r, const std::set<std::string>& domains) {
  if (r.explicit_rank != INT32_MAX) return "chosen: named in the pin's allocations";
  if (domains.count(domain_of(*r.b)) == 0)
    return r.b->failure_domain.empty() ? "chosen: a backend no copy is on yet"
                                       : "chosen: failure domain \"" + r.b->failure_domain + "\" holds no copy yet";
  return "chosen: same failure domain as another copy, but the best available";
}

}  // namespace

json to_json(const AllocationPlan& p) {
  return {{"verified", p.verified}, {"current", p.current}, {"needed", p.needed}, {"wanted", p.wanted},
          {"available", p.available}, {"add", p.add}, {"retry", p.retry}, {"drop", p.drop},
          {"error", p.error.empty() ? json() : json(p.error)}, {"reasons", p.reasons}};
}

AllocationPlan plan_allocation(const AllocationRequest& req) {
  AllocationPlan plan;
  std::map<std::string, const BackendCandidate*> by_name;
  for (const auto& b : req.backends) by_name[b.name] = &b;
  auto find = [&](const std::string& name) -> const BackendCandidate* {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  };

  // Classify the pin's rows.
  std::set<std::string> holding;          // backends with a current copy (no new allocation there)
  std::set<std::string> domains, tags;    // covered by current copies
  std::set<std::string> last_resort;      // failed too often: allocated again only when nothing else will do
  struct Held {
    const Replica* r;
    const BackendCandidate* b;
  };
  std::vector<Held> pinned_rows, active_rows, error_rows;
  for (const Replica& r : req.replicas) {
    const BackendCandidate* b = find(r.backend);
    const bool local = r.backend == kLocalBackend;
    const bool counting = local || (b != nullptr && b->counting);
    const bool usable = b != nullptr && b->usable;
    auto cover = [&] {
      holding.insert(r.backend);
      if (b != nullptr) {
        domains.insert(domain_of(*b));
        for (const auto& t : b->tags) tags.insert(t);
      } else {
        domains.insert("backend:" + r.backend);
      }
    };
    switch (r.state) {
      case State::kPinned:
        if (counting) {
          plan.verified++;
          plan.current++;
          pinned_rows.push_back({&r, b});
          cover();
          plan.reasons[r.backend] = "holds a verified copy";
        } else {
          holding.insert(r.backend);
          plan.reasons[r.backend] = "holds a copy that does not count now (" + (b ? b->health : std::string("not configured")) + ")";
        }
        break;
      case State::kQueued:
      case State::kPinning:
        holding.insert(r.backend);
        if (usable) {
          plan.current++;
          active_rows.push_back({&r, b});
          cover();
          plan.reasons[r.backend] = std::string("copy ") + std::string(state_name(r.state));
        } else {
          plan.reasons[r.backend] = std::string("copy ") + std::string(state_name(r.state)) + " on a backend that is not available";
        }
        break;
      case State::kPinError:
        if (local) {
          holding.insert(r.backend);
          plan.reasons[r.backend] = "the local copy failed verification: " + r.error;
          break;
        }
        if (usable && r.attempts < kAttemptsBeforeReallocation) {
          holding.insert(r.backend);
          plan.current++;
          error_rows.push_back({&r, b});
          cover();
          plan.reasons[r.backend] = "failed " + std::to_string(r.attempts) + " time(s), retried: " + r.error;
        } else {
          last_resort.insert(r.backend);
          plan.reasons[r.backend] = "failed " + std::to_string(r.attempts) + " time(s): " + r.error;
        }
        break;
      case State::kUnpinning:
      case State::kUnpinned:
        break;
    }
  }

  // Candidates for new copies.
  std::vector<Ranked> cands;
  for (const auto& b : req.backends) {
    if (b.name == kLocalBackend || holding.count(b.name) != 0) continue;
    const std::string why = unusable_reason(b, req.size);
    if (!why.empty()) {
      if (!plan.reasons.contains(b.name)) plan.reasons[b.name] = why;
      continue;
    }
    int rank = INT32_MAX;
    for (size_t i = 0; i < req.policy.allocations.size(); ++i)
      if (req.policy.allocations[i] == b.name) rank = static_cast<int>(i);
    cands.push_back({&b, rank, last_resort.count(b.name) != 0});
  }
  for (const auto& a : req.policy.allocations)
    if (!find(a)) plan.reasons[a] = "named in the pin's allocations, but no such backend is configured";
  plan.available = static_cast<int>(cands.size());
  plan.needed = req.policy.min - plan.verified;
  plan.wanted = req.policy.max - plan.current;

  if (plan.wanted < 0) {
    // Above max: drop failed copies, then transfers, then the verified
    // copies ranked last; never the local one, never below min verified.
    int excess = -plan.wanted;
    auto drop = [&](const Held& h, const char* why) {
      plan.drop.push_back(h.r->backend);
      plan.reasons[h.r->backend] = std::string("dropped: ") + why;
      excess--;
    };
    for (const auto& h : error_rows)
      if (excess > 0) drop(h, "above the pin's maximum (a failed copy goes first)");
    for (const auto& h : active_rows)
      if (excess > 0) drop(h, "above the pin's maximum (an unfinished copy goes first)");
    if (excess > 0) {
      // Rank the verified copies for keeping, the local one first.
      std::vector<Ranked> keep;
      std::set<std::string> kept_domains, kept_tags;
      for (const auto& h : pinned_rows) {
        if (h.r->backend == kLocalBackend) {
          if (h.b) {
            kept_domains.insert(domain_of(*h.b));
            for (const auto& t : h.b->tags) kept_tags.insert(t);
          }
          continue;
        }
        if (h.b == nullptr) continue;
        int rank = INT32_MAX;
        for (size_t i = 0; i < req.policy.allocations.size(); ++i)
          if (req.policy.allocations[i] == h.r->backend) rank = static_cast<int>(i);
        keep.push_back({h.b, rank, false});
      }
      std::vector<bool> taken(keep.size(), false);
      std::vector<size_t> order;
      for (size_t n = 0; n < keep.size(); ++n) {
        const size_t i = best_of(keep, taken, kept_domains, kept_tags);
        taken[i] = true;
        order.push_back(i);
        kept_domains.insert(domain_of(*keep[i].b));
        for (const auto& t : keep[i].b->tags) kept_tags.insert(t);
      }
      int verified_left = plan.verified;
      for (auto it = order.rbegin(); it != order.rend() && excess > 0; ++it) {
        if (verified_left - 1 < req.policy.min) break;
        plan.drop.push_back(keep[*it].b->name);
        plan.reasons[keep[*it].b->name] = "dropped: above the pin's maximum (ranked last of the verified copies)";
        verified_left--;
        excess--;
      }
    }
    return plan;
  }

  for (const auto& h : error_rows)
    if (h.r->next_attempt <= req.now) plan.retry.push_back(h.r->backend);

  if (plan.needed > 0) {
    const int n = std::min(plan.wanted, plan.available);
    std::vector<bool> taken(cands.size(), false);
    for (int k = 0; k < n; ++k) {
      const size_t i = best_of(cands, taken, domains, tags);
      if (i == cands.size()) break;
      taken[i] = true;
      plan.reasons[cands[i].b->name] = choice_reason(cands[i], domains);
      plan.add.push_back(cands[i].b->name);
      domains.insert(domain_of(*cands[i].b));
      for (const auto& t : cands[i].b->tags) tags.insert(t);
    }
    for (size_t i = 0; i < cands.size(); ++i)
      if (!taken[i] && !plan.reasons.contains(cands[i].b->name))
        plan.reasons[cands[i].b->name] = "available, not needed";
    if (plan.current + plan.available < req.policy.min) {
      plan.error = "not enough backends for " + std::to_string(req.policy.min) + " verified copies: needed " +
                   std::to_string(plan.needed) + " more, wanted at most " + std::to_string(std::max(plan.wanted, 0)) +
                   ", available " + std::to_string(plan.available);
      std::string unavailable;
      for (const auto& b : req.backends) {
        if (b.name == kLocalBackend || holding.count(b.name) != 0 || !b.replica) continue;
        const std::string why = unusable_reason(b, req.size);
        if (!why.empty()) unavailable += (unavailable.empty() ? "" : "; ") + b.name + ": " + why;
      }
      if (!unavailable.empty()) plan.error += " (" + unavailable + ")";
    }
  } else {
    for (const auto& c : cands)
      if (!plan.reasons.contains(c.b->name)) plan.reasons[c.b->name] = "available, not needed (the pin meets its minimum)";
  }
  return plan;
}

}  // namespace ipfskit::replication
