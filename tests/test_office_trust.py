"""`industry-gap evaluate`'s open-world report: a district's labels never hide the classes it hunts.

Real data: the sample district's firms with their true 小类 (sample_data/truth), real jieba,
scikit-learn and the reference model; models are really trained, so the module is slow.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from classifiers import load_default_model
from classifiers.office_trust import office_trust_report
from pipelines.cli import main
from tests.factories import sample_coded_firms

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    firms = sample_coded_firms()
    return pd.DataFrame({"企业名称": firms["name"], "经营范围": firms["text"], "行业代码": firms["code"]})


@pytest.fixture(scope="module")
def report(labelled):
    return office_trust_report(
        labelled["经营范围"].tolist(),
        labelled["行业代码"].tolist(),
        names=labelled["企业名称"].tolist(),
        base=load_default_model(),
        sizes=(500, None),
    )


def test_the_report_holds_out_whole_classes_and_scores_the_reference_beside_each_model(report):
    assert report.held_classes >= 1 and report.held_rows > 0 and report.pool_rows > 500
    assert [f.labels for f in report.curve] == [500, report.pool_rows]
    assert report.reference.labels == 0 and report.reference.rows == report.held_rows
    for figures in [report.reference, *report.curve]:
        assert figures.rows == report.held_rows
        for value in (figures.top1, figures.top5, figures.auto_share, figures.unlabelled_top5):
            assert 0.0 <= value <= 1.0
        assert figures.top1 <= figures.top5
    # every held-out row counts as unlabelled for the reference; some do for a trained model
    assert report.reference.unlabelled_rows == report.held_rows
    assert 0 < report.curve[-1].unlabelled_rows < report.held_rows


def test_a_trained_model_still_finds_firms_of_classes_without_labels(report):
    """The closed-world model of 2.0 scored 0.000 top-5 on these rows, whatever the labels."""
    trained = report.curve[-1]
    assert trained.unlabelled_top5 >= 0.5
    assert trained.unlabelled_top1 > 0.2
    assert trained.top1 > report.reference.top1
    assert not math.isnan(trained.ece_unlabelled) and not math.isnan(trained.ece_labelled)


def test_evaluate_prints_the_open_world_figures_and_writes_them_as_json(labelled, tmp_path, capsys):
    src = tmp_path / "已核定.csv"
    labelled.to_csv(src, index=False)
    out = tmp_path / "评估.json"
    code = main(["evaluate", "--labelled", str(src), "--learning-curve", "600", "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "开放场景评估" in text and "缺口查找" in text and "可自动编码" in text
    figures = json.loads(out.read_text(encoding="utf-8"))
    world = figures["open_world"]
    assert world["flag_score"] == 0.7  # the shipped policy's count_in_all_min_score
    assert [row["labels"] for row in world["curve"]] == [600]
    assert {"gap_precision", "gap_recall", "auto_share", "ece_unlabelled"} <= set(world["curve"][0])
    assert figures["model"]["n_labelled"] == len(labelled)


def test_evaluate_skips_the_open_world_part_with_few_class_labels(labelled, tmp_path, capsys):
    src = tmp_path / "少量.csv"
    labelled.iloc[:80].to_csv(src, index=False)
    assert main(["evaluate", "--labelled", str(src)]) == 0
    assert "少于 500 条" in capsys.readouterr().out


def test_evaluate_refuses_a_bad_learning_curve(labelled, tmp_path, capsys):
    src = tmp_path / "已核定.csv"
    labelled.to_csv(src, index=False)
    assert main(["evaluate", "--labelled", str(src), "--learning-curve", "500,abc"]) == 2
    assert "--learning-curve" in capsys.readouterr().err
