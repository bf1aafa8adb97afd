"""Accuracy of a model against labelled scopes, at every level the labels carry."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from classifiers.model import Prediction, ScopeClassifier
from classifiers.training import normalize_label
from reference import LEVEL_NAMES, LEVELS, standard

THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
CALIBRATION_BINS = 10


@dataclass
class EvaluationReport:
    n_rows: int
    n_labelled: int
    n_skipped: int
    label_levels: dict[str, int]
    accuracy: dict[str, dict[str, float]] = field(default_factory=dict)     # level -> top1/top3/n
    thresholds: list[dict] = field(default_factory=list)                  # at the finest common level
    threshold_level: str = "division"
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    confusion_level: str = "division"
    no_prediction: int = 0
    calibration: dict = field(default_factory=dict)   # mean top score, top-1 accuracy, ECE (threshold level)

    def to_dict(self) -> dict:
        return {
            "n_rows": self.n_rows, "n_labelled": self.n_labelled, "n_skipped": self.n_skipped,
            "label_levels": self.label_levels, "accuracy": self.accuracy, "thresholds": self.thresholds,
            "threshold_level": self.threshold_level, "no_prediction": self.no_prediction,
            "calibration": self.calibration,
            "confusions": [{"true": t, "pred": p, "count": n} for t, p, n in self.confusions],
        }

    def format(self) -> str:
        s = standard()
        lines = [f"标注行数：{self.n_rows}（可用 {self.n_labelled}，代码无法识别而跳过 {self.n_skipped}）"]
        lines.append("标注层级：" + "，".join(f"{LEVEL_NAMES[k]} {v} 行" for k, v in self.label_levels.items()))
        if self.no_prediction:
            lines.append(f"无预测（经营范围为空或无法识别）：{self.no_prediction} 行（计为错误）")
        lines.append("")
        lines.append("准确率（top-1 / top-3）：")
        for level in LEVELS:
            if level in self.accuracy:
                a = self.accuracy[level]
                lines.append(f"  {LEVEL_NAMES[level]}（{a['n']} 行）：top-1 {a['top1']:.3f}  top-3 {a['top3']:.3f}")
        lines.append("")
        lines.append(f"按置信度阈值（{LEVEL_NAMES[self.threshold_level]}层级，首选预测得分 ≥ 阈值的行）：")
        for t in self.thresholds:
            acc = "—" if t["n"] == 0 else f"{t['top1']:.3f}"
            lines.append(f"  ≥{t['threshold']:.1f}：占比 {t['share']:.3f}（{t['n']} 行），top-1 准确率 {acc}")
        if self.calibration:
            c = self.calibration
            lines.append(f"  校准：首选得分平均 {c['mean_score']:.3f}，top-1 准确率 {c['top1']:.3f}，"
                         f"期望校准误差（ECE，{CALIBRATION_BINS} 档）{c['ece']:.3f}")
        lines.append("")
        lines.append(f"最常见的混淆（{LEVEL_NAMES[self.confusion_level]}，真实 → 预测）：")
        for true, pred, n in self.confusions:
            tn = s.nodes[true].name if true in s.nodes else ""
            pn = s.nodes[pred].name if pred in s.nodes else ""
            lines.append(f"  {true} {tn} → {pred} {pn}：{n} 行")
        return "\n".join(lines)


def _ancestors(codes: list[str], level: str) -> list[str]:
    s = standard()
    out: list[str] = []
    for c in codes:
        node = s.ancestor(c, level)
        if node and node.code not in out:
            out.append(node.code)
    return out


def evaluate_predictions(preds: list[Prediction], labels: list, edition="2017") -> EvaluationReport:
    s = standard()
    gold = [normalize_label(l, edition) for l in labels]
    rows = [(p, g) for p, g in zip(preds, gold) if g is not None]
    levels = Counter(s.nodes[g].level for _, g in rows)
    report = EvaluationReport(n_rows=len(preds), n_labelled=len(rows), n_skipped=len(preds) - len(rows),
                              label_levels={lv: levels[lv] for lv in LEVELS if levels.get(lv)})
    report.no_prediction = sum(1 for p, _ in rows if not p.codes)
    depth = {lv: i for i, lv in enumerate(LEVELS)}
    for level in LEVELS:
        usable = [(p, g) for p, g in rows if depth[s.nodes[g].level] >= depth[level]]
        if not usable:
            continue
        top1 = top3 = 0
        for p, g in usable:
            truth = s.ancestor(g, level).code
            got = _ancestors(p.codes, level)
            top1 += bool(got) and got[0] == truth
            top3 += truth in got[:3]
        report.accuracy[level] = {"top1": round(top1 / len(usable), 4), "top3": round(top3 / len(usable), 4),
                                  "n": len(usable)}
    # thresholds and confusions at the division level when every label has one, else the coarsest common
    level = "division" if all(depth[s.nodes[g].level] >= depth["division"] for _, g in rows) else "section"
    report.threshold_level = level
    report.confusion_level = level
    top_score = [p.scores[0] if p.scores else 0.0 for p, _ in rows]
    top_right = [bool(p.codes) and _ancestors(p.codes[:1], level)[:1] == [s.ancestor(g, level).code]
                 for p, g in rows]
    for t in THRESHOLDS:
        above = [right for (p, _), right in zip(rows, top_right) if p.scores and p.scores[0] >= t]
        report.thresholds.append({"threshold": t, "share": round(len(above) / max(1, len(rows)), 4),
                                  "n": len(above),
                                  "top1": round(sum(above) / len(above), 4) if above else float("nan")})
    report.calibration = calibration_error(top_score, top_right)
    confusion: Counter = Counter()
    for p, g in rows:
        truth = s.ancestor(g, level).code
        got = _ancestors(p.codes[:1], level)
        if got and got[0] != truth:
            confusion[(truth, got[0])] += 1
    report.confusions = [(t, p, n) for (t, p), n in confusion.most_common(10)]
    return report


def calibration_error(scores, correct, bins: int = CALIBRATION_BINS) -> dict:
    """Expected calibration error: |mean score - accuracy| per score bin, weighted by the bin's rows.

    A calibrated model's top score is the chance that its top prediction is right (0 is perfect)."""
    scores = np.asarray(scores, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if not len(scores):
        return {}
    which = np.minimum((scores * bins).astype(int), bins - 1)
    gap = sum(abs(scores[which == b].mean() - correct[which == b].mean()) * np.sum(which == b)
              for b in range(bins) if np.any(which == b))
    return {"mean_score": round(float(scores.mean()), 4), "top1": round(float(correct.mean()), 4),
            "ece": round(float(gap / len(scores)), 4)}


def evaluate_model(model: ScopeClassifier, texts, labels, edition="2017") -> EvaluationReport:
    preds = model.predict(list(texts), top_k=3, evidence=False)
    return evaluate_predictions(preds, list(labels), edition)
