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
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from classifiers.frames import classify_frame
from classifiers.knowledge import reference_hash
from classifiers.persistence import load_model, save_model
from classifiers.plans import _ItemTable, _Plan, find_name_words, make_plan
from classifiers.prediction import Prediction, _top_entries
from classifiers.reference_scorer import ReferenceScorer
from classifiers.scope_parser import ACTIVITY_NAMES, clean_scope

if TYPE_CHECKING:  # annotations only: training imports this module, the layers load with a trained model
    from classifiers.class_layer import OpenWorldLayer
    from classifiers.division_layer import SupervisedLayer

MODEL_VERSION = "3.0.0"
_TOP_K_BLOCK = 256  # rows of P(小类) built and reduced together (256 × 1,382 floats: cache-sized)

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
        return find_name_words(name, self.scorer.term_set, float(self.params.get("brand_name_strength", 0.25)))

    def _make_plan(self, cleaned: str, name_item: tuple | None = None) -> _Plan:
        return make_plan(cleaned, self.params, name_item)

    # -- scoring -----------------------------------------------------------------
    def _reference_scores(self, plans: list[_Plan], base: bool = False):
        """Per document: 大类 distribution (n×D), 小类 mass (sparse n×C), recognised flag.

        base=True scores with the un-adapted reference scorer of a trained model.
        """
        table = self._base_items if base else self._items
        tid = id(table)
        todo = [plan for plan in plans if tid not in plan.resolved]
        if todo:
            keys = [k for plan in todo for k in plan.keys]
            table.ensure(keys)
        div_m, cls_m, raw = table.matrices()
        if todo:  # every new plan's item rows in one pass, split by plan
            item_rows = table.item_rows
            flat = np.fromiter(map(item_rows.__getitem__, keys), dtype=np.int64, count=len(keys))
            sizes = np.fromiter((len(plan.keys) for plan in todo), dtype=np.int64, count=len(todo))
            ends = np.cumsum(sizes)
            best_raw = np.zeros(len(todo), dtype=np.float64)
            filled = sizes > 0
            if filled.any():
                best_raw[filled] = np.maximum.reduceat(raw[flat], (ends - sizes)[filled])
            for plan, idx, value in zip(todo, np.split(flat, ends[:-1]), best_raw.tolist()):
                plan.resolved[tid] = (idx, value)
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
        D, C, best, damp = self._plan_divisions(plans)
        P = self.class_probabilities(D, C)
        class_layer = getattr(self, "class_layer", None)  # None for models saved before the layer
        if class_layer is not None:
            P, known = class_layer.combine(P, [p.cleaned for p in plans], [p.name for p in plans])
            best = np.maximum(best, known)
        P *= damp[:, None]
        return P, best

    def _plan_divisions(self, plans: list[_Plan]):
        """Calibrated P(大类) (n×D), 小类 mass (sparse n×C), recognised flag and the generic-only damping."""
        D, C, best = self._reference_scores(plans)
        if self.supervised is not None:
            cleaned = [p.cleaned for p in plans]
            D_base = self._reference_scores(plans, base=True)[0] if self.base_scorer is not None else D
            D = self.supervised.predict_divisions(cleaned, D_base, D)
        damp = np.array(
            [self.params["generic_only_factor"] if p.only_generic else 1.0 for p in plans], dtype=np.float32
        )
        return self._calibrate(D), C, best, damp

    def _plans_top_k(self, plans: list[_Plan], k: int):
        """`_top_k` of `_score_plans`, P built and reduced a block of rows at a time.

        The dense P (1,382 floats a row) of a whole chunk is never held: each block's stays in the
        cache while it is raised, scaled and partitioned (every step is row-wise: same values).
        A class layer reads the whole P at once, so a model with one takes the plain path."""
        if getattr(self, "class_layer", None) is not None or len(plans) <= _TOP_K_BLOCK:
            return self._top_k(plans, *self._score_plans(plans), k)
        D, C, best, damp = self._plan_divisions(plans)
        parts = []
        for start in range(0, len(plans), _TOP_K_BLOCK):
            stop = start + _TOP_K_BLOCK
            P = self.class_probabilities(D[start:stop], C[start:stop])
            P *= damp[start:stop, None]
            parts.append(self._top_k(plans[start:stop], P, best[start:stop], k))
        return tuple(np.concatenate(arrays) for arrays in zip(*parts))

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
            top_cls, top_scores, status = self._plans_top_k(todo, k)
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

    def _evidence_list(self, plans: list[_Plan], classes: list[int]) -> list[str]:
        """`_evidence` of many plans (the top 小类 of each): the items' contributions gathered in one
        pass over the item table, then each plan's text."""
        known = [c in plan.evidence for plan, c in zip(plans, classes)]
        todo = list({id(plans[i]): i for i, done in enumerate(known) if not done}.values())
        if todo:
            div_m, _, _ = self._items.matrices()
            tid = id(self._items)
            rows = [plans[i].resolved[tid][0] for i in todo]
            sizes = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
            divs = self.scorer.class_div[np.array([classes[i] for i in todo], dtype=np.int64)]
            weights = np.concatenate([plans[i].weights for i in todo])
            values = weights * div_m[np.concatenate(rows), np.repeat(divs, sizes)]
            ends = np.cumsum(sizes).tolist()
            start = 0
            for i, end in zip(todo, ends):
                plan, c = plans[i], classes[i]
                plan.evidence[c] = self._evidence_text(plan, c, values[start:end])
                start = end
        return [plan.evidence[c] for plan, c in zip(plans, classes)]

    def _make_evidence(self, plan: _Plan, class_index: int) -> str:
        div_m, _, _ = self._items.matrices()
        d = int(self.scorer.class_div[class_index])
        rows = plan.resolved[id(self._items)][0]
        return self._evidence_text(plan, class_index, plan.weights * div_m[rows, d])

    def _evidence_text(self, plan: _Plan, class_index: int, values: np.ndarray) -> str:
        """The items that contribute most to the class's 大类 (`values`, one per item), in Chinese."""
        sc = self.scorer
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
        pred_division, pred_section, is_industrial (for the top prediction); see `classifiers.frames`."""
        return classify_frame(self, df, text_column, name_column, top_k, chunk_size, progress, evidence)

    # -- persistence (classifiers.persistence) ------------------------------------------
    def save(self, directory) -> Path:
        """Write the model and its metadata (JSON) into `directory`."""
        return save_model(self, directory)

    @classmethod
    def load(cls, directory) -> ScopeClassifier:
        return load_model(directory)

    def describe(self) -> dict:
        return {
            "version": self.version,
            "training_hash": self.training_hash,
            "reference_hash": self.reference_hash,
            "mode": self.info.get("mode"),
            "metrics": self.metrics,
        }


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
