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

import numpy as np
import scipy.sparse as sp

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
    ):
        self.n_classes = n_classes
        self.C = C
        self.name_weight = name_weight
        self.reference_weight = reference_weight
        self.reference_top = reference_top

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

    def _features(
        self, cleaned: list[str], names: list[str], P_ref: np.ndarray, fit: bool, X_text: sp.csr_matrix | None = None
    ) -> sp.csr_matrix:
        words = [n or "" for n in names]
        if fit:
            self.text_vectorizer = _char_vectorizer()
            self.name_vectorizer: object | None = _char_vectorizer()
            X_text = self.text_vectorizer.fit_transform(cleaned)
            try:
                X_name = self.name_vectorizer.fit_transform(words)
            except ValueError:  # no name has a word seen twice
                self.name_vectorizer = None
                X_name = sp.csr_matrix((len(words), 0), dtype=np.float32)
        else:
            if X_text is None:
                X_text = self.text_vectorizer.transform(cleaned)
            X_name = (
                self.name_vectorizer.transform(words)  # type: ignore[attr-defined]
                if self.name_vectorizer is not None
                else sp.csr_matrix((len(words), 0), dtype=np.float32)
            )
        return sp.hstack(
            [X_text, X_name * self.name_weight, self._reference_features(P_ref)], format="csr", dtype=np.float32
        )

    def fit(self, cleaned: list[str], names: list[str], P_ref: np.ndarray, y: np.ndarray) -> ClassLayer:
        """y: 小类 indices (into the reference's class list) of the labelled rows; P_ref: their
        reference P(小类) rows."""
        from sklearn.svm import LinearSVC

        X = self._features(cleaned, names, P_ref, fit=True)
        self.classes_ = np.unique(y)
        if len(self.classes_) == 1:
            self.coef_ = np.zeros((1, X.shape[1]), dtype=np.float32)
            self.intercept_ = np.ones(1, dtype=np.float32)
            return self
        # Registries repeat (text, name words, code) rows: fit each once, weighted by its count. Same
        # solution, and far fewer points for the solver (identical rows coded two ways slow it most).
        keys: dict[tuple[str, str, int], int] = {}
        index = np.fromiter(
            (keys.setdefault((c, n, int(label)), len(keys)) for c, n, label in zip(cleaned, names, y)),
            dtype=np.int64,
            count=len(y),
        )
        first = np.full(len(keys), -1, dtype=np.int64)
        first[index[::-1]] = np.arange(len(y))[::-1]
        weight = np.bincount(index, minlength=len(keys)).astype(np.float64)
        svc = LinearSVC(C=self.C, random_state=0)  # liblinear picks coordinates at random: seeded, so reruns agree
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            svc.fit(X[first], y[first], sample_weight=weight)
        coef = svc.coef_.astype(np.float32)
        intercept = svc.intercept_.astype(np.float32)
        if len(self.classes_) == 2:  # binary: one decision for the second class
            coef = np.vstack([-coef, coef])
            intercept = np.r_[-intercept, intercept]
        self.coef_, self.intercept_ = coef, intercept
        return self

    def margins(
        self, cleaned: list[str], names: list[str], P_ref: np.ndarray, X_text: sp.csr_matrix | None = None
    ) -> np.ndarray:
        """Decision values over the labelled 小类 (n × len(classes_))."""
        X = self._features(cleaned, names, P_ref, fit=False, X_text=X_text)
        return np.asarray(X @ self.coef_.T) + self.intercept_[None, :]


def _char_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32)


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

    def _held_out(self, parts, cleaned, names, P_ref, y, X_text, weight_of) -> list[_HeldOut]:
        out = []
        for tr, te in parts:
            layer = self._layer().fit([cleaned[i] for i in tr], [names[i] for i in tr], P_ref[tr], y[tr])
            seen = np.zeros(self.n_classes, dtype=bool)
            seen[layer.classes_] = True
            M = layer.margins([cleaned[i] for i in te], [names[i] for i in te], P_ref[te])
            similarity = nearest_similarity(X_text[te], X_text[_distinct(cleaned, tr)])
            out.append(_HeldOut(P_ref[te], M, seen, y[te], similarity, weight_of(te)))
        return out

    def fit(self, cleaned: list[str], names: list[str], P_ref: np.ndarray, y: np.ndarray) -> OpenWorldLayer:
        """y: 小类 indices of the labelled rows; P_ref: their reference P(小类) (rows summing to 1)."""
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(self.seed)
        X_text = _char_vectorizer().fit_transform(cleaned)
        fold_of = rng.permutation(len(y)) % self.folds
        row_parts = [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(self.folds)]
        classes = np.unique(y)
        group = dict(zip(classes.tolist(), (rng.permutation(len(classes)) % self.class_folds).tolist()))
        group_of = np.array([group[v] for v in y.tolist()])
        class_parts = [(np.flatnonzero(group_of != g), np.flatnonzero(group_of == g)) for g in range(self.class_folds)]
        counts = np.bincount(y, minlength=self.n_classes)
        rows = self._held_out(row_parts, cleaned, names, P_ref, y, X_text, lambda te: np.ones(len(te)))
        # a class held out whole weighs like one firm of a new kind, however many labels it has
        whole = self._held_out(class_parts, cleaned, names, P_ref, y, X_text, lambda te: 1.0 / counts[y[te]])
        held = [h for h in rows + whole if len(h.y) and len(np.unique(h.y[~h.unseen_rows])) != 1]
        self.ab = _fit_seen_mixture(rows)
        self.tau = _fit_unseen_temperature(held)
        # the gate: P(the firm's class is unlabelled), its prior the Good–Turing share
        X = np.vstack([gate_features(h.P_ref, h.M, h.seen, h.similarity) for h in held])
        target = np.concatenate([h.unseen_rows for h in held])
        weight = np.concatenate([h.weight for h in held])
        once = int(np.sum(counts == 1))
        self.prior = float(min(0.5, max(once / max(len(y), 1), MIN_PRIOR)))
        self.gate_center = X.mean(axis=0)
        self.gate_scale = X.std(axis=0) + 1e-6
        self.gate = None
        self.shift = 0.0
        if target.any() and (~target).any():
            w = np.where(
                target, weight * self.prior / weight[target].sum(), weight * (1 - self.prior) / weight[~target].sum()
            )
            self.gate = LogisticRegression(C=1.0).fit(
                (X - self.gate_center) / self.gate_scale, target, sample_weight=w * len(w)
            )
            self.shift = self._fit_shift(held, X)
        self.oof_ = np.zeros((len(y), self.n_classes), dtype=np.float32)  # row folds: cross-validated P
        for (_, te), h in zip(row_parts, rows):
            self.oof_[te] = self._mixture(h.P_ref, h.M, h.seen, h.similarity)
        self.layer = self._layer().fit(cleaned, names, P_ref, y)
        self.classes_ = self.layer.classes_
        self.known_texts = self.layer.text_features([cleaned[i] for i in _distinct(cleaned, np.arange(len(y)))])
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
            R = _unseen_distribution(h.P_ref, h.seen, self.tau)
            seen_idx = np.flatnonzero(h.seen)
            s_arg = S.argmax(axis=1)
            s_top.append(S.max(axis=1))
            s_hit.append(seen_idx[s_arg] == h.y)
            r_top.append(R.max(axis=1))
            r_hit.append(R.argmax(axis=1) == h.y)
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


def expected_calibration_error(score: np.ndarray, hit: np.ndarray, weight: np.ndarray | None = None, bins: int = 10):
    """Weighted ECE over equal-width score bins."""
    if not len(score):
        return 0.0
    w = np.ones(len(score)) if weight is None else weight
    b = np.minimum((score * bins).astype(int), bins - 1)
    total = w.sum()
    err = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            wk = w[m]
            err += wk.sum() * abs(np.average(score[m], weights=wk) - np.average(hit[m], weights=wk))
    return float(err / total)


__all__ = ["ClassLayer", "OpenWorldLayer", "expected_calibration_error", "nearest_similarity"]
