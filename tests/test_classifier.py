"""The scope classifier: label codes, hierarchy consistency, bad text, persistence, training."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from classifiers import ScopeClassifier, build_reference_model, normalize_label, train_model
from reference import standard


@pytest.fixture(scope="module")
def model():
    return build_reference_model()


# -- label codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("C1311", "1311"),
        ("1311", "1311"),
        ("131", "131"),
        ("C13", "13"),
        ("13", "13"),
        ("C", "C"),
        ("c3511", "3511"),
        (" 3511 ", "3511"),
        ("１３１１", "1311"),
        ("1311.0", "1311"),
        (1311.0, "1311"),
        ("0111", "0111"),
        ("A0111", "0111"),
    ],
)
def test_label_codes_in_any_spelling(raw, expected):
    assert normalize_label(raw) == expected


@pytest.mark.parametrize("raw", ["", None, float("nan"), "abc", "C99", "9999", "13a"])
def test_unreadable_or_unknown_labels_are_none(raw):
    assert normalize_label(raw) is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("C39", "39"),
        ("I65", "65"),
        ("O80", "81"),
        ("P82", "83"),
        ("Q83", "84"),
        ("R85", "86"),
        ("R88", "89"),
        ("K70", "70"),
    ],
)
def test_2011_divisions_map_to_2017(raw, expected):
    assert normalize_label(raw, "2011") == expected


def test_2011_classes_map_through_the_crosswalk():
    s = standard()
    code = normalize_label("3911", "2011")  # 2011 计算机整机制造
    assert code == s.map_2011("3911")[0]
    assert s.nodes[code].level == "class"


# -- predictions ------------------------------------------------------------------

SCOPES = [
    "汽车零部件的研发、生产和销售；货物进出口。",
    "许可项目：食品生产。一般项目：食用农产品批发；技术服务、技术开发。",
    "软件开发；信息系统集成服务；信息技术咨询服务",
    "五金产品零售；日用百货销售；家用电器销售",
    "房地产开发经营；物业管理；自有房屋租赁",
    "道路普通货物运输；普通货物仓储服务（不含危险化学品等需许可审批的项目）",
    "矿山设备维修；采矿专用设备专业修理；普通机械设备安装服务",
]


def test_known_scopes(model):
    preds = model.predict(SCOPES[:3])
    assert preds[0].division == "36" and preds[0].is_industrial
    assert preds[1].division in {"13", "14"}
    assert preds[2].division == "65" and preds[2].is_industrial is False


def test_a_manufacturer_that_also_sells_is_a_manufacturer(model):
    [pred] = model.predict(["化工原料的生产、加工及销售；化工产品销售；货物进出口"])
    assert pred.section == "C"


@pytest.mark.parametrize(
    "scope, code",
    [
        ("吸收公众存款；发放短期、中期和长期贷款；办理国内外结算；办理票据承兑与贴现", "66"),
        ("锂电池的研发、生产和销售", "3841"),
        ("危险化学品生产；化工产品销售（不含许可类化工产品）", "26"),
        ("光伏组件的生产和销售", "3825"),
        ("肉羊养殖；牛羊肉销售", "0314"),
        ("预拌混凝土生产、销售", "3021"),
    ],
)
def test_registry_words_the_annotations_lack_reach_their_classes(model, scope, code):
    """reference/data/registry_terms.csv: everyday registry words (银行业务, 锂电池, 危险化学品生产)."""
    [pred] = model.predict([scope])
    assert (pred.codes[0] if len(code) == 4 else next(iter(pred.level_scores("division")))) == code


@pytest.mark.parametrize(
    "scope, code",
    [
        ("普通货运", "5431"),  # was 5920 通用仓储: the object "普通" said nothing
        ("国内货物运输代理；装卸搬运", "5821"),  # was 9052 体育表演服务 ("国内" matched 国内和国际体育赛事)
        ("专业设计服务", "7492"),
        ("生产Ⅱ类、Ⅲ类医疗器械", "358"),  # "ii类" alone matched nothing medical
        ("粮食仓储", "5951"),
    ],
)
def test_items_whose_verb_carries_the_meaning(model, scope, code):
    [pred] = model.predict([scope])
    assert pred.codes[0].startswith(code)


def test_a_registry_term_without_its_file_is_unknown(tmp_path, monkeypatch):
    """The words come from the data file, not from code: without it the bank scope is not 66."""
    from classifiers import knowledge

    monkeypatch.setattr(knowledge, "REGISTRY_TERMS_FILE", "absent.csv")
    kb = knowledge.KnowledgeBase()
    assert "公众存款" not in kb.all_terms()
    monkeypatch.undo()
    assert kb.index["6621"] in knowledge.KnowledgeBase().all_terms()["公众存款"]


def test_registry_terms_are_part_of_the_model_cache_key(monkeypatch):
    """Editing the vocabulary file rebuilds the cached reference model (its path holds the hash)."""
    from classifiers import knowledge, training

    with_terms = (knowledge.reference_hash(), training.default_model_path())
    monkeypatch.setattr(knowledge, "REGISTRY_TERMS_FILE", "absent.csv")
    assert knowledge.reference_hash() != with_terms[0]
    assert knowledge.reference_hash() not in str(with_terms[1])


def test_registry_terms_name_real_classes():
    import csv

    from classifiers.knowledge import REGISTRY_TERMS_FILE
    from reference.gbt4754 import DATA_DIR

    s = standard()
    with (DATA_DIR / REGISTRY_TERMS_FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 100
    for row in rows:
        assert row["term"].strip() and row["codes"].split(), row
        assert all(s.nodes[c].level == "class" for c in row["codes"].split()), row


@pytest.mark.parametrize("scope, division", [("药品零售", "52"), ("药品批发", "51"), ("服装零售", "52")])
def test_retail_and_wholesale_verbs_choose_the_channel(model, scope, division):
    [pred] = model.predict([scope])
    assert pred.division == division


def test_hierarchy_is_consistent(model):
    s = standard()
    for pred in model.predict(SCOPES, top_k=5):
        assert pred.codes and len(pred.codes) == len(pred.scores) == len(pred.names)
        assert pred.scores == sorted(pred.scores, reverse=True)
        assert all(0.0 <= x <= 1.0 for x in pred.scores)
        assert all(len(c) == 4 and s.nodes[c].level == "class" for c in pred.codes)
        assert sum(pred.division_scores.values()) <= 1.0 + 1e-6
        top = pred.codes[0]
        node = s.nodes[top]
        assert (pred.group, pred.division, pred.section) == (node.group, node.division, node.section)
        assert pred.is_industrial == (node.section in {"B", "C", "D"})
        # a parent scores at least its child; a 大类's score is the sum of its 小类 probabilities
        cls = pred.level_scores("class")
        div = pred.level_scores("division")
        for code, score in cls.items():
            assert div.get(s.nodes[code].division, 0.0) >= score - 1e-3 or score < 0.01
        assert next(iter(cls)) == top and math.isclose(pred.scores[0], cls[top], abs_tol=1e-4)
        for level in ("group", "division", "section"):
            assert pred.level_scores(level)[getattr(node, level)] >= pred.scores[0] - 1e-3


def test_class_probabilities_sum_to_their_division(model):
    """P(小类) is a distribution whose sums per 大类 are the 大类 distribution."""
    sc = model.scorer
    P = model.class_scores(SCOPES)
    D = model.division_scores(SCOPES)
    assert P.shape == (len(SCOPES), len(sc.class_codes))
    assert np.allclose(np.add.reduceat(P, sc.div_start, axis=1), D, atol=1e-5)
    assert np.all(P.sum(axis=1) <= 1.0 + 1e-5) and np.all(P.sum(axis=1) > 0.25)
    for pred, row in zip(model.predict(SCOPES, top_k=5), P):
        order = np.argsort(-row, kind="stable")[:5]
        assert pred.codes[0] == sc.class_codes[order[0]]
        assert np.allclose(pred.scores, np.round(row[order], 4), atol=1e-4)


def test_top_k_are_the_most_likely_classes_even_within_one_division(model):
    """Neighbouring 小类 of one 大类 (1811 / 1819 / 1830 服装) can all be in the list."""
    [pred] = model.predict(["服装加工"], top_k=5)
    divisions = [standard().nodes[c].division for c in pred.codes]
    assert divisions.count("18") >= 2


def test_the_name_alone_gives_a_printing_class_with_the_name_as_evidence(model):
    [pred] = model.predict([""], names=["鄂尔多斯市恒通印刷厂"])
    assert pred.division == "23" and not pred.reason
    assert pred.evidence.startswith("依据企业名称含“印刷”")
    [without] = model.predict([""])
    assert not without.codes and without.reason


def test_the_name_weighs_beside_the_scope(model):
    """A generic scope says nothing; the name's industry words then decide."""
    [generic] = model.predict(["技术服务；货物进出口"])
    [named] = model.predict(["技术服务；货物进出口"], names=["四川华鑫服饰有限公司"])
    assert named.division == "18" and "企业名称" in named.evidence
    assert generic.division != "18"


@pytest.mark.parametrize(
    "text", ["", "   ", None, float("nan"), 12345, "；；", "（）", "asdfgh", "!!!!", "哈哈哈哈", "经营范围："]
)
def test_empty_and_garbage_text_gives_no_prediction_and_a_reason(model, text):
    [pred] = model.predict([text])
    assert pred.codes == [] and pred.scores == []
    assert pred.reason


def test_generic_only_scope_is_flagged_and_weak(model):
    [pred] = model.predict(["货物进出口；技术进出口；技术服务、技术开发、技术咨询"])
    assert "通用" in pred.reason
    assert pred.scores and pred.scores[0] < 0.5


def test_evidence_names_items_and_terms(model):
    [pred] = model.predict(["汽车零部件的研发、生产和销售"])
    assert "汽车零部件" in pred.evidence and pred.codes[0] in pred.evidence


def test_repeated_scopes_in_a_chunk_predict_as_each_alone(model):
    """Distinct texts are scored once per chunk; rows that repeat one must not differ from it."""
    texts = [
        "水泥制品制造；建材销售",
        "None",
        None,
        float("nan"),
        "水泥制品制造；建材销售",
        "",
        "乳制品生产",
        "乳制品生产",
        "货物进出口",
    ]
    together = model.predict(texts, top_k=3)
    alone = [model.predict([text], top_k=3)[0] for text in texts]
    assert together == alone
    assert together[0].codes and together[0] == together[4] and not together[2].codes


def test_save_load_round_trip_predicts_the_same(model, tmp_path):
    before = model.predict(SCOPES)
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "model.json").exists()
    loaded = ScopeClassifier.load(tmp_path / "m")
    after = loaded.predict(SCOPES)
    assert loaded.version == model.version and loaded.training_hash == model.training_hash
    for a, b in zip(before, after):
        assert a.codes == b.codes
        assert np.allclose(a.scores, b.scores)
        assert a.evidence == b.evidence


def test_classify_frame_keeps_columns_and_adds_predictions(model):
    df = pd.DataFrame(
        {"企业名称": ["甲公司", "乙公司", "丙公司"], "经营范围": [SCOPES[0], "", SCOPES[2]], "其他": ["x", "y", "z"]}
    )
    out = model.classify_frame(df, "经营范围", name_column="企业名称", top_k=2, chunk_size=2)
    assert list(out.columns[:3]) == ["企业名称", "经营范围", "其他"]
    for col in (
        "pred_code_1",
        "pred_code_2",
        "pred_name_1",
        "pred_score_1",
        "pred_score_2",
        "evidence",
        "reason",
        "pred_division",
        "pred_section",
        "is_industrial",
    ):
        assert col in out.columns
    assert "pred_code_3" not in out.columns
    assert out.loc[0, "pred_division"] == "36" and bool(out.loc[0, "is_industrial"])
    assert out.loc[1, "pred_code_1"] == "" and out.loc[1, "reason"]
    assert pd.isna(out.loc[1, "is_industrial"])
    assert out.loc[2, "pred_section"] == "I"
    assert len(out) == 3


def test_classify_frame_missing_column_raises(model):
    with pytest.raises(KeyError):
        model.classify_frame(pd.DataFrame({"a": ["x"]}), "经营范围")


# -- training -----------------------------------------------------------------------


def _labelled():
    rows = [
        ("汽车零部件的研发、生产和销售", "C3670"),
        ("汽车座椅、汽车内饰件制造", "3670"),
        ("汽车车身、挂车制造", "366"),
        ("齿轮、传动部件制造；机械零部件加工", "C34"),
        ("泵、阀门制造与销售", "344"),
        ("轴承生产", "3451"),
        ("软件开发；信息技术咨询服务", "I65"),
        ("应用软件开发与销售", "6513"),
        ("信息系统集成服务", "653"),
        ("医疗器械的研发、生产", "C35"),
        ("农业机械制造", "357"),
        ("化学药品制剂生产", "2720"),
        ("中成药生产、销售", "274"),
        ("塑料制品制造", "C29"),
        ("橡胶制品生产", "291"),
        ("五金产品零售", "F52"),
        ("服装批发", "513"),
        ("物业管理", "K"),
        ("房地产开发经营", "7010"),
        ("钢材贸易", "5164"),
    ]
    texts = [t for t, _ in rows] * 2
    labels = [c for _, c in rows] * 2
    return texts, labels


@pytest.mark.slow
def test_training_on_labels_at_mixed_levels(model, tmp_path):
    texts, labels = _labelled()
    trained = train_model(texts + ["", "x"], labels + ["bad", None], base=model, cv_folds=0)
    assert trained.info["mode"] == "trained"
    assert trained.metrics["skipped_labels"] == 2
    assert trained.metrics["labels"]["section"] == 2  # "K" counts, but stays out of the 大类 layer
    assert trained.training_hash != model.training_hash
    preds = trained.predict(["汽车零部件生产", "软件开发"])
    assert preds[0].division == "36" and preds[1].division == "65"
    trained.save(tmp_path / "t")
    loaded = ScopeClassifier.load(tmp_path / "t")
    again = loaded.predict(["汽车零部件生产", "软件开发"])
    assert [p.codes for p in again] == [p.codes for p in preds]
    assert np.allclose([p.scores for p in again], [p.scores for p in preds])
    # the base model is unchanged
    assert model.info["mode"] == "reference" and model.supervised is None


# 40 labels in GB/T 4754-2011 divisions, for the texts of `_labelled()`
LABELS_2011 = ["C36", "C36", "C36", "C34", "C34", "C34", "I65", "I65", "I65", "C35", "C35", "C27", "C27", "C29", "C29", "F52", "F51", "K70", "K70", "F51"] * 2  # fmt: skip


@pytest.mark.slow
def test_training_with_2011_codes(model):
    texts, _ = _labelled()
    trained = train_model(texts, LABELS_2011, label_edition="2011", base=model, cv_folds=2)
    assert trained.info["label_edition"] == "2011"
    assert "cv_division" in trained.metrics and trained.metrics["cv_division"]["n"] == 40


@pytest.mark.slow
def test_knn_vote_and_blend_weights_come_from_the_training_rows(model, tmp_path):
    from classifiers.training import KnnVote

    texts, _ = _labelled()
    y = np.arange(len(texts)) % 20
    knn = KnnVote().fit(texts, y)
    loo = knn.proba_loo(30)
    assert loo.shape == (len(texts), 30) and np.allclose(loo.sum(axis=1), 1.0)
    assert (loo.argmax(axis=1) == y).mean() > 0.8  # each text's duplicate (same label) is its neighbour
    assert knn.proba([], 30).shape == (0, 30)
    trained = train_model(texts, LABELS_2011, label_edition="2011", base=model, cv_folds=2)
    b, a = trained.metrics["blend_knn_reference"]
    assert 0.0 <= b <= 3.0 and 0.0 <= a <= 3.0 and 0.0 <= trained.metrics["blend_mixture"] <= 3.0
    bias = trained.supervised.prior_bias  # per-大类 prior correction learned from the labels
    assert bias is not None and bias.shape == (len(trained.division_codes),) and np.isfinite(bias).all()
    preds = trained.predict(["汽车零部件生产", "软件开发"])
    assert preds[0].division == "36" and preds[1].division == "65"
    trained.save(tmp_path / "k")
    again = ScopeClassifier.load(tmp_path / "k").predict(["汽车零部件生产", "软件开发"])
    assert [p.codes for p in again] == [p.codes for p in preds]


# -- calibration ----------------------------------------------------------------------


def test_calibration_error_measures_the_gap_between_score_and_accuracy():
    from classifiers.evaluation import calibration_error

    assert calibration_error([0.9, 0.9, 0.9, 0.9], [1, 1, 1, 0])["ece"] == pytest.approx(0.15)
    assert calibration_error([0.2, 0.2, 0.8, 0.8], [0, 0, 1, 1])["ece"] == pytest.approx(0.2)
    assert calibration_error([0.5, 0.5], [1, 0])["ece"] == pytest.approx(0.0)
    assert calibration_error([], []) == {}


def test_reference_scores_are_calibrated_on_the_sample_district(model):
    """The top score is the chance that the top 大类 is right, on firms the temperature was not fitted on.

    The sample district's true codes (sample_data/truth) are independent of the listed-company dev set
    the reference temperature was chosen on; with temperature 1 the error here was 0.26. The labels are
    cut to their 大类 so that the report's calibration (at the finest level all labels carry) is the 大类's."""
    from pathlib import Path

    from classifiers.evaluation import evaluate_model

    root = Path(__file__).resolve().parents[1] / "sample_data"
    registry = pd.read_csv(root / "registry.csv", dtype=str)
    truth = pd.read_csv(root / "truth" / "registry_true_codes.csv", dtype=str)
    rows = registry.merge(truth, on="统一社会信用代码").dropna(subset=["true_code"])
    report = evaluate_model(model, rows["经营范围"].fillna(""), rows["true_code"].str[:2])
    calibration = report.calibration
    assert report.threshold_level == "division"
    assert calibration["ece"] < 0.08, calibration
    assert abs(calibration["mean_score"] - calibration["top1"]) < 0.06, calibration


def test_the_pipelines_held_out_figures_are_the_evaluate_figures(model):
    """One scorer for the scope_model asset and `industry-gap evaluate`: a row the model gives no
    prediction is wrong, and lettered (C3670) and 中类 (651) codes count at their levels."""
    from classifiers.evaluation import evaluate_model
    from industry_gap.model_training import accuracy_on

    frame = pd.DataFrame(
        {
            "text": ["汽车零部件的研发、生产和销售", "asdfgh", "软件开发；信息系统集成服务", "汽车座椅制造"],
            "name": [""] * 4,
            "code": ["C3670", "3670", "651", "36"],
        }
    )
    figures = accuracy_on(model, frame)
    report = evaluate_model(model, frame["text"], frame["code"], names=frame["name"])
    assert figures["大类 top-1"] == report.accuracy["division"]["top1"] == 0.75
    assert figures["小类 top-1"] == report.accuracy["class"]["top1"] == 0.5  # the garbage row is wrong
    assert figures["大类 校准误差（ECE）"] == report.level_calibration["division"]["ece"]
