"""The result of classifying one scope: top 小类 with calibrated scores that agree across levels."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reference import LEVELS, standard


@dataclass
class Prediction:
    """The result for one scope (and enterprise name).

    codes/names/scores: the top-k 小类, descending probability; several may share a
    大类. A score is the calibrated probability of that 小类; a 中类/大类/门类's
    probability is the sum of its 小类 (`level_scores`), so levels never contradict.
    `division`/`group`/`section` and `is_industrial` describe the top 小类.
    `evidence` is Chinese text naming the items (and the name) behind the top
    prediction; `reason` says why there is no prediction ("" otherwise).
    `division_scores` holds the 大类 distribution (top 10), `class_scores` the top 30 小类.
    """

    codes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    evidence: str = ""
    reason: str = ""
    division_scores: dict[str, float] = field(default_factory=dict)
    class_scores: dict[str, float] = field(default_factory=dict)

    @property
    def code(self) -> str | None:
        return self.codes[0] if self.codes else None

    @property
    def score(self) -> float | None:
        return self.scores[0] if self.scores else None

    def _ancestor(self, level: str) -> str | None:
        if not self.codes:
            return None
        node = standard().ancestor(self.codes[0], level)
        return node.code if node else None

    @property
    def group(self) -> str | None:
        return self._ancestor("group")

    @property
    def division(self) -> str | None:
        return self._ancestor("division")

    @property
    def section(self) -> str | None:
        return self._ancestor("section")

    @property
    def is_industrial(self) -> bool | None:
        return standard().is_industrial(self.codes[0]) if self.codes else None

    def level_scores(self, level: str) -> dict[str, float]:
        """Scores at `level` ('class', 'group', 'division', 'section'), descending.

        A node's score is the sum of the probabilities of the 小类 beneath it: 大类 and 门类
        from the full 大类 distribution, 中类 from the kept `class_scores` (the top 30 小类,
        so a lower bound). A parent therefore always scores at least any of its children.
        """
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        s = standard()
        source = (
            self.division_scores if level in ("division", "section") and self.division_scores else self.class_scores
        )
        out: dict[str, float] = {}
        for code, score in source.items():
            node = s.ancestor(code, level)
            if node:
                out[node.code] = out.get(node.code, 0.0) + score
        return {k: round(v, 4) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


def _top_entries(M: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """Per row, the (column, value rounded to 4) of its k largest positive values, descending.

    One partial sort for the whole chunk instead of a full argsort per row.
    """
    k = min(k, M.shape[1])
    idx = np.argpartition(-M, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(M, idx, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    idx, vals = np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)
    rounded = np.round(vals, 4).tolist()
    return [
        [(i, v) for i, v, raw in zip(ri, rv, rr) if raw > 0] for ri, rv, rr in zip(idx.tolist(), rounded, vals.tolist())
    ]
