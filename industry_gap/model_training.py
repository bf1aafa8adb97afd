"""Which scope model a run uses, and how well it does on the office's own labels.

The office's labelled enterprises are the registry rows that carry an
industry code (and, later, analysts' overrides). When there are enough of
them, a share is held out, the model is trained on the rest, and accuracy on
the held-out rows is reported, so a number in the UI says how far to trust
the ranking. Below `min_labels` the reference-only model is used as is.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from classifiers import ScopeClassifier, load_default_model, train_model
from classifiers.evaluation import evaluate_model, summary_metrics
from classifiers.persistence import ModelFileError
from industry_gap.errors import UserError

SEED = 20170101
# Labels beyond these add little accuracy but much time (a city district's 35,000 coded firms took
# over ten minutes to train on 2 cores, 18,000 took about one); a seeded sample is used above them.
MAX_TRAINING_ROWS = 20_000
MAX_HOLDOUT_ROWS = 5_000


@dataclass
class TrainingReport:
    mode: str  # Chinese description of what was done
    labelled_rows: int = 0
    holdout_rows: int = 0
    accuracy: dict[str, float] = field(default_factory=dict)  # Chinese metric name -> value
    reused: bool = False  # a cached trained model was loaded instead of training


@dataclass
class TrainedModel:
    model: ScopeClassifier
    report: TrainingReport


def labelled_rows(registry: pd.DataFrame, overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """(uscc, text, name, code): registry rows with a code, overridden by analysts' codes where given."""
    columns = (
        ["uscc", "scope", "name", "industry_code"] if "name" in registry.columns else ["uscc", "scope", "industry_code"]
    )
    frame = registry[columns].rename(columns={"scope": "text", "industry_code": "code"})
    if "main_activity" in registry.columns:  # the register's 主要业务活动 with the scope, as classified
        from classifiers.text import combine_activity_and_scope

        frame["text"] = [
            combine_activity_and_scope(m, t) for m, t in zip(registry["main_activity"].tolist(), frame["text"].tolist())
        ]
    if "name" not in frame.columns:
        frame["name"] = ""
    if overrides is not None and not overrides.empty:
        pinned = overrides.drop_duplicates("uscc", keep="last").set_index("uscc")["code"]
        frame["code"] = frame["uscc"].map(pinned).fillna(frame["code"])
    frame = frame[frame["code"].astype(str).str.len() > 0]
    return frame[["uscc", "text", "name", "code"]].reset_index(drop=True)


def holdout_split(frame: pd.DataFrame, share: float, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded split so every run of the same data holds out the same rows."""
    rng = np.random.default_rng(seed)
    mask = rng.random(len(frame)) < share
    return frame[~mask].reset_index(drop=True), frame[mask].reset_index(drop=True)


def capped(frame: pd.DataFrame, limit: int, seed: int = SEED) -> pd.DataFrame:
    """At most `limit` rows (0 = all): a seeded random sample in the original order."""
    if limit <= 0 or len(frame) <= limit:
        return frame
    return frame.sample(n=limit, random_state=seed).sort_index().reset_index(drop=True)


def accuracy_on(model: ScopeClassifier, frame: pd.DataFrame, top_k: int = 3) -> dict[str, float]:
    """Top-1 / top-k accuracy at 大类 and, for 小类 labels, at 小类; the 大类 calibration error.

    Scored by `classifiers.evaluation` (the scorer of `industry-gap evaluate`), so the figures on
    the UI are the ones `evaluate` prints for the same rows and model."""
    if frame.empty:
        return {}
    names = frame["name"].fillna("").astype(str).tolist() if "name" in frame.columns else None
    report = evaluate_model(model, frame["text"].tolist(), frame["code"].astype(str).tolist(), names=names)
    return summary_metrics(report, top_k)


def train_office_model(
    labelled: pd.DataFrame | None,
    *,
    model_dir: str | None = None,
    min_labels: int = 50,
    holdout_share: float = 0.2,
    cache_dir: str | Path | None = None,
    max_training_rows: int = MAX_TRAINING_ROWS,
) -> TrainedModel:
    """A saved model when one is named; else reference-only, trained further on enough labels.

    With `cache_dir`, a trained model is kept there under the hash of its labels, the
    reference data, the classifier's code and version and the split settings, and reused
    until one of them changes (training takes tens of seconds; loading about one)."""
    if model_dir:
        path = Path(model_dir)
        if not path.exists():
            raise UserError(f"找不到模型目录“{model_dir}”")
        model = load_model_or_explain(path)
        report = TrainingReport(mode=f"加载已训练模型（{model_dir}）")
        if labelled is not None and len(labelled):
            report.labelled_rows = len(labelled)
            report.holdout_rows = len(labelled)
            report.accuracy = accuracy_on(model, labelled)
        return TrainedModel(model, report)
    if labelled is None or len(labelled) < min_labels:
        base = load_default_model()
        count = 0 if labelled is None else len(labelled)
        report = TrainingReport(
            mode=f"参考模型（标注样本 {count} 条，少于 {min_labels} 条，未训练）", labelled_rows=count
        )
        if labelled is not None and count:
            report.holdout_rows = count
            report.accuracy = accuracy_on(base, labelled)
        return TrainedModel(base, report)
    key = training_key(labelled, min_labels, holdout_share, max_training_rows)
    cached = _load_cached(cache_dir, key) if cache_dir else None
    if cached is not None:
        return cached  # the reference model is not even loaded: the trained one contains it
    base = load_default_model()
    train, holdout = holdout_split(labelled, holdout_share)
    sampled = f"，从 {len(train):,} 条中抽取 {max_training_rows:,} 条训练" if 0 < max_training_rows < len(train) else ""
    train, holdout = capped(train, max_training_rows), capped(holdout, MAX_HOLDOUT_ROWS)
    names = train["name"].tolist() if "name" in train.columns else None
    model = train_model(train["text"].tolist(), train["code"].tolist(), base=base, names=names)
    why = _why_retrained(cache_dir)
    report = TrainingReport(
        mode=f"参考知识 + 本地标注样本训练（{why}{sampled}）",
        labelled_rows=len(labelled),
        holdout_rows=len(holdout),
        accuracy=accuracy_on(model, holdout),
    )
    if cache_dir:
        _store_cached(cache_dir, key, model, report)
    return TrainedModel(model, report)


def pool_district_labels(labels: Mapping[str, pd.DataFrame | None]) -> pd.DataFrame:
    """The districts' labelled rows (`labelled_rows` of each) as one table, in district-name order, so
    the same labels give the same table and the same cache key whatever order the districts finish in."""
    frames: list[pd.DataFrame] = []
    for name in sorted(labels):
        frame = labels[name]
        if frame is not None and len(frame):
            frames.append(frame[["uscc", "text", "name", "code"]])
    if not frames:
        return pd.DataFrame(columns=["uscc", "text", "name", "code"])
    return pd.concat(frames, ignore_index=True)


def train_city_office_model(
    labels: Mapping[str, pd.DataFrame | None],
    *,
    model_dir: str | None = None,
    min_labels: int = 50,
    holdout_share: float = 0.2,
    cache_dir: str | Path | None = None,
    max_training_rows: int = MAX_TRAINING_ROWS,
) -> TrainedModel:
    """ONE office model for a city: trained once on the pooled labelled rows of all its districts
    ({district: labelled_rows(...)}), cached under the hash of the pooled labels like a district's.

    The district is not a feature: a firm's scope and name say what it does wherever it is
    registered, and the districts of one city code with the same standard and practice."""
    pooled = pool_district_labels(labels)
    districts = sum(1 for frame in labels.values() if frame is not None and len(frame))
    trained = train_office_model(
        pooled,
        model_dir=model_dir,
        min_labels=min_labels,
        holdout_share=holdout_share,
        cache_dir=cache_dir,
        max_training_rows=max_training_rows,
    )
    if districts > 1 and not model_dir:
        trained.report.mode = f"全市 {districts} 个区县标注合并：{trained.report.mode}"
    return trained


_CACHE_PREFIX = "office-model-"
_REPORT_FILE = "training_report.json"


def training_key(
    labelled: pd.DataFrame, min_labels: int, holdout_share: float, max_training_rows: int = MAX_TRAINING_ROWS
) -> str:
    """Hash of everything a trained office model and its stored held-out figures depend on."""
    from classifiers import evaluation
    from classifiers.knowledge import reference_hash
    from classifiers.model import MODEL_VERSION, text_hash
    from classifiers.training import code_hash

    names = labelled["name"] if "name" in labelled.columns else pd.Series([""] * len(labelled))
    rows = [f"{t}\x1d{n}" for t, n in zip(labelled["text"].astype(str), names.fillna("").astype(str))]
    digest = hashlib.sha256(
        "|".join(
            [
                MODEL_VERSION,
                reference_hash(),
                code_hash(),
                text_hash(rows, labelled["code"].astype(str)),
                hashlib.sha256(Path(evaluation.__file__).read_bytes()).hexdigest()[:12],  # the scorer of the figures
                str(min_labels),
                repr(float(holdout_share)),
                str(SEED),
                str(max_training_rows),
            ]
        ).encode("utf-8")
    )
    return digest.hexdigest()[:20]


def load_model_or_explain(path: Path) -> ScopeClassifier:
    """A saved model, or a UserError that says which directory cannot be read and why."""
    try:
        return ScopeClassifier.load(path)
    except ModelFileError as error:
        raise UserError(str(error)) from None
    except Exception as error:  # noqa: BLE001 - an unreadable file of any kind is the user's to fix
        raise UserError(f"无法读取模型目录“{path}”：{error}") from None


def _load_cached(cache_dir, key: str) -> TrainedModel | None:
    path = Path(cache_dir) / f"{_CACHE_PREFIX}{key}"
    if not (path / _REPORT_FILE).exists():
        return None
    try:
        model = ScopeClassifier.load(path)
        saved = json.loads((path / _REPORT_FILE).read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - a broken cache entry is retrained, never trusted
        return None
    report = TrainingReport(
        mode=f"{saved['mode']}；复用已训练模型（标注、参考数据与模型版本均未变化）",
        labelled_rows=saved["labelled_rows"],
        holdout_rows=saved["holdout_rows"],
        accuracy=saved["accuracy"],
        reused=True,
    )
    return TrainedModel(model, report)


def _why_retrained(cache_dir) -> str:
    if not cache_dir or not Path(cache_dir).is_dir():
        return "首次训练"
    if any(Path(cache_dir).glob(f"{_CACHE_PREFIX}*")):
        return "重新训练：标注、参考数据或模型版本已变化"
    return "首次训练"


def _store_cached(cache_dir, key: str, model: ScopeClassifier, report: TrainingReport) -> None:
    """Save atomically (a temporary folder renamed into place) and drop older entries."""
    root = Path(cache_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        model.save(tmp)
        mode = report.mode.split("（")[0]
        (tmp / _REPORT_FILE).write_text(
            json.dumps(
                {
                    "mode": mode,
                    "labelled_rows": report.labelled_rows,
                    "holdout_rows": report.holdout_rows,
                    "accuracy": report.accuracy,
                },
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
        target = root / f"{_CACHE_PREFIX}{key}"
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        for stale in root.glob(f"{_CACHE_PREFIX}*"):
            if stale != target:
                shutil.rmtree(stale, ignore_errors=True)
    except OSError:
        pass  # an unwritable cache only costs the next run a retraining


@dataclass(frozen=True)
class SavedOfficeModel:
    """An office model a run kept in OUTPUT/models/ (what `classify` and `evaluate` use by default)."""

    path: Path
    saved: float  # modification time of its model file (seconds since the epoch)
    mode: str = ""
    labelled_rows: int = 0

    def describe(self) -> str:
        import datetime as dt

        when = dt.datetime.fromtimestamp(self.saved).strftime("%Y-%m-%d %H:%M")
        rows = f"用 {self.labelled_rows:,} 条本单位标注训练，" if self.labelled_rows else ""
        return f"本单位模型 {self.path}（{rows}{when} 保存；即 industry-gap run 在该输出目录使用的模型）"


def latest_office_model(output_dir: str | Path) -> SavedOfficeModel | None:
    """The most recently saved office model under OUTPUT/models/, or None when the runs trained none."""
    root = Path(output_dir) / "models"
    found: list[SavedOfficeModel] = []
    for entry in root.glob(f"{_CACHE_PREFIX}*") if root.is_dir() else []:
        model_file = entry / "model.joblib"
        if not (entry / _REPORT_FILE).is_file() or not model_file.is_file():
            continue  # a half-written or foreign folder
        try:
            saved = json.loads((entry / _REPORT_FILE).read_text(encoding="utf-8"))
            found.append(
                SavedOfficeModel(
                    entry,
                    model_file.stat().st_mtime,
                    str(saved.get("mode", "")),
                    int(saved.get("labelled_rows", 0)),
                )
            )
        except (OSError, ValueError, TypeError):
            continue
    return max(found, key=lambda m: (m.saved, m.path.name)) if found else None
