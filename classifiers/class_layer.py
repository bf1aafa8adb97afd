"""A supervised 小类 model learned from an office's own coded firms, blended with the reference.

The reference model knows every 小类 from the standard's annotations but not how
this office codes: which 小类 its statisticians give to "广告制作" or "技术服务".
With many 小类 labels a linear model over character n-grams of the scope, of the
name's industry words and of the reference's own top 小类 (√P, so it learns how
the office's codes relate to the standard's reading of a text) learns that
directly. Its margins and the reference are combined as

    log P(小类) = b · margin(小类)                       for 小类 the labels name,
                  a · log P_reference(小类) + c − b     for the others (margin −1)

(then normalised). a, b, c are fitted by log-loss on out-of-fold margins of the
training rows: with few labels the reference keeps weight through the features
and the unseen 小类, with tens of thousands the labelled model decides; nothing is
set by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

_EPS = 1e-6
UNSEEN_MARGIN = -1.0  # a LinearSVC's margin for a class it votes against
BLEND_ROWS = 4000  # rows the blend weights are fitted on


def _name_words(words: str) -> str:
    return words or ""


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
        self.blend: tuple[float, ...] = (1.0, 0.0, 0.0)  # (a reference, b margin, c unseen offset)

    def _reference_features(self, P_ref: np.ndarray) -> sp.csr_matrix:
        """√P_reference of each row's top 小类: lets the model learn how the office's codes relate to
        the standard's reading of the text (the reference saw no labels, so this does not leak)."""
        k = min(self.reference_top, P_ref.shape[1] - 1)
        idx = np.argpartition(-P_ref, k, axis=1)[:, :k]
        vals = np.sqrt(np.clip(np.take_along_axis(P_ref, idx, axis=1), 0, None)) * self.reference_weight
        return sp.csr_matrix(
            (vals.ravel().astype(np.float32), idx.ravel(), np.arange(0, len(P_ref) * k + 1, k)), shape=P_ref.shape
        )

    def _features(self, cleaned: list[str], names: list[str], P_ref: np.ndarray, fit: bool) -> sp.csr_matrix:
        from sklearn.feature_extraction.text import TfidfVectorizer

        words = [_name_words(n) for n in names]
        if fit:
            self.text_vectorizer = TfidfVectorizer(
                analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32
            )
            self.name_vectorizer = TfidfVectorizer(
                analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32
            )
            X_text = self.text_vectorizer.fit_transform(cleaned)
            try:
                X_name = self.name_vectorizer.fit_transform(words)
            except ValueError:  # no name has a word seen twice
                self.name_vectorizer = None
                X_name = sp.csr_matrix((len(words), 0), dtype=np.float32)
        else:
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

    def margins(self, cleaned: list[str], names: list[str], P_ref: np.ndarray) -> np.ndarray:
        """Decision values over the labelled 小类 (n × len(classes_))."""
        X = self._features(cleaned, names, P_ref, fit=False)
        return np.asarray(X @ self.coef_.T) + self.intercept_[None, :]

    def full_margins(self, M: np.ndarray) -> np.ndarray:
        """Margins over every 小类: a 小类 the labels never name gets `UNSEEN_MARGIN` (no vote)."""
        full = np.full((len(M), self.n_classes), UNSEEN_MARGIN, dtype=np.float32)
        full[:, self.classes_] = M
        return full

    def combine(self, P_ref: np.ndarray, cleaned: list[str], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(P(小类), recognised flag): a positive margin means the labels know this text."""
        if not len(P_ref):
            return P_ref, np.zeros(0, dtype=np.float32)
        mass = P_ref.sum(axis=1, keepdims=True)  # < 1 for damped (generic-only) rows
        P_norm = P_ref / np.clip(mass, 1e-12, None)
        M = self.margins(cleaned, names, P_norm)
        P = blend_probabilities(P_norm, self.full_margins(M), self.blend, self.classes_)
        return P * np.where(mass > 0, mass, 1.0), (M.max(axis=1) > 0).astype(np.float32)

    def fit_blend(self, P_ref: np.ndarray, M_full: np.ndarray, y: np.ndarray, seen: np.ndarray) -> tuple:
        """Fit (a, b, c) by multinomial log-loss on out-of-fold margins of the training rows.

        Three numbers need few rows: at most `BLEND_ROWS` (a fixed seeded sample), so the fit
        stays a second or two and its memory flat however many labels there are."""
        from scipy.optimize import minimize

        if len(y) > BLEND_ROWS:
            pick = np.sort(np.random.default_rng(0).choice(len(y), BLEND_ROWS, replace=False))
            P_ref, M_full, y = P_ref[pick], M_full[pick], y[pick]
        unseen = np.ones(P_ref.shape[1])
        unseen[seen] = 0.0
        logP = np.log(P_ref.astype(np.float64) + _EPS) * unseen[None, :]
        M = M_full.astype(np.float64)
        U = np.broadcast_to(unseen[None, :], M.shape)
        rows = np.arange(len(y))

        def objective(theta):
            a, b, c = theta
            z = a * logP + b * M + c * U
            zmax = z.max(axis=1, keepdims=True)
            e = np.exp(z - zmax)
            s = e.sum(axis=1, keepdims=True)
            p = e / s
            loss = -(z[rows, y] - zmax[:, 0] - np.log(s[:, 0])).mean()
            grads = [(p * F).sum(axis=1) - F[rows, y] for F in (logP, M, U)]  # E_p[feature] - true
            return loss, np.array([g.mean() for g in grads])

        result = minimize(
            objective,
            x0=np.array([1.0, 1.0, 0.0]),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 20.0), (0.0, 50.0), (-50.0, 50.0)],
        )
        self.blend = tuple(float(v) for v in result.x)
        return self.blend


def blend_probabilities(P_ref: np.ndarray, M_full: np.ndarray, blend, seen: np.ndarray) -> np.ndarray:
    """P(小类) ∝ exp(b · margin) for the 小类 the labels name, exp(a · log P_ref + c − b) for the others
    (float32, rows sum to 1): the labelled model ranks what it knows, the reference the rest.
    In place over one float32 matrix: this runs on every chunk of a registry."""
    a, b, c = blend
    unseen = np.ones(P_ref.shape[1], dtype=np.float32)
    unseen[seen] = 0.0
    z = np.log(P_ref.astype(np.float32) + np.float32(_EPS))
    z *= (np.float32(a) * unseen)[None, :]
    z += (np.float32(c) * unseen)[None, :]
    z += np.float32(b) * M_full.astype(np.float32, copy=False)
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


__all__ = ["ClassLayer", "blend_probabilities"]
