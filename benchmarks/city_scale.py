"""A city of 10 districts (1,000,000 registry rows) classified on one machine: 1 process vs 2.

    python benchmarks/city_scale.py                 # 1,000,000 rows
    python benchmarks/city_scale.py --rows 200000   # quicker

The city registry is made by resampling the sample district's scopes and
giving each row one of ten district codes (a figure, not a test: nothing here
asserts a time). Each configuration runs in its own child process so peak
memory (the process and its workers) is measured per run. Prints wall time,
rows/s and peak RSS for one and for two processes, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REGISTRY = REPO / "sample_data" / "registry.csv"
DISTRICTS = [f"1506{n:02d}" for n in range(1, 11)]


def city_registry(rows: int, seed: int = 7):
    import pandas as pd

    sample = pd.read_csv(REGISTRY, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    scopes = [s for s in sample["经营范围"] if s.strip()]
    rng = random.Random(seed)
    return pd.DataFrame(
        {
            "scope": [rng.choice(scopes) for _ in range(rows)],
            "district": [rng.choice(DISTRICTS) for _ in range(rows)],
        }
    )


def measure(rows: int, workers: int) -> dict:
    from classifiers import load_default_model
    from classifiers.parallel import classify_in_processes

    model = load_default_model()
    frame = city_registry(rows)
    start = time.perf_counter()
    out = classify_in_processes(model, frame, "scope", workers=workers, chunk_rows=50_000)
    wall = time.perf_counter() - start
    assert len(out) == rows
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "workers": workers,
        "rows": rows,
        "wall_s": wall,
        "rows_per_s": rows / wall,
        "peak_rss_mb": peak_self,
        "peak_worker_rss_mb": peak_children,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.rows, args.child)))
        return
    results = []
    for workers in (1, 2):
        completed = subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--child", str(workers)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    for r in results:
        print(
            f"{r['workers']} process(es): {r['rows']:,} rows in {r['wall_s']:.1f} s = {r['rows_per_s']:,.0f} rows/s; "
            f"peak RSS {r['peak_rss_mb']:.0f} MB (largest worker {r['peak_worker_rss_mb']:.0f} MB)"
        )
    print(f"speed-up with 2 processes: {results[0]['wall_s'] / results[1]['wall_s']:.2f}x")


if __name__ == "__main__":
    main()
