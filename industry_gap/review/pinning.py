"""Apply overrides: pin reviewed codes in the classified registry and the project list, make labels.

Pinning goes through the fields every later step already trusts: a firm's
``industry_code`` (coverage takes a registry code before any prediction, so
gaps, 附件5, rewards and the 入规 list all follow it) and a project's
``intended_code``. The model's own predictions (pred_*, is_industrial) are
left as they were so the file still shows what the model thought; the
``manual_review`` column ("人工核定（核定人，日期）") and the evidence say
the code is a person's decision.
"""

from __future__ import annotations

import pandas as pd

from industry_gap.coverage import text
from industry_gap.gaps import project_ids
from industry_gap.review.columns import MANUAL_REVIEW_LABEL
from industry_gap.review.merging import conform_overrides

LABEL_COLUMNS = ["uscc", "text", "code"]


def _pins(overrides: pd.DataFrame | None, kind: str) -> dict[str, dict]:
    """{key: override} for one kind; with several per key the newest date (then the later row) wins."""
    frame = conform_overrides(overrides)
    frame = frame[frame["entity_kind"] == kind]
    key = "uscc" if kind == "enterprise" else "entity_id"
    pins: dict[str, dict] = {}
    for record in frame.sort_values("reviewed_on", kind="stable").to_dict("records"):
        if record[key]:
            pins[record[key]] = record
    return pins


def manual_review_text(override: dict) -> str:
    """ "人工核定（张三，2025-11-20）", the mark every output shows beside a pinned code."""
    return f"{MANUAL_REVIEW_LABEL}（{override['reviewer']}，{override['reviewed_on']}）"


def _evidence_text(override: dict, previous_code: str, previous_evidence: str) -> str:
    details = [f"{override['reviewer']}，{override['reviewed_on']}"]
    if previous_code and previous_code != override["code"]:
        details.append(f"原行业代码{previous_code}")
    if override["note"]:
        details.append(f"备注：{override['note']}")
    pinned = f"{MANUAL_REVIEW_LABEL}：{override['code']} {override['code_name']}（{'；'.join(details)}）"
    return f"{pinned}；{previous_evidence}" if previous_evidence else pinned


def _column(frame: pd.DataFrame, name: str) -> list[str]:
    return [text(v) for v in frame[name].tolist()] if name in frame.columns else [""] * len(frame)


def apply_overrides(classified: pd.DataFrame, overrides: pd.DataFrame | None) -> pd.DataFrame:
    """A copy of the classified registry with firms' reviewed codes pinned and marked.

    Adds ``manual_review`` ('' where no override). Rows without an override are
    unchanged. Pass merged overrides (one per firm); duplicates resolve newest-first.
    """
    out = classified.copy()
    pins = _pins(overrides, "enterprise")
    codes, evidence = _column(out, "industry_code"), _column(out, "evidence")
    marks = [""] * len(out)
    for position, uscc in enumerate(_column(out, "uscc")):
        override = pins.get(uscc.upper())
        if override is None:
            continue
        evidence[position] = _evidence_text(override, codes[position], evidence[position])
        codes[position] = override["code"]
        marks[position] = manual_review_text(override)
    if any(marks):
        out["industry_code"] = codes
        out["evidence"] = evidence
    out["manual_review"] = marks
    return out


def apply_project_overrides(projects: pd.DataFrame, overrides: pd.DataFrame | None) -> pd.DataFrame:
    """A copy of the project list with reviewed codes as 拟扩增门类代码, plus ``manual_review``.

    Projects are matched by `industry_gap.gaps.project_ids` (the review list's 记录编号).
    """
    out = projects.copy()
    pins = _pins(overrides, "project")
    codes = _column(out, "intended_code")
    marks = [""] * len(out)
    for position, project_id in enumerate(project_ids(out)):
        override = pins.get(project_id)
        if override is not None:
            codes[position] = override["code"]
            marks[position] = manual_review_text(override)
    if any(marks):
        out["intended_code"] = codes
    out["manual_review"] = marks
    return out


def override_labels(overrides: pd.DataFrame | None, registry: pd.DataFrame) -> pd.DataFrame:
    """(uscc, text, code) training labels: each reviewed firm's 经营范围 with its reviewed code.

    Firms no longer in the registry or with an empty scope give no label (nothing to learn from).
    """
    pins = _pins(overrides, "enterprise")
    scopes: dict[str, str] = {}
    for uscc, scope in zip(_column(registry, "uscc"), _column(registry, "scope")):
        scopes.setdefault(uscc.upper(), scope)
    rows = [(uscc, scopes[uscc], pin["code"]) for uscc, pin in pins.items() if scopes.get(uscc)]
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)


def unmatched_overrides(
    overrides: pd.DataFrame | None, known_usccs: set[str], known_entity_ids: set[str] | None = None
) -> list[str]:
    """Chinese messages for stored overrides whose firm or project is not in this run (kept, not applied)."""
    usccs = {text(u).upper() for u in known_usccs}
    entity_ids = {text(e) for e in known_entity_ids or ()}
    messages = []
    for record in conform_overrides(overrides).to_dict("records"):
        if record["entity_kind"] == "project":
            if record["entity_id"] not in entity_ids:
                messages.append(
                    f"人工核定的项目（{record['name']}，记录编号{record['entity_id']}）不在本次项目清单中，"
                    f"其核定 {record['code']} 本次未应用（已保留）"
                )
        elif record["uscc"] not in usccs:
            messages.append(
                f"人工核定的企业（{record['name']}，{record['uscc']}）不在本次名录中，"
                f"其核定 {record['code']} 本次未应用（已保留）"
            )
    return messages
