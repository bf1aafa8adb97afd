"""Classifier quality on both development sets: reference-only, trained, and the plain baseline.

    python benchmarks/classifier_quality.py [--register ../shared/eval_dev/register_4digit_dev.csv]
                                            [--listed ../shared/eval_dev/listed_companies_dev.csv]

Register rows (name + 主要业务活动, 4-digit codes): a fixed 30 % held out (by a hash of the
row id, so the split never changes), the model trained on the rest; figures at 小类 (top-1,
top-5), for manufacturing rows whose text is not the class name, and at 大类. Listed
companies (经营范围, 大类 labels): reference-only on every row (S90 left out), trained on a
70 % sample (seed 42) and scored on the other 30 %. The plain baseline is a char 1–3-gram
TF-IDF of the text plus the name at half weight and a LinearSVC (C=0.5), trained on the same
rows in the same run. Every figure is scored by `classifiers.evaluation` (the scorer of
`industry-gap evaluate` and of the pipeline's held-out check): a row the model gives no
prediction counts as wrong. Prints one table; the data files are never copied anywhere.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import Prediction, load_default_model, normalize_label, train_model  # noqa: E402
from classifiers.evaluation import evaluate_model, evaluate_predictions  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "eval_dev"


def held_out(ids: pd.Series, share: int = 30) -> np.ndarray:
    """A fixed split: rows whose id hashes below `share` % are held out."""
    return ids.map(lambda s: int(hashlib.sha1(str(s).encode("utf-8")).hexdigest()[:8], 16) % 100 < share).to_numpy()


def predict(model, texts, names=None) -> list[Prediction]:
    """The model's top-5 for each row, as `evaluate` asks for it."""
    return model.predict(list(texts), top_k=5, evidence=False, **({} if names is None else {"names": list(names)}))


def baseline(train_texts, train_names, train_y, test_texts, test_names, k: int) -> list[Prediction]:
    """Char 1–3-gram TF-IDF (text + name at half weight) + LinearSVC(C=0.5): top-k labels, as predictions."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vt = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    parts = [vt.fit_transform(train_texts)]
    test_parts = [vt.transform(test_texts)]
    if train_names is not None:
        vn = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        parts.append(0.5 * vn.fit_transform(train_names))
        test_parts.append(0.5 * vn.transform(test_names))
    clf = LinearSVC(C=0.5).fit(sp.hstack(parts).tocsr(), train_y)
    decision = clf.decision_function(sp.hstack(test_parts).tocsr())
    top = clf.classes_[np.argsort(-decision, axis=1)[:, :k]]
    return [Prediction(codes=[str(c) for c in row]) for row in top]


def scores(
    preds: list[Prediction], labels, level: str, k: int, edition: str = "2017", mask=None
) -> tuple[float, float]:
    """Top-1 and top-k accuracy at `level`, by the project's one scorer."""
    if mask is not None:
        preds = [p for p, keep in zip(preds, mask) if keep]
        labels = [label for label, keep in zip(labels, mask) if keep]
    accuracy = evaluate_predictions(preds, list(labels), edition).accuracy[level]
    return accuracy["top1"], accuracy[f"top{k}"]


def register_rows(path: Path, table: list) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    test = held_out(df["id"])
    tr, te = df[~test].reset_index(drop=True), df[test].reset_index(drop=True)
    truth = te["industry_code"].tolist()
    manu = ((te["section"] == "C") & (te["text_equals_code_name"] != "1")).to_numpy()
    print(f"登记库：训练 {len(tr)} 行，留出 {len(te)} 行（其中制造业且文本非类名 {int(manu.sum())} 行）", flush=True)

    def add(mode, preds, seconds):
        t1, t5 = scores(preds, truth, "class", 5)
        m1, m5 = scores(preds, truth, "class", 5, mask=manu)
        d1, _ = scores(preds, truth, "division", 5)
        table.append(("登记库 小类", mode, t1, t5, f"{m1:.3f} / {m5:.3f}", d1, seconds))

    model = load_default_model()
    started = time.perf_counter()
    add("仅参考知识", predict(model, te["main_activity"], te["name"]), time.perf_counter() - started)
    started = time.perf_counter()
    trained = train_model(
        tr["main_activity"].tolist(), tr["industry_code"].tolist(), base=model, names=tr["name"].tolist()
    )
    seconds = time.perf_counter() - started
    add(f"训练（{len(tr)} 行，{seconds:.0f} 秒）", predict(trained, te["main_activity"], te["name"]), seconds)
    started = time.perf_counter()
    top = baseline(tr["main_activity"], tr["name"], tr["industry_code"].str[1:], te["main_activity"], te["name"], 5)
    add("基线 char-TF-IDF + LinearSVC", top, time.perf_counter() - started)


def listed_rows(path: Path, table: list) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = df[~df["division_code"].str.startswith("S90")].reset_index(drop=True)
    print(f"上市公司：{len(df)} 行（不含 S90）", flush=True)
    model = load_default_model()
    started = time.perf_counter()
    accuracy = evaluate_model(model, df["business_scope"], df["division_code"], "2011").accuracy["division"]
    t1, t3 = accuracy["top1"], accuracy["top3"]
    table.append(("上市公司 大类", "仅参考知识（全部行）", t1, t3, "", float("nan"), time.perf_counter() - started))
    tr = df.sample(frac=0.7, random_state=42)
    te = df.drop(tr.index)
    gold_te = te["division_code"].tolist()
    started = time.perf_counter()
    trained = train_model(tr["business_scope"].tolist(), tr["division_code"].tolist(), "2011", base=model)
    seconds = time.perf_counter() - started
    t1, t3 = scores(predict(trained, te["business_scope"]), gold_te, "division", 3, "2011")
    table.append(("上市公司 大类", f"训练（{len(tr)} 行，{seconds:.0f} 秒）", t1, t3, "", float("nan"), seconds))
    t1, t3 = scores(predict(model, te["business_scope"]), gold_te, "division", 3, "2011")
    table.append(("上市公司 大类", "仅参考知识（同一 30 %）", t1, t3, "", float("nan"), 0.0))
    top = baseline(
        tr["business_scope"],
        None,
        [normalize_label(c, "2011") for c in tr["division_code"]],
        te["business_scope"],
        None,
        3,
    )
    t1, t3 = scores(top, gold_te, "division", 3, "2011")
    table.append(("上市公司 大类", "基线 char-TF-IDF + LinearSVC", t1, t3, "", float("nan"), 0.0))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="分类质量：仅参考知识、训练后与简单基线，在两个开发集上")
    parser.add_argument("--register", type=Path, default=SHARED / "register_4digit_dev.csv")
    parser.add_argument("--listed", type=Path, default=SHARED / "listed_companies_dev.csv")
    args = parser.parse_args(argv)
    table: list = []
    if args.register.exists():
        register_rows(args.register, table)
    else:
        print(f"跳过登记库：找不到 {args.register}")
    if args.listed.exists():
        listed_rows(args.listed, table)
    else:
        print(f"跳过上市公司：找不到 {args.listed}")
    print()
    print(f"{'数据集':<10}{'方式':<34}{'top-1':>7}{'top-k':>7}  {'制造业非类名 top-1/5':<20}{'大类 top-1':>10}")
    print("（top-k：登记库为 top-5，上市公司为 top-3）")
    for data, mode, t1, tk, manu, d1, _ in table:
        div = "" if d1 != d1 else f"{d1:.3f}"
        print(f"{data:<10}{mode:<34}{t1:>7.3f}{tk:>7.3f}  {manu:<20}{div:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
