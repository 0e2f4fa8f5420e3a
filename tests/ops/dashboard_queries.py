#!/usr/bin/env python3
"""Evaluates every panel query of a Grafana dashboard on a running Prometheus
that scrapes an ipfs-kit daemon: each must succeed and return data.
Usage: dashboard_queries.py DASHBOARD.json PROMETHEUS_PORT"""
import json
import sys
import time
import urllib.parse
import urllib.request

d = json.load(open(sys.argv[1]))
base = f"http://127.0.0.1:{sys.argv[2]}/api/v1/query?query="


def query(q):
    with urllib.request.urlopen(base + urllib.parse.quote(q), timeout=10) as r:
        return json.load(r)


# The scrape works: the target is up (retry while Prometheus starts).
for _ in range(30):
    try:
        if query('up{job="ipfs-kit"}')["data"]["result"][0]["value"][1] == "1":
            break
    except Exception:
        pass
    time.sleep(0.5)
else:
    sys.exit("Prometheus never scraped the daemon successfully (up != 1)")
problems = []
for p in d["panels"]:
    for t in p["targets"]:
        # Grafana's variables, as Grafana substitutes them with "All" selected.
        q = t["expr"].replace("$__rate_interval", "5s").replace("$instance", ".*")
        r = query(q)
        if r["status"] != "success" or not r["data"]["result"]:
            problems.append(f'{p["title"]}: {q} -> {r["status"]}, {len(r["data"]["result"])} series')
print("\n".join(problems) or f"ok: {sum(len(p['targets']) for p in d['panels'])} queries return data")
sys.exit(1 if problems else 0)
