"""How far an office can trust a model trained on its own coded firms, measured the way it meets a registry.

An office's labels are firms of the classes it already has; the firms it hunts belong to classes it
has no label for. Scoring a model on rows like its labels hides exactly that, so this report
simulates the registry: a seeded share of whole classes is held out (they play the gaps: no label at
all), a share of the other rows is held out too, and models are trained on growing samples of what
is left. Every figure is on the held-out rows:

* overall top-1 / top-5, and on rows whose class has **no** label in the sample, or only 1–4;
* manufacturing (C) rows;
* the **gap hunt**: rows whose top 小类 is a class without labels (and that occurs among the held-out
  rows) at a top score ≥ the pipeline's flag score — precision and recall;
* the share that can be **auto-coded** (accepted unreviewed, most confident first) at ≤ 3 % error;
* the expected calibration error of the top score on rows of labelled and of unlabelled classes;
* a **learning curve** over sample sizes (500 / 1,000 / 3,000 / 10,000 / all), beside the reference
  model (no labels) on the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from classifiers.calibration import expected_calibration_error
from classifiers.model import ScopeClassifier
from classifiers.training import MIN_CLASS_LABELS, normalize_label, train_model
from reference import standard

CURVE_SIZES = (500, 1000, 3000, 10000, None)  # None: every label left for training
HELD_CLASSES = 0.10  # share of classes held out whole: the simulated gaps ...
HELD_CLASS_ROWS = 0.01  # ... while their rows stay this share of all rows (gaps are rare kinds of firms)
HELD_ROWS = 0.20  # share of the other rows held out
AUTO_CODE_ERROR = 0.03
FEW_LABELS = 4


@dataclass
class TrustFigures:
    """Figures of one model on the held-out rows."""

    labels: int  # training labels (0: the reference model)
    rows: int
    top1: float
    top5: float
    unlabelled_rows: int
    unlabelled_top1: float
    unlabelled_top5: float
    few_rows: int
    few_top1: float
    manufacturing_rows: int
    manufacturing_top1: float
    manufacturing_top5: float
    gap_precision: float
    gap_recall: float
    gap_flagged: int
    auto_share: float
    ece_labelled: float
    ece_unlabelled: float

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class TrustReport:
    flag_score: float
    held_classes: int
    held_rows: int
    pool_rows: int
    reference: TrustFigures
    curve: list[TrustFigures] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "flag_score": self.flag_score,
            "held_classes": self.held_classes,
            "held_rows": self.held_rows,
            "pool_rows": self.pool_rows,
            "reference": self.reference.as_dict(),
            "curve": [f.as_dict() for f in self.curve],
        }

    def format(self) -> str:
        lines = [
            "开放场景评估（模拟本单位名录：留出整类作为“空白门类”，其余类别留出部分企业，用剩余标注训练）：",
            f"  留出 {self.held_classes} 个小类的全部企业和其余类别的部分企业，共 {self.held_rows} 行用于评估；"
            f"可用于训练的标注 {self.pool_rows} 行；缺口标记阈值（首选得分）≥ {self.flag_score:.2f}",
        ]
        header = (
            f"  {'训练标注':>8}  {'全部 top-1/top-5':>16}  {'无标注类别 top-1/top-5':>22}  {'少标注 top-1':>11}"
            f"  {'制造业 top-1/top-5':>17}  {'缺口查找 精确率/召回率':>21}  {'可自动编码':>9}  {'ECE 有/无标注':>13}"
        )
        lines.append(header)
        for f in [self.reference, *self.curve]:
            name = "仅注释" if f.labels == 0 else f"{f.labels:,}"
            lines.append(
                f"  {name:>10}  {_n(f.top1):>8}/{_n(f.top5)}  {_n(f.unlabelled_top1):>14}/{_n(f.unlabelled_top5)}"
                f"  {_n(f.few_top1):>13}  {_n(f.manufacturing_top1):>11}/{_n(f.manufacturing_top5)}"
                f"  {_n(f.gap_precision, 2):>17}/{_n(f.gap_recall, 2)}  {f.auto_share:>12.0%}"
                f"  {_n(f.ece_labelled):>9}/{_n(f.ece_unlabelled)}"
            )
        last = self.curve[-1] if self.curve else self.reference
        lines.append(
            f"  评估行中无标注类别 {last.unlabelled_rows} 行、少标注（1–{FEW_LABELS} 条）类别 {last.few_rows} 行、"
            f"制造业 {last.manufacturing_rows} 行。"
        )
        lines.append(
            "  说明：“无标注类别”即本单位要寻找的空白门类；缺口查找 = 首选小类为无标注类别且得分达到阈值的企业中"
            "判对的比例（精确率）及无标注类别企业被判对并标出的比例（召回率）；可自动编码 = 按得分从高到低，"
            f"错误率不超过 {AUTO_CODE_ERROR:.0%} 时可免复核的企业比例；ECE 为首选得分与实际准确率之差。"
        )
        return "\n".join(lines)


def _n(value: float, digits: int = 3) -> str:
    return "—" if value != value else f"{value:.{digits}f}"


def trust_figures(preds, gold: np.ndarray, labels_seen: set[str], label_counts: dict, sections, flag_score, n_labels):
    top = [list(p.codes) for p in preds]
    score = np.array([p.scores[0] if p.scores else 0.0 for p in preds], dtype=float)
    first = np.array([t[0] if t else "" for t in top])
    hit1 = first == gold
    hit5 = np.array([g in t[:5] for g, t in zip(gold, top)])
    unlabelled = np.array([g not in labels_seen for g in gold])
    few = np.array([1 <= label_counts.get(g, 0) <= FEW_LABELS for g in gold])
    manufacturing = np.array([s == "C" for s in sections])
    gaps = set(gold[unlabelled].tolist())
    flagged = np.array([c in gaps for c in first]) & (score >= flag_score)
    right = flagged & hit1
    order = np.argsort(-score, kind="stable")
    error_rate = np.cumsum(~hit1[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(error_rate <= AUTO_CODE_ERROR)

    def mean(values, mask):
        return float(values[mask].mean()) if mask.any() else float("nan")

    return TrustFigures(
        labels=n_labels,
        rows=len(gold),
        top1=mean(hit1, np.ones(len(gold), bool)),
        top5=mean(hit5, np.ones(len(gold), bool)),
        unlabelled_rows=int(unlabelled.sum()),
        unlabelled_top1=mean(hit1, unlabelled),
        unlabelled_top5=mean(hit5, unlabelled),
        few_rows=int(few.sum()),
        few_top1=mean(hit1, few),
        manufacturing_rows=int(manufacturing.sum()),
        manufacturing_top1=mean(hit1, manufacturing),
        manufacturing_top5=mean(hit5, manufacturing),
        gap_precision=float(right.sum() / flagged.sum()) if flagged.any() else float("nan"),
        gap_recall=float(right.sum() / unlabelled.sum()) if unlabelled.any() else float("nan"),
        gap_flagged=int(flagged.sum()),
        auto_share=float((ok.max() + 1) / len(order)) if len(ok) else 0.0,
        ece_labelled=expected_calibration_error(score[~unlabelled], hit1[~unlabelled]) if n_labels else float("nan"),
        ece_unlabelled=expected_calibration_error(score[unlabelled], hit1[unlabelled]),
    )


def office_trust_report(
    texts: Sequence,
    labels: Sequence,
    names: Sequence | None = None,
    base: ScopeClassifier | None = None,
    edition: str = "2017",
    flag_score: float = 0.70,
    sizes: Sequence[int | None] = CURVE_SIZES,
    seed: int = 0,
    on_step: Callable[[str], None] | None = None,
) -> TrustReport:
    """Train on growing samples of an office's 小类 labels and score each on held-out rows and classes.

    Rows whose label is not a 小类 (4-digit) are left out: the open-world figures are about 小类."""
    if base is None:
        from classifiers import load_default_model

        base = load_default_model()
    s = standard()
    codes = [normalize_label(label, edition) for label in labels]
    rows = np.array([i for i, c in enumerate(codes) if c is not None and s.nodes[c].level == "class"], dtype=np.int64)
    if len(rows) < MIN_CLASS_LABELS:
        raise ValueError(f"开放场景评估至少需要 {MIN_CLASS_LABELS} 条小类（4 位）标注，只有 {len(rows)} 条")
    gold_all = np.array([codes[i] for i in rows])
    rng = np.random.default_rng(seed)
    classes, class_rows = np.unique(gold_all, return_counts=True)
    held_classes: set[str] = set()
    room = HELD_CLASS_ROWS * len(rows)
    for k in rng.permutation(len(classes)):
        if len(held_classes) >= max(1, round(HELD_CLASSES * len(classes))):
            break
        if class_rows[k] <= room:
            held_classes.add(str(classes[k]))
            room -= class_rows[k]
    in_held_class = np.array([g in held_classes for g in gold_all])
    held_row = rng.random(len(rows)) < HELD_ROWS
    test = np.flatnonzero(in_held_class | held_row)
    pool = np.flatnonzero(~(in_held_class | held_row))
    pool = pool[rng.permutation(len(pool))]  # samples are prefixes: each larger sample contains the smaller
    test_rows = rows[test]
    test_texts = [texts[i] for i in test_rows]
    test_names = None if names is None else [names[i] for i in test_rows]
    gold = gold_all[test]
    sections = [s.nodes[g].section for g in gold]

    def predict(model: ScopeClassifier):
        extra = {} if test_names is None else {"names": test_names}
        return model.predict(test_texts, top_k=5, evidence=False, **extra)

    say = on_step or (lambda _message: None)
    say(f"仅注释模型：评估 {len(test)} 行")
    reference = trust_figures(predict(base), gold, set(), {}, sections, flag_score, 0)
    report = TrustReport(flag_score, len(held_classes), len(test), len(pool), reference)
    sizes_used = sorted({len(pool) if n is None else min(n, len(pool)) for n in sizes})
    for n in sizes_used:
        if n < MIN_CLASS_LABELS:
            continue
        sample = rows[pool[:n]]
        say(f"用 {n:,} 条标注训练并评估")
        model = train_model(
            [texts[i] for i in sample],
            [codes[i] for i in sample],
            names=None if names is None else [names[i] for i in sample],
            base=base,
            seed=seed,
        )
        sample_codes = gold_all[pool[:n]]
        counts = dict(zip(*np.unique(sample_codes, return_counts=True)))
        report.curve.append(trust_figures(predict(model), gold, set(counts), counts, sections, flag_score, n))
    return report


__all__ = ["office_trust_report", "trust_figures", "TrustReport", "TrustFigures", "CURVE_SIZES"]
