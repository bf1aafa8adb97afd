"""The supervised 小类 layer (many 小类 labels) and the office model's train-once cache.

Real data: the sample district's firms with their true 小类 (sample_data/truth), real jieba,
scikit-learn and the reference model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from classifiers import ScopeClassifier, load_default_model, train_model
from industry_gap.model_training import capped, train_office_model, training_key
from tests.factories import sample_coded_firms

pytestmark = pytest.mark.slow  # trains models on the sample district: a minute or more each


@pytest.fixture(scope="module")
def labelled() -> pd.DataFrame:
    return sample_coded_firms()


@pytest.fixture(scope="module")
def split(labelled):
    held = np.random.default_rng(7).random(len(labelled)) < 0.3
    return labelled[~held].reset_index(drop=True), labelled[held].reset_index(drop=True)


@pytest.fixture(scope="module")
def trained(split):
    train, _ = split
    return train_model(
        train["text"].tolist(), train["code"].tolist(), names=train["name"].tolist(), base=load_default_model()
    )


def _top1(model, frame) -> float:
    preds = model.predict(frame["text"].tolist(), top_k=1, evidence=False, names=frame["name"].tolist())
    return float(np.mean([bool(p.codes) and p.codes[0] == c for p, c in zip(preds, frame["code"])]))


def test_many_class_labels_train_the_class_layer_and_beat_the_reference(trained, split):
    _, test = split
    assert trained.class_layer is not None and trained.info["layer"] == "class"
    _, b = trained.class_layer.ab
    assert b > 0, "the labelled model must carry weight with thousands of labels"
    assert _top1(trained, test) > _top1(load_default_model(), test) + 0.02
    assert trained.metrics["cv_class"]["n"] == trained.info["n_used"]


def test_trained_class_probabilities_are_a_distribution(trained, split):
    _, test = split
    P = trained.class_scores(test["text"].tolist()[:50], test["name"].tolist()[:50])
    assert np.all(P >= 0) and np.all(P.sum(axis=1) <= 1.0 + 1e-5)
    D = trained.division_scores(test["text"].tolist()[:50], test["name"].tolist()[:50])
    assert np.allclose(np.add.reduceat(P, trained.scorer.div_start, axis=1), D, atol=1e-5)


def test_save_and_load_predict_the_same(trained, split, tmp_path):
    _, test = split
    trained.save(tmp_path / "m")
    loaded = ScopeClassifier.load(tmp_path / "m")
    texts, names = test["text"].tolist()[:200], test["name"].tolist()[:200]
    before = trained.predict(texts, top_k=5, names=names)
    after = loaded.predict(texts, top_k=5, names=names)
    assert [(p.codes, p.scores, p.evidence) for p in before] == [(p.codes, p.scores, p.evidence) for p in after]


def test_few_class_labels_keep_the_division_layer(labelled):
    small = labelled.iloc[:120]
    model = train_model(
        small["text"].tolist(), small["code"].tolist(), names=small["name"].tolist(), base=load_default_model()
    )
    assert model.class_layer is None and model.supervised is not None


def test_the_office_model_is_trained_once_and_reused(labelled, tmp_path):
    """The cache hit: same labels → the saved model is loaded, not retrained; new labels → retrained."""
    frame = labelled.iloc[:700].reset_index(drop=True)
    first = train_office_model(frame, cache_dir=tmp_path)
    assert not first.report.reused and "首次训练" in first.report.mode
    [entry] = list(tmp_path.glob("office-model-*"))
    stamp = (entry / "model.joblib").stat().st_mtime_ns
    second = train_office_model(frame, cache_dir=tmp_path)
    assert second.report.reused and "复用" in second.report.mode
    assert second.report.accuracy == first.report.accuracy
    assert second.model.training_hash == first.model.training_hash
    assert (entry / "model.joblib").stat().st_mtime_ns == stamp
    changed = frame.copy()
    changed.loc[0, "code"] = "2319" if changed.loc[0, "code"] != "2319" else "1811"
    third = train_office_model(changed, cache_dir=tmp_path)
    assert not third.report.reused and "重新训练" in third.report.mode
    assert [p.name for p in tmp_path.glob("office-model-*")] != [entry.name]


def test_many_labels_train_on_a_seeded_sample(labelled, tmp_path):
    """Above max_training_rows a fixed sample is trained on (bounded time), and the cap is in the cache key."""
    frame = labelled.iloc[:700].reset_index(drop=True)
    assert capped(frame, 0) is frame and capped(frame, 800) is frame
    sample = capped(frame, 300)
    assert len(sample) == 300 and sample.equals(capped(frame, 300))  # the same rows every run
    trained = train_office_model(frame, cache_dir=tmp_path, max_training_rows=300)
    assert "抽取 300 条训练" in trained.report.mode
    assert training_key(frame, 50, 0.2, 300) != training_key(frame, 50, 0.2, 20_000)


def test_training_twice_on_the_same_labels_gives_the_same_model(trained, split):
    """Reruns of a month must agree to the last digit: every random choice in training is seeded."""
    train, held = split
    again = train_model(
        train["text"].tolist(), train["code"].tolist(), names=train["name"].tolist(), base=load_default_model()
    )
    assert np.array_equal(trained.class_layer.layer.coef_, again.class_layer.layer.coef_)
    assert trained.class_layer.ab == again.class_layer.ab and trained.class_layer.shift == again.class_layer.shift
    texts, names = held["text"].tolist()[:200], held["name"].tolist()[:200]
    first = trained.predict(texts, top_k=3, evidence=False, names=names)
    second = again.predict(texts, top_k=3, evidence=False, names=names)
    assert [(p.codes, p.scores) for p in first] == [(p.codes, p.scores) for p in second]


# -- open world: the office's labels must never hide the classes it hunts ---------------------------

PLAIN_TEXTS = {  # texts that name a 小类 plainly, none of them among the sample district's labels
    "1954": ("皮鞋制造", "某某鞋业有限公司"),
    "8622": ("报纸出版", "某某日报社有限公司"),
    "4030": ("钟表制造", "某某钟表有限公司"),
    "2651": ("初级形态塑料及合成树脂制造", "某某新材料有限公司"),
}


def test_a_class_without_labels_stays_reachable(trained):
    """A text that names an unlabelled 小类 plainly gets it in its top 5 (the closed-world model of 2.0 never did)."""
    labelled = set(np.asarray(trained.class_codes)[trained.class_layer.classes_])
    missing = {code: texts for code, texts in PLAIN_TEXTS.items() if code not in labelled}
    assert len(missing) >= 3, "the test needs classes the sample district's labels do not name"
    texts, names = zip(*missing.values())
    preds = trained.predict(list(texts), top_k=5, evidence=False, names=list(names))
    for code, p in zip(missing, preds):
        assert code in p.codes, (code, p.codes)
    assert sum(p.codes[0] == code for code, p in zip(missing, preds)) >= len(missing) - 1


def test_unlabelled_classes_keep_a_real_share_of_probability(trained, split):
    """u(x): low for texts the labels know, high for a plainly new kind of firm; P sums to 1 either way."""
    _, test = split
    known = trained.class_scores(test["text"].tolist()[:100], test["name"].tolist()[:100])
    seen = trained.class_layer.seen_mask
    unseen_mass_known = known[:, ~seen].sum(axis=1)
    new = trained.class_scores(["报纸出版"], ["某某日报社有限公司"])[0]
    assert new[~seen].sum() > 0.5 > float(np.median(unseen_mass_known))
    assert abs(new.sum() - 1.0) < 1e-4


def test_the_open_world_layer_is_fitted_on_held_out_classes(trained):
    """Leave-classes-out folds give the gate unseen rows to learn from; its prior is the Good–Turing share."""
    layer = trained.class_layer
    assert layer.fit_rows["unseen"] > 100 and layer.fit_rows["seen"] > 100
    assert 0.0 < layer.prior <= 0.5 and layer.gate is not None
    assert trained.metrics["open_world"]["fit_rows"] == layer.fit_rows
