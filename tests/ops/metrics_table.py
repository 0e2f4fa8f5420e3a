#!/usr/bin/env python3
"""Checks the README's metrics table and the Grafana dashboard's queries
against a /metrics scrape. Usage: metrics_table.py README METRICS DASHBOARD.
Prints every problem; exit 1 when there is one."""
import json
import re
import sys
readme, metrics, dashboard = sys.argv[1:4]

# Families from the exposition: type from # TYPE, label names from samples.
types, labels = {}, {}
for line in open(metrics):
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split()
        types[name] = kind
        labels.setdefault(name, set())
    elif line.strip() and not line.startswith("#"):
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ", line)
        name = m.group(1)
        family = next((f for f in types if name == f or (types[f] == "histogram" and name in (f + "_bucket", f + "_sum", f + "_count"))), None)
        assert family, f"sample {name} has no # TYPE"
        for pair in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(3) or ""):
            if not (types[family] == "histogram" and pair == "le"):
                labels[family].add(pair)

# The README table between its markers: | `name` | type | labels | meaning |
text = open(readme).read()
block = text.split("<!-- metrics-table:begin -->")[1].split("<!-- metrics-table:end -->")[0]
documented = {}
for row in block.splitlines():
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    if len(cells) < 4 or not cells[0].startswith("`"):
        continue
    name = cells[0].strip("`")
    doc_labels = set() if cells[2] in ("", "-") else {l.strip().strip("`") for l in cells[2].split(",")}
    assert cells[3], f"{name}: no meaning given"
    documented[name] = (cells[1], doc_labels)
problems = []
for name in sorted(set(types) | set(documented)):
    if name not in documented:
        problems.append(f"{name} ({types[name]}) is exposed but not in the README table")
    elif name not in types:
        problems.append(f"{name} is in the README table but not exposed")
    else:
        if documented[name][0] != types[name]:
            problems.append(f"{name}: README says {documented[name][0]}, /metrics says {types[name]}")
        if documented[name][1] != labels[name]:
            problems.append(f"{name}: README labels {sorted(documented[name][1])}, /metrics labels {sorted(labels[name])}")

# Every metric a dashboard query names exists.
known = set(types) | {f + s for f in types if types[f] == "histogram" for s in ("_bucket", "_sum", "_count")}
words = {"sum", "by", "rate", "histogram_quantile", "count", "min", "max", "avg", "time", "without", "irate",
         "increase", "label_values", "on", "ignoring", "and", "or", "unless", "offset", "bool"}
d = json.load(open(dashboard))
queries = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
assert len(queries) >= 12, f"only {len(queries)} queries"
for q in queries:
    bare = re.sub(r'\{[^}]*\}|\[[^\]]*\]|"[^"]*"', "", q)
    bare = re.sub(r"\b(by|without)\s*\([^)]*\)", "", bare)
    for ident in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare):
        if ident not in words and ident not in known:
            problems.append(f"dashboard query names {ident}, which /metrics does not have: {q}")
titles = " ".join(p["title"].lower() for p in d["panels"])
for topic in ("requests", "latency", "bytes served", "pins", "backend", "repository size"):
    if topic not in titles:
        problems.append(f"the dashboard has no panel for {topic}")
print("\n".join(problems) or "ok")
sys.exit(1 if problems else 0)
