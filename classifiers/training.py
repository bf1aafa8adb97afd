"""Building the reference-only model and training on an office's labelled enterprises.

* `build_reference_model()` builds the default model from the GB/T 4754-2017
  annotations alone (no labels); `load_default_model()` caches it in memory and
  on disk (`$INDUSTRY_GAP_CACHE`, else `~/.cache/industry-gap/`), keyed by the
  model version, the reference-data hash and the classifier's source code.
* `train_model(texts, labels, label_edition)` adds a supervised 大类 layer on
  top of the reference model. Labels may be 小类/中类/大类/门类 codes in any
  spelling ("C1311", "1311", "131", "C13", "13", "C") and in the 2011 edition
  (mapped with `standard().map_2011`). Every label that fixes a 大类 trains the
  大类 layer; 小类 labels also give a prior over the 小类 inside each 大类.
  Cross-validated accuracy goes into `model.metrics`, and the calibration
  temperature is fitted on the cross-validated predictions.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers.knowledge import KnowledgeBase, reference_hash
from classifiers.model import DEFAULT_PARAMS, MODEL_VERSION, ReferenceScorer, ScopeClassifier, text_hash
from classifiers.scope_parser import parse_clause, split_clauses
from reference import UnknownCodeError, normalize_code, standard

_SOURCE_FILES = ("text.py", "scope_parser.py", "knowledge.py", "features.py", "model.py", "training.py")


# ---------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------


def normalize_label(code, edition: str | int = "2017") -> str | None:
    """The 2017 code (class/group/division/section) for a label in any spelling, or None.

    "C1311", "1311", "131", "C13", "13", "c", full-width digits; numbers read
    from a spreadsheet as "1311.0" are accepted. With edition 2011 the code is
    mapped to its most likely 2017 counterpart at the same level.
    """
    if code is None:
        return None
    if isinstance(code, float):
        if code != code:
            return None
        code = str(int(code)) if code.is_integer() else str(code)
    text = str(code).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    canonical = normalize_code(text)
    if canonical is None:
        return None
    s = standard()
    if str(edition) == "2011":
        try:
            mapped = s.map_2011(canonical)
        except UnknownCodeError:
            return None
        return mapped[0] if mapped else None
    node = s.find(canonical)
    return node.code if node else None


# ---------------------------------------------------------------------------
# Reference-only model
# ---------------------------------------------------------------------------


def _code_hash() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _SOURCE_FILES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:12]


def build_reference_model(params: dict | None = None) -> ScopeClassifier:
    """The model from reference knowledge alone (≈15 s)."""
    started = time.perf_counter()
    kb = KnowledgeBase()
    merged = dict(DEFAULT_PARAMS)
    if params:
        merged.update(params)
    scorer = ReferenceScorer(kb, merged)
    model = ScopeClassifier(scorer, merged)
    model.info.update(
        mode="reference",
        build_seconds=round(time.perf_counter() - started, 1),
        n_terms=sum(len(c.terms) for c in kb.classes),
    )
    model.metrics = {"note": "reference-only model: no labelled data; see classifiers/README.md for dev figures"}
    return model


def cache_dir() -> Path:
    root = os.environ.get("INDUSTRY_GAP_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "industry-gap"


def default_model_path() -> Path:
    return cache_dir() / f"scope-model-{MODEL_VERSION}-{reference_hash()}-{_code_hash()}"


@lru_cache(maxsize=1)
def load_default_model() -> ScopeClassifier:
    """The reference-only model: from the disk cache when present, else built (and cached if possible)."""
    path = default_model_path()
    if (path / "model.joblib").exists():
        try:
            return ScopeClassifier.load(path)
        except Exception:  # a stale or broken cache is rebuilt
            pass
    model = build_reference_model()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=path.parent))
        model.save(tmp)
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
        for stale in path.parent.glob("scope-model-*"):  # older versions / code: never used again
            if stale != path and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
    except OSError:
        pass  # read-only home: keep the model in memory only
    return model


# ---------------------------------------------------------------------------
# Supervised layer
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Training on labels
# ---------------------------------------------------------------------------


def _levels_of(codes: list[str]) -> Counter:
    s = standard()
    return Counter(s.nodes[c].level for c in codes)


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


def _accuracy(D: np.ndarray, y: np.ndarray) -> dict:
    order = np.argsort(-D, axis=1)[:, :3]
    top1 = float(np.mean(order[:, 0] == y)) if len(y) else float("nan")
    top3 = float(np.mean([yi in row for yi, row in zip(y, order)])) if len(y) else float("nan")
    return {"top1": round(top1, 4), "top3": round(top3, 4), "n": int(len(y))}


# With at least this many 小类 labels the office's own coding is learned directly (`ClassLayer`);
# below it, the 大类 stack (item model + logistic layer + kNN) adapts the reference.
MIN_CLASS_LABELS = 500


def train_model(
    texts,
    labels,
    label_edition: str | int = "2017",
    base: ScopeClassifier | None = None,
    cv_folds: int = 2,
    seed: int = 0,
    names=None,
    min_class_labels: int = MIN_CLASS_LABELS,
    **layer_options,
) -> ScopeClassifier:
    """A model trained on labelled scopes on top of the reference model (`base`, default model if None).

    texts: business scopes; labels: industry codes at any level, in `label_edition`
    (2017 or 2011); names: the enterprise names of the same rows, or None. Rows whose
    label cannot be read are skipped (counted in `model.metrics['skipped_labels']`).
    With `min_class_labels` or more 4-digit labels, a supervised 小类 model is blended
    with the reference (`classifiers.class_layer`); otherwise a 大类 layer is trained
    (labels at 大类 level or finer; 门类-only labels are kept out of it).
    Returns a new model; `base` is not changed.
    """
    texts = list(texts)
    labels = list(labels)
    if len(texts) != len(labels):
        raise ValueError("texts and labels must have the same length")
    if names is not None:
        names = ["" if n is None or n != n else str(n) for n in names]
        if len(names) != len(texts):
            raise ValueError("texts and names must have the same length")
    if base is None:
        from classifiers import load_default_model

        base = load_default_model()
    s = standard()
    normalised = [normalize_label(label, label_edition) for label in labels]
    n_class = sum(1 for c in normalised if c is not None and s.nodes[c].level == "class")
    if n_class >= min_class_labels:
        return _train_class_model(texts, labels, normalised, names, label_edition, base, seed)
    model = ScopeClassifier(base.scorer, base.params)
    model.reference_hash = base.reference_hash
    s = standard()
    codes = [normalize_label(label, label_edition) for label in labels]
    keep = [i for i, c in enumerate(codes) if c is not None]
    skipped = len(codes) - len(keep)
    texts_k = [texts[i] for i in keep]
    codes_k = [c for c in codes if c is not None]  # the codes of the kept rows
    sc = model.scorer
    div_index = {d: i for i, d in enumerate(sc.div_codes)}
    div_rows = [i for i, c in enumerate(codes_k) if s.nodes[c].level != "section"]
    if len(div_rows) < 10:
        raise ValueError("至少需要 10 条带有大类或更细层级行业代码的标注数据")
    y = np.array([div_index[s.nodes[codes_k[i]].division] for i in div_rows])
    cleaned_all = [c for c in _clean_all(texts_k)]
    cleaned = [cleaned_all[i] for i in div_rows]
    # reference scores (uncalibrated 大类 distribution) for the training rows
    model.params["temperature"] = 1.0
    plans = [model._plan(c) for c in cleaned]
    D_ref, _, _ = model._reference_scores(plans)
    D_ref = _normalize_rows(D_ref)
    metrics: dict = {"labels": dict(_levels_of(codes_k)), "skipped_labels": skipped}
    metrics["reference_division"] = _accuracy(D_ref, y)
    # cross-validated estimate + temperature
    oof = np.zeros_like(D_ref)
    rng = np.random.default_rng(seed)
    n_folds = cv_folds if cv_folds >= 2 else 0
    folds = rng.permutation(len(y)) % max(1, n_folds)
    for f in range(n_folds):
        tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        if len(set(y[tr])) < 2 or not len(te):
            oof[te] = D_ref[te]
            continue
        fold_model = _adapted_model(model, [cleaned[i] for i in tr], y[tr])
        D_a = fold_model._reference_scores([fold_model._plan(cleaned[i]) for i in te])[0]
        layer = SupervisedLayer(**layer_options).fit([cleaned[i] for i in tr], D_ref[tr], y[tr])
        oof[te] = layer.mixture([cleaned[i] for i in te], D_ref[te], D_a)
    blend = (0.0, 0.0)
    try:
        knn = KnnVote().fit(cleaned, y)
        oof_knn = knn.proba_loo(D_ref.shape[1])
    except ValueError:  # too few rows for a vocabulary (min_df=2)
        knn, oof_knn = None, np.ones_like(D_ref)
    mix_weight, bias = 1.0, None
    if n_folds:
        mix_weight, b, a, bias = _fit_stack(oof, oof_knn, D_ref, y, use_knn=knn is not None)
        blend = (b, a)
        oof = _log_blend(oof, oof_knn, D_ref, b, a, mix_weight, bias)
        temperature = _fit_temperature(oof, y)
        metrics["cv_division"] = _accuracy(oof, y)
        metrics["cv_folds"] = n_folds
    else:
        temperature = 1.0
    metrics["temperature"] = round(temperature, 3)
    # final model on all rows
    final = _adapted_model(model, cleaned, y)
    model.base_scorer = model.scorer
    model.scorer = final.scorer
    model.supervised = SupervisedLayer(**layer_options).fit(cleaned, D_ref, y)
    model.supervised.knn = knn if knn is not None and blend[0] > 0 else None
    model.supervised.blend = blend
    model.supervised.mix_weight = mix_weight
    model.supervised.prior_bias = bias
    metrics["blend_knn_reference"] = [round(v, 3) for v in blend]
    metrics["blend_mixture"] = round(mix_weight, 3)
    model.params["temperature"] = temperature
    # 小类 prior from class-level labels (Laplace-smoothed, relative within each 大类)
    class_labels = [c for c in codes_k if s.nodes[c].level == "class"]
    if class_labels:
        counts = np.ones(sc.n_classes)
        index = {c: i for i, c in enumerate(sc.class_codes)}
        for c in class_labels:
            counts[index[c]] += 1.0
        model.class_prior = counts
    model.training_hash = text_hash(texts, labels)
    model.metrics = metrics
    model.info = dict(base.info)
    model.info.update(
        mode="trained",
        label_edition=str(label_edition),
        n_rows=len(texts),
        n_used=len(div_rows),
        trained=time.strftime("%Y-%m-%dT%H:%M:%S"),
        base_training_hash=base.training_hash,
    )
    model._reset_caches()
    return model


def _train_class_model(
    texts: list,
    labels: list,
    codes: list,
    names: list | None,
    label_edition,
    base: ScopeClassifier,
    seed: int,
    folds: int = 3,
) -> ScopeClassifier:
    """Reference + the open-world 小类 layer (`classifiers.class_layer.OpenWorldLayer`)."""
    from classifiers.class_layer import OpenWorldLayer

    started = time.perf_counter()
    s = standard()
    model = ScopeClassifier(base.scorer, base.params)
    model.reference_hash = base.reference_hash
    sc = model.scorer
    index = {c: i for i, c in enumerate(sc.class_codes)}
    rows = [i for i, c in enumerate(codes) if c is not None and s.nodes[c].level == "class"]
    y = np.array([index[codes[i]] for i in rows])
    cleaned = _clean_all([texts[i] for i in rows])
    words = [model.name_words(names[i]) if names is not None else None for i in rows]
    row_names = [w[0] if w is not None else "" for w in words]  # as `_Plan.name` at prediction
    # reference P(小类) of the training rows, scope and name as at prediction time
    P_ref = np.vstack(
        [
            model.class_scores(texts_part, names_part)
            for texts_part, names_part in _chunks(
                [texts[i] for i in rows], [names[i] for i in rows] if names is not None else None
            )
        ]
    )
    P_ref = P_ref / np.clip(P_ref.sum(axis=1, keepdims=True), 1e-12, None)
    metrics: dict = {
        "labels": dict(_levels_of([c for c in codes if c is not None])),
        "skipped_labels": sum(1 for c in codes if c is None),
        "not_class_level": len([c for c in codes if c is not None]) - len(rows),
    }
    metrics["reference_class"] = _accuracy(P_ref, y)
    layer = OpenWorldLayer(sc.n_classes, folds=folds, seed=seed).fit(cleaned, row_names, P_ref, y)
    metrics["cv_class"] = _accuracy(layer.oof_, y)
    metrics["cv_division"] = _accuracy(_to_divisions(layer.oof_, sc), sc.class_div[y])
    metrics["reference_division"] = _accuracy(_to_divisions(P_ref, sc), sc.class_div[y])
    del layer.oof_
    metrics["cv_folds"] = folds
    metrics["open_world"] = {
        "mixture_reference_margin": [round(v, 3) for v in layer.ab],
        "unseen_temperature": round(layer.tau, 3),
        "unseen_prior": round(layer.prior, 4),
        "gate_shift": round(layer.shift, 2),
        "fit_rows": layer.fit_rows,
    }
    model.class_layer = layer
    model.training_hash = (
        text_hash(texts, labels) if names is None else text_hash([f"{t}\x1d{n}" for t, n in zip(texts, names)], labels)
    )
    model.metrics = metrics
    model.info = dict(base.info)
    model.info.update(
        mode="trained",
        label_edition=str(label_edition),
        n_rows=len(texts),
        n_used=len(rows),
        layer="class",
        train_seconds=round(time.perf_counter() - started, 1),
        trained=time.strftime("%Y-%m-%dT%H:%M:%S"),
        base_training_hash=base.training_hash,
    )
    model._reset_caches()
    return model


def _chunks(texts: list, names: list | None, size: int = 5000):
    for start in range(0, len(texts), size):
        yield texts[start : start + size], (None if names is None else names[start : start + size])


def _to_divisions(P: np.ndarray, scorer: ReferenceScorer) -> np.ndarray:
    return np.add.reduceat(P, scorer.div_start, axis=1)


def _adapted_model(model: ScopeClassifier, cleaned: list[str], y: np.ndarray) -> ScopeClassifier:
    queries, labels, weights = _item_examples(model, cleaned, y)
    return ScopeClassifier(model.scorer.adapted(queries, labels, weights), model.params)


def _clean_all(texts):
    from classifiers.scope_parser import clean_scope

    return [clean_scope(t) for t in texts]


def _normalize_rows(D: np.ndarray) -> np.ndarray:
    s = D.sum(axis=1, keepdims=True)
    return np.divide(D, s, out=np.full_like(D, 1.0 / D.shape[1]), where=s > 0)


__all__ = [
    "build_reference_model",
    "load_default_model",
    "train_model",
    "normalize_label",
    "SupervisedLayer",
    "KnnVote",
    "cache_dir",
    "default_model_path",
    "MODEL_VERSION",
]
