"""How far a model's top score is from its hit rate: the figure the open-world gate is tuned on and
`evaluate` reports."""

from __future__ import annotations

import numpy as np


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
