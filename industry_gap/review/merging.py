"""Combine the overrides stored in the warehouse with those of a newly read file.

Overrides accumulate month after month; a firm reviewed twice keeps the
newer decision. Replacing a stored decision is never silent: every change of
code, every re-confirmation by another person or on another day, and every
new line that loses to a newer stored one gets a Chinese message.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from industry_gap.coverage import text
from industry_gap.review.columns import OVERRIDE_COLUMNS
from industry_gap.review.overrides import KIND_WORDS, entity_label


def conform_overrides(frame: pd.DataFrame | None) -> pd.DataFrame:
    """`frame` with OVERRIDE_COLUMNS as text (source_row as int); older rows without a kind are firms."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=OVERRIDE_COLUMNS).astype({"source_row": "int64"})
    records = []
    for record in frame.to_dict("records"):
        row: dict[str, Any] = {column: text(record.get(column)) for column in OVERRIDE_COLUMNS}
        row["uscc"] = row["uscc"].upper()
        row["entity_kind"] = row["entity_kind"] or "enterprise"
        row["entity_id"] = row["entity_id"] or row["uscc"]
        row["source_row"] = _row_number(record.get("source_row"))
        records.append(row)
    return pd.DataFrame(records, columns=OVERRIDE_COLUMNS)


def _row_number(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def override_key(record: dict) -> tuple[str, str]:
    """Firms by USCC (their entity_id), projects by the review list's project id."""
    return record["entity_kind"], record["entity_id"]


def merge_overrides(stored: pd.DataFrame | None, new: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """(one override per firm/project, Chinese messages): the newest 核定日期 wins, ties go to `new`.

    Stored order is kept; firms seen for the first time follow in the order of `new`.
    """
    current: dict[tuple[str, str], dict] = {}
    messages: list[str] = []
    for record in conform_overrides(stored).to_dict("records"):
        current[override_key(record)] = record  # stored is already one per key; keep the last if not
    for record in conform_overrides(new).to_dict("records"):
        key = override_key(record)
        old = current.get(key)
        if old is not None:
            message = _decision_text(old, record)
            if message:
                messages.append(message)
            if record["reviewed_on"] < old["reviewed_on"]:
                continue
        current[key] = record
    return pd.DataFrame(list(current.values()), columns=OVERRIDE_COLUMNS), messages


def _decision_text(old: dict, new: dict) -> str | None:
    """What happened to a stored decision when a new line for the same firm arrives (None: no change)."""
    kind = KIND_WORDS.get(new["entity_kind"], "企业")
    label = entity_label(new if new["name"] else old)
    where = f"{new['source_file']}第{new['source_row']}行" if new["source_file"] else "新读入的核定"
    if new["reviewed_on"] < old["reviewed_on"]:
        if new["code"] == old["code"]:
            return None
        return (
            f"{where}对{kind}（{label}）的核定 {new['code']}（{new['reviewed_on']}）早于已存的核定 {old['code']}"
            f"（{old['reviewer']}，{old['reviewed_on']}），未采用"
        )
    if new["code"] != old["code"]:
        return (
            f"{kind}（{label}）的人工核定由 {old['code']}（{old['reviewer']}，{old['reviewed_on']}）"
            f"改为 {new['code']}（{new['reviewer']}，{new['reviewed_on']}，{where}）"
        )
    if (new["reviewer"], new["reviewed_on"]) != (old["reviewer"], old["reviewed_on"]):
        return f"{kind}（{label}）的人工核定 {new['code']} 由{new['reviewer']}于{new['reviewed_on']}再次确认（{where}）"
    return None
