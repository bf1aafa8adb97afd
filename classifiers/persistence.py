"""Saving and loading a classifier: the model file and its metadata (JSON) in one directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from classifiers.model import ScopeClassifier

MODEL_FILE = "model.joblib"
META_FILE = "model.json"


def save_model(model: ScopeClassifier, directory) -> Path:
    """Write the model (joblib) and its metadata (JSON) into `directory`."""
    import joblib

    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path / MODEL_FILE)  # uncompressed: loading is a plain read (≈2× faster)
    meta = {
        "version": model.version,
        "reference_hash": model.reference_hash,
        "training_hash": model.training_hash,
        "metrics": model.metrics,
        "info": model.info,
        "params": model.params,
    }
    (path / META_FILE).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, default=_json_default), encoding="utf-8"
    )
    return path


def load_model(directory) -> ScopeClassifier:
    import joblib

    from classifiers.model import ScopeClassifier

    path = Path(directory)
    target = path / MODEL_FILE if path.is_dir() else path
    if not target.exists():
        raise FileNotFoundError(f"模型文件不存在：{target}")
    model = joblib.load(target)
    if not isinstance(model, ScopeClassifier):
        raise TypeError(f"{target} 不是经营范围分类模型")
    return model


def _json_default(obj):
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
