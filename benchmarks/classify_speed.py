"""Speed of the business-scope classifier on a large registry (not a timed test).

    python benchmarks/classify_speed.py                      # 200,000 rows
    python benchmarks/classify_speed.py --rows 1000000       # memory check
    python benchmarks/classify_speed.py --recombine          # new scopes made of shuffled clauses
    python benchmarks/classify_speed.py --listed /work/shared/eval_dev/listed_companies_dev.csv
                                                             # long listed-company scopes, 50,000 rows

Rows are resampled from the sample district's registry (`sample_data/registry.csv`,
column 经营范围), or with --listed PATH from a listed-company CSV (column
business_scope: long scopes of several hundred characters; --rows then defaults to
50,000, the figure of issue 13: ≥ 20,000 rows/s and ≥ 10× naive). With --recombine,
every row keeps the clause count of a random scope but half of its clauses are
swapped for random clauses of other scopes, so almost every row is a scope never
seen before (only the items repeat).

Prints, each measured in its own process so peak memory is per run:
* rows/s of `ScopeClassifier.classify_frame` (top-3, evidence on, chunks of 20,000), and
  its peak RSS with the output also written to a CSV in a temporary directory (the
  write is timed separately);
* rows/s of a naive baseline on the same rows: jieba.lcut per document, a TF-IDF
  vectoriser over the words and a linear model's predict (trained on the same
  annotation class documents), and the ratio between the two;
* the time to build the reference-only model from scratch;
* the time a cold process takes to load the reference model, against the same model stored
  with joblib (how models were stored before; --load-only prints only this).

Start-up is not timed on either side: loading the model and its dictionaries
(`ScopeClassifier.warm_up`, jieba's word list) for ours, jieba.initialize() and the
fit for the baseline; the rate with our dictionaries counted is printed as well.
--repeat N runs both workers N times and reports the best of each (the machine is
shared: take the best of several runs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REGISTRY = REPO / "sample_data" / "registry.csv"
CHUNK = 20_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _scopes(path: Path, column: str = "经营范围") -> list[str]:
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return [s for s in df[column].tolist() if s.strip()]


def _source(args) -> list[str]:
    """The scopes rows are drawn from: the listed-company file (--listed) or the registry."""
    if args.listed:
        return _scopes(Path(args.listed), "business_scope")
    return _scopes(Path(args.registry))


def row_chunks(scopes: list[str], rows: int, recombine: bool, seed: int, chunk: int = CHUNK):
    """Yield lists of scope strings, `chunk` at a time, `rows` in total (deterministic)."""
    rng = random.Random(seed)
    clauses = [c for s in scopes for c in re.split("[；;。]", s) if c.strip()] if recombine else []
    done = 0
    while done < rows:
        n = min(chunk, rows - done)
        out = []
        for _ in range(n):
            s = scopes[rng.randrange(len(scopes))]
            if recombine:
                parts = [c for c in re.split("[；;。]", s) if c.strip()]
                parts = [clauses[rng.randrange(len(clauses))] if rng.random() < 0.5 else c for c in parts]
                s = "；".join(parts) + "。"
            out.append(s)
        done += n
        yield out


def worker_ours(args) -> dict:
    import pandas as pd

    from classifiers import load_default_model

    t0 = time.perf_counter()
    model = load_default_model()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.warm_up()  # the word-segmentation dictionary: start-up, as the naive baseline's jieba.initialize()
    warm_s = time.perf_counter() - t0
    scopes = _source(args)
    total = 0
    distinct: set[str] = set()
    elapsed = 0.0
    write_s = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        out_path = Path(tmp) / "out.csv"
        first = True
        for texts in row_chunks(scopes, args.rows, args.recombine, args.seed):
            df = pd.DataFrame({"经营范围": texts})
            t = time.perf_counter()
            out = model.classify_frame(df, "经营范围", top_k=3)
            elapsed += time.perf_counter() - t
            t = time.perf_counter()
            out.to_csv(out_path, mode="w" if first else "a", header=first, index=False, encoding="utf-8-sig")
            write_s += time.perf_counter() - t
            first = False
            total += len(texts)
            distinct.update(texts)
            print(
                f"  ours: {total:,}/{args.rows:,} rows, {total / elapsed:,.0f} rows/s, peak {_peak_mb():,.0f} MB",
                file=sys.stderr,
                flush=True,
            )
    return {
        "rows": total,
        "seconds": elapsed,
        "rows_per_s": total / elapsed,
        "peak_rss_mb": _peak_mb(),
        "model_load_s": load_s,
        "warm_up_s": warm_s,
        "csv_write_s": write_s,
        "distinct": len(distinct),
        "mean_chars": sum(map(len, distinct)) / max(1, len(distinct)),
    }


def worker_naive(args) -> dict:
    import warnings

    import jieba
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

    from classifiers.knowledge import KnowledgeBase

    jieba.setLogLevel(60)
    kb = KnowledgeBase()
    docs = [kb.class_document(i) for i in range(len(kb.classes))]
    vec = TfidfVectorizer(analyzer=lambda d: d.split(" "))
    X = vec.fit_transform([" ".join(jieba.lcut(d)) for d in docs])
    clf = SGDClassifier(max_iter=5, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, np.arange(len(docs)))
    scopes = _source(args)
    jieba.initialize()  # dictionary loading is start-up, as our model load is: not timed
    total = 0
    elapsed = 0.0
    for texts in row_chunks(scopes, args.naive_rows, args.recombine, args.seed, chunk=5000):
        t = time.perf_counter()
        tokens = [" ".join(jieba.lcut(s)) for s in texts]
        clf.predict(vec.transform(tokens))
        elapsed += time.perf_counter() - t
        total += len(texts)
    return {"rows": total, "seconds": elapsed, "rows_per_s": total / elapsed, "peak_rss_mb": _peak_mb()}


def worker_build(args) -> dict:
    from classifiers import build_reference_model

    t = time.perf_counter()
    build_reference_model()
    return {"build_s": time.perf_counter() - t, "peak_rss_mb": _peak_mb()}


def worker_load(args) -> dict:
    """A cold process loading the reference model: our layout, or (--joblib PATH) the naive joblib
    pickle of the same model (how models were stored before); scikit-learn imported or not."""
    import joblib

    from classifiers import ScopeClassifier
    from classifiers.training import default_model_path

    path = default_model_path()
    t = time.perf_counter()  # the load alone: both sides import the package first
    if args.joblib:
        joblib.load(args.joblib)
    else:
        ScopeClassifier.load(path)
    return {"load_s": time.perf_counter() - t, "sklearn": "sklearn" in sys.modules}


def worker_dump(args) -> dict:
    """Write the reference model with joblib (the naive baseline of `worker_load`)."""
    import joblib

    from classifiers import load_default_model

    joblib.dump(load_default_model(), args.joblib)
    return {}


def load_figures(args) -> None:
    """Print the load time of the reference model, ours against joblib, best of --repeat cold processes."""
    with tempfile.TemporaryDirectory() as tmp:
        args.joblib = str(Path(tmp) / "model.joblib")
        _run("dump", args)  # builds the cached model when missing
        naive = [_run("load", args) for _ in range(args.repeat)]
        args.joblib = None
        ours = [_run("load", args) for _ in range(args.repeat)]
    best_ours = min(r["load_s"] for r in ours)
    best_naive = min(r["load_s"] for r in naive)
    print(
        f"reference model load in a cold process: ours {best_ours:.2f} s (scikit-learn imported: "
        f"{ours[0]['sklearn']}), joblib {best_naive:.2f} s = {best_naive / best_ours:.0f}x slower",
        flush=True,
    )


def _run(kind: str, args) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--rows",
        str(args.rows),
        "--naive-rows",
        str(args.naive_rows),
        "--seed",
        str(args.seed),
        "--registry",
        str(args.registry),
    ]
    if args.recombine:
        cmd.append("--recombine")
    if args.listed:
        cmd += ["--listed", str(args.listed)]
    if getattr(args, "joblib", None):
        cmd += ["--joblib", str(args.joblib)]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, env=env, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=None, help="rows (default 200,000; 50,000 with --listed)")
    parser.add_argument("--naive-rows", type=int, default=20_000, help="rows for the (slow) naive baseline")
    parser.add_argument("--recombine", action="store_true", help="recombine clauses into unseen scopes")
    parser.add_argument("--seed", type=int, default=150602)
    parser.add_argument("--registry", default=str(REGISTRY))
    parser.add_argument("--listed", metavar="PATH", help="draw rows from a listed-company CSV (column business_scope)")
    parser.add_argument("--skip-build", action="store_true", help="do not time a from-scratch build")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each worker; the best is reported")
    parser.add_argument("--load-only", action="store_true", help="only time loading the model (ours vs joblib)")
    parser.add_argument("--worker", choices=["ours", "naive", "build", "load", "dump"], help=argparse.SUPPRESS)
    parser.add_argument("--joblib", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows is None:
        args.rows = 50_000 if args.listed else 200_000
    if args.worker:
        workers = {"ours": worker_ours, "naive": worker_naive, "build": worker_build}
        workers.update(load=worker_load, dump=worker_dump)
        print(json.dumps(workers[args.worker](args)))
        return 0
    load_figures(args)
    if args.load_only:
        return 0
    mode = "recombined clauses" if args.recombine else "resampled scopes"
    print(f"classify_speed: {args.rows:,} rows ({mode}) from {args.listed or args.registry}", flush=True)
    if not args.skip_build:
        build = _run("build", args)
        print(
            f"reference-only model build: {build['build_s']:.1f} s (peak RSS {build['peak_rss_mb']:,.0f} MB)",
            flush=True,
        )
    runs_ours = [_run("ours", args) for _ in range(args.repeat)]
    runs_naive = [_run("naive", args) for _ in range(args.repeat)]
    ours = max(runs_ours, key=lambda r: r["rows_per_s"])
    naive = max(runs_naive, key=lambda r: r["rows_per_s"])
    if args.repeat > 1:

        def rates(runs):
            return ", ".join(f"{r['rows_per_s']:,.0f}" for r in runs)

        print(f"best of {args.repeat} runs each; ours: {rates(runs_ours)} rows/s; naive: {rates(runs_naive)} rows/s")
    print(f"rows: {ours['distinct']:,} distinct scopes, {ours['mean_chars']:.0f} characters on average")
    print(
        f"ours : {ours['rows']:,} rows in {ours['seconds']:.1f} s = {ours['rows_per_s']:,.0f} rows/s, "
        f"peak RSS {ours['peak_rss_mb']:,.0f} MB (start-up, not timed: model load {ours['model_load_s']:.1f} s + "
        f"dictionaries {ours['warm_up_s']:.1f} s; writing the output CSV, "
        f"not timed above: {ours['csv_write_s']:.1f} s)"
    )
    print(f"       with the dictionaries counted: {ours['rows'] / (ours['seconds'] + ours['warm_up_s']):,.0f} rows/s")
    print(
        f"naive: {naive['rows']:,} rows in {naive['seconds']:.1f} s = {naive['rows_per_s']:,.0f} rows/s "
        f"(jieba.lcut per document + TF-IDF + linear predict), peak RSS {naive['peak_rss_mb']:,.0f} MB"
    )
    print(f"ratio: {ours['rows_per_s'] / naive['rows_per_s']:.1f}x the naive baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
