"""Document plans (a scope's parsed, weighted items) and the table of scored items.

A plan lists a scope's items as (query, activity kinds, selling mode) keys with weights (registry
order, generic items, main business, a producer's services); the item table scores each distinct
key once with the reference scorer and keeps its 大类 and 小类 vectors as matrix rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from classifiers.names import name_core
from classifiers.reference_scorer import _PRIORITY, PRODUCING, ReferenceScorer
from classifiers.scope_parser import parse_clause, sell_channel, split_clauses

_OBJECT_KINDS = frozenset({"make", "farm", "mine", "supply", "sell", "product"})


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


def find_name_words(name: str, term_set: frozenset, brand_name_strength: float) -> tuple | None:
    """(query, kinds, shown text, strength) of a name's industry words (see `ScopeClassifier.name_words`)."""
    core = name_core(name)
    text = core.core
    if len(text) < 2:
        return None
    terms = term_set
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
    strength = 1.0 if core.legal else brand_name_strength
    return query, kinds, f"企业名称含“{query}”", strength


def make_plan(cleaned: str, p: dict, name_item: tuple | None = None) -> _Plan:
    """The weighted items of a cleaned scope (and the enterprise name's industry words) under params `p`."""
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
