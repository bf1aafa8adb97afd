"""Training as an estimator, the shared features of the open-world layer and the city's pooled labels.

Real scikit-learn, the real reference model and the sample district's coded firms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from classifiers import load_default_model
from classifiers.class_layer import _char_vectorizer, _Units, fit_char_tfidf
from classifiers.training import OfficeModelTrainer
from industry_gap.model_training import pool_district_labels, train_city_office_model
from tests.factories import sample_coded_firms

TEXTS = ["塑料制品制造", "塑料制品制造", "软件开发", "软件开发；信息技术咨询服务", "塑料制品销售", "塑料制品制造"]


def test_the_tfidf_of_distinct_texts_with_counts_is_the_tfidf_of_every_row():
    units = _Units.of(TEXTS, [""] * len(TEXTS))
    distinct = units.texts(TEXTS)
    vectorizer, X = fit_char_tfidf(distinct, units.counts)
    expected = _char_vectorizer().fit(TEXTS)
    assert vectorizer.vocabulary_ == expected.vocabulary_
    np.testing.assert_allclose(vectorizer.idf_, expected.idf_, rtol=1e-6)
    np.testing.assert_allclose(X.toarray(), expected.transform(distinct).toarray(), atol=1e-6)
    np.testing.assert_allclose(
        vectorizer.transform(["塑料软件"]).toarray(), expected.transform(["塑料软件"]).toarray(), atol=1e-6
    )


def test_no_ngram_in_two_rows_is_an_error_like_sklearns():
    with pytest.raises(ValueError):
        fit_char_tfidf(["甲", "乙"], np.array([1, 1]))


def test_units_give_each_distinct_text_name_and_code_once_with_its_count():
    units = _Units.of(TEXTS, ["a", "a", "b", "b", "a", "c"])
    y = np.array([3, 3, 5, 5, 3, 4])
    unit, label, count = units.points(np.arange(len(y)), y)
    assert [TEXTS[units.first[u]] for u in unit] == [
        "塑料制品制造",
        "软件开发",
        "软件开发；信息技术咨询服务",
        "塑料制品销售",
        "塑料制品制造",
    ]
    assert label.tolist() == [3, 5, 5, 3, 4] and count.tolist() == [2, 1, 1, 1, 1]


@pytest.mark.slow
def test_the_trainer_stores_settings_and_fit_returns_a_new_model():
    firms = sample_coded_firms().head(200)
    base = load_default_model()
    trainer = OfficeModelTrainer(base, cv_folds=0, min_class_labels=10_000)
    assert not hasattr(trainer, "model_")
    assert trainer.fit(firms["text"], firms["code"], names=firms["name"]) is trainer
    assert trainer.model_ is not base and trainer.model_.supervised is not None and base.supervised is None
    assert trainer.metrics_["labels"] and trainer.model_.info["n_rows"] == 200


def test_the_city_pools_its_districts_in_name_order():
    a = pd.DataFrame({"uscc": ["1"], "text": ["塑料制品制造"], "name": ["甲厂"], "code": ["2929"]})
    b = pd.DataFrame({"uscc": ["2"], "text": ["软件开发"], "name": ["乙公司"], "code": ["6511"]})
    first = pool_district_labels({"东区": a, "西区": b, "南区": None})
    second = pool_district_labels({"西区": b, "东区": a})
    pd.testing.assert_frame_equal(first, second)
    assert first["uscc"].tolist() == ["1", "2"]


def test_a_city_with_too_few_labels_keeps_the_reference_model():
    a = pd.DataFrame({"uscc": ["1"], "text": ["塑料制品制造"], "name": ["甲厂"], "code": ["2929"]})
    trained = train_city_office_model({"东区": a, "西区": a.assign(uscc="2")}, min_labels=50)
    assert trained.model is load_default_model() and trained.report.labelled_rows == 2
