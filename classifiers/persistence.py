"""Saving and loading a classifier so that a process loads it in a fraction of a second.

A model directory holds
* `model.joblib` (the name callers look for): the model's object graph as a standard pickle
  (protocol 5, read by the C unpickler), without its large arrays and vocabularies;
* `arrays.npy`: the bytes of every large numpy array of the graph (sparse matrices as their
  data/indices/indptr arrays, linear models' coefficients …), each 64-byte aligned, memory-mapped
  on load: pages are read when used and shared by every process that loads the same file;
* `model.json`: the metadata (version, hashes, metrics, parameters) and the layout of
  `arrays.npy` (`format`).

Scoring needs no scikit-learn (importing it took seconds of every process's start): a reference
scorer's estimators are stored as `Deferred` objects, built on first use (training, tests), beside
the arrays scoring reads (`classifiers.query_lookup.QueryLookup`). Vectorisers' vocabularies (a
dict of 220,000 n-grams) are stored as arrays (`classifiers.features.PackedVocabulary`).
Models saved before this layout (joblib, no `format` in model.json) still load, slowly. A
loaded model is kept per process: loading the same unchanged directory again returns it.
"""

from __future__ import annotations

import json
import os
import pickle
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from classifiers.features import PackedVocabulary

if TYPE_CHECKING:
    from classifiers.model import ScopeClassifier

MODEL_FILE = "model.joblib"
META_FILE = "model.json"
ARRAYS_FILE = "arrays.npy"
FORMAT_VERSION = 2  # 1: the whole model through joblib (no "format" in model.json)
_OUT_OF_BAND_BYTES = 1 << 16  # smaller arrays stay inside the pickle (writable, one read)
_ALIGN = 64

_LOADED: dict[tuple, ScopeClassifier] = {}
_LOCK = threading.Lock()


class ModelFileError(ValueError):
    """A model directory that is incomplete, damaged or not a classifier (message in Chinese)."""


def save_model(model: ScopeClassifier, directory) -> Path:
    """Write the model's pickle, its large arrays and its metadata (JSON) into `directory`."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    buffers: list[pickle.PickleBuffer] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        if buffer.raw().nbytes < _OUT_OF_BAND_BYTES:
            return True  # pickled in-band
        buffers.append(buffer)
        return False

    import io

    stream = io.BytesIO()
    _ModelPickler(stream, protocol=5, buffer_callback=out_of_band).dump(model)
    layout = []
    offset = 0
    for buffer in buffers:
        offset = -(-offset // _ALIGN) * _ALIGN
        size = buffer.raw().nbytes
        layout.append([offset, size])
        offset += size
    # Each file is written beside its final name and swapped in (arrays first, metadata last): a
    # process that has the old model memory-mapped keeps reading the old file, never a half-written one.
    arrays = _temporary(path / ARRAYS_FILE)
    blob = np.lib.format.open_memmap(arrays, mode="w+", dtype=np.uint8, shape=(max(offset, 1),))
    for (start, size), buffer in zip(layout, buffers):
        blob[start : start + size] = np.frombuffer(buffer.raw(), dtype=np.uint8)
    blob.flush()
    del blob
    os.replace(arrays, path / ARRAYS_FILE)
    _replace_with(path / MODEL_FILE, stream.getvalue())
    meta = {
        "version": model.version,
        "reference_hash": model.reference_hash,
        "training_hash": model.training_hash,
        "metrics": model.metrics,
        "info": model.info,
        "params": model.params,
        "format": {"version": FORMAT_VERSION, "arrays": layout},
    }
    _replace_with(path / META_FILE, json.dumps(meta, ensure_ascii=False, indent=2, default=_json_default).encode())
    return path


def _temporary(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def _replace_with(final: Path, data: bytes) -> None:
    """Write `data` to `final` by a rename, so no reader sees the file half written."""
    temporary = _temporary(final)
    temporary.write_bytes(data)
    os.replace(temporary, final)


def load_model(directory) -> ScopeClassifier:
    """The model saved in `directory` (or at a model file), once per process while it is unchanged.

    FileNotFoundError when there is no model file; ModelFileError (Chinese message) when the
    directory is incomplete or damaged."""
    path = Path(directory)
    folder = path.parent if path.is_file() else path
    target = folder / MODEL_FILE
    if not target.exists():
        raise FileNotFoundError(f"模型文件不存在：{target}")
    try:
        stamp = tuple((f.stat().st_mtime_ns, f.stat().st_size) for f in (target, folder / META_FILE) if f.exists())
        key = (str(folder.resolve()), stamp)
    except OSError as error:
        raise ModelFileError(f"模型目录“{folder}”无法读取：{error}") from error
    with _LOCK:
        model = _LOADED.get(key)
        if model is None:
            model = _read(folder, target)
            for old in [k for k in _LOADED if k[0] == key[0]]:
                del _LOADED[old]
            _LOADED[key] = model
    return model


def _read(folder: Path, target: Path) -> ScopeClassifier:
    from classifiers.model import ScopeClassifier

    damaged = f"模型目录“{folder}”不完整或已损坏，请删除后重新训练（或重新生成）"
    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        meta = {}  # a model file alone: the joblib layout
    except (OSError, ValueError) as error:
        raise ModelFileError(f"{damaged}：{META_FILE} 无法读取（{error}）") from error
    layout = meta.get("format") if isinstance(meta, dict) else None
    try:
        if layout is None:
            import joblib

            model = joblib.load(target)  # saved before the array layout
        else:
            if not isinstance(layout, dict) or layout.get("version") != FORMAT_VERSION:
                raise ModelFileError(f"{damaged}：模型格式版本 {layout!r} 不受支持")
            blob = np.load(folder / ARRAYS_FILE, mmap_mode="r")
            spans = [(int(start), int(size)) for start, size in layout["arrays"]]
            if any(start + size > blob.shape[0] for start, size in spans):
                raise ModelFileError(f"{damaged}：{ARRAYS_FILE} 比记录的短")
            buffers = [blob[start : start + size] for start, size in spans]
            model = pickle.loads(target.read_bytes(), buffers=buffers)
    except ModelFileError:
        raise
    except Exception as error:  # noqa: BLE001 - a truncated or foreign file: say so, no traceback
        raise ModelFileError(f"{damaged}：{type(error).__name__}: {error}") from error
    if not isinstance(model, ScopeClassifier):
        raise ModelFileError(f"{target} 不是经营范围分类模型")
    return model


class _ModelPickler(pickle.Pickler):
    """The standard pickler, except that a reference scorer's scikit-learn estimators are stored
    as `Deferred` (built on first use, see `ReferenceScorer.__getattr__`) beside the arrays scoring
    needs (`QueryLookup`), and vectorisers' vocabularies as arrays (`PackedVocabulary`)."""

    def reducer_override(self, obj):
        from classifiers.reference_scorer import ReferenceScorer

        if type(obj) is ReferenceScorer:
            obj._lookup()  # the run-time tables, built now so a loaded scorer never needs the estimators
            state = obj.__getstate__()
            deferred = dict(state.get("_deferred") or {})
            for name in ("div_vectorizer", "bm_vectorizer", "div_model"):
                if name in state:
                    deferred[name] = Deferred(state.pop(name))
            state["_deferred"] = deferred
            return _restore_object, (ReferenceScorer, state)
        if _is_sklearn(obj) and isinstance(getattr(obj, "vocabulary_", None), dict):
            state = dict(obj.__dict__)
            state["vocabulary_"] = PackedVocabulary(state["vocabulary_"])
            return _restore_vectorizer, (type(obj), state)
        return NotImplemented


def _restore_object(cls, state: dict):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


def _restore_vectorizer(cls, state: dict):
    state["vocabulary_"] = state["vocabulary_"].to_dict()
    return _restore_object(cls, state)


def _is_sklearn(obj) -> bool:
    return type(obj).__module__.split(".", 1)[0] == "sklearn"


class Deferred:
    """A scikit-learn object stored without a reference to its class's module, so that loading
    it imports nothing; `materialize()` imports scikit-learn and builds the object."""

    def __init__(self, obj):
        self.module = type(obj).__module__
        self.qualname = type(obj).__qualname__
        self.state: dict = {}
        self.pickled: dict[str, bytes] = {}  # scikit-learn values without a __dict__ (Cython objects)
        for key, value in obj.__dict__.items():
            if key == "vocabulary_" and isinstance(value, dict):
                value = PackedVocabulary(value)
            elif _is_sklearn(value):
                if hasattr(value, "__dict__"):
                    value = Deferred(value)
                else:
                    self.pickled[key] = pickle.dumps(value, protocol=5)
                    continue
            self.state[key] = value

    def materialize(self):
        import importlib

        cls = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            cls = getattr(cls, part)
        obj = cls.__new__(cls)
        for key, value in self.state.items():
            if isinstance(value, Deferred):
                value = value.materialize()
            elif key == "vocabulary_" and isinstance(value, PackedVocabulary):
                value = value.to_dict()
            obj.__dict__[key] = value
        for key, blob in self.pickled.items():
            obj.__dict__[key] = pickle.loads(blob)
        return obj


def _json_default(obj):
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def forget_loaded() -> None:
    """Drop the per-process cache of loaded models (tests, long-lived processes after retraining)."""
    with _LOCK:
        _LOADED.clear()


__all__ = ["ARRAYS_FILE", "META_FILE", "MODEL_FILE", "ModelFileError", "load_model", "save_model", "forget_loaded"]
