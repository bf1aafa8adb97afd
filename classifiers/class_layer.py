"""The office model: a supervised 小类 model learned from an office's own coded firms, kept open-world.

The reference model knows every 小类 from the standard's annotations but not how this office
codes ("广告制作", "技术服务"). A linear model over the office's labels learns that, but it
only knows the classes it was shown, and the classes an office hunts (its gaps) are by
definition the ones it has no labels for. So the model is a mixture that keeps every 小类
reachable:

    P(小类 | x) = (1 − u(x)) · S(小类 | x)   for the 小类 the labels name (seen),
                  u(x) · R(小类 | x)          for every other 小类 (unseen)

* S = softmax(a · log P_reference + b · margin) over the seen 小类 (`ClassLayer` margins);
* R = P_reference^τ restricted to the unseen 小类 and renormalised: the standard's reading
  decides among the classes the office has never coded;
* u(x), the probability that the firm belongs to a class the labels do not name, is a
  logistic gate over how well the labels know the text (the best margin and its lead, the
  nearest labelled text's similarity, an exact repeat) and how strongly the reference
  points outside the labelled classes.

a, b, τ and the gate are fitted on held-out rows of the labels only: row folds (seen rows, and
the naturally unseen rows of classes whose every label fell in the held-out fold) and
**leave-classes-out** folds (whole classes held out of training, as new kinds of firms are in a
real registry). The gate's prior is the Good–Turing estimate of how often the next firm belongs
to an unlabelled class (the share of labels whose class occurs once); its intercept is then
shifted to the value that calibrates the mixture's top scores on the held-out rows, seen and
unseen ones in that proportion. Nothing is set by hand.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.calibration import expected_calibration_error

_EPS = 1e-6
MIN_PRIOR = 0.002  # floor of the unseen-class prior (Good–Turing gives 0 when no class occurs once)
SHIFTS = np.linspace(0.0, 5.0, 21)  # candidate gate shifts (log-odds)
SIM_BLOCK = 1000  # query rows per block of the nearest-labelled-text product
FIT_ROWS = 2000  # held-out rows per fold that a, b and τ are fitted on: a few numbers need few rows


class ClassLayer:
    """Char 1–3-gram TF-IDF (scope; the name's industry words, `ScopeClassifier.name_words`, at
    `name_weight`; √P_reference) → LinearSVC over the labelled 小类."""

    def __init__(
        self,
        n_classes: int,
        C: float = 0.5,
        name_weight: float = 0.5,
        reference_weight: float = 0.5,
        reference_top: int = 10,
        tol: float = 1e-3,
    ):
        self.n_classes = n_classes
        self.C = C
        self.name_weight = name_weight
        self.reference_weight = reference_weight
        self.reference_top = reference_top
        self.tol = tol  # liblinear's stopping tolerance: 1e-4 moves margins by < 1e-3 and costs a third more

    def _reference_features(self, P_ref: np.ndarray) -> sp.csr_matrix:
        """√P_reference of each row's top 小类: lets the model learn how the office's codes relate to
        the standard's reading of the text (the reference saw no labels, so this does not leak)."""
        k = min(self.reference_top, P_ref.shape[1] - 1)
        idx = np.argpartition(-P_ref, k, axis=1)[:, :k]
        vals = np.sqrt(np.clip(np.take_along_axis(P_ref, idx, axis=1), 0, None)) * self.reference_weight
        return sp.csr_matrix(
            (vals.ravel().astype(np.float32), idx.ravel(), np.arange(0, len(P_ref) * k + 1, k)), shape=P_ref.shape
        )

    def text_features(self, cleaned: list[str]) -> sp.csr_matrix:
        return self.text_vectorizer.transform(cleaned)

    def fit_features(self, cleaned: list[str], names: list[str], P_ref: np.ndarray, counts: np.ndarray):
        """Fit the text and name vocabularies on distinct rows, each standing for `counts` labelled
        rows (as if fitted on all of them), and return the distinct rows' `features`."""
        self.text_vectorizer, X_text = fit_char_tfidf(cleaned, counts)
        vectorizer: Any
        try:
            vectorizer = fit_char_tfidf([n or "" for n in names], counts)[0]
        except ValueError:  # no name has a word seen twice
            vectorizer = None
        self.name_vectorizer = vectorizer
        return self.features(cleaned, names, P_ref, X_text=X_text)

    def features(
        self, cleaned: list[str], names: list[str], P_ref: np.ndarray, X_text: sp.csr_matrix | None = None
    ) -> sp.csr_matrix:
        """[text TF-IDF | name TF-IDF · name_weight | √P_reference of the top 小类] (the text part first)."""
        words = [n or "" for n in names]
        if X_text is None:
            X_text = self.text_vectorizer.transform(cleaned)
        X_name = (
            self.name_vectorizer.transform(words)
            if self.name_vectorizer is not None
            else sp.csr_matrix((len(words), 0), dtype=np.float32)
        )
        return sp.hstack(
            [X_text, X_name * self.name_weight, self._reference_features(P_ref)], format="csr", dtype=np.float32
        )

    def fit(self, cleaned: list[str], names: list[str], P_ref: np.ndarray, y: np.ndarray) -> ClassLayer:
        """y: 小类 indices (into the reference's class list) of the labelled rows; P_ref: their
        reference P(小类) rows."""
        units = _Units.of(cleaned, names)
        unit_texts, unit_names = units.texts(cleaned), units.names(names)
        X = self.fit_features(unit_texts, unit_names, P_ref[units.first], units.counts)
        return self.fit_points(X, *units.points(np.arange(len(y)), y))

    def fit_points(self, X: sp.csr_matrix, rows: np.ndarray, y: np.ndarray, weight: np.ndarray) -> ClassLayer:
        """LinearSVC on feature rows `X[rows]` labelled `y`, each weighted by how many labelled rows it
        stands for: registries repeat (text, name words, code), and fitting each once is the same
        solution with far fewer points for the solver (identical rows coded two ways slow it most)."""
        from sklearn.svm import LinearSVC

        self.classes_ = np.unique(y)
        if len(self.classes_) == 1:
            self.coef_ = np.zeros((1, X.shape[1]), dtype=np.float32)
            self.intercept_ = np.ones(1, dtype=np.float32)
            return self
        svc = LinearSVC(
            C=self.C, tol=self.tol, random_state=0
        )  # liblinear picks coordinates at random: seeded, so reruns agree
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            svc.fit(X[rows], y, sample_weight=weight.astype(np.float64))
        coef = svc.coef_.astype(np.float32)
        intercept = svc.intercept_.astype(np.float32)
        if len(self.classes_) == 2:  # binary: one decision for the second class
            coef = np.vstack([-coef, coef])
            intercept = np.r_[-intercept, intercept]
        self.coef_, self.intercept_ = coef, intercept
        return self

    def decisions(self, X: sp.csr_matrix) -> np.ndarray:
        """Decision values of feature rows over the labelled 小类."""
        return np.asarray(X @ self.coef_.T) + self.intercept_[None, :]

    def margins(
        self, cleaned: list[str], names: list[str], P_ref: np.ndarray, X_text: sp.csr_matrix | None = None
    ) -> np.ndarray:
        """Decision values over the labelled 小类 (n × len(classes_))."""
        return self.decisions(self.features(cleaned, names, P_ref, X_text=X_text))


def _char_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32)


def fit_char_tfidf(texts: list[str], counts: np.ndarray):
    """`_char_vectorizer().fit_transform` of a corpus where `texts[i]` occurs `counts[i]` times, from the
    distinct texts alone: the same vocabulary (n-grams in two rows or more) and idf, and the rows of
    the distinct texts. (vectorizer, X); ValueError when no n-gram is left, as sklearn's fit."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.preprocessing import normalize

    vectorizer = _char_vectorizer()
    C = CountVectorizer(analyzer="char", ngram_range=(1, 3), dtype=np.float32).fit(texts)
    X = C.transform(texts).tocsc()
    present = X.copy()
    present.data[:] = 1.0
    df = np.asarray(present.T @ counts.astype(np.float64)).ravel()
    keep = np.flatnonzero(df >= 2)  # the vocabulary is sorted, so the kept terms stay in order
    if not len(keep):
        raise ValueError("After pruning, no terms remain.")
    terms = C.get_feature_names_out()[keep]
    vectorizer.vocabulary_ = {str(t): i for i, t in enumerate(terms)}
    vectorizer.fixed_vocabulary_ = False
    n = float(counts.sum())
    idf = (np.log((n + 1.0) / (df[keep] + 1.0)) + 1.0).astype(np.float32)
    transformer = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True)
    transformer.idf_ = idf
    transformer.n_features_in_ = len(keep)
    vectorizer._tfidf = transformer
    X = X[:, keep].tocsr()
    np.log(X.data, out=X.data)
    X.data += 1.0
    X = normalize(X @ sp.diags(idf), copy=False)
    return vectorizer, X.astype(np.float32)


def nearest_similarity(X_query: sp.csr_matrix, X_known: sp.csr_matrix) -> np.ndarray:
    """Cosine similarity of each query to its nearest known text (TF-IDF rows are unit length)."""
    out = np.zeros(X_query.shape[0], dtype=np.float32)
    if X_known.shape[0] == 0:
        return out
    known_t = X_known.T.tocsc()
    for start in range(0, X_query.shape[0], SIM_BLOCK):
        block = X_query[start : start + SIM_BLOCK] @ known_t
        out[start : start + SIM_BLOCK] = block.max(axis=1).toarray().ravel()
    return out


def gate_features(P_ref: np.ndarray, M: np.ndarray, seen: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """What the gate reads: how well the labels know a text, and how far the reference points outside
    them. M: margins over the seen 小类; seen: boolean over every 小类; similarity: nearest labelled text."""
    top = M.max(axis=1)
    lead = top - np.partition(M, -2, axis=1)[:, -2] if M.shape[1] > 1 else top
    P_unseen = P_ref[:, ~seen]
    unseen_mass = P_unseen.sum(axis=1)
    best_unseen = P_unseen.max(axis=1) if P_unseen.shape[1] else np.zeros(len(P_ref))
    best_seen = P_ref[:, seen].max(axis=1)
    ratio = np.log(best_unseen + _EPS) - np.log(best_seen + _EPS)
    repeat = (similarity > 0.999).astype(np.float64)
    return np.c_[
        top,
        lead,
        np.log(unseen_mass + _EPS),
        ratio,
        similarity,
        repeat,
        ratio * (1.0 - repeat),
        np.log(best_unseen + _EPS) * (1.0 - similarity),
    ]


@dataclass
class _HeldOut:
    """Held-out rows of one fold, as the final model will meet them."""

    P_ref: np.ndarray
    M: np.ndarray  # margins over the fold's seen 小类
    seen: np.ndarray  # boolean over every 小类
    y: np.ndarray
    similarity: np.ndarray
    weight: np.ndarray  # in the gate's fit

    @property
    def unseen_rows(self) -> np.ndarray:
        return ~self.seen[self.y]


@dataclass
class _Units:
    """Labelled rows collapsed to their distinct (text, name words): what the features depend on."""

    first: np.ndarray  # the first row of each unit
    of_row: np.ndarray  # each row's unit

    @classmethod
    def of(cls, cleaned: list[str], names: list[str]) -> _Units:
        index: dict[tuple[str, str], int] = {}
        of_row = np.fromiter(
            (index.setdefault((c, n or ""), len(index)) for c, n in zip(cleaned, names)),
            dtype=np.int64,
            count=len(cleaned),
        )
        first = np.full(len(index), -1, dtype=np.int64)
        first[of_row[::-1]] = np.arange(len(of_row))[::-1]
        return cls(first, of_row)

    @property
    def counts(self) -> np.ndarray:
        """Labelled rows per unit."""
        return np.bincount(self.of_row, minlength=len(self.first))

    def texts(self, cleaned: list[str]) -> list[str]:
        return [cleaned[i] for i in self.first.tolist()]

    def names(self, names: list[str]) -> list[str]:
        return [names[i] for i in self.first.tolist()]

    def points(self, rows: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(unit, 小类, count) of the distinct (unit, 小类) pairs among `rows`, in first-seen order."""
        key = self.of_row[rows] * (int(y.max()) + 1) + y[rows]
        _, first, count = np.unique(key, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        picked = rows[first[order]]
        return self.of_row[picked], y[picked], count[order]


class OpenWorldLayer:
    """`ClassLayer` + reference, mixed so that every 小类 stays predictable (see the module docstring).

    scikit-learn style: `fit(cleaned, names, P_ref, y)` learns everything from the labels;
    `combine(P_ref, cleaned, names)` gives P(小类) over all classes."""

    def __init__(self, n_classes: int, folds: int = 3, class_folds: int = 3, seed: int = 0, **layer_options):
        self.n_classes = n_classes
        self.folds = folds
        self.class_folds = class_folds
        self.seed = seed
        self.layer_options = layer_options

    # -- fitting -------------------------------------------------------------------
    def _layer(self) -> ClassLayer:
        return ClassLayer(self.n_classes, **self.layer_options)

    def _fit_layers(self, X: sp.csr_matrix, units: _Units, y: np.ndarray, parts: list) -> list:
        """(layer, its features) fitted on the training rows of each part. One after another:
        liblinear's random coordinate order comes from one process-wide generator, so fits in
        threads would interleave it and reruns would not agree."""
        fitted = []
        for rows, _ in parts:
            X_fold = X if len(rows) == len(y) else self._fold_features(X, units, rows)
            fitted.append((self._layer().fit_points(X_fold, *units.points(rows, y)), X_fold))
        return fitted

    def _fold_features(self, X: sp.csr_matrix, units: _Units, rows: np.ndarray) -> sp.csr_matrix:
        """The all-rows features as a fold's own vocabularies would give them: n-grams in fewer than
        two of the fold's training rows dropped and the text and name parts brought back to their
        lengths, so that held-out rows are not shortened by n-grams the fold cannot weight."""
        n_text = len(self.layer.text_vectorizer.vocabulary_)
        n_name = X.shape[1] - n_text - self.n_classes
        counts = np.bincount(units.of_row[rows], minlength=X.shape[0]).astype(np.float64)
        present = X[:, : n_text + n_name].copy()
        present.data[:] = 1.0
        keep = np.asarray(present.T @ counts).ravel() >= 2
        parts = []
        for start, stop, length in ((0, n_text, 1.0), (n_text, n_text + n_name, self.layer.name_weight)):
            part = X[:, start:stop] @ sp.diags(keep[start:stop].astype(np.float32))
            norm = np.sqrt(np.asarray(part.multiply(part).sum(axis=1)).ravel())
            scale = np.divide(length, norm, out=np.zeros_like(norm), where=norm > 0)
            parts.append(sp.diags(scale.astype(np.float32)) @ part)
        parts.append(X[:, n_text + n_name :])
        return sp.hstack(parts, format="csr", dtype=np.float32)

    def _held_out(self, fitted, tr, te, units: _Units, X_text, P_ref, y, weight: np.ndarray) -> _HeldOut:
        """A fold's held-out rows as its layer meets them. Features are the all-rows ones, sliced: the
        fold's vocabulary then also holds n-grams only the held-out rows have, which no training row
        of the fold weights, so the held-out margins are as with the fold's own vocabulary."""
        layer, X_fold = fitted
        seen = np.zeros(self.n_classes, dtype=bool)
        seen[layer.classes_] = True
        te_units, back = np.unique(units.of_row[te], return_inverse=True)
        M = layer.decisions(X_fold[te_units])[back]
        similarity = nearest_similarity(X_text[te_units], X_text[np.unique(units.of_row[tr])])[back]
        return _HeldOut(P_ref[te], M, seen, y[te], similarity, weight)

    def fit(self, cleaned: list[str], names: list[str], P_ref: np.ndarray, y: np.ndarray) -> OpenWorldLayer:
        """y: 小类 indices of the labelled rows; P_ref: their reference P(小类) (rows summing to 1).

        Work is bounded by the distinct (text, name words) of the labels: the vocabularies are
        fitted and every text featurised once, and each fold's layer is fitted on the distinct
        (text, name words, 小类) points of its rows, weighted by their counts."""
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(self.seed)
        units = _Units.of(cleaned, names)
        unit_texts, unit_names = units.texts(cleaned), units.names(names)
        self.layer = self._layer()
        X = self.layer.fit_features(unit_texts, unit_names, P_ref[units.first], units.counts)
        X_text = X[:, : len(self.layer.text_vectorizer.vocabulary_)]  # the text part (unit rows)
        fold_of = rng.permutation(len(y)) % self.folds
        row_parts = [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(self.folds)]
        classes = np.unique(y)
        group = dict(zip(classes.tolist(), (rng.permutation(len(classes)) % self.class_folds).tolist()))
        group_of = np.array([group[v] for v in y.tolist()])
        class_parts = [(np.flatnonzero(group_of != g), np.flatnonzero(group_of == g)) for g in range(self.class_folds)]
        counts = np.bincount(y, minlength=self.n_classes)
        everything = np.arange(len(y))
        (final, _), *fold_layers = self._fit_layers(
            X, units, y, [(everything, everything[:0])] + row_parts + class_parts
        )
        held_out = [
            # a class held out whole weighs like one firm of a new kind, however many labels it has
            self._held_out(
                layer, tr, te, units, X_text, P_ref, y, np.ones(len(te)) if k < self.folds else 1.0 / counts[y[te]]
            )
            for k, (layer, (tr, te)) in enumerate(zip(fold_layers, row_parts + class_parts))
        ]
        rows, whole = held_out[: self.folds], held_out[self.folds :]
        held = [h for h in rows + whole if len(h.y) and len(np.unique(h.y[~h.unseen_rows])) != 1]
        self.ab = _fit_seen_mixture(rows)
        self.tau = _fit_unseen_temperature(held)
        # the gate: P(the firm's class is unlabelled), its prior the Good–Turing share
        G = np.vstack([gate_features(h.P_ref, h.M, h.seen, h.similarity) for h in held])
        target = np.concatenate([h.unseen_rows for h in held])
        weight = np.concatenate([h.weight for h in held])
        once = int(np.sum(counts == 1))
        self.prior = float(min(0.5, max(once / max(len(y), 1), MIN_PRIOR)))
        self.gate_center = G.mean(axis=0)
        self.gate_scale = G.std(axis=0) + 1e-6
        self.gate = None
        self.shift = 0.0
        if target.any() and (~target).any():
            w = np.where(
                target, weight * self.prior / weight[target].sum(), weight * (1 - self.prior) / weight[~target].sum()
            )
            self.gate = LogisticRegression(C=1.0).fit(
                (G - self.gate_center) / self.gate_scale, target, sample_weight=w * len(w)
            )
            self.shift = self._fit_shift(held, G)
        self.oof_ = np.zeros((len(y), self.n_classes), dtype=np.float32)  # row folds: cross-validated P
        for (_, te), h in zip(row_parts, rows):
            self.oof_[te] = self._mixture(h.P_ref, h.M, h.seen, h.similarity)
        final.text_vectorizer, final.name_vectorizer = self.layer.text_vectorizer, self.layer.name_vectorizer
        self.layer = final
        self.classes_ = final.classes_
        self.known_texts = X_text[_distinct(unit_texts, np.arange(len(unit_texts)))]
        self.fit_rows = {
            "seen": int(sum((~h.unseen_rows).sum() for h in held)),
            "unseen": int(target.sum()),
        }
        return self

    def _fit_shift(self, held: list[_HeldOut], X: np.ndarray) -> float:
        """The gate's log-odds shift that calibrates the held-out rows, seen and unseen in a registry's proportion.

        The gate alone is fitted to tell the two apart; the mixture's top scores are what the office
        reads, and on held-out rows they come out over-confident unless the gate opens further."""
        logit = self.gate.decision_function((X - self.gate_center) / self.gate_scale)  # type: ignore[union-attr]
        s_top, s_hit, r_top, r_hit, unseen, weight = [], [], [], [], [], []
        for h in held:
            S = _seen_distribution(h.P_ref, h.M, h.seen, self.ab)
            top, arg = _unseen_top(h.P_ref, h.seen, self.tau)
            seen_idx = np.flatnonzero(h.seen)
            s_arg = S.argmax(axis=1)
            s_top.append(S.max(axis=1))
            s_hit.append(seen_idx[s_arg] == h.y)
            r_top.append(top)
            r_hit.append(arg == h.y)
            unseen.append(h.unseen_rows)
            weight.append(h.weight)
        s_top_, s_hit_, r_top_, r_hit_ = map(np.concatenate, (s_top, s_hit, r_top, r_hit))
        unseen_, weight_ = np.concatenate(unseen), np.concatenate(weight)
        # held-out rows in the proportion a registry has them: unseen ones at the Good–Turing share
        realistic = np.where(
            unseen_, weight_ * self.prior / weight_[unseen_].sum(), weight_ * (1 - self.prior) / weight_[~unseen_].sum()
        )
        best, best_err = 0.0, np.inf
        for shift in SHIFTS:
            u = 1.0 / (1.0 + np.exp(-(logit + shift)))
            a, b = (1 - u) * s_top_, u * r_top_
            score = np.maximum(a, b)
            hit = np.where(a >= b, s_hit_, r_hit_)
            err = expected_calibration_error(score, hit, realistic)
            if err < best_err - 1e-4:
                best, best_err = float(shift), err
        return best

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("oof_", None)  # training figures only
        return state

    # -- prediction ------------------------------------------------------------------
    def unseen_share(self, P_ref: np.ndarray, M: np.ndarray, seen: np.ndarray, similarity: np.ndarray) -> np.ndarray:
        """u(x): the probability that each row's class is one the labels do not name."""
        if self.gate is None:
            return np.full(len(M), self.prior)
        X = gate_features(P_ref, M, seen, similarity)
        logit = self.gate.decision_function((X - self.gate_center) / self.gate_scale) + self.shift
        return 1.0 / (1.0 + np.exp(-logit))

    @property
    def seen_mask(self) -> np.ndarray:
        seen = np.zeros(self.n_classes, dtype=bool)
        seen[self.classes_] = True
        return seen

    def combine(self, P_ref: np.ndarray, cleaned: list[str], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(P(小类) over every class, recognised flag: the labels know this text)."""
        if not len(P_ref):
            return P_ref, np.zeros(0, dtype=np.float32)
        mass = P_ref.sum(axis=1, keepdims=True)  # < 1 for damped (generic-only) rows
        P_norm = P_ref / np.clip(mass, 1e-12, None)
        X_text = self.layer.text_features(cleaned)
        M = self.layer.margins(cleaned, names, P_norm, X_text=X_text)
        similarity = nearest_similarity(X_text, self.known_texts)
        P, u = self._mixture(P_norm, M, self.seen_mask, similarity, with_share=True)
        recognised = ((M.max(axis=1) > 0) & (u < 0.5)).astype(np.float32)
        return P * np.where(mass > 0, mass, 1.0), recognised

    def _mixture(self, P_ref, M, seen, similarity, with_share: bool = False):
        u = self.unseen_share(P_ref, M, seen, similarity).astype(np.float32)
        P = _unseen_distribution(P_ref, seen, self.tau)
        P *= u[:, None]
        P[:, seen] += (1.0 - u)[:, None] * _seen_distribution(P_ref, M, seen, self.ab)
        return (P, u) if with_share else P


def _distinct(cleaned: list[str], rows: np.ndarray) -> np.ndarray:
    first: dict[str, int] = {}
    for i in rows.tolist():
        first.setdefault(cleaned[i], i)
    return np.fromiter(first.values(), dtype=np.int64, count=len(first))


def _sample(rows: np.ndarray) -> np.ndarray:
    """At most `FIT_ROWS` of `rows`, a fixed seeded choice in their order."""
    if len(rows) <= FIT_ROWS:
        return rows
    return np.sort(np.random.default_rng(0).choice(rows, FIT_ROWS, replace=False))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _seen_distribution(P_ref: np.ndarray, M: np.ndarray, seen: np.ndarray, ab: tuple[float, float]) -> np.ndarray:
    """S: softmax(a · log P_reference + b · margin) over the seen 小类 (n × seen.sum())."""
    a, b = ab
    z = np.log(P_ref[:, seen].astype(np.float32) + np.float32(_EPS)) * np.float32(a)
    z += np.float32(b) * M.astype(np.float32, copy=False)
    return _softmax(z)


def _unseen_distribution(P_ref: np.ndarray, seen: np.ndarray, tau: float) -> np.ndarray:
    """R: P_reference^τ over the unseen 小类, renormalised (n × every 小类, zero on the seen ones)."""
    out = np.zeros(P_ref.shape, dtype=np.float32)
    if seen.all():
        return out
    z = np.log(P_ref[:, ~seen].astype(np.float32) + np.float32(_EPS))
    z *= np.float32(tau)
    out[:, ~seen] = _softmax(z)
    return out


def _unseen_top(P_ref: np.ndarray, seen: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """R's top score and 小类 per row, without R itself (n × every 小类)."""
    if seen.all():
        return np.zeros(len(P_ref), dtype=np.float32), np.zeros(len(P_ref), dtype=np.int64)
    unseen_idx = np.flatnonzero(~seen)
    z = np.log(P_ref[:, unseen_idx].astype(np.float32) + np.float32(_EPS))
    z *= np.float32(tau)
    arg = z.argmax(axis=1)
    z -= z[np.arange(len(z)), arg][:, None]
    return 1.0 / np.exp(z, out=z).sum(axis=1), unseen_idx[arg]


def _fit_seen_mixture(held: list[_HeldOut]) -> tuple[float, float]:
    """(a, b) of S by log-loss on held-out rows of seen classes."""
    from scipy.optimize import minimize

    parts = []
    for h in held:
        keep = _sample(np.flatnonzero(~h.unseen_rows))
        if not len(keep):
            continue
        A = np.log(h.P_ref[keep][:, h.seen].astype(np.float64) + _EPS)
        parts.append((A, h.M[keep].astype(np.float64), np.searchsorted(np.flatnonzero(h.seen), h.y[keep])))
    if not parts:
        return (1.0, 0.0)
    n = sum(len(p[2]) for p in parts)

    def objective(theta):
        a, b = theta
        loss, grad = 0.0, np.zeros(2)
        for A, M, pos in parts:
            z = a * A + b * M
            zmax = z.max(axis=1, keepdims=True)
            e = np.exp(z - zmax)
            s = e.sum(axis=1, keepdims=True)
            p = e / s
            r = np.arange(len(pos))
            loss -= (z[r, pos] - zmax[:, 0] - np.log(s[:, 0])).sum()
            grad += [((p * F).sum(axis=1) - F[r, pos]).sum() for F in (A, M)]
        return loss / n, grad / n

    result = minimize(objective, x0=np.array([0.5, 3.0]), jac=True, method="L-BFGS-B", bounds=[(0.0, 5.0), (0.0, 50.0)])
    return float(result.x[0]), float(result.x[1])


def _fit_unseen_temperature(held: list[_HeldOut]) -> float:
    """τ of R by log-loss on held-out rows whose class the fold's labels did not name."""
    from scipy.optimize import minimize_scalar

    parts = []
    for h in held:
        rows = _sample(np.flatnonzero(h.unseen_rows))
        if len(rows):
            unseen_idx = np.flatnonzero(~h.seen)
            L = np.log(h.P_ref[rows][:, unseen_idx].astype(np.float64) + _EPS)
            parts.append((L, np.searchsorted(unseen_idx, h.y[rows]), h.weight[rows]))
    if not parts:
        return 1.0
    total_weight = sum(p[2].sum() for p in parts)

    def loss(tau):
        total = 0.0
        for L, pos, w in parts:
            z = tau * L
            zmax = z.max(axis=1)
            lse = zmax + np.log(np.exp(z - zmax[:, None]).sum(axis=1))
            total -= float((w * (z[np.arange(len(pos)), pos] - lse)).sum())
        return total / total_weight

    return float(minimize_scalar(loss, bounds=(0.05, 5.0), method="bounded").x)


__all__ = ["ClassLayer", "OpenWorldLayer", "expected_calibration_error", "nearest_similarity"]
