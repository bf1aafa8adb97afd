"""The classifier's fast paths give exactly what the plain implementations give.

Scoring new item objects uses its own jieba cut, a numpy n-gram lookup in place of the
scikit-learn vectorisers' Python loop, query blocks, and tables reuse a scope's top-k across
chunks. Each is checked here against the library or the straightforward computation it
replaces, on the sample district's real scopes and on awkward strings (no timing here:
speed is `benchmarks/classify_speed.py`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import classifiers.reference_scorer as scorer_module
from classifiers import load_default_model
from classifiers.text import bracket_spans, split_top_level

REGISTRY = Path(__file__).resolve().parents[1] / "sample_data" / "registry.csv"
AWKWARD = [
    "",
    "a",
    "生产",
    "w:x",
    "w:生产",
    "A  B c",
    "ＡＢ",
    "Ab\ud800c",
    "\U0010ffff生产",
    "ii类医疗器械",
    "3.5mm钢管",
    "c++软件开发",
    "电子产品(不含无线电)",
    "((未闭合",
    "生产、销售:A、B",
    "  ",
    "\t生产\n",
]


@pytest.fixture(scope="module")
def model():
    return load_default_model().warm_up()


@pytest.fixture(scope="module")
def registry() -> pd.DataFrame:
    df = pd.read_csv(REGISTRY, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return df.iloc[::5].reset_index(drop=True)  # 1,602 rows


@pytest.fixture(scope="module")
def queries(model, registry) -> list[str]:
    found = dict.fromkeys(k[0] for text in registry["经营范围"] for k in model._plan(text).keys)
    return list(found) + AWKWARD


def _same_csr(a, b) -> bool:
    a, b = sp.csr_matrix(a), sp.csr_matrix(b)
    a.sort_indices()
    b.sort_indices()
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


def test_word_cut_equals_jieba(model, queries):
    tokenizer = model.scorer.tokenizer
    for text in queries:
        assert tokenizer.cut(text) == tokenizer.jieba_cut(text), text


def test_query_features_equal_the_vectorisers(model, queries):
    scorer = model.scorer
    tfidf, present = scorer._query_features(queries)
    expected_bm = scorer.bm_vectorizer.transform(queries)
    expected_bm.data[:] = 1.0
    assert _same_csr(tfidf, scorer.div_vectorizer.transform(queries))
    assert _same_csr(present, expected_bm)


def test_query_scores_do_not_depend_on_the_block(model, queries, monkeypatch):
    scorer = model.scorer
    base, within, known = scorer.score_queries(queries)
    monkeypatch.setattr(scorer_module, "_QUERY_BLOCK", 7)
    base7, within7, known7 = scorer.score_queries(queries)
    assert np.array_equal(base, base7) and np.array_equal(known, known7)
    assert _same_csr(within, within7)


def _split_reference(text: str, separators: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in separators:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


def _spans_reference(text: str) -> list[tuple[int, int]]:
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            start = i if depth == 0 else start
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans + ([(start, len(text))] if depth else [])


def test_bracket_aware_splitting_equals_a_character_walk(registry):
    rng = np.random.default_rng(3)
    alphabet = list("()(;。,、:a生产)")
    texts = list(registry["经营范围"]) + ["".join(rng.choice(alphabet, size=rng.integers(0, 25))) for _ in range(3000)]
    for text in texts:
        assert bracket_spans(text) == _spans_reference(text), text
        for separators in (";。", ",", "、", "]^-\\"):
            assert split_top_level(text, separators) == _split_reference(text, separators), text


def test_tables_in_small_chunks_equal_one_pass_and_predictions(model, registry):
    """classify_frame keeps each scope's top-k on its cached plan: later chunks reuse it."""
    texts, names = registry["经营范围"].tolist(), registry["企业名称"].tolist()
    frame = pd.DataFrame({"经营范围": texts + texts[:400], "企业名称": names + names[:400]})
    model._reset_caches()
    whole = model.classify_frame(frame, "经营范围", name_column="企业名称", top_k=3, chunk_size=100_000)
    model._reset_caches()
    chunked = model.classify_frame(frame, "经营范围", name_column="企业名称", top_k=3, chunk_size=333)
    pd.testing.assert_frame_equal(chunked, whole)
    model._reset_caches()
    preds = model.predict(frame["经营范围"].tolist(), top_k=3, names=frame["企业名称"].tolist())
    assert [p.code or "" for p in preds] == whole["pred_code_1"].tolist()
    assert [p.evidence for p in preds] == whole["evidence"].tolist()
    top = np.array([p.score if p.score is not None else np.nan for p in preds])
    assert np.allclose(top, whole["pred_score_1"].to_numpy(dtype=float), atol=1e-9, equal_nan=True)


def test_division_probabilities_equal_the_linear_model(model, queries):
    scorer = model.scorer
    X, _ = scorer._query_features(queries)
    assert np.array_equal(scorer._division_proba(X), scorer.div_model.predict_proba(X))
