"""Office-model training time and held-out accuracy, on a generated district or the dev register.

    python benchmarks/office_training.py --registry /tmp/reg50k.csv      # a district as `run` trains it
    python benchmarks/office_training.py --register ../shared/eval_dev/register_4digit_dev.csv --labels 16000
    python benchmarks/office_training.py --registry /tmp/reg50k.csv --profile /tmp/train.prof

--registry: a registry CSV with the sample's Chinese header (`benchmarks/whole_run.py` or
`make_registry.py` make one); the labelled rows, held-out split and cap are the ones `industry-gap run`
uses (`industry_gap.model_training`). --register: the dev register (name, main_activity,
industry_code); `--labels` rows (seed 1) train, the rest are held out. Prints the training seconds
(best of `--repeats`) and the held-out 大类/小类 accuracy. A figure, never a timed test.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import load_default_model, train_model  # noqa: E402
from industry_gap.model_training import (  # noqa: E402
    MAX_HOLDOUT_ROWS,
    MAX_TRAINING_ROWS,
    accuracy_on,
    capped,
    holdout_split,
    labelled_rows,
)


def district_split(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(path, dtype=str).fillna("")
    registry = raw.rename(
        columns={"统一社会信用代码": "uscc", "企业名称": "name", "经营范围": "scope", "行业代码": "industry_code"}
    )
    train, holdout = holdout_split(labelled_rows(registry), 0.2)
    return capped(train, MAX_TRAINING_ROWS), capped(holdout, MAX_HOLDOUT_ROWS)


def register_split(path: str, labels: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(path, dtype=str).fillna("")
    frame = pd.DataFrame({"text": data.main_activity, "name": data.name, "code": data.industry_code.str[1:]})
    train = frame.sample(labels, random_state=1)
    return train.reset_index(drop=True), capped(frame.drop(train.index).reset_index(drop=True), MAX_HOLDOUT_ROWS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry")
    parser.add_argument("--register")
    parser.add_argument("--labels", type=int, default=16000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--profile", help="write a cProfile of the last training here")
    parser.add_argument("--no-accuracy", action="store_true")
    args = parser.parse_args()
    train, holdout = district_split(args.registry) if args.registry else register_split(args.register, args.labels)
    base = load_default_model().warm_up()
    print(f"training rows {len(train):,} (distinct texts {train.text.nunique():,}); held out {len(holdout):,}")
    best, model = float("inf"), None
    for repeat in range(args.repeats):
        profiler = cProfile.Profile() if args.profile and repeat == args.repeats - 1 else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        model = train_model(train.text.tolist(), train.code.tolist(), base=base, names=train.name.tolist())
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        seconds = time.perf_counter() - started
        best = min(best, seconds)
        print(f"train_model: {seconds:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")
    print(f"best of {args.repeats}: {best:.1f} s")
    if not args.no_accuracy and model is not None:
        started = time.perf_counter()
        for key, value in accuracy_on(model, holdout).items():
            print(f"  {key}: {value:.4f}")
        print(f"held-out scoring: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
