"""Which scope model a run uses, and how well it does on the office's own labels.

The office's labelled enterprises are the registry rows that carry an
industry code (and, later, analysts' overrides). When there are enough of
them, a share is held out, the model is trained on the rest, and accuracy on
the held-out rows is reported, so a number in the UI says how far to trust
the ranking. Below `min_labels` the reference-only model is used as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from classifiers import ScopeClassifier, load_default_model, train_model
from classifiers.evaluation import calibration_error
from industry_gap.errors import UserError

SEED = 20170101


@dataclass
class TrainingReport:
    mode: str                                   # Chinese description of what was done
    labelled_rows: int = 0
    holdout_rows: int = 0
    accuracy: dict[str, float] = field(default_factory=dict)  # Chinese metric name -> value


@dataclass
class TrainedModel:
    model: ScopeClassifier
    report: TrainingReport


def labelled_rows(registry: pd.DataFrame, overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """(text, code) pairs: registry rows with a code, overridden by analysts' codes where given."""
    frame = registry[["uscc", "scope", "industry_code"]].rename(columns={"scope": "text", "industry_code": "code"})
    if overrides is not None and not overrides.empty:
        pinned = overrides.drop_duplicates("uscc", keep="last").set_index("uscc")["code"]
        frame["code"] = frame["uscc"].map(pinned).fillna(frame["code"])
    frame = frame[frame["code"].astype(str).str.len() > 0]
    return frame[["uscc", "text", "code"]].reset_index(drop=True)


def holdout_split(frame: pd.DataFrame, share: float, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded split so every run of the same data holds out the same rows."""
    rng = np.random.default_rng(seed)
    mask = rng.random(len(frame)) < share
    return frame[~mask].reset_index(drop=True), frame[mask].reset_index(drop=True)


def accuracy_on(model: ScopeClassifier, frame: pd.DataFrame, top_k: int = 3) -> dict[str, float]:
    """Top-1 / top-3 accuracy at 大类 and, for 4-digit labels, at 小类; the 大类 calibration error."""
    if frame.empty:
        return {}
    predicted = model.classify_frame(frame, text_column="text", top_k=top_k)
    codes = frame["code"].astype(str).to_numpy()
    columns = [f"pred_code_{i}" for i in range(1, top_k + 1)]
    preds = predicted[columns].fillna("").astype(str).to_numpy()
    metrics: dict[str, float] = {}
    for level, width, name in (("division", 2, "大类"), ("class", 4, "小类")):
        rows = np.array([len(c) >= width and c[:width].isdigit() for c in codes])
        if not rows.any():
            continue
        truth = np.array([c[:width] for c in codes])[rows]
        cut = np.vectorize(lambda c: c[:width])(preds[rows])
        metrics[f"{name} top-1"] = float(np.mean(cut[:, 0] == truth))
        metrics[f"{name} top-{top_k}"] = float(np.mean((cut == truth[:, None]).any(axis=1)))
        if level == "division":
            # the top score claims a chance that the 大类 is right; how far it is off, on these rows
            scores = pd.to_numeric(predicted["pred_score_1"], errors="coerce").fillna(0.0).to_numpy()[rows]
            calibration = calibration_error(scores, cut[:, 0] == truth)
            metrics["大类 校准误差（ECE）"] = calibration["ece"]
    return metrics


def train_office_model(labelled: pd.DataFrame | None, *, model_dir: str | None = None,
                       min_labels: int = 50, holdout_share: float = 0.2) -> TrainedModel:
    """A saved model when one is named; else reference-only, trained further on enough labels."""
    if model_dir:
        path = Path(model_dir)
        if not path.exists():
            raise UserError(f"找不到模型目录“{model_dir}”")
        model = ScopeClassifier.load(path)
        report = TrainingReport(mode=f"加载已训练模型（{model_dir}）")
        if labelled is not None and len(labelled):
            report.labelled_rows = len(labelled)
            report.holdout_rows = len(labelled)
            report.accuracy = accuracy_on(model, labelled)
        return TrainedModel(model, report)
    base = load_default_model()
    if labelled is None or len(labelled) < min_labels:
        count = 0 if labelled is None else len(labelled)
        report = TrainingReport(mode=f"参考模型（标注样本 {count} 条，少于 {min_labels} 条，未训练）",
                                labelled_rows=count)
        if count:
            report.holdout_rows = count
            report.accuracy = accuracy_on(base, labelled)
        return TrainedModel(base, report)
    train, holdout = holdout_split(labelled, holdout_share)
    model = train_model(train["text"].tolist(), train["code"].tolist(), base=base)
    report = TrainingReport(mode="参考知识 + 本地标注样本训练", labelled_rows=len(labelled),
                            holdout_rows=len(holdout), accuracy=accuracy_on(model, holdout))
    return TrainedModel(model, report)
