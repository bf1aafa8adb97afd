"""Tables: a frame's scopes classified in chunks into prediction columns (`ScopeClassifier.classify_frame`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reference import standard

if TYPE_CHECKING:
    from classifiers.model import ScopeClassifier


def classify_frame(
    model: ScopeClassifier,
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
    sc = model.scorer
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
        plans, _, _, top_cls, top_scores, status = model._core(texts, k, names, with_p=False)
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
            shown = np.flatnonzero(~empty_rows).tolist()
            texts_shown = model._evidence_list([plans[r] for r in shown], cls[shown, 0].tolist())
            evidence_col = [""] * len(plans)
            for r, text in zip(shown, texts_shown):
                evidence_col[r] = text
            cols["evidence"] = evidence_col
        else:
            cols["evidence"] = [""] * len(plans)
        cols["reason"] = [
            plans[r].reason if st == 1 else model._NO_MATCH if st == 2 else model._ONLY_GENERIC if st == 3 else ""
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
