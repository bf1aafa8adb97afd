"""The business-scope classifier: items → 小类 scores → consistent 小类/中类/大类/门类 predictions.

How a scope is scored
=====================
1. `classifiers.scope_parser` splits the scope into ordered items, each with an
   object (product or service) and activity kinds (make, sell, repair, …).
2. Every distinct item object is scored once and cached (registry scopes repeat
   standard items heavily):
   * a linear model (SGD logistic regression over character 1–3-grams and jieba
     words) trained on the annotation terms gives P(大类 | object);
   * BM25 over each 小类's annotation terms gives class similarities; their
     maximum per 大类 is a second 大类 signal (geometric mean with the first),
     and their spread inside a 大类 gives P(小类 | 大类, object).
3. The item's activity re-weights the 大类 (`COMPAT`): making a product points to
   its manufacturing division, selling it to 批发/零售, repairing it to 43/81,
   and so on. In a scope that also makes things, "销售" items count for the
   manufacturing division of their product ("以生产制造为主，兼营科、贸活动的企业，
   列入C").
4. Items are combined with weights: registry order (the main business comes
   first), generic items (货物进出口, 技术开发/咨询/服务, 自有房屋租赁 …) almost
   not at all, service/lease items less in a producer's scope.
5. 大类 scores are a proper distribution; a supervised layer (trained on an
   office's labelled enterprises) can replace it. Temperature calibration turns
   it into probabilities. A 小类's score is its 大类's probability times its
   share relative to the best 小类 of that 大类, so the best 小类 of each 大类
   carries the 大类's probability and every level agrees: the top 小类 lies in
   the top 中类, 大类 and 门类 (`Prediction.level_scores`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from classifiers.knowledge import _DIVISION_KIND, KnowledgeBase, reference_hash
from classifiers.names import name_core
from classifiers.scope_parser import ACTIVITY_NAMES, clean_scope, parse_clause, sell_channel, split_clauses
from reference import LEVELS, standard

if TYPE_CHECKING:  # annotations only: training imports this module, the layers load with a trained model
    from classifiers.class_layer import OpenWorldLayer
    from classifiers.training import SupervisedLayer

MODEL_VERSION = "3.0.0"
MODEL_FILE = "model.joblib"
META_FILE = "model.json"

PRODUCING = frozenset({"make", "farm", "mine", "supply"})
_PRIORITY = (
    "make",
    "farm",
    "mine",
    "supply",
    "construct",
    "transport",
    "repair",
    "lease",
    "product",
    "rnd",
    "service",
    "invest",
    "sell",
    "name",
)

# Activity kind -> weight per kind of 大类 (CLASS_KINDS); unlisted kinds get the default.
_COMPAT_SPEC: dict[str, tuple[float, dict[str, float]]] = {
    "make": (
        0.15,
        dict(make=1.0, agri=0.5, mining=0.7, utility=0.8, software=0.3, culture=0.4, wholesale=0.15, retail=0.1),
    ),
    "farm": (0.1, dict(agri=1.0, agri_svc=0.5, make=0.3)),
    "mine": (0.1, dict(mining=1.0, mining_svc=0.6, make=0.3)),
    "supply": (0.1, dict(utility=1.0, make=0.4, wholesale=0.3, retail=0.3)),
    "sell": (0.15, dict(wholesale=1.0, retail=0.85, make=0.35, agri=0.2, mining=0.2, utility=0.3, realestate=0.6)),
    "sell_in_producer": (
        0.15,
        dict(wholesale=0.5, retail=0.4, make=0.8, agri=0.2, mining=0.3, utility=0.3, realestate=0.6),
    ),
    # "零售" alone names retail (52), "批发"/"分销" alone wholesale (51); "销售" names neither
    "sell_retail": (
        0.15,
        dict(retail=1.0, wholesale=0.25, make=0.3, agri=0.2, mining=0.2, utility=0.3, realestate=0.6),
    ),
    "sell_wholesale": (
        0.15,
        dict(wholesale=1.0, retail=0.25, make=0.35, agri=0.2, mining=0.2, utility=0.3, realestate=0.6),
    ),
    "rnd": (0.15, dict(rnd=1.0, techpromo=0.9, software=0.8, techsvc=0.6, make=0.45, internet=0.5)),
    "service": (
        0.15,
        {
            k: 1.0
            for k in (
                "bizsvc",
                "techsvc",
                "techpromo",
                "software",
                "internet",
                "telecom",
                "finance",
                "realestate",
                "resident",
                "edu",
                "health",
                "culture",
                "env",
                "hospitality",
                "agri_svc",
                "mining_svc",
                "public",
                "repair_home",
                "lease",
                "transport",
            )
        },
    ),
    "repair": (0.15, dict(repair_ind=1.0, repair_home=1.0, construct=0.8, make=0.3, techsvc=0.4)),
    "lease": (0.15, dict(lease=1.0, realestate=0.6, transport=0.3)),
    "transport": (0.15, dict(transport=1.0, wholesale=0.2)),
    "construct": (0.15, dict(construct=1.0, techsvc=0.4, env=0.4, realestate=0.3)),
    "invest": (0.15, dict(bizsvc=0.6, finance=0.5)),
    "product": (0.15, dict(make=1.0, agri=0.6, mining=0.6, utility=0.5, software=0.4, wholesale=0.3)),
    "": (0.5, dict(make=0.8)),
    # an enterprise name with no legal form that implies an activity ("XX服饰有限公司"): no lean
    "name": (1.0, {}),
}

# Tuned constants (on the public annotations and the listed-company development set).
DEFAULT_PARAMS = dict(
    generic_weight=0.05,  # weight of generic items (货物进出口, 技术服务 …)
    position_decay=0.8,  # item k (0-based, generic ones not counted) weighs 1 / (1 + decay * k)
    nonproducer_weight=0.5,  # service/lease/... items in a scope that makes things (scaled by how early)
    main_weight=2.0,  # items under 主要产品/主营业务 (their own order: a summary of the main business)
    licensed_weight=0.5,  # non-producing items under 许可项目 (mostly ancillary 进出口/工程/运输/食品经营 …)
    bm25_power=3.0,  # sharpness of the BM25 大类 signal
    bm25_share=0.5,  # geometric weight of BM25 vs the linear model
    class_power=4.0,  # sharpness of P(小类 | 大类, item)
    class_floor=0.02,  # smaller within-大类 shares are dropped (sparse storage)
    # calibration: P ∝ score ** (1 / temperature). The raw mixture is under-confident (a top score of
    # 0.3 was right 70 % of the time); 0.6 minimises the log-loss on the listed-company dev set and,
    # fitted independently, on the sample district's true codes (both 0.599). Trained models fit their own.
    temperature=0.6,
    generic_only_factor=0.3,  # scores of scopes with only generic items are scaled down
    service_text=False,  # match service/repair/transport items on their whole text
    division_balance=1.0,  # item model: annotation-term weights rebalanced to equal totals per 大类
    class_sharpness=3.0,  # P(小类 | 大类) ∝ 小类 mass ** sharpness: 3 is calibrated at 小类 (sample district ECE 0.04)
    name_weight=0.3,  # share of the enterprise name's industry words beside a scope with items
    generic_name_weight=0.8,  # the name's share when the scope has only generic items
    brand_name_strength=0.25,  # either share scaled down for a name without a legal form (a 证券简称, a brand)
)


# Items with these activities are matched on their object (the product); the
# others (services, repair, transport …) on their whole text, since service
# classes are defined by the activity ("信息系统集成服务", "汽车维修").
EXACT_TERM_MIN_WEIGHT = 0.9  # class names (3.0, whole 1.8), registry words (1.5, whole 0.9), not 包括 items (0.8)
EXACT_TERM_BOOST = 1.25  # above every other 小类 of the 大类 (then ** class_power)

_OBJECT_KINDS = frozenset({"make", "farm", "mine", "supply", "sell", "product"})
_QUERY_BLOCK = 1024  # queries scored together (dense block of 1,024 × 1,382 floats)


_SELL_MODES = {"producer": "sell_in_producer", "retail": "sell_retail", "wholesale": "sell_wholesale"}


def _transposable_coef(linear_model):
    """Store a fitted linear model's coefficients column-major (same values), and return the model.

    Its predict computes X @ coef_.T; scipy copies a non-C-contiguous right operand to a fresh
    array on every call (the whole n_features × 大类 matrix for each block of queries). Column-major
    coef_ makes coef_.T C-contiguous, so the product reads it in place with the same arithmetic."""
    coef = getattr(linear_model, "coef_", None)
    if coef is not None and coef.ndim == 2 and not coef.T.flags.c_contiguous:
        linear_model.coef_ = np.asfortranarray(coef)
    return linear_model


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass
class Prediction:
    """The result for one scope (and enterprise name).

    codes/names/scores: the top-k 小类, descending probability; several may share a
    大类. A score is the calibrated probability of that 小类; a 中类/大类/门类's
    probability is the sum of its 小类 (`level_scores`), so levels never contradict.
    `division`/`group`/`section` and `is_industrial` describe the top 小类.
    `evidence` is Chinese text naming the items (and the name) behind the top
    prediction; `reason` says why there is no prediction ("" otherwise).
    `division_scores` holds the 大类 distribution (top 10), `class_scores` the top 30 小类.
    """

    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    evidence: str = ""
    reason: str = ""
    division_scores: dict[str, float] = field(default_factory=dict)
    class_scores: dict[str, float] = field(default_factory=dict)

    @property
    def code(self) -> str | None:
        return self.codes[0] if self.codes else None

    @property
    def score(self) -> float | None:
        return self.scores[0] if self.scores else None

    def _ancestor(self, level: str) -> str | None:
        if not self.codes:
            return None
        node = standard().ancestor(self.codes[0], level)
        return node.code if node else None

    @property
    def group(self) -> str | None:
        return self._ancestor("group")

    @property
    def division(self) -> str | None:
        return self._ancestor("division")

    @property
    def section(self) -> str | None:
        return self._ancestor("section")

    @property
    def is_industrial(self) -> bool | None:
        return standard().is_industrial(self.codes[0]) if self.codes else None

    def level_scores(self, level: str) -> dict[str, float]:
        """Scores at `level` ('class', 'group', 'division', 'section'), descending.

        A node's score is the sum of the probabilities of the 小类 beneath it: 大类 and 门类
        from the full 大类 distribution, 中类 from the kept `class_scores` (the top 30 小类,
        so a lower bound). A parent therefore always scores at least any of its children.
        """
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        s = standard()
        source = (
            self.division_scores if level in ("division", "section") and self.division_scores else self.class_scores
        )
        out: dict[str, float] = {}
        for code, score in source.items():
            node = s.ancestor(code, level)
            if node:
                out[node.code] = out.get(node.code, 0.0) + score
        return {k: round(v, 4) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


# ---------------------------------------------------------------------------
# Reference knowledge scorer (no labels)
# ---------------------------------------------------------------------------


class ReferenceScorer:
    """Scores item objects against the knowledge base; built from the reference alone."""

    def __init__(self, kb: KnowledgeBase, params: dict):
        from sklearn.feature_extraction.text import CountVectorizer

        from classifiers.features import TermTokenizer

        self.class_codes = [c.code for c in kb.classes]
        self.class_names = [c.name for c in kb.classes]
        self.div_codes = sorted(
            {c.division for c in kb.classes},
            key=lambda d: self.class_codes.index(next(c.code for c in kb.classes if c.division == d)),
        )
        div_index = {d: i for i, d in enumerate(self.div_codes)}
        self.class_div = np.array([div_index[c.division] for c in kb.classes], dtype=np.int32)
        if np.any(np.diff(self.class_div) < 0):
            raise AssertionError("classes must be grouped by division")
        self.div_start = np.flatnonzero(np.r_[True, np.diff(self.class_div) != 0]).astype(np.int64)
        self.div_kind = [_DIVISION_KIND[d] for d in self.div_codes]
        self.compat = {act: self._compat_vector(act) for act in _COMPAT_SPEC}

        terms = kb.all_terms()
        self.tokenizer = TermTokenizer(terms.keys())
        # 1. linear model P(大类 | object) on annotation terms
        texts: list[str] = []
        labels: list[int] = []
        weights: list[float] = []
        for term, per_class in terms.items():
            best: dict[int, float] = {}
            for ci, w in per_class.items():
                d = int(self.class_div[ci])
                best[d] = max(best.get(d, 0.0), w)
            for d, w in best.items():
                texts.append(term)
                labels.append(d)
                weights.append(w)
        # Divisions with many annotation terms (批发业 has ~70 小类) would get a larger prior in the
        # item model; rebalance the term weights towards equal division totals (exponent
        # `division_balance`: 0 keeps the raw weights, 1 gives every division the same total).
        balance = float(params.get("division_balance", 0.0))  # 0 for models pickled before the option
        if balance:
            totals = np.bincount(labels, weights=weights, minlength=len(self.div_codes))
            scale = (totals.mean() / np.clip(totals, 1e-9, None)) ** balance
            weights = [w * float(scale[d]) for w, d in zip(weights, labels)]
        self.kb_examples = (texts, labels, weights)
        self.adapted_rows = 0
        self._fit_division_model([], [], [])
        # 2. BM25 over class documents
        docs = [kb.class_document(i) for i in range(len(kb.classes))]
        self.bm_vectorizer = CountVectorizer(analyzer="char", ngram_range=(1, 3), dtype=np.float32)
        counts = self.bm_vectorizer.fit_transform(docs).tocoo()
        n_docs = len(docs)
        df = np.bincount(counts.col, minlength=counts.shape[1])
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        lengths = np.asarray(counts.tocsr().sum(axis=1)).ravel()
        k1, b = 1.2, 0.5
        tf = counts.data
        data = idf[counts.col] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[counts.row] / lengths.mean()))
        self.bm_matrix = sp.csr_matrix(
            (data.astype(np.float32), (counts.col, counts.row)), shape=(counts.shape[1], n_docs)
        )
        # 3. terms for evidence (the strongest ones per class)
        self.class_terms = []
        for entry in kb.classes:
            ranked = sorted(entry.terms.items(), key=lambda kv: (-kv[1], len(kv[0])))
            self.class_terms.append([t for t, _ in ranked[:400]])
        self.term_set = frozenset(t for t in terms if len(t) >= 2)
        # 4. exact terms: a query that is a strong term (a class name, a registry word) of some 小类
        #    picks those 小类 inside their 大类 ("水泥制品" → 3021, not 3023 石棉水泥制品)
        exact: dict[str, tuple[int, ...]] = {}
        for term, per_class in terms.items():
            best = {}
            for ci, w in per_class.items():
                d = int(self.class_div[ci])
                best[d] = max(best.get(d, 0.0), w)
            chosen = tuple(
                sorted(
                    ci
                    for ci, w in per_class.items()
                    if w >= EXACT_TERM_MIN_WEIGHT and w >= best[int(self.class_div[ci])] - 1e-9
                )
            )
            if chosen and len(term) >= 2:
                exact[term] = chosen
        self.exact_terms = exact
        first = self.div_start[self.class_div]
        self.fallback = (1e-9 / (1.0 + np.arange(len(self.class_codes)) - first)).astype(np.float32)
        self.params = dict(params)

    def known(self, query: str) -> bool:
        """Does the query contain an annotation term (≥ 2 characters)?"""
        terms = self.term_set
        n = len(query)
        for i in range(n - 1):
            for j in range(i + 2, min(n, i + 16) + 1):
                if query[i:j] in terms:
                    return True
        return False

    def _fit_division_model(self, texts, labels, weights) -> None:
        """Fit P(大类 | object) on the annotation terms plus optional labelled items."""
        import warnings

        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier

        from classifiers.features import CharWordAnalyzer

        kb_texts, kb_labels, kb_weights = self.kb_examples
        self.__dict__.pop("_feature_lookup", None)  # built from the vectoriser fitted here
        all_texts = list(kb_texts) + list(texts)
        self.div_vectorizer = TfidfVectorizer(
            analyzer=CharWordAnalyzer(self.tokenizer), sublinear_tf=True, min_df=2, dtype=np.float32
        )
        X = self.div_vectorizer.fit_transform(all_texts)
        self.div_model = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=15, tol=1e-4, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.div_model.fit(
                X,
                np.array(list(kb_labels) + list(labels)),
                sample_weight=np.array(list(kb_weights) + list(weights), dtype=np.float64),
            )
        self.model_divs = self.div_model.classes_.astype(np.int64)
        self.adapted_rows = len(texts)
        _transposable_coef(self.div_model)

    def adapted(self, texts, labels, weights) -> ReferenceScorer:
        """A copy whose 大类 model also learned from labelled item objects (division indices as labels)."""
        import copy

        clone = copy.copy(self)
        clone._fit_division_model(texts, labels, weights)
        return clone

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_feature_lookup", None)  # derived from the vectorisers, rebuilt on demand
        return state

    def _query_features(self, queries: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The item model's TF-IDF rows and the BM25 query rows (features present = 1.0) of queries.

        Equal to `div_vectorizer.transform` and `bm_vectorizer.transform` (then binarised), which
        both take character 1–3-grams of the same text: here the n-grams of a whole block are looked
        up at once (`NgramIndex`), and the counts go through the vectoriser's own TF-IDF step."""
        lookup = self._feature_lookup if hasattr(self, "_feature_lookup") else self._build_feature_lookup()
        if lookup is None or not queries:
            q = self.bm_vectorizer.transform(queries)
            q.data[:] = 1.0
            return self.div_vectorizer.transform(queries), q
        div_index, bm_index, words, bm_vocab, white, lower, cut = lookup
        n = len(queries)
        div_rows, div_cols = div_index.lookup(queries)
        bm_rows, bm_cols = bm_index.lookup(queries)
        word_rows: list[int] = []
        word_cols: list[int] = []
        other_rows: list[int] = []  # BM25 columns of texts the BM25 vectoriser sees otherwise
        other_cols: list[int] = []
        differs = np.zeros(n, dtype=bool)
        for r, text in enumerate(queries):
            bm_text = white.sub(" ", text.lower() if lower else text)
            if bm_text != text:  # upper case or runs of blanks
                differs[r] = True
                size = len(bm_text)
                for k in (1, 2, 3):
                    for i in range(size - k + 1):
                        b = bm_vocab.get(bm_text[i : i + k])
                        if b is not None:
                            other_rows.append(r)
                            other_cols.append(b)
            if cut is not None and len(text) > 1:
                for w in cut(text):
                    if len(w) > 1:
                        d = words.get(w)
                        if d is not None:
                            word_rows.append(r)
                            word_cols.append(d)
        dv = self.div_vectorizer
        rows = np.concatenate([div_rows, np.array(word_rows, dtype=np.int64)])
        cols = np.concatenate([div_cols, np.array(word_cols, dtype=np.int64)])
        counts_m = sp.csr_matrix(
            (np.ones(len(rows), dtype=dv.dtype), (rows, cols)), shape=(n, len(dv.vocabulary_))
        )  # duplicates summed: the counts
        counts_m.sum_duplicates()
        counts_m.sort_indices()
        counts_m.indices = counts_m.indices.astype(np.int32, copy=False)
        counts_m.indptr = counts_m.indptr.astype(np.int32, copy=False)
        if differs.any():
            keep = ~differs[bm_rows]
            bm_rows = np.concatenate([bm_rows[keep], np.array(other_rows, dtype=np.int64)])
            bm_cols = np.concatenate([bm_cols[keep], np.array(other_cols, dtype=np.int64)])
        q = sp.csr_matrix(
            (np.ones(len(bm_rows), dtype=self.bm_vectorizer.dtype), (bm_rows, bm_cols)), shape=(n, len(bm_vocab))
        )
        q.sum_duplicates()
        q.sort_indices()
        q.data[:] = 1.0
        q.indices = q.indices.astype(np.int32, copy=False)
        q.indptr = q.indptr.astype(np.int32, copy=False)
        return dv._tfidf.transform(counts_m, copy=False), q

    def _build_feature_lookup(self):
        """n-gram → (item-model column, BM25 column) for `_query_features`; None (use the vectorisers
        themselves) when they are configured otherwise than this module builds them."""
        from classifiers.features import CharWordAnalyzer

        dv, bv = self.div_vectorizer, self.bm_vectorizer
        analyzer = dv.analyzer
        lookup = None
        if (
            isinstance(analyzer, CharWordAnalyzer)
            and tuple(analyzer.ngram) == (1, 3)
            and dv.input == "content"
            and not dv.binary
            and hasattr(dv, "_tfidf")
            and bv.analyzer == "char"
            and tuple(bv.ngram_range) == (1, 3)
            and bv.input == "content"
            and bv.preprocessor is None
            and not bv.strip_accents
        ):
            from classifiers.features import NgramIndex

            words = {f[2:]: d for f, d in dv.vocabulary_.items() if len(f) > 3 and f.startswith("w:")}
            cut = analyzer.tokenizer.cut if analyzer.tokenizer is not None else None
            # n-grams have ≤ 3 characters, "w:" + a word of ≥ 2 at least 4: the lengths tell them apart
            lookup = (
                NgramIndex(dv.vocabulary_),
                NgramIndex(bv.vocabulary_),
                words,
                bv.vocabulary_,
                bv._white_spaces,
                bool(bv.lowercase),
                cut,
            )
        self._feature_lookup = lookup
        return lookup

    def _compat_vector(self, act: str) -> np.ndarray:
        default, spec = _COMPAT_SPEC[act]
        return np.array([spec.get(k, default) for k in self.div_kind], dtype=np.float32)

    @property
    def n_classes(self) -> int:
        return len(self.class_codes)

    @property
    def n_divisions(self) -> int:
        return len(self.div_codes)

    def compat_for(self, kinds: tuple[str, ...], sell_mode) -> np.ndarray:
        """Weights per 大类 for an item's activities. sell_mode refines a selling item: "producer"
        (a producer selling its products), "retail" / "wholesale" (the verb says which), else ""."""
        if not kinds:
            return self.compat[""]
        ordered = sorted(kinds, key=_PRIORITY.index)
        first = ordered[0]
        mode = _SELL_MODES.get(sell_mode) if first == "sell" else None
        fallback = self.compat[first]
        # a model pickled before a mode lacks its vector
        vec = self.compat.get(mode, fallback) if mode is not None else fallback
        for other in ordered[1:]:
            vec = np.maximum(vec, self.compat[other] * 0.5)
        return vec

    def score_queries(self, queries: list[str]) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
        """For each query: P(大类) before activity (n×D), P(小类|大类) (sparse n×C), known-term flag.

        Scored in blocks of rows: the dense n × 1,382 intermediates then stay small and are reused,
        instead of page-faulting fresh arrays of n × 1,382 floats (the cost of a first chunk of
        long scopes). Every step is row-wise, so the values do not depend on the block size."""
        n = len(queries)
        if n <= _QUERY_BLOCK:
            return self._score_query_block(queries)
        parts = [self._score_query_block(queries[i : i + _QUERY_BLOCK]) for i in range(0, n, _QUERY_BLOCK)]
        return (
            np.vstack([b for b, _, _ in parts]),
            sp.vstack([w for _, w, _ in parts], format="csr"),
            np.concatenate([k for _, _, k in parts]),
        )

    def _score_query_block(self, queries: list[str]) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
        p = self.params
        n = len(queries)
        lin = np.zeros((n, self.n_divisions), dtype=np.float64)
        X, q = self._query_features(queries)
        proba = _transposable_coef(self.div_model).predict_proba(X)
        lin[:, self.model_divs] = proba
        sims = (q @ self.bm_matrix).toarray().astype(np.float64)
        raw = sims.max(axis=1) if sims.shape[1] else np.zeros(n)
        known = np.array([self.known(x) for x in queries], dtype=np.float32)
        scale = np.where(raw > 0, raw, 1.0)
        sims /= scale[:, None]
        div_max = np.maximum.reduceat(sims, self.div_start, axis=1)
        bm = div_max ** p["bm25_power"]
        tot = bm.sum(axis=1, keepdims=True)
        bm = np.divide(bm, tot, out=np.full_like(bm, 1.0 / self.n_divisions), where=tot > 0)
        w = p["bm25_share"]
        base = (lin ** (1 - w)) * ((bm + 1e-6) ** w)
        base /= base.sum(axis=1, keepdims=True)
        exact = getattr(self, "exact_terms", {})  # {} for models pickled before exact terms
        for r, query in enumerate(queries):
            hit = exact.get(query)
            if hit:
                sims[r, list(hit)] = np.maximum(sims[r, list(hit)], 1.0) * EXACT_TERM_BOOST
        powered = np.power(sims, p["class_power"], out=sims)
        div_sum = np.add.reduceat(powered, self.div_start, axis=1)
        # A 大类 whose sum is 0 has only zeros: dividing them by 1 leaves the same 0 as skipping them.
        div_sum[div_sum <= 0] = 1.0
        sizes = np.diff(np.r_[self.div_start, len(self.class_div)])
        within = np.divide(powered, np.repeat(div_sum, sizes, axis=1), out=powered)
        keep = within >= p["class_floor"]
        flat = np.flatnonzero(keep)  # row-major: the CSR arrays directly, no COO round trip
        indptr = np.r_[0, np.cumsum(keep.sum(axis=1))]
        matrix = sp.csr_matrix(
            (
                within.ravel()[flat].astype(np.float32),
                (flat % within.shape[1]).astype(np.int32),
                indptr.astype(np.int32),
            ),
            shape=within.shape,
        )
        return base, matrix, known

    def best_term(self, query: str, class_index: int) -> str:
        """The annotation term of a class that best matches the query (rapidfuzz)."""
        from rapidfuzz import fuzz, process

        terms = self.class_terms[class_index]
        if not terms or not query:
            return ""
        contained = [t for t in terms if len(t) >= 2 and t in query]
        if contained:
            return max(contained, key=len)
        hit = process.extractOne(query, terms, scorer=fuzz.partial_ratio, score_cutoff=60)
        return hit[0] if hit else ""


# ---------------------------------------------------------------------------
# Document plans (parsed, weighted items) and the item table
# ---------------------------------------------------------------------------


@lru_cache(maxsize=262144)
def _clause_items(clause: str, section: str, service_text: bool) -> tuple:
    """Items of a clause with what a plan needs: (text, query, kinds, generic, producing,
    demoted (a service/lease/… item), sell_first, section). Cached: clauses repeat across scopes."""
    out = []
    for text, obj, verbs, kinds, generic in parse_clause(clause, section):
        if len(obj) < 2 or service_text and kinds and not _OBJECT_KINDS.intersection(kinds):
            query = text
        elif "transport" in kinds and not _OBJECT_KINDS.intersection(kinds):
            query = text  # "煤炭运输": the object is the cargo, not the industry
        else:
            query = obj
        producing = bool(PRODUCING.intersection(kinds))
        demoted = not (producing or "product" in kinds or "sell" in kinds)
        sell_first = bool(kinds) and min(kinds, key=_PRIORITY.index) == "sell"
        channel = sell_channel(verbs) if sell_first else ""
        out.append((text, query, kinds, generic, producing, demoted, sell_first, section, channel))
    return tuple(out)


@dataclass(slots=True)
class _Plan:
    keys: tuple  # (query, kinds, producer_sell) per item
    weights: np.ndarray
    texts: tuple  # (position, item text, kinds) per item, for evidence
    reason: str = ""
    only_generic: bool = False
    resolved: dict = field(default_factory=dict)  # id(item table) -> (row indices, recognised)
    cleaned: str = ""
    evidence: dict = field(default_factory=dict)  # top class index -> evidence text
    top: dict = field(default_factory=dict)  # k -> (top-k 小类, their scores, status) for tables
    name: str = ""  # the enterprise name given with the scope ("" when none)


class _ItemTable:
    """Cache of scored items: rows of item-level 大类 vectors and 小类 vectors."""

    def __init__(self, scorer: ReferenceScorer):
        self.scorer = scorer
        self.query_rows: dict[str, int] = {}
        self.q_base: list[np.ndarray] = []
        self.q_within: list[sp.csr_matrix] = []
        self.q_raw: list[np.ndarray] = []
        self.n_queries = 0
        self.item_rows: dict[tuple, int] = {}
        self.i_div: list[np.ndarray] = []
        self.i_cls: list[sp.csr_matrix] = []
        self.i_raw: list[np.ndarray] = []
        self.n_items = 0
        self._div_matrix = None
        self._cls_matrix = None
        self._raw = None
        self._compat_cache: dict[tuple, np.ndarray] = {}

    def ensure(self, keys) -> None:
        new_keys = [k for k in dict.fromkeys(keys) if k not in self.item_rows]
        if not new_keys:
            return
        new_queries = [q for q in dict.fromkeys(k[0] for k in new_keys) if q not in self.query_rows]
        if new_queries:
            base, within, raw = self.scorer.score_queries(new_queries)
            for i, q in enumerate(new_queries):
                self.query_rows[q] = self.n_queries + i
            self.q_base.append(base.astype(np.float32))
            self.q_within.append(within)
            self.q_raw.append(raw.astype(np.float32))
            self.n_queries += len(new_queries)
            if len(self.q_base) > 1:
                self.q_base = [np.vstack(self.q_base)]
                self.q_within = [sp.vstack(self.q_within).tocsr()]
                self.q_raw = [np.concatenate(self.q_raw)]
        base_all, within_all, raw_all = self.q_base[0], self.q_within[0], self.q_raw[0]
        rows = np.array([self.query_rows[k[0]] for k in new_keys])
        compat = np.vstack([self._compat(k[1], k[2]) for k in new_keys])
        div = base_all[rows] * compat
        div /= div.sum(axis=1, keepdims=True)
        within = within_all[rows]
        within.sort_indices()
        # class mass = P(大类) * P(小类 | 大类), built on the CSR arrays (no COO round trip)
        entry_row = np.repeat(np.arange(len(new_keys)), np.diff(within.indptr))
        data = within.data * div[entry_row, self.scorer.class_div[within.indices]]
        keep = data >= 5e-3  # a 小类 needs its 大类 to matter for this item
        indptr = np.r_[0, np.cumsum(np.bincount(entry_row[keep], minlength=len(new_keys)))]
        cls = sp.csr_matrix(
            (data[keep].astype(np.float32, copy=False), within.indices[keep], indptr), shape=within.shape
        )
        for i, k in enumerate(new_keys):
            self.item_rows[k] = self.n_items + i
        self.i_div.append(div.astype(np.float32))
        self.i_cls.append(cls)
        has_kinds = np.array([1.0 if k[1] else 0.0 for k in new_keys], dtype=np.float32)
        self.i_raw.append(np.maximum(raw_all[rows], has_kinds))
        self.n_items += len(new_keys)
        self._div_matrix = None

    def _compat(self, kinds: tuple, sell_mode: str) -> np.ndarray:
        """`compat_for`, cached: items repeat a few dozen activity combinations."""
        key = (kinds, sell_mode)
        vec = self._compat_cache.get(key)
        if vec is None:
            vec = self._compat_cache[key] = self.scorer.compat_for(kinds, sell_mode)
        return vec

    def matrices(self):
        if self._div_matrix is None:
            if len(self.i_div) > 1:
                self.i_div = [np.vstack(self.i_div)]
                self.i_cls = [sp.vstack(self.i_cls).tocsr()]
                self.i_raw = [np.concatenate(self.i_raw)]
            self._div_matrix = self.i_div[0]
            self._cls_matrix = self.i_cls[0]
            self._raw = self.i_raw[0]
        return self._div_matrix, self._cls_matrix, self._raw


# ---------------------------------------------------------------------------
# The classifier
# ---------------------------------------------------------------------------


class ScopeClassifier:
    """Classifies business scopes into GB/T 4754-2017 小类 (see module docstring).

    Build one with `load_default_model()` (reference knowledge only) or
    `train_model(texts, labels)`; persist with `save(dir)` / `ScopeClassifier.load(dir)`.
    """

    def __init__(self, scorer: ReferenceScorer, params: dict | None = None):
        self.scorer = scorer
        self.params = dict(DEFAULT_PARAMS)
        if params:
            self.params.update(params)
        self.supervised: SupervisedLayer | None = None
        self.base_scorer: ReferenceScorer | None = None  # un-adapted scorer of a trained model
        self.class_prior: np.ndarray | None = None
        self.class_layer: OpenWorldLayer | None = None  # many 小类 labels
        self.version = MODEL_VERSION
        self.reference_hash = reference_hash()
        self.training_hash = "reference-only"
        self.metrics: dict = {}
        self.info: dict = {"mode": "reference", "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        self._reset_caches()

    def warm_up(self) -> ScopeClassifier:
        """Load the word-segmentation dictionaries (jieba's ≈ 350,000 words plus the annotation
        terms, about 1 s) and the n-gram lookup of the scorers now instead of inside the first
        classification; returns the model.

        Start-up work, like loading the model: a caller timing classification calls it first."""
        for scorer in {id(s): s for s in (self.scorer, self.base_scorer) if s is not None}.values():
            scorer.tokenizer.cut("生产")
            scorer._query_features(["生产"])
        return self

    # -- caches (never pickled) ------------------------------------------------
    def _reset_caches(self) -> None:
        self._items = _ItemTable(self.scorer)
        base = getattr(self, "base_scorer", None)
        self._base_items = _ItemTable(base) if base is not None else self._items
        self._plans: OrderedDict[str | tuple[str, tuple], _Plan] = OrderedDict()
        self._plan_cache_size = 100_000
        self._evidence_cache: dict[tuple, str] = {}
        self._name_cache: dict[str, tuple | None] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in ("_items", "_base_items", "_plans", "_evidence_cache", "_name_cache"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reset_caches()

    # -- plans -------------------------------------------------------------------
    def _plan(self, text, name=None) -> _Plan:
        """The parsed, weighted items of a raw scope and, when given, the enterprise name.

        Cached by the raw text and the name's industry words: registries repeat scopes, and
        "甲印刷厂" and "乙印刷厂" are the same signal."""
        text_key = text if isinstance(text, str) else ("" if text is None else str(text))
        item = self.name_words(name)
        key: str | tuple[str, tuple] = text_key if item is None else (text_key, item)
        plan = self._plans.get(key)
        if plan is not None:
            self._plans.move_to_end(key)
            return plan
        cleaned = clean_scope(text)
        plan = self._make_plan(cleaned, item)
        plan.cleaned = cleaned
        plan.name = item[0] if item is not None else ""
        self._plans[key] = plan
        if len(self._plans) > self._plan_cache_size:
            self._plans.popitem(last=False)
        return plan

    def name_words(self, name) -> tuple | None:
        """(query, kinds, shown text, strength) of an enterprise name's industry words, or None when it has none.

        The brand (字号, usually two characters) is cut where the first annotation term
        starts: "恒通印刷" → "印刷", "天耀嘉苑环保科技" → "环保科技". Cached per name."""
        if name is None or name != name or not str(name).strip():
            return None
        name = str(name)
        cache = self._name_cache
        if name in cache:
            return cache[name]
        if len(cache) > 500_000:
            cache.clear()
        cache[name] = found = self._find_name_words(name)
        return found

    def _find_name_words(self, name: str) -> tuple | None:
        core = name_core(name)
        text = core.core
        if len(text) < 2:
            return None
        terms = self.scorer.term_set
        query = None
        for i in range(min(2, len(text) - 2), len(text) - 1):
            if any(text[i:j] in terms for j in range(i + 2, min(len(text), i + 12) + 1)):
                query = text[i:]
                break
        if query is None:
            return None  # no industry word: a brand alone says nothing
        kinds = core.kinds or ("name",)
        # A registered name carries its 行业 by rule; a short name without a legal form (证券简称,
        # a shop sign) may hold a brand that merely looks like an industry word: it speaks softly.
        strength = 1.0 if core.legal else float(self.params.get("brand_name_strength", 0.25))
        return query, kinds, f"企业名称含“{query}”", strength

    def _make_plan(self, cleaned: str, name_item: tuple | None = None) -> _Plan:
        p = self.params
        service_text = bool(p["service_text"])
        items: list[tuple] = []
        clauses = split_clauses(cleaned)
        for section, clause in clauses:
            items.extend(_clause_items(clause, section, service_text))
        if len(items) == 1 and not service_text and p.get("single_service_text", True):
            # a one-item text (the register's 主要业务活动, "工程管理服务") is read whole: a service
            # class is named by its activity, and there is no list around it to blur the match
            items = list(_clause_items(clauses[0][1], clauses[0][0], True))
        if not items:
            if name_item is not None:
                query, kinds, shown, _ = name_item
                return _Plan(((query, kinds, ""),), np.ones(1, dtype=np.float32), ((0, shown, kinds),))
            reason = "经营范围为空" if not cleaned.strip(";,、。:()") else "经营范围中没有可识别的经营项目"
            return _Plan((), np.zeros(0, dtype=np.float32), (), reason)
        decay = p["position_decay"]
        generic_w = p["generic_weight"]
        main_w = p["main_weight"]
        licensed_w = p.get("licensed_weight", 1.0)  # 1.0 for models pickled before the option
        producer = False
        first_producing = 0
        k = 0
        for it in items:
            if not it[3]:
                if it[4] and not producer:
                    producer = True
                    first_producing = k
                k += 1
        demote = 1.0 - (1.0 - p["nonproducer_weight"]) / (1.0 + decay * first_producing) if producer else 1.0
        keys = []
        item_weights = []
        texts = []
        k = 0
        k_main = 0
        all_generic = True
        for text, query, kinds, generic, producing, demoted, sell_first, section, channel in items:
            if generic:
                w = generic_w
                pos = k
            else:
                all_generic = False
                pos = k
                if section == "main":
                    # 主要产品/主营业务 is a summary of the main business: its own order counts
                    w = main_w / (1.0 + decay * k_main)
                    k_main += 1
                else:
                    w = 1.0 / (1.0 + decay * k)
                if section == "licensed" and not producing:
                    w *= licensed_w  # a production licence (食品生产, 危险化学品生产) is core business
                k += 1
                if producer and demoted:
                    w *= demote
            keys.append((query, kinds, "producer" if producer and sell_first else channel))
            item_weights.append(w)
            texts.append((pos, text, kinds))
        weights = np.array(item_weights, dtype=np.float32)
        weights /= weights.sum()
        if name_item is not None:
            query, kinds, shown, strength = name_item
            share = p.get("generic_name_weight", 0.8) if all_generic else p.get("name_weight", 0.3)
            share *= strength
            weights = np.r_[weights * (1.0 - share), np.float32(share)].astype(np.float32)
            keys.append((query, kinds, ""))
            texts.append((len(texts), shown, kinds))
            all_generic = False
        return _Plan(tuple(keys), weights, tuple(texts), "", all_generic)

    # -- scoring -----------------------------------------------------------------
    def _reference_scores(self, plans: list[_Plan], base: bool = False):
        """Per document: 大类 distribution (n×D), 小类 mass (sparse n×C), recognised flag.

        base=True scores with the un-adapted reference scorer of a trained model.
        """
        table = self._base_items if base else self._items
        tid = id(table)
        todo = [plan for plan in plans if tid not in plan.resolved]
        if todo:
            table.ensure([k for plan in todo for k in plan.keys])
        div_m, cls_m, raw = table.matrices()
        item_rows = table.item_rows
        for plan in todo:
            idx = np.fromiter((item_rows[k] for k in plan.keys), dtype=np.int64, count=len(plan.keys))
            plan.resolved[tid] = (idx, float(raw[idx].max()) if len(idx) else 0.0)
        resolved = [plan.resolved[tid] for plan in plans]
        lengths = np.fromiter((len(r[0]) for r in resolved), dtype=np.int64, count=len(plans))
        indptr = np.r_[0, np.cumsum(lengths)]
        cols = np.concatenate([r[0] for r in resolved]) if len(plans) else np.zeros(0, np.int64)
        vals = np.concatenate([plan.weights for plan in plans]) if len(plans) else np.zeros(0, np.float32)
        best = np.fromiter((r[1] for r in resolved), dtype=np.float32, count=len(plans))
        W = sp.csr_matrix((vals.astype(np.float32), cols, indptr), shape=(len(plans), div_m.shape[0]))
        D = np.asarray(W @ div_m)
        C = W @ cls_m
        return D, C, best

    def _calibrate(self, D: np.ndarray) -> np.ndarray:
        t = float(self.params.get("temperature", 1.0)) or 1.0
        if t != 1.0:
            D = np.power(np.clip(D, 0, None), 1.0 / t)
        s = D.sum(axis=1, keepdims=True)
        return np.divide(D, s, out=np.zeros_like(D), where=s > 0)

    def _score_chunk(self, texts: list, names: list | None = None) -> tuple[list[_Plan], np.ndarray, np.ndarray]:
        """Plans, P(小类) (n × 1,382, rows summing to ≤ 1) and the recognised flag of a chunk."""
        plans = [self._plan(t, None if names is None else names[i]) for i, t in enumerate(texts)]
        return (plans, *self._score_plans(plans))

    def _score_plans(self, plans: list[_Plan]) -> tuple[np.ndarray, np.ndarray]:
        """P(小类) and the recognised flag of plans (each row depends on its own plan only)."""
        D, C, best = self._reference_scores(plans)
        if self.supervised is not None:
            cleaned = [p.cleaned for p in plans]
            D_base = self._reference_scores(plans, base=True)[0] if self.base_scorer is not None else D
            D = self.supervised.predict_divisions(cleaned, D_base, D)
        D = self._calibrate(D)
        P = self.class_probabilities(D, C)
        class_layer = getattr(self, "class_layer", None)  # None for models saved before the layer
        if class_layer is not None:
            P, known = class_layer.combine(P, [p.cleaned for p in plans], [p.name for p in plans])
            best = np.maximum(best, known)
        damp = np.array(
            [self.params["generic_only_factor"] if p.only_generic else 1.0 for p in plans], dtype=np.float32
        )
        P *= damp[:, None]
        return P, best

    def division_scores(self, texts, names=None) -> np.ndarray:
        """Calibrated 大类 distribution per text (n × len(self.division_codes)): sums of P(小类)."""
        P = self._score_chunk(list(texts), None if names is None else list(names))[1]
        return np.add.reduceat(P, self.scorer.div_start, axis=1)

    def class_scores(self, texts, names=None) -> np.ndarray:
        """P(小类) per text (n × len(self.class_codes))."""
        return self._score_chunk(list(texts), None if names is None else list(names))[1]

    @property
    def division_codes(self) -> list[str]:
        return list(self.scorer.div_codes)

    @property
    def class_codes(self) -> list[str]:
        return list(self.scorer.class_codes)

    def _class_mass(self, C: sp.csr_matrix) -> np.ndarray:
        """Dense 小类 mass (with the labelled-data prior)."""
        sc = self.scorer
        mass = C.toarray()
        if self.class_prior is not None:
            mass = mass * self.class_prior[None, :].astype(mass.dtype)
        # tiny deterministic fallback so every 大类 has a best 小类 (its first one)
        mass += sc.fallback[None, :]
        return mass

    def predict(self, texts, top_k: int = 3, evidence: bool = True, names=None) -> list[Prediction]:
        """One `Prediction` per text (see `Prediction`); never raises on bad text.

        names: the enterprise names (企业名称) of the same rows, or None."""
        texts = list(texts)
        names = list(names) if names is not None else None
        if names is not None and len(names) != len(texts):
            raise ValueError("texts and names must have the same length")
        out: list[Prediction] = []
        for start in range(0, len(texts), 5000):
            out.extend(
                self._predict_chunk(
                    texts[start : start + 5000],
                    top_k,
                    evidence,
                    names=None if names is None else names[start : start + 5000],
                )
            )
        return out

    _NO_MATCH = "经营范围未能识别：没有经营动词，也没有与行业分类注释相符的词语（可能为乱码）"
    _ONLY_GENERIC = "仅含通用经营项目（如货物进出口、技术服务），行业判断依据不足"

    def class_probabilities(self, D: np.ndarray, C: sp.csr_matrix) -> np.ndarray:
        """P(小类) (n × 1,382, float32): P(大类) × P(小类 | 大类), the second from the items' 小类 mass.

        Every 中类/大类/门类 score is the sum of its 小类, so levels never contradict."""
        sc = self.scorer
        mass = self._class_mass(C)
        mass = mass.astype(np.float32, copy=False)
        sharp = float(self.params.get("class_sharpness", 1.0))
        if sharp == 3.0:
            mass = mass * mass * mass
        elif sharp != 1.0:
            mass = np.power(mass, np.float32(sharp))
        div_sum = np.add.reduceat(mass, sc.div_start, axis=1)
        ratio = D.astype(np.float32) / np.where(div_sum > 0, div_sum, np.float32(1.0))
        mass *= ratio[:, sc.class_div]
        return mass

    def _core(self, texts: list, top_k: int, names: list | None = None, with_p: bool = True):
        """Vectorised top-k for a chunk: plans, P(小类) of the distinct rows (m×C), each row's index
        into P (n), top 小类 (n×k), their scores, status codes.

        status: 0 ok, 1 plan reason (empty …), 2 unrecognised, 3 only generic items.
        Registries repeat scopes: each distinct (scope, name words) is scored once, then spread to
        its rows (P itself is not copied per row: 1,382 floats a row). with_p=False (tables) returns
        P as None and reuses the top-k a cached plan kept from an earlier chunk.
        """

        def key(t, n):
            k = t if isinstance(t, str) else (type(t).__name__, repr(t))
            item = self.name_words(n)
            return k if item is None else (k, item)

        pairs = list(zip(texts, names if names is not None else [None] * len(texts)))
        first: dict = {}
        inverse = np.fromiter(
            (first.setdefault(key(t, n), len(first)) for t, n in pairs), dtype=np.int64, count=len(pairs)
        )
        if len(first) == len(pairs):
            plans, P, top_cls, top_scores, status = self._core_distinct(texts, top_k, names, with_p)
            return plans, P, np.arange(len(plans)), top_cls, top_scores, status
        distinct: list = [None] * len(first)
        for row, slot in enumerate(inverse.tolist()):
            if distinct[slot] is None:
                distinct[slot] = pairs[row]
        plans, P, top_cls, top_scores, status = self._core_distinct(
            [t for t, _ in distinct], top_k, None if names is None else [n for _, n in distinct], with_p
        )
        return (
            [plans[i] for i in inverse.tolist()],
            P,
            inverse,
            top_cls[inverse],
            top_scores[inverse],
            status[inverse],
        )

    def _core_distinct(self, texts: list, top_k: int, names: list | None = None, with_p: bool = True):
        k = max(1, min(int(top_k), self.scorer.n_classes))
        if with_p:
            plans, P, recognised = self._score_chunk(texts, names)
            return (plans, P, *self._top_k(plans, P, recognised, k))
        plans = [self._plan(t, None if names is None else names[i]) for i, t in enumerate(texts)]
        todo = [plan for plan in plans if k not in plan.top]
        if todo:
            top_cls, top_scores, status = self._top_k(todo, *self._score_plans(todo), k)
            for r, plan in enumerate(todo):
                plan.top[k] = (top_cls[r], top_scores[r], status[r])
        if not plans:
            return plans, None, np.zeros((0, k), dtype=np.int64), np.zeros((0, k)), np.zeros(0, dtype=np.int8)
        return (
            plans,
            None,
            np.array([p.top[k][0] for p in plans]),
            np.array([p.top[k][1] for p in plans]),
            np.array([p.top[k][2] for p in plans], dtype=np.int8),
        )

    def _top_k(self, plans: list[_Plan], P: np.ndarray, recognised: np.ndarray, k: int):
        """Top-k 小类 of each row of P (n×k, descending), their scores (float64) and status codes."""
        n = len(plans)
        if n == 0:
            return np.zeros((0, k), dtype=np.int64), np.zeros((0, k)), np.zeros(0, dtype=np.int8)
        part = np.argpartition(-P, kth=k - 1, axis=1)[:, :k]
        sub = np.take_along_axis(P, part, axis=1)
        top_cls = np.take_along_axis(part, np.argsort(-sub, axis=1, kind="stable"), axis=1)
        top_scores = np.take_along_axis(P, top_cls, axis=1).astype(np.float64)
        status = np.zeros(n, dtype=np.int8)
        for r, plan in enumerate(plans):
            if plan.reason:
                status[r] = 1
            elif recognised[r] < 0.5:
                status[r] = 2
            elif plan.only_generic:
                status[r] = 3
        return top_cls, top_scores, status

    def _predict_chunk(
        self, texts: list, top_k: int, evidence: bool, keep_scores: bool = True, names: list | None = None
    ) -> list[Prediction]:
        """Top-k = the k most likely 小类 (several may share a 大类), scores their probabilities."""
        sc = self.scorer
        plans, P, row_of, top_cls, top_scores, status = self._core(texts, top_k, names)
        results = []
        if keep_scores and len(plans):
            D = np.add.reduceat(P, sc.div_start, axis=1)
            div_distinct, class_distinct = _top_entries(D, 10), _top_entries(P, 30)
            div_scores = [div_distinct[i] for i in row_of.tolist()]
            class_scores = [class_distinct[i] for i in row_of.tolist()]
        for r, plan in enumerate(plans):
            pred = Prediction()
            st = status[r]
            if st == 1 or st == 2:
                pred.reason = plan.reason if st == 1 else self._NO_MATCH
                results.append(pred)
                continue
            keep = [j for j in range(top_cls.shape[1]) if j == 0 or top_scores[r, j] > 0]
            order = [int(top_cls[r, j]) for j in keep]
            pred.codes = [sc.class_codes[i] for i in order]
            pred.names = [sc.class_names[i] for i in order]
            pred.scores = [round(float(top_scores[r, j]), 4) for j in keep]
            if keep_scores:
                pred.division_scores = {sc.div_codes[i]: v for i, v in div_scores[r]}
                pred.class_scores = {sc.class_codes[i]: v for i, v in class_scores[r]}
            if st == 3:
                pred.reason = self._ONLY_GENERIC
            if evidence:
                pred.evidence = self._evidence(plan, order[0])
            results.append(pred)
        return results

    def _evidence(self, plan: _Plan, class_index: int) -> str:
        text = plan.evidence.get(class_index)
        if text is None:
            text = plan.evidence[class_index] = self._make_evidence(plan, class_index)
        return text

    def _make_evidence(self, plan: _Plan, class_index: int) -> str:
        sc = self.scorer
        div_m, _, _ = self._items.matrices()
        d = int(sc.class_div[class_index])
        rows = plan.resolved[id(self._items)][0]
        values = plan.weights * div_m[rows, d]
        total = float(values.sum()) or 1.0
        order = np.argsort(-values)[:3]
        contrib = [(float(values[i]), *plan.texts[i], plan.keys[i][0]) for i in order]
        parts: list[str] = []
        for value, _pos, text, kinds, query in contrib[:3]:
            if value < 0.15 * total and parts:
                break
            cache_key = (query, class_index)
            term = self._evidence_cache.get(cache_key)
            if term is None:
                term = sc.best_term(query, class_index)
                if len(self._evidence_cache) < 200_000:
                    self._evidence_cache[cache_key] = term
            act = "、".join(ACTIVITY_NAMES[k] for k in kinds[:2] if k in ACTIVITY_NAMES) if kinds else ""
            piece = text if text.startswith("企业名称") else f"“{text}”"
            extra = []
            if act:
                extra.append(act)
            if term:
                extra.append(f"注释词“{term}”")
            if extra:
                piece += "（" + "，".join(extra) + "）"
            parts.append(piece)
        name = sc.class_names[class_index]
        head = "依据" if parts[0].startswith("企业名称") else "依据经营项目"
        return f"{head}{'；'.join(parts)} → {sc.class_codes[class_index]} {name}"

    # -- tables -------------------------------------------------------------------
    def classify_frame(
        self,
        df,
        text_column: str,
        name_column: str | None = None,
        top_k: int = 3,
        chunk_size: int = 10000,
        progress=None,
        evidence: bool = True,
    ):
        """Input columns plus pred_code_1..k, pred_name_1..k, pred_score_1..k, evidence, reason,
        pred_division, pred_section, is_industrial (for the top prediction).

        Works in chunks so memory stays flat; `progress(done, total)` is called after each chunk.
        `name_column` (企业名称) is a signal of its own: its industry words ("…印刷厂") weigh beside
        the scope's items, and alone when the scope is empty.
        """
        import pandas as pd

        if text_column not in df.columns:
            raise KeyError(text_column)
        if name_column is not None and name_column not in df.columns:
            raise KeyError(name_column)
        k = max(1, int(top_k))
        total = len(df)
        pieces = []
        sc = self.scorer
        s = standard()
        codes_arr = np.array(sc.class_codes + [""], dtype=object)
        names_arr = np.array(sc.class_names + [""], dtype=object)
        div_arr = np.array([s.nodes[c].division for c in sc.class_codes] + [""], dtype=object)
        sec_arr = np.array([s.nodes[c].section for c in sc.class_codes] + [""], dtype=object)
        ind_arr = np.array([s.nodes[c].section in ("B", "C", "D") for c in sc.class_codes] + [False])
        none = sc.n_classes  # index of the "" entries
        for start in range(0, total, chunk_size):
            part = df.iloc[start : start + chunk_size]
            texts = part[text_column].tolist()
            names = part[name_column].tolist() if name_column is not None else None
            plans, _, _, top_cls, top_scores, status = self._core(texts, k, names, with_p=False)
            empty_rows = (status == 1) | (status == 2)
            cls = top_cls.copy()
            scores = top_scores.astype(np.float64).round(4)
            if cls.shape[1] > 1:
                drop = scores[:, 1:] <= 0
                cls[:, 1:][drop] = none
                scores[:, 1:][drop] = np.nan
            cls[empty_rows] = none
            scores[empty_rows] = np.nan
            cols: dict[str, object] = {}
            for i in range(k):
                col = cls[:, i] if i < cls.shape[1] else np.full(len(plans), none)
                cols[f"pred_code_{i + 1}"] = codes_arr[col]
                cols[f"pred_name_{i + 1}"] = names_arr[col]
                cols[f"pred_score_{i + 1}"] = scores[:, i] if i < scores.shape[1] else np.full(len(plans), np.nan)
            if evidence:
                cols["evidence"] = [
                    "" if empty_rows[r] else self._evidence(plans[r], int(cls[r, 0])) for r in range(len(plans))
                ]
            else:
                cols["evidence"] = [""] * len(plans)
            cols["reason"] = [
                plans[r].reason if st == 1 else self._NO_MATCH if st == 2 else self._ONLY_GENERIC if st == 3 else ""
                for r, st in enumerate(status.tolist())
            ]
            first = cls[:, 0]
            cols["pred_division"] = div_arr[first]
            cols["pred_section"] = sec_arr[first]
            industrial = pd.array(ind_arr[first], dtype="boolean")
            industrial[empty_rows] = pd.NA
            cols["is_industrial"] = industrial
            added = pd.DataFrame(cols, index=part.index)
            clash = [c for c in added.columns if c in part.columns]
            pieces.append(pd.concat([part.drop(columns=clash), added], axis=1))
            if progress:
                progress(min(start + chunk_size, total), total)
        if not pieces:
            empty = df.copy()
            for i in range(k):
                empty[f"pred_code_{i + 1}"] = pd.Series(dtype=str)
                empty[f"pred_name_{i + 1}"] = pd.Series(dtype=str)
                empty[f"pred_score_{i + 1}"] = pd.Series(dtype=float)
            for c in ("evidence", "reason", "pred_division", "pred_section"):
                empty[c] = pd.Series(dtype=str)
            empty["is_industrial"] = pd.Series(dtype="boolean")
            return empty
        return pd.concat(pieces)

    # -- persistence -----------------------------------------------------------------
    def save(self, directory) -> Path:
        """Write the model (joblib) and its metadata (JSON) into `directory`."""
        import joblib

        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path / MODEL_FILE)  # uncompressed: loading is a plain read (≈2× faster)
        meta = {
            "version": self.version,
            "reference_hash": self.reference_hash,
            "training_hash": self.training_hash,
            "metrics": self.metrics,
            "info": self.info,
            "params": self.params,
        }
        (path / META_FILE).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8"
        )
        return path

    @classmethod
    def load(cls, directory) -> ScopeClassifier:
        import joblib

        path = Path(directory)
        target = path / MODEL_FILE if path.is_dir() else path
        if not target.exists():
            raise FileNotFoundError(f"模型文件不存在：{target}")
        model = joblib.load(target)
        if not isinstance(model, ScopeClassifier):
            raise TypeError(f"{target} 不是经营范围分类模型")
        return model

    def describe(self) -> dict:
        return {
            "version": self.version,
            "training_hash": self.training_hash,
            "reference_hash": self.reference_hash,
            "mode": self.info.get("mode"),
            "metrics": self.metrics,
        }


def _top_entries(M: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """Per row, the (column, value rounded to 4) of its k largest positive values, descending.

    One partial sort for the whole chunk instead of a full argsort per row.
    """
    k = min(k, M.shape[1])
    idx = np.argpartition(-M, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(M, idx, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    idx, vals = np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)
    rounded = np.round(vals, 4).tolist()
    return [
        [(i, v) for i, v, raw in zip(ri, rv, rr) if raw > 0] for ri, rv, rr in zip(idx.tolist(), rounded, vals.tolist())
    ]


def _json_default(obj):
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def text_hash(texts, labels) -> str:
    """Stable hash of training data (texts and labels, in order)."""
    digest = hashlib.sha256()
    for text, label in zip(texts, labels):
        digest.update(str(text).encode("utf-8"))
        digest.update(b"\x1f")
        digest.update(str(label).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


__all__ = ["Prediction", "ScopeClassifier", "ReferenceScorer", "MODEL_VERSION", "DEFAULT_PARAMS", "text_hash"]
