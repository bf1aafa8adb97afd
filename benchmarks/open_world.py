"""The office model where a district really is: a few thousand labels, and the classes it hunts have none.

    python benchmarks/open_world.py [--register ../shared/eval_dev/register_4digit_dev.csv]
                                    [--labels 3000] [--seeds 1,2,3] [--flag-score 0.70]

For each seed: a random sample of `--labels` register rows (pandas `sample`, the seed as
random_state: the acceptance bench's split for seed 1) is the office's coded firms; the model
is trained on it and every other row is scored, reported separately for rows whose class has
no label in the sample. Figures (top-1/top-5 overall, unlabelled-class rows, C rows; gap hunt
precision/recall at the flag score; auto-coded share at ≤ 3 % error; ECE on labelled and
unlabelled rows) come from `classifiers.office_trust.trust_figures`, the scorer of
`industry-gap evaluate`'s open-world report. Beside it, in the same run: the reference model
(no labels) and the plain baseline (char 1–3-gram TF-IDF of the text plus the name at half
weight, LinearSVC C=0.5) on the same rows, and the training seconds. The data never leaves
its file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import Prediction, load_default_model, train_model  # noqa: E402
from classifiers.office_trust import trust_figures  # noqa: E402

DEFAULT_REGISTER = Path(__file__).resolve().parents[2] / "shared" / "eval_dev" / "register_4digit_dev.csv"


def plain_baseline(train: pd.DataFrame, test: pd.DataFrame) -> list[Prediction]:
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    text = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    name = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    X = sp.hstack([text.fit_transform(train.main_activity), 0.5 * name.fit_transform(train.name)]).tocsr()
    Xt = sp.hstack([text.transform(test.main_activity), 0.5 * name.transform(test.name)]).tocsr()
    svc = LinearSVC(C=0.5, random_state=0).fit(X, train.code)
    margins = svc.decision_function(Xt)
    top = np.argsort(-margins, axis=1)[:, :5]
    return [Prediction(codes=[svc.classes_[j] for j in row], names=[""] * 5, scores=[1.0] * 5) for row in top]


def row(label: str, f) -> str:
    return (
        f"| {label} | {f.top1:.3f} / {f.top5:.3f} | {f.unlabelled_top1:.3f} / {f.unlabelled_top5:.3f} "
        f"| {f.manufacturing_top1:.3f} / {f.manufacturing_top5:.3f} | {f.gap_precision:.2f} / {f.gap_recall:.2f} "
        f"| {f.auto_share:.0%} | {f.ece_labelled:.3f} / {f.ece_unlabelled:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--register", default=str(DEFAULT_REGISTER))
    parser.add_argument("--labels", type=int, default=3000)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--flag-score", type=float, default=0.70)
    parser.add_argument(
        "--baseline", action="store_true", help="also the plain baseline (its scores are not probabilities)"
    )
    args = parser.parse_args()
    data = pd.read_csv(args.register, dtype=str).fillna("")
    data["code"] = data.industry_code.str[1:]
    base = load_default_model().warm_up()
    print(f"register rows {len(data)}; labels {args.labels}; flag score {args.flag_score}")
    print(
        "| model | all top-1 / top-5 | unlabelled-class top-1 / top-5 | C rows top-1 / top-5 | gap hunt P / R | auto ≤3 % | ECE labelled / unlabelled |"
    )
    print("|---|---|---|---|---|---|---|")
    for seed in [int(s) for s in args.seeds.split(",")]:
        labels = data.sample(min(args.labels, len(data)), random_state=seed) if args.labels < len(data) else data
        test = data.drop(labels.index) if args.labels < len(data) else data.sample(frac=0.3, random_state=seed)
        if args.labels >= len(data):
            labels = data.drop(test.index)
        gold = test.code.to_numpy()
        counts = labels.code.value_counts().to_dict()
        sections = test.section.tolist()

        def score(preds, n, gold=gold, counts=counts, sections=sections):
            return trust_figures(preds, gold, set(counts), counts, sections, args.flag_score, n)

        started = time.perf_counter()
        model = train_model(labels.main_activity.tolist(), labels.code.tolist(), names=labels.name.tolist(), base=base)
        seconds = time.perf_counter() - started
        trained = model.predict(test.main_activity.tolist(), top_k=5, evidence=False, names=test.name.tolist())
        reference = base.predict(test.main_activity.tolist(), top_k=5, evidence=False, names=test.name.tolist())
        f = score(trained, len(labels))
        print(
            row(
                f"seed {seed}: trained on {len(labels):,} ({seconds:.1f} s; {f.unlabelled_rows} unlabelled-class rows)",
                f,
            )
        )
        print(row(f"seed {seed}: reference, no labels", score(reference, 0)))
        if args.baseline:
            print(row(f"seed {seed}: plain char TF-IDF + LinearSVC", score(plain_baseline(labels, test), len(labels))))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
