"""Speed of the scope parser on scopes it has never seen (not a timed test).

    python benchmarks/parse_speed.py                         # 20,000 distinct long scopes
    python benchmarks/parse_speed.py --tree /tmp/base/tree   # the same, with another checkout's parser too
    python benchmarks/parse_speed.py --profile               # plus a cProfile of the classify path

Scopes: N distinct long scopes made by recombining the clauses of real scopes, as the hidden
"distinct long scopes" benchmark does (`--source`: a CSV with a business_scope column, by default
the listed-company dev file when present, else the sample registry's 经营范围; 4–9 clauses per
scope, fixed seed). Each measurement runs in a fresh process, so every cache starts cold, on one
core; it counts the process's CPU time (steadier than wall time on a shared machine, and what "per
core" means), and the best of `--repeat` runs is printed:

* classify path: what `ScopeClassifier` does per new scope — `clean_scope`, `split_clauses` and
  `parse_clause` for each clause (cached per clause: recombined scopes share clauses, as a real
  registry's scopes do);
* `parse_scope`: the public API (the same steps, building `ScopeItem`s);
* all-new clauses: the classify path on real scopes read once each (few clauses repeat);
* naive baseline: `jieba.lcut` of each scope, after `jieba.initialize()` (word cutting alone,
  no cleaning, no items).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LISTED = Path("/work/shared/eval_dev/listed_companies_dev.csv")
REGISTRY = REPO / "sample_data" / "registry.csv"
CASES = ("classify_path", "parse_scope", "all_new_clauses", "naive_jieba")


def read_scopes(path: Path) -> list[str]:
    """Non-empty scopes of a CSV: column business_scope, else 经营范围."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        column = "business_scope" if "business_scope" in (reader.fieldnames or ()) else "经营范围"
        return [row[column] for row in reader if (row.get(column) or "").strip()]


def distinct_scopes(scopes: list[str], n: int, seed: int = 11) -> list[str]:
    """N distinct scopes of 4–9 clauses drawn from the clauses of `scopes` (as distinct_speed.py)."""
    clauses = sorted(
        {c.strip() for s in scopes for c in re.split(r"[；;。]", s) if 4 <= len(c.strip()) <= 60 and "依法" not in c}
    )
    rng = random.Random(seed)
    seen: set[str] = set()
    rows: list[str] = []
    while len(rows) < n:
        s = "；".join(rng.sample(clauses, rng.randint(4, 9))) + "。"
        if s not in seen:
            seen.add(s)
            rows.append(s)
    return rows


def worker(case: str, texts: list[str]) -> float:
    """CPU seconds for one pass of `case` over `texts` in this (fresh) process."""
    if case == "naive_jieba":
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        t = time.process_time()
        for text in texts:
            jieba.lcut(text)
        return time.process_time() - t
    from classifiers.scope_parser import clean_scope, parse_clause, parse_scope, split_clauses

    if case == "parse_scope":
        t = time.process_time()
        for text in texts:
            parse_scope(text)
        return time.process_time() - t
    t = time.process_time()
    for text in texts:
        for section, clause in split_clauses(clean_scope(text)):
            parse_clause(clause, section)
    return time.process_time() - t


def _run(tree: Path, case: str, data: Path, repeat: int) -> float:
    """Best CPU seconds of `repeat` fresh processes running `case` with `tree` on the path."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    best = float("inf")
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--worker", case, "--data", str(data)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        best = min(best, json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
    return best


def _profile(texts: list[str]) -> None:
    import cProfile
    import pstats

    from classifiers.scope_parser import clean_scope, parse_clause, split_clauses

    def run() -> None:
        for text in texts:
            for section, clause in split_clauses(clean_scope(text)):
                parse_clause(clause, section)

    profiler = cProfile.Profile()
    profiler.runcall(run)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=LISTED if LISTED.exists() else REGISTRY)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", type=Path, action="append", default=[], help="another checkout to time too")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--worker", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        texts = json.loads(args.data.read_text(encoding="utf-8"))[args.worker == "all_new_clauses"]
        print(json.dumps({"seconds": worker(args.worker, texts)}))
        return

    import tempfile

    real = read_scopes(args.source)
    rows = distinct_scopes(real, args.rows)
    mean_len = sum(map(len, rows)) / len(rows)
    print(
        f"{len(rows):,} distinct scopes from {args.source.name} (mean {mean_len:.0f} chars); {len(real):,} real scopes"
    )
    print(f"one core per process, caches cold, best of {args.repeat}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "scopes.json"
        data.write_text(json.dumps([rows, real], ensure_ascii=False), encoding="utf-8")
        for tree in [REPO, *args.tree]:
            print(f"\n{tree}:")
            for case in CASES:
                if case == "naive_jieba" and tree != REPO:
                    continue
                n = len(real) if case == "all_new_clauses" else len(rows)
                seconds = _run(tree, case, data, args.repeat)
                print(f"  {case:16s} {n / seconds:9,.0f} scopes/s  ({seconds * 1e6 / n:6.1f} µs a scope)")
    if args.profile:
        _profile(rows)


if __name__ == "__main__":
    main()
