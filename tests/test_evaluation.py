"""The evaluation report's arithmetic, on hand-made predictions (no model involved)."""

from __future__ import annotations

import json
import math

import pytest

from classifiers.evaluation import evaluate_model, evaluate_predictions, review_curve, summary_metrics
from classifiers.model import Prediction


def _pred(codes, scores):
    return Prediction(codes=list(codes), scores=list(scores))


# Four 小类 labels. Ranked ancestors per row (first appearance in the 小类 ranking):
#   1311: 小类 1312 1321 5111 6513 1311 (top-5 only) | 中类 131 132 511 651 | 大类 13 51 65 | 门类 C F I
#   5211: 小类 5111 5211 (top-3)                     | 中类 511 521         | 大类 51 52    | 门类 F
#   6513: 小类 6513 6511 (top-1)
#   1311: no prediction (wrong at every level)
PREDS = [
    _pred(["1312", "1321", "5111", "6513", "1311"], [0.9, 0.05, 0.02, 0.02, 0.01]),
    _pred(["5111", "5211"], [0.6, 0.3]),
    _pred(["6513", "6511"], [0.3, 0.2]),
    _pred([], []),
]
LABELS = ["1311", "5211", "6513", "C1311"]


def test_top1_top3_top5_at_every_level():
    report = evaluate_predictions(PREDS, LABELS)
    assert report.label_levels == {"class": 4}
    assert report.no_prediction == 1
    assert report.accuracy["class"] == {"top1": 0.25, "top3": 0.5, "top5": 0.75, "n": 4}
    assert report.accuracy["group"] == {"top1": 0.5, "top3": 0.75, "top5": 0.75, "n": 4}
    assert report.accuracy["division"] == {"top1": 0.5, "top3": 0.75, "top5": 0.75, "n": 4}
    assert report.accuracy["section"] == {"top1": 0.75, "top3": 0.75, "top5": 0.75, "n": 4}


def test_by_section_thresholds_and_calibration_at_the_finest_common_level():
    report = evaluate_predictions(PREDS, LABELS)
    assert report.threshold_level == "class"
    assert report.by_section == [
        {"section": "C", "name": "制造业", "n": 2, "top1": 0.0, "top5": 0.5},
        {"section": "F", "name": "批发和零售业", "n": 1, "top1": 0.0, "top5": 1.0},
        {"section": "I", "name": "信息传输、软件和信息技术服务业", "n": 1, "top1": 1.0, "top5": 1.0},
    ]
    assert [(t["threshold"], t["n"], t["share"]) for t in report.thresholds] == [
        (0.3, 3, 0.75),
        (0.5, 2, 0.5),
        (0.7, 1, 0.25),
        (0.9, 1, 0.25),
    ]
    assert report.thresholds[0]["top1"] == pytest.approx(0.3333)
    # top scores 0.9, 0.6, 0.3, 0 against 小类 top-1 right: no, no, yes, no
    assert report.calibration == {"mean_score": 0.45, "top1": 0.25, "ece": pytest.approx(0.55)}
    assert report.confusion_level == "division" and report.confusions == [("52", "51", 1)]


def test_the_finest_common_level_follows_the_coarsest_label():
    division = evaluate_predictions(PREDS, [label[-4:-2] for label in LABELS])
    assert division.threshold_level == "division"
    # 大类 top-1 right: yes, no, yes, no
    assert division.calibration["ece"] == pytest.approx(0.35)
    assert [r["top5"] for r in division.by_section] == [0.5, 1.0, 1.0]
    mixed = evaluate_predictions(PREDS, ["1311", "131", "C13", "F"])
    assert mixed.threshold_level == "section" and mixed.confusion_level == "section"
    assert mixed.label_levels == {"section": 1, "division": 1, "group": 1, "class": 1}
    assert mixed.accuracy["class"]["n"] == 1 and mixed.accuracy["division"]["n"] == 3
    assert [(r["section"], r["n"]) for r in mixed.by_section] == [("C", 3), ("F", 1)]
    assert evaluate_predictions(PREDS, ["x"] * 4).threshold_level == "division"  # nothing usable


def test_review_curve_sends_the_least_confident_rows_first():
    # 20 rows, scores 0.05 .. 1.0; wrong: the 4 least confident and the 11th
    correct = [i >= 4 and i != 10 for i in range(20)]
    preds = [_pred(["6513" if right else "5111"], [(i + 1) / 20]) for i, right in enumerate(correct)]
    report = evaluate_predictions(preds[::-1], ["6513"] * 20)  # input order does not matter
    assert report.review_curve == [
        {"share": 0.0, "sent": 0, "accuracy_left": 0.75},
        {"share": 0.05, "sent": 1, "accuracy_left": round(15 / 19, 4)},
        {"share": 0.10, "sent": 2, "accuracy_left": round(15 / 18, 4)},
        {"share": 0.20, "sent": 4, "accuracy_left": 0.9375},
    ]
    text = report.format()
    assert "送复核最不确定的 20%（4 行）后，其余行 top-1 准确率 0.938" in text
    assert "不送复核：全部行 top-1 准确率 0.750" in text
    assert [r["sent"] for r in review_curve([0.5] * 30, [1] * 30)] == [0, 2, 3, 6]  # half rounds up
    assert review_curve([], []) == []
    assert math.isnan(review_curve([0.1], [0], shares=(1.0,))[0]["accuracy_left"])  # nothing left


def test_format_and_to_dict_carry_the_new_fields():
    report = evaluate_predictions(PREDS, LABELS)
    text = report.format()
    for needle in (
        "top-1 / top-3 / top-5",
        "小类（4 行）：top-1 0.250  top-3 0.500  top-5 0.750",
        "按门类（真实门类，小类层级",
        "C 制造业",
        "期望校准误差",
        "复核曲线",
        "52 零售业 → 51 批发业：1 行",
    ):
        assert needle in text
    lines = text.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("按门类")))
    assert [line.split()[0] for line in lines[start + 2 : start + 5]] == ["C", "F", "I"]  # largest first
    data = report.to_dict()
    assert data["accuracy"]["class"]["top5"] == 0.75
    assert data["by_section"][0]["section"] == "C" and len(data["review_curve"]) == 4
    json.dumps(data)


class _RecordingModel:
    def __init__(self):
        self.calls = []

    def predict(self, texts, top_k=3, evidence=True, **kwargs):
        self.calls.append((top_k, evidence, kwargs))
        return [_pred(["6513"], [0.8]) for _ in texts]


def test_evaluate_model_asks_for_five_and_passes_names_only_when_given():
    model = _RecordingModel()
    assert evaluate_model(model, ["软件开发"], ["6513"]).accuracy["class"]["top1"] == 1.0
    evaluate_model(model, ["软件开发"], ["6513"], names=("甲软件有限公司",))
    assert model.calls == [(5, False, {}), (5, False, {"names": ["甲软件有限公司"]})]


def test_summary_metrics_are_the_reports_figures_at_division_and_class():
    """The pipeline's held-out figures: the same scorer, so lettered codes count and no prediction is wrong."""
    report = evaluate_predictions(PREDS, LABELS)
    assert report.level_calibration["division"]["ece"] == pytest.approx(0.35)  # as at the 大类 threshold level
    assert summary_metrics(report) == {
        "大类 top-1": 0.5,
        "大类 top-3": 0.75,
        "大类 校准误差（ECE）": pytest.approx(0.35),
        "小类 top-1": 0.25,
        "小类 top-3": 0.5,
    }
    assert summary_metrics(report, top_k=5)["小类 top-5"] == 0.75
    # 中类 and 大类 labels are scored at 大类, never at 小类
    coarse = summary_metrics(evaluate_predictions(PREDS, ["131", "C52", "65", "13"]))
    assert coarse["大类 top-1"] == 0.5 and "小类 top-1" not in coarse
    assert summary_metrics(evaluate_predictions(PREDS, ["C"] * 4)) == {}
    with pytest.raises(ValueError):
        summary_metrics(report, top_k=2)
