"""Accuracy of a model against labelled scopes, at every level the labels carry.

The one scorer of the project: `industry-gap evaluate`, the held-out figures of the `scope_model`
asset (`summary_metrics`, via `industry_gap.model_training`) and the benchmarks all score through
`evaluate_predictions`, so they cannot disagree. A label counts at its own level and every level
above it (a 中类 label is scored at 中类, 大类 and 门类, never at 小类); a row without a prediction
counts as wrong.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from classifiers.model import Prediction, ScopeClassifier
from classifiers.training import normalize_label
from reference import LEVEL_NAMES, LEVELS, standard

THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
CALIBRATION_BINS = 10
TOP_K = (1, 3, 5)
REVIEW_SHARES = (0.0, 0.05, 0.10, 0.20)


@dataclass
class EvaluationReport:
    n_rows: int
    n_labelled: int
    n_skipped: int
    label_levels: dict[str, int]
    accuracy: dict[str, dict[str, float]] = field(default_factory=dict)  # level -> top1/top3/top5/n
    thresholds: list[dict] = field(default_factory=list)  # at the finest common level
    threshold_level: str = "division"  # finest level every label carries: thresholds, sections, curve
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    confusion_level: str = "division"
    no_prediction: int = 0
    calibration: dict = field(default_factory=dict)  # mean top score, top-1 accuracy, ECE (threshold level)
    level_calibration: dict[str, dict] = field(default_factory=dict)  # the same per level, rows labelled that deep
    by_section: list[dict] = field(default_factory=list)  # per gold 门类, threshold level, largest first
    review_curve: list[dict] = field(default_factory=list)  # least confident share sent -> accuracy left

    def to_dict(self) -> dict:
        return {
            "n_rows": self.n_rows,
            "n_labelled": self.n_labelled,
            "n_skipped": self.n_skipped,
            "label_levels": self.label_levels,
            "accuracy": self.accuracy,
            "thresholds": self.thresholds,
            "threshold_level": self.threshold_level,
            "no_prediction": self.no_prediction,
            "calibration": self.calibration,
            "level_calibration": self.level_calibration,
            "by_section": self.by_section,
            "review_curve": self.review_curve,
            "confusion_level": self.confusion_level,
            "confusions": [{"true": t, "pred": p, "count": n} for t, p, n in self.confusions],
        }

    def format(self) -> str:
        s = standard()
        level_name = LEVEL_NAMES[self.threshold_level]
        lines = [f"标注行数：{self.n_rows}（可用 {self.n_labelled}，代码无法识别而跳过 {self.n_skipped}）"]
        lines.append("标注层级：" + "，".join(f"{LEVEL_NAMES[k]} {v} 行" for k, v in self.label_levels.items()))
        if self.no_prediction:
            lines.append(f"无预测（经营范围为空或无法识别）：{self.no_prediction} 行（计为错误）")
        lines.append("")
        lines.append("准确率（top-1 / top-3 / top-5）：")
        for level in LEVELS:
            if level in self.accuracy:
                a = self.accuracy[level]
                lines.append(
                    f"  {LEVEL_NAMES[level]}（{a['n']} 行）：top-1 {a['top1']:.3f}  top-3 {a['top3']:.3f}"
                    f"  top-5 {a['top5']:.3f}"
                )
        if self.by_section:
            lines.append("")
            lines.append(f"按门类（真实门类，{level_name}层级，按行数排序）：")
            lines.append(f"  {_pad('门类', 36)}{'行数':>6}  {'top-1':>6}  {'top-5':>6}")
            for row in self.by_section:
                lines.append(
                    f"  {_pad(row['section'] + ' ' + row['name'], 36)}{row['n']:>8}  "
                    f"{row['top1']:>6.3f}  {row['top5']:>6.3f}"
                )
        lines.append("")
        lines.append(f"按置信度阈值（{level_name}层级，首选预测得分 ≥ 阈值的行）：")
        for t in self.thresholds:
            acc = "—" if t["n"] == 0 else f"{t['top1']:.3f}"
            lines.append(f"  ≥{t['threshold']:.1f}：占比 {t['share']:.3f}（{t['n']} 行），top-1 准确率 {acc}")
        if self.calibration:
            c = self.calibration
            lines.append(
                f"  校准（{level_name}层级）：首选得分平均 {c['mean_score']:.3f}，top-1 准确率 {c['top1']:.3f}，"
                f"期望校准误差（ECE，{CALIBRATION_BINS} 档）{c['ece']:.3f}"
            )
        if self.review_curve:
            lines.append("")
            lines.append(f"复核曲线（{level_name}层级，首选得分最低的行先送人工复核）：")
            for r in self.review_curve:
                acc = "—" if r["accuracy_left"] != r["accuracy_left"] else f"{r['accuracy_left']:.3f}"
                if r["share"] == 0:
                    lines.append(f"  不送复核：全部行 top-1 准确率 {acc}")
                else:
                    lines.append(f"  送复核最不确定的 {r['share']:.0%}（{r['sent']} 行）后，其余行 top-1 准确率 {acc}")
        lines.append("")
        lines.append(f"最常见的混淆（{LEVEL_NAMES[self.confusion_level]}，真实 → 预测）：")
        for true, pred, n in self.confusions:
            tn = s.nodes[true].name if true in s.nodes else ""
            pn = s.nodes[pred].name if pred in s.nodes else ""
            lines.append(f"  {true} {tn} → {pred} {pn}：{n} 行")
        return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-aligned to `width` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - used)


def _ancestors(codes: list[str], level: str) -> list[str]:
    s = standard()
    out: list[str] = []
    for c in codes:
        node = s.ancestor(c, level)
        if node and node.code not in out:
            out.append(node.code)
    return out


def _truth_at(code: str, level: str) -> str:
    """The label's code at `level`, which is at or above the label's own level (so the ancestor exists)."""
    node = standard().ancestor(code, level)
    assert node is not None
    return node.code


def _ranking(p: Prediction, level: str) -> tuple[list[str], float]:
    """Codes at `level`, most likely first, and the top one's score.

    Above 小类 a node's probability is the sum of its 小类 (`Prediction.level_scores`), so the
    大类 ranking is the model's 大类 belief, not the order in which the top 小类 happen to fall;
    predictions that carry no scores beyond the top-k (hand-made ones) rank by that order."""
    if level != "class" and (p.class_scores or p.division_scores):
        scores = p.level_scores(level)
        return list(scores), (next(iter(scores.values())) if scores else 0.0)
    return _ancestors(p.codes, level), (p.scores[0] if p.scores else 0.0)


def _rate(hits, n: int) -> float:
    return round(hits / n, 4) if n else float("nan")


def evaluate_predictions(preds: list[Prediction], labels: list, edition="2017") -> EvaluationReport:
    s = standard()
    gold = [normalize_label(label, edition) for label in labels]
    rows = [(p, g) for p, g in zip(preds, gold) if g is not None]
    levels = Counter(s.nodes[g].level for _, g in rows)
    report = EvaluationReport(
        n_rows=len(preds),
        n_labelled=len(rows),
        n_skipped=len(preds) - len(rows),
        label_levels={lv: levels[lv] for lv in LEVELS if levels.get(lv)},
    )
    report.no_prediction = sum(1 for p, _ in rows if not p.codes)
    depth = {lv: i for i, lv in enumerate(LEVELS)}
    for level in LEVELS:
        usable = [(p, g) for p, g in rows if depth[s.nodes[g].level] >= depth[level]]
        if not usable:
            continue
        hits = dict.fromkeys(TOP_K, 0)
        level_score: list[float] = []
        level_right: list[bool] = []
        for p, g in usable:
            truth = _truth_at(g, level)
            got, score = _ranking(p, level)
            for k in TOP_K:
                hits[k] += truth in got[:k]
            level_score.append(score if p.codes else 0.0)
            level_right.append(bool(got) and got[0] == truth)
        report.accuracy[level] = {f"top{k}": _rate(hits[k], len(usable)) for k in TOP_K}
        report.accuracy[level]["n"] = len(usable)
        report.level_calibration[level] = calibration_error(level_score, level_right)
    # Thresholds, sections, calibration and the review curve at the finest level every label carries;
    # confusions at the division level when every label has one (小类 pairs are too scattered to rank).
    level = LEVELS[min(depth[s.nodes[g].level] for _, g in rows)] if rows else "division"
    report.threshold_level = level
    report.confusion_level = "division" if depth[level] >= depth["division"] else "section"
    truths = [_truth_at(g, level) for _, g in rows]
    ranking = [_ranking(p, level) for p, _ in rows]
    ranked = [got for got, _ in ranking]
    top_score = np.array([score if p.codes else 0.0 for (p, _), (_, score) in zip(rows, ranking)], dtype=float)
    top_right = [bool(got) and got[0] == truth for got, truth in zip(ranked, truths)]
    for t in THRESHOLDS:
        above = [right for (p, _), right, score in zip(rows, top_right, top_score) if p.codes and score >= t]
        report.thresholds.append(
            {
                "threshold": t,
                "share": round(len(above) / max(1, len(rows)), 4),
                "n": len(above),
                "top1": _rate(sum(above), len(above)),
            }
        )
    report.calibration = calibration_error(top_score, top_right)
    report.by_section = _by_section(rows, ranked, truths)
    report.review_curve = review_curve(top_score, top_right)
    confusion: Counter = Counter()
    for p, g in rows:
        truth = _truth_at(g, report.confusion_level)
        got = _ranking(p, report.confusion_level)[0][:1]
        if got and got[0] != truth:
            confusion[(truth, got[0])] += 1
    report.confusions = [(t, p, n) for (t, p), n in confusion.most_common(10)]
    return report


def _by_section(rows, ranked: list[list[str]], truths: list[str]) -> list[dict]:
    """n, top-1 and top-5 per gold 门类, largest first: a good overall figure can hide a weak 门类."""
    s = standard()
    stats: dict[str, list[int]] = {}
    for (_, g), got, truth in zip(rows, ranked, truths):
        n_top1_top5 = stats.setdefault(s.nodes[g].section, [0, 0, 0])
        n_top1_top5[0] += 1
        n_top1_top5[1] += bool(got) and got[0] == truth
        n_top1_top5[2] += truth in got[:5]
    order = sorted(stats.items(), key=lambda item: (-item[1][0], item[0]))
    return [
        {"section": sec, "name": s.nodes[sec].name, "n": n, "top1": _rate(top1, n), "top5": _rate(top5, n)}
        for sec, (n, top1, top5) in order
    ]


def review_curve(scores, correct, shares=REVIEW_SHARES) -> list[dict]:
    """Top-1 accuracy of the rows left after sending the least confident `share` to manual review.

    Rows are sent in ascending top score (no prediction counts as 0); `sent` is the number of rows
    sent, the share rounded half up to whole rows."""
    scores = np.asarray(scores, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if not len(scores):
        return []
    left_first = correct[np.argsort(scores, kind="stable")]
    curve = []
    for share in shares:
        sent = min(len(scores), int(share * len(scores) + 0.5))
        left = left_first[sent:]
        curve.append(
            {"share": share, "sent": sent, "accuracy_left": round(float(left.mean()), 4) if len(left) else float("nan")}
        )
    return curve


def calibration_error(scores, correct, bins: int = CALIBRATION_BINS) -> dict:
    """Expected calibration error: |mean score - accuracy| per score bin, weighted by the bin's rows.

    A calibrated model's top score is the chance that its top prediction is right (0 is perfect)."""
    scores = np.asarray(scores, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if not len(scores):
        return {}
    which = np.minimum((scores * bins).astype(int), bins - 1)
    gap = sum(
        abs(scores[which == b].mean() - correct[which == b].mean()) * np.sum(which == b)
        for b in range(bins)
        if np.any(which == b)
    )
    return {
        "mean_score": round(float(scores.mean()), 4),
        "top1": round(float(correct.mean()), 4),
        "ece": round(float(gap / len(scores)), 4),
    }


# The held-out figures the scope_model asset shows (keys are its metadata labels).
SUMMARY_LEVELS = (("division", "大类"), ("class", "小类"))


def summary_metrics(report: EvaluationReport, top_k: int = 3) -> dict[str, float]:
    """Top-1 / top-k accuracy at 大类 and 小类 (where labels reach them) and the 大类 calibration error.

    Taken from `report`, so the UI's figures are those `industry-gap evaluate` prints for the same rows."""
    if top_k not in TOP_K:
        raise ValueError(f"top_k must be one of {TOP_K}")
    metrics: dict[str, float] = {}
    for level, name in SUMMARY_LEVELS:
        accuracy = report.accuracy.get(level)
        if accuracy is None:
            continue
        metrics[f"{name} top-1"] = accuracy["top1"]
        metrics[f"{name} top-{top_k}"] = accuracy[f"top{top_k}"]
        if level == "division" and report.level_calibration.get(level):
            # the top score claims a chance that the 大类 is right; how far it is off, on these rows
            metrics["大类 校准误差（ECE）"] = report.level_calibration[level]["ece"]
    return metrics


def evaluate_model(model: ScopeClassifier, texts, labels, edition="2017", names=None) -> EvaluationReport:
    """top_k=5 so that top-5 is measured; `names` (企业名称) reach the model only when given."""
    extra = {} if names is None else {"names": list(names)}
    preds = model.predict(list(texts), top_k=5, evidence=False, **extra)
    return evaluate_predictions(preds, list(labels), edition)
