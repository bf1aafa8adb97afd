"""The reference scorer: item objects → P(大类) and P(小类 | 大类) from the annotations alone.

A linear model over character n-grams and jieba words, trained on the annotation terms, gives
P(大类 | object); BM25 over each 小类's terms gives class similarities (their maximum per 大类 is a
second 大类 signal, their spread inside a 大类 P(小类 | 大类, object)). `compat_for` turns an item's
activity kinds into weights per 大类 (`_COMPAT_SPEC`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from classifiers.knowledge import _DIVISION_KIND, KnowledgeBase
from classifiers.query_lookup import QueryLookup

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


# Items with these activities are matched on their object (the product); the
# others (services, repair, transport …) on their whole text, since service
# classes are defined by the activity ("信息系统集成服务", "汽车维修").
EXACT_TERM_MIN_WEIGHT = 0.9  # class names (3.0, whole 1.8), registry words (1.5, whole 0.9), not 包括 items (0.8)
EXACT_TERM_BOOST = 1.25  # above every other 小类 of the 大类 (then ** class_power)

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
        if "_deferred" in state:  # a copy materialises its own estimators
            state["_deferred"] = dict(state["_deferred"])
        return state

    def __getattr__(self, name: str):
        """The scikit-learn estimators of a loaded model, built on first use (`classifiers.persistence`):
        scoring needs only `QueryLookup`, so a process that only classifies never imports scikit-learn."""
        deferred = self.__dict__.get("_deferred")
        if deferred and name in deferred:
            value = deferred.pop(name).materialize()
            setattr(self, name, value)
            return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _query_features(self, queries: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The item model's TF-IDF rows and the BM25 query rows (features present = 1.0) of queries.

        Equal to `div_vectorizer.transform` and `bm_vectorizer.transform` (then binarised), which
        both take character 1–3-grams of the same text: here the n-grams of a whole block are looked
        up at once (`QueryLookup`, `NgramIndex`)."""
        lookup = self._lookup()
        if lookup is None or not queries:
            q = self.bm_vectorizer.transform(queries)
            q.data[:] = 1.0
            return self.div_vectorizer.transform(queries), q
        return lookup.features(queries)

    def _lookup(self) -> QueryLookup | None:
        lookup = self.__dict__.get("_feature_lookup", False)
        return self._build_feature_lookup() if lookup is False else lookup

    def _build_feature_lookup(self) -> QueryLookup | None:
        """The tables of `_query_features` and `_division_proba`; None (use the estimators themselves)
        when they are configured otherwise than this module builds them."""
        dv, bv, model = self.div_vectorizer, self.bm_vectorizer, _transposable_coef(self.div_model)
        lookup = QueryLookup(dv, bv, model) if QueryLookup.applies(dv, bv, model) else None
        self._feature_lookup = lookup
        return lookup

    def _division_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """P(大类 | object) of the item model (`div_model.predict_proba`)."""
        lookup = self._lookup()
        if lookup is not None:
            return lookup.division_proba(X)
        return _transposable_coef(self.div_model).predict_proba(X)

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
        proba = self._division_proba(X)
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
