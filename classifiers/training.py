"""Building the reference-only model and training on an office's labelled enterprises.

* `build_reference_model()` builds the default model from the GB/T 4754-2017
  annotations alone (no labels); `load_default_model()` caches it in memory and
  on disk (`$INDUSTRY_GAP_CACHE`, else `~/.cache/industry-gap/`), keyed by the
  model version, the reference-data hash and the classifier's source code.
* `OfficeModelTrainer(...).fit(texts, labels, names)` learns an office model
  on top of the reference model, scikit-learn style (the constructor stores
  settings; `fit` sets `model_` and `metrics_`); `train_model(...)` is the same
  as one call. Labels may be 小类/中类/大类/门类 codes in any spelling ("C1311",
  "1311", "131", "C13", "13", "C") and in the 2011 edition (mapped with
  `standard().map_2011`). With `MIN_CLASS_LABELS` 小类 labels or more the
  open-world 小类 layer is learned (`classifiers.class_layer`); below that the
  大类 stack (`classifiers.division_layer`), with 小类 labels as a prior inside
  each 大类. Cross-validated accuracy goes into `model.metrics`.
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

import numpy as np

from classifiers.division_layer import (
    KnnVote,
    SupervisedLayer,
    _accuracy,
    _adapted_model,
    _fit_stack,
    _fit_temperature,
    _log_blend,
    _normalize_rows,
)
from classifiers.knowledge import KnowledgeBase, reference_hash
from classifiers.model import DEFAULT_PARAMS, MODEL_VERSION, ReferenceScorer, ScopeClassifier, text_hash
from classifiers.scope_parser import clean_scope
from reference import UnknownCodeError, normalize_code, standard

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


def code_hash() -> str:
    """Hash of the classifier package's source: a cached model is rebuilt when any module changes."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode("utf-8"))
        digest.update(path.read_bytes())
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
    return cache_dir() / f"scope-model-{MODEL_VERSION}-{reference_hash()}-{code_hash()}"


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
# Training on labels
# ---------------------------------------------------------------------------

# With at least this many 小类 labels the office's own coding is learned directly (`ClassLayer`);
# below it, the 大类 stack (item model + logistic layer + kNN) adapts the reference.
MIN_CLASS_LABELS = 500


class OfficeModelTrainer:
    """Learns an office model from labelled scopes on top of the reference model, scikit-learn style.

    The constructor only stores settings; `fit(texts, labels, names=None)` sets `model_` (a new
    `ScopeClassifier`; `base` is never changed) and `metrics_` and returns the trainer.
    """

    def __init__(
        self,
        base: ScopeClassifier | None = None,
        label_edition: str | int = "2017",
        cv_folds: int = 2,
        seed: int = 0,
        min_class_labels: int = MIN_CLASS_LABELS,
        class_folds: int = 3,
        **layer_options,
    ):
        self.base = base
        self.label_edition = label_edition
        self.cv_folds = cv_folds
        self.seed = seed
        self.min_class_labels = min_class_labels
        self.class_folds = class_folds
        self.layer_options = layer_options

    def fit(self, texts, labels, names=None) -> OfficeModelTrainer:
        """texts: business scopes; labels: industry codes at any level, in `label_edition` (2017 or
        2011); names: the enterprise names of the same rows, or None. Rows whose label cannot be read
        are skipped (counted in `metrics_['skipped_labels']`)."""
        texts, labels = list(texts), list(labels)
        if len(texts) != len(labels):
            raise ValueError("texts and labels must have the same length")
        if names is not None:
            names = ["" if n is None or n != n else str(n) for n in names]
            if len(names) != len(texts):
                raise ValueError("texts and names must have the same length")
        base = self.base
        if base is None:
            from classifiers import load_default_model

            base = load_default_model()
        started = time.perf_counter()
        s = standard()
        codes = [normalize_label(label, self.label_edition) for label in labels]
        n_class = sum(1 for c in codes if c is not None and s.nodes[c].level == "class")
        if n_class >= self.min_class_labels:
            model = self._fit_classes(base, texts, codes, names)
            model.training_hash = (
                text_hash(texts, labels)
                if names is None
                else text_hash([f"{t}\x1d{n}" for t, n in zip(texts, names)], labels)
            )
            model.info.update(layer="class", train_seconds=round(time.perf_counter() - started, 1))
        else:
            model = self._fit_divisions(base, texts, codes)
            model.training_hash = text_hash(texts, labels)
        model.info.update(
            trained=time.strftime("%Y-%m-%dT%H:%M:%S"),
            base_training_hash=base.training_hash,
        )
        model._reset_caches()
        self.model_ = model
        self.metrics_ = model.metrics
        return self

    def _new_model(self, base: ScopeClassifier, n_rows: int, n_used: int) -> ScopeClassifier:
        model = ScopeClassifier(base.scorer, base.params)
        model.reference_hash = base.reference_hash
        model.info = dict(base.info)
        model.info.update(mode="trained", label_edition=str(self.label_edition), n_rows=n_rows, n_used=n_used)
        return model

    def _fit_classes(self, base: ScopeClassifier, texts: list, codes: list, names: list | None) -> ScopeClassifier:
        """Reference + the open-world 小类 layer (`classifiers.class_layer.OpenWorldLayer`)."""
        from classifiers.class_layer import OpenWorldLayer

        s = standard()
        sc = base.scorer
        index = {c: i for i, c in enumerate(sc.class_codes)}
        rows = [i for i, c in enumerate(codes) if c is not None and s.nodes[c].level == "class"]
        model = self._new_model(base, len(texts), len(rows))
        y = np.array([index[codes[i]] for i in rows])
        cleaned = [clean_scope(texts[i]) for i in rows]
        words = [model.name_words(names[i]) if names is not None else None for i in rows]
        row_names = [w[0] if w is not None else "" for w in words]  # as `_Plan.name` at prediction
        # reference P(小类) of the training rows, scope and name as at prediction time
        row_texts = [texts[i] for i in rows]
        row_full_names = [names[i] for i in rows] if names is not None else [None] * len(rows)
        P_ref = np.vstack(
            [
                model.class_scores(row_texts[k : k + _CHUNK], None if names is None else row_full_names[k : k + _CHUNK])
                for k in range(0, len(rows), _CHUNK)
            ]
        )
        P_ref = P_ref / np.clip(P_ref.sum(axis=1, keepdims=True), 1e-12, None)
        known = [c for c in codes if c is not None]
        metrics: dict = {
            "labels": dict(_levels_of(known)),
            "skipped_labels": len(codes) - len(known),
            "not_class_level": len(known) - len(rows),
            "reference_class": _accuracy(P_ref, y),
        }
        layer = OpenWorldLayer(sc.n_classes, folds=self.class_folds, seed=self.seed).fit(cleaned, row_names, P_ref, y)
        metrics["cv_class"] = _accuracy(layer.oof_, y)
        metrics["cv_division"] = _accuracy(_to_divisions(layer.oof_, sc), sc.class_div[y])
        metrics["reference_division"] = _accuracy(_to_divisions(P_ref, sc), sc.class_div[y])
        del layer.oof_
        metrics["cv_folds"] = self.class_folds
        metrics["open_world"] = {
            "mixture_reference_margin": [round(v, 3) for v in layer.ab],
            "unseen_temperature": round(layer.tau, 3),
            "unseen_prior": round(layer.prior, 4),
            "gate_shift": round(layer.shift, 2),
            "fit_rows": layer.fit_rows,
        }
        model.class_layer = layer
        model.metrics = metrics
        return model

    def _fit_divisions(self, base: ScopeClassifier, texts: list, codes: list) -> ScopeClassifier:
        """Reference adapted on the labelled items + the 大类 stack (`classifiers.division_layer`)."""
        s = standard()
        sc = base.scorer
        keep = [i for i, c in enumerate(codes) if c is not None]
        codes_k = [codes[i] for i in keep]
        div_rows = [i for i, c in enumerate(codes_k) if s.nodes[c].level != "section"]
        if len(div_rows) < 10:
            raise ValueError("至少需要 10 条带有大类或更细层级行业代码的标注数据")
        model = self._new_model(base, len(texts), len(div_rows))
        div_index = {d: i for i, d in enumerate(sc.div_codes)}
        y = np.array([div_index[s.nodes[codes_k[i]].division] for i in div_rows])
        cleaned = [clean_scope(texts[keep[i]]) for i in div_rows]
        # reference scores (uncalibrated 大类 distribution) for the training rows
        model.params["temperature"] = 1.0
        D_ref = _normalize_rows(model._reference_scores([model._plan(c) for c in cleaned])[0])
        metrics: dict = {"labels": dict(_levels_of(codes_k)), "skipped_labels": len(codes) - len(keep)}
        metrics["reference_division"] = _accuracy(D_ref, y)
        oof = self._cross_validated_mixture(model, cleaned, D_ref, y)
        try:
            knn: KnnVote | None = KnnVote().fit(cleaned, y)
            oof_knn = knn.proba_loo(D_ref.shape[1])  # type: ignore[union-attr]
        except ValueError:  # too few rows for a vocabulary (min_df=2)
            knn, oof_knn = None, np.ones_like(D_ref)
        blend, mix_weight, bias, temperature = (0.0, 0.0), 1.0, None, 1.0
        if oof is not None:
            mix_weight, b, a, bias = _fit_stack(oof, oof_knn, D_ref, y, use_knn=knn is not None)
            blend = (b, a)
            oof = _log_blend(oof, oof_knn, D_ref, b, a, mix_weight, bias)
            temperature = _fit_temperature(oof, y)
            metrics["cv_division"] = _accuracy(oof, y)
            metrics["cv_folds"] = self.cv_folds
        metrics["temperature"] = round(temperature, 3)
        # final model on all rows
        final = _adapted_model(model, cleaned, y)
        model.base_scorer = model.scorer
        model.scorer = final.scorer
        layer = SupervisedLayer(**self.layer_options).fit(cleaned, D_ref, y)
        layer.knn = knn if knn is not None and blend[0] > 0 else None
        layer.blend = blend
        layer.mix_weight = mix_weight
        layer.prior_bias = bias
        model.supervised = layer
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
        model.metrics = metrics
        return model

    def _cross_validated_mixture(
        self, model: ScopeClassifier, cleaned: list[str], D_ref: np.ndarray, y: np.ndarray
    ) -> np.ndarray | None:
        """Out-of-fold 大类 mixtures of the training rows (None without folds)."""
        n_folds = self.cv_folds if self.cv_folds >= 2 else 0
        if not n_folds:
            return None
        oof = np.zeros_like(D_ref)
        folds = np.random.default_rng(self.seed).permutation(len(y)) % n_folds
        for f in range(n_folds):
            tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
            if len(set(y[tr])) < 2 or not len(te):
                oof[te] = D_ref[te]
                continue
            fold_model = _adapted_model(model, [cleaned[i] for i in tr], y[tr])
            D_a = fold_model._reference_scores([fold_model._plan(cleaned[i]) for i in te])[0]
            layer = SupervisedLayer(**self.layer_options).fit([cleaned[i] for i in tr], D_ref[tr], y[tr])
            oof[te] = layer.mixture([cleaned[i] for i in te], D_ref[te], D_a)
        return oof


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
    """`OfficeModelTrainer(...).fit(texts, labels, names).model_`: a new model trained on labelled
    scopes on top of `base` (the default reference model if None; never changed)."""
    trainer = OfficeModelTrainer(
        base,
        label_edition=label_edition,
        cv_folds=cv_folds,
        seed=seed,
        min_class_labels=min_class_labels,
        **layer_options,
    )
    return trainer.fit(texts, labels, names=names).model_


_CHUNK = 5000  # rows per reference-scoring call


def _levels_of(codes: list[str]) -> Counter:
    s = standard()
    return Counter(s.nodes[c].level for c in codes)


def _to_divisions(P: np.ndarray, scorer: ReferenceScorer) -> np.ndarray:
    return np.add.reduceat(P, scorer.div_start, axis=1)


__all__ = [
    "build_reference_model",
    "load_default_model",
    "train_model",
    "OfficeModelTrainer",
    "normalize_label",
    "SupervisedLayer",
    "KnnVote",
    "cache_dir",
    "code_hash",
    "default_model_path",
    "MIN_CLASS_LABELS",
    "MODEL_VERSION",
]
