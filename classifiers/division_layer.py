"""The 大类 layer of an office model with few 小类 labels (below `MIN_CLASS_LABELS`).

A logistic layer over the reference 大类 scores and character n-grams of the item objects,
mixed with the reference scorer adapted on the labelled items, then blended log-linearly with
a kNN vote over the labelled scopes and the reference itself (weights and a per-大类 prior
correction fitted on cross-validated predictions). `classifiers.training` fits it;
`ScopeClassifier` applies it through `SupervisedLayer.predict_divisions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from classifiers.scope_parser import parse_clause, split_clauses

if TYPE_CHECKING:
    from classifiers.model import ScopeClassifier


def _object_text(cleaned: str) -> str:
    """The objects of the specific items, in order (the text the supervised layer reads)."""
    parts = []
    for section, clause in split_clauses(cleaned):
        for text, obj, _verbs, _kinds, generic in parse_clause(clause, section):
            if not generic:
                parts.append(obj if len(obj) >= 2 else text)
    return " ".join(parts) if parts else cleaned


def _head_text(cleaned: str, n: int = 3) -> str:
    parts = []
    for section, clause in split_clauses(cleaned):
        for text, obj, _verbs, kinds, generic in parse_clause(clause, section):
            if not generic:
                parts.append((obj if len(obj) >= 2 else text) + "".join(k[0] for k in kinds))
                if len(parts) >= n:
                    return " ".join(parts)
    return " ".join(parts)


class SupervisedLayer:
    """大类 layer trained on labelled scopes.

    Logistic regression over the reference 大类 scores (as features) and
    character n-grams of the item objects; its output is mixed with the 大类
    distribution of the adapted reference scorer (whose item model also learned
    from the labelled items): P = share · P_lr + (1 − share) · P_adapted.
    """

    def __init__(self, C: float = 4.0, ref_weight: float = 1.0, share: float = 0.4):
        self.C = C
        self.ref_weight = ref_weight
        self.share = share
        self.knn: KnnVote | None = None  # kNN vote over the labelled scopes
        self.blend = (0.0, 0.0)  # log-linear weights of the kNN vote and the reference
        self.mix_weight = 1.0  # log-linear weight of the mixture itself
        self.prior_bias: np.ndarray | None = None  # per-大类 log-prior correction (from the labels)
        self.vectorizer: Any = None  # sklearn objects (untyped), set by fit
        self.head_vectorizer: Any = None
        self.clf: Any = None
        self.columns: np.ndarray | None = None  # model class -> division column

    def _features(self, cleaned: list[str], D_ref: np.ndarray, fit: bool):
        from sklearn.feature_extraction.text import TfidfVectorizer

        objects = [_object_text(c) for c in cleaned]
        heads = [_head_text(c) for c in cleaned]
        if fit:
            self.vectorizer = TfidfVectorizer(
                analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_features=40000, dtype=np.float32
            )
            self.head_vectorizer = TfidfVectorizer(
                analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=10000, dtype=np.float32
            )
            X1 = self.vectorizer.fit_transform(objects)
            X3 = self.head_vectorizer.fit_transform(heads)
        else:
            X1 = self.vectorizer.transform(objects)
            X3 = self.head_vectorizer.transform(heads)
        ref = self.ref_weight * (np.log(np.clip(D_ref, 1e-4, 1.0)) / np.log(1e4) + 1.0)
        return sp.hstack([sp.csr_matrix(ref.astype(np.float32)), X1, X3 * 0.5]).tocsr()

    def fit(self, cleaned: list[str], D_ref: np.ndarray, y: np.ndarray) -> SupervisedLayer:
        import warnings

        from sklearn.linear_model import LogisticRegression

        X = self._features(cleaned, _normalize_rows(D_ref), fit=True)
        self.clf = LogisticRegression(C=self.C, max_iter=200, tol=1e-3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.clf.fit(X, y)
        self.columns = self.clf.classes_.astype(np.int64)
        return self

    def lr_proba(self, cleaned: list[str], D_ref: np.ndarray) -> np.ndarray:
        X = self._features(list(cleaned), _normalize_rows(D_ref), fit=False)
        out = np.zeros_like(D_ref, dtype=np.float64)
        out[:, self.columns] = self.clf.predict_proba(X)
        return out

    def mixture(self, cleaned, D_base: np.ndarray, D_adapted: np.ndarray) -> np.ndarray:
        return self.share * self.lr_proba(cleaned, D_base) + (1.0 - self.share) * _normalize_rows(D_adapted)

    def predict_divisions(self, cleaned, D_base: np.ndarray, D_adapted: np.ndarray) -> np.ndarray:
        cleaned = list(cleaned)
        P = self.mixture(cleaned, D_base, D_adapted)
        knn = getattr(self, "knn", None)
        b, a = getattr(self, "blend", (0.0, 0.0))
        w = getattr(self, "mix_weight", 1.0)
        bias = getattr(self, "prior_bias", None)
        if a == 0 and (b == 0 or knn is None) and w == 1.0 and bias is None:
            return P
        K = knn.proba(cleaned, D_base.shape[1]) if knn is not None and b > 0 else np.ones_like(P)
        return _log_blend(P, K, _normalize_rows(D_base), b if knn is not None else 0.0, a, w, bias)


def _words(text: str) -> list[str]:
    import jieba

    return [w for w in jieba.lcut(text) if w.strip() and w not in "、，；;,。 "]


class KnnVote:
    """Similarity-weighted vote of the k most similar labelled scopes (cosine on TF-IDF of the item
    objects: char 1–3-grams and jieba words, plus char n-grams of the first two items)."""

    def __init__(self, k: int = 10):
        self.k = k

    def _matrix(self, cleaned: list[str], fit: bool):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        objects = [_object_text(c) for c in cleaned]
        heads = [_head_text(c, 2) for c in cleaned]
        if fit:
            self.vecs = [
                TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32),
                TfidfVectorizer(analyzer=_words, sublinear_tf=True, min_df=2, dtype=np.float32),
                TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32),
            ]
            parts = [v.fit_transform(t) for v, t in zip(self.vecs, (objects, objects, heads))]
        else:
            parts = [v.transform(t) for v, t in zip(self.vecs, (objects, objects, heads))]
        return normalize(sp.hstack(parts).tocsr())

    def fit(self, cleaned: list[str], y: np.ndarray) -> KnnVote:
        self.X = self._matrix(list(cleaned), fit=True)
        self.y = np.asarray(y, dtype=np.int64)
        return self

    def proba(self, cleaned: list[str], n_divisions: int) -> np.ndarray:
        if not len(cleaned):
            return np.zeros((0, n_divisions))
        return self._votes(self._matrix(list(cleaned), fit=False), n_divisions, loo=False)

    def proba_loo(self, n_divisions: int) -> np.ndarray:
        """Leave-one-out votes of the training rows (each row's own similarity removed)."""
        return self._votes(self.X, n_divisions, loo=True)

    def _votes(self, Q, n_divisions: int, loo: bool, block: int = 1000) -> np.ndarray:
        out = []
        for start in range(0, Q.shape[0], block):  # bounded dense similarity blocks
            S = (Q[start : start + block] @ self.X.T).toarray()
            if loo:
                r = np.arange(S.shape[0])
                S[r, start + r] = -1.0
            out.append(self._vote(S, n_divisions))
        return np.vstack(out) if out else np.zeros((0, n_divisions))

    def _vote(self, S: np.ndarray, n_divisions: int) -> np.ndarray:
        k = min(self.k, S.shape[1])
        idx = np.argpartition(-S, kth=k - 1, axis=1)[:, :k] if k < S.shape[1] else np.argsort(-S, axis=1)
        sims = np.take_along_axis(S, idx, axis=1)
        K = np.zeros((len(S), n_divisions))
        sims = np.clip(sims, 0.0, None)
        np.add.at(K, (np.repeat(np.arange(len(S)), idx.shape[1]), self.y[idx].ravel()), (sims**2).ravel())
        return _normalize_rows(K + 1e-3)


def _blend_blocks(P: np.ndarray, K: np.ndarray, D: np.ndarray) -> np.ndarray:
    """The log inputs of the blend, stacked (3 × n × D)."""
    return np.stack([np.log(np.clip(P, 1e-6, None)), np.log(np.clip(K, 1e-4, None)), np.log(np.clip(D, 1e-4, None))])


def _log_blend(
    P: np.ndarray, K: np.ndarray, D: np.ndarray, b: float, a: float, w: float = 1.0, bias: np.ndarray | None = None
) -> np.ndarray:
    """w·log P + b·log kNN + a·log P_reference (+ a per-大类 bias), renormalised."""
    L = np.tensordot(np.array([w, b, a]), _blend_blocks(P, K, D), axes=1)
    if bias is not None:
        L = L + bias[None, :]
    L -= L.max(axis=1, keepdims=True)
    return _normalize_rows(np.exp(L))


def _fit_stack(
    P: np.ndarray, K: np.ndarray, D: np.ndarray, y: np.ndarray, prior_strength: float = 0.3, use_knn: bool = True
) -> tuple[float, float, float, np.ndarray]:
    """Weights (w, b, a) of the log-linear blend and a per-大类 bias, fitted together by multinomial
    log-loss on cross-validated predictions of the training rows (a conditional logit: shared
    weights per input, one intercept per 大类).

    The bias corrects the reference model's 大类 prior towards the label distribution (listed
    companies skew to a few manufacturing 大类); it is L2-shrunk with strength `prior_strength`
    per training row, so a handful of labels moves it little; 大类 without any label are lowered
    somewhat (by e^-0.2 … e^-1.2 with ~1,000 rows). Weights stay within [0, 3].
    """
    from scipy.optimize import minimize

    X = _blend_blocks(P, K, D)
    if not use_knn:
        X[1] = 0.0
    n, nd = P.shape
    lam = prior_strength / max(1, n)
    rows = np.arange(n)

    def objective(theta):
        w, bias = theta[:3], theta[3:]
        S = np.tensordot(w, X, axes=1) + bias
        S -= S.max(axis=1, keepdims=True)
        E = np.exp(S)
        Z = E.sum(axis=1)
        loss = -np.mean(S[rows, y] - np.log(Z)) + 0.5 * lam * float(bias @ bias)
        G = E / Z[:, None]
        G[rows, y] -= 1.0
        G /= n
        grad_w = np.array([float((G * X[k]).sum()) for k in range(3)])
        return loss, np.r_[grad_w, G.sum(axis=0) + lam * bias]

    theta0 = np.r_[1.0, 0.25 if use_knn else 0.0, 0.5, np.zeros(nd)]
    bounds = [(0.0, 3.0), (0.0, 3.0 if use_knn else 0.0), (0.0, 3.0)] + [(None, None)] * nd
    res = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500})
    theta = res.x
    return float(theta[0]), float(theta[1]), float(theta[2]), theta[3:].astype(np.float64)


def _item_examples(model: ScopeClassifier, cleaned: list[str], y: np.ndarray, scale: float = 4.0):
    """Labelled item objects for the adapted 大类 model: each specific item of a scope takes the
    scope's 大类, weighted by its place in the scope (the first item most)."""
    queries, labels, weights = [], [], []
    for text, label in zip(cleaned, y):
        plan = model._plan(text)
        if not plan.keys:
            continue
        top = float(plan.weights.max())
        for key, w in zip(plan.keys, plan.weights):
            if w >= 0.1 * top:
                queries.append(key[0])
                labels.append(int(label))
                weights.append(scale * float(w) / top)
    return queries, labels, weights


def _fit_temperature(D: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the log-loss of P ∝ D^(1/T) on held-out predictions."""
    best_t, best_loss = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.3), np.log(3.0), 41)):
        P = np.power(np.clip(D, 1e-9, None), 1.0 / t)
        P /= P.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(np.clip(P[np.arange(len(y)), y], 1e-9, None)))
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t


def _adapted_model(model: ScopeClassifier, cleaned: list[str], y: np.ndarray) -> ScopeClassifier:
    """A model whose reference scorer also learned the labelled item objects."""
    from classifiers.model import ScopeClassifier

    queries, labels, weights = _item_examples(model, cleaned, y)
    return ScopeClassifier(model.scorer.adapted(queries, labels, weights), model.params)


def _normalize_rows(D: np.ndarray) -> np.ndarray:
    s = D.sum(axis=1, keepdims=True)
    return np.divide(D, s, out=np.full_like(D, 1.0 / D.shape[1]), where=s > 0)


def _accuracy(D: np.ndarray, y: np.ndarray) -> dict:
    if not len(y):
        return {"top1": float("nan"), "top3": float("nan"), "n": 0}
    truth = D[np.arange(len(y)), y]
    above = (truth[:, None] < D).sum(axis=1)  # classes scored above the true one
    top1, top3 = float(np.mean(above == 0)), float(np.mean(above < 3))
    return {"top1": round(top1, 4), "top3": round(top3, 4), "n": int(len(y))}


__all__ = ["SupervisedLayer", "KnnVote"]
