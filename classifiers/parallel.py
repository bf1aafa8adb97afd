"""Classify a large frame in chunks across worker processes (a city's registry on one machine).

Each worker receives the model once (pickled at start-up) and then only
chunks of rows, so memory stays proportional to one chunk per worker. With
`workers=1` it is exactly `ScopeClassifier.classify_frame`. The same chunking
is what a cluster executor would distribute (see README, "Scale-out").
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from classifiers.model import ScopeClassifier

_WORKER_MODEL: ScopeClassifier | None = None


def _start_worker(model: ScopeClassifier) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _classify_chunk(args: tuple[pd.DataFrame, str, str | None, int]) -> pd.DataFrame:  # in a worker
    frame, text_column, name_column, top_k = args
    assert _WORKER_MODEL is not None, "worker not initialised"
    return _WORKER_MODEL.classify_frame(frame, text_column=text_column, name_column=name_column, top_k=top_k)


def classify_in_processes(
    model: ScopeClassifier,
    frame: pd.DataFrame,
    text_column: str,
    name_column: str | None = None,
    top_k: int = 3,
    workers: int = 1,
    chunk_rows: int = 50_000,
    progress=None,
) -> pd.DataFrame:
    """`model.classify_frame` over `frame`, fanned out to `workers` processes, rows in order.

    `progress(done, total)` is called as rows are finished (after each chunk with several workers).
    """
    if workers <= 1 or len(frame) <= chunk_rows:
        return model.classify_frame(
            frame, text_column=text_column, name_column=name_column, top_k=top_k, progress=progress
        )
    chunks = [
        (frame.iloc[start : start + chunk_rows], text_column, name_column, top_k)
        for start in range(0, len(frame), chunk_rows)
    ]
    parts = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(model,)) as pool:
        for part in pool.map(_classify_chunk, chunks):
            parts.append(part)
            if progress is not None:
                progress(sum(len(p) for p in parts), len(frame))
    return (
        pd.concat(parts).loc[frame.index]
        if parts
        else model.classify_frame(frame, text_column=text_column, name_column=name_column, top_k=top_k)
    )
