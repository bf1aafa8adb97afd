"""The 入规 pipeline: which 规下 industrial firms are closest to entering 规上, and in what order.

Stages come from the policy's revenue threshold (规上工业: 年主营业务收入 ≥
2,000 万元) and ratios: 已达标待入库 (at or above it), 临近 (≥ near_ratio),
培育 (≥ nurture_ratio), 储备 (below, or revenue unknown, but fills a 规上 gap).

Only industrial, active, independent legal persons in the district enter;
every other firm stays in the table with ``included = False`` and every
reason that applies, in Chinese, so nobody wonders where a firm went.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from classifiers.scope_parser import clean_scope, split_clauses
from industry_gap.coverage import NO_GAP, number, status_check, text
from industry_gap.policy import Policy
from industry_gap.tables import TABLES

CANDIDATE_COLUMNS = TABLES["candidates"].frame_columns  # declared in industry_gap/tables.py
SCOPE_SUMMARY_CHARS = 30  # display length of 经营范围摘要 (the deciding clause)
# quoted scope items of the classifier's evidence; not the name's words (企业名称含“…”) or annotation terms
_EVIDENCE_ITEM_RE = re.compile(r"(?<!注释词)(?<!含)“([^”]+)”")
GAP_ORDER = {"division": 0, "group": 1, "class": 2, NO_GAP: 3}
STAGE_ORDER = ("ready", "near", "nurture", "reserve")


def legal_person_exclusion(enterprise_type: str, name: str, policy: Policy) -> str:
    """Reason a firm is not an independent legal person, or '' when it is (or the type is unknown).

    Rules come from the policy (分公司/分支机构, 个体工商户, 个人独资企业,
    合伙企业, 代表机构 in the example); an empty 企业类型 is given the benefit of
    the doubt unless the name says 分公司.
    """
    for rule in policy.not_independent_legal_person:
        if any(keyword in enterprise_type for keyword in rule.type_keywords):
            return f"{rule.reason}（企业类型：{enterprise_type}）"
        if any(name.endswith(suffix) for suffix in rule.name_suffixes):
            return f"{rule.reason}（企业名称以“{next(s for s in rule.name_suffixes if name.endswith(s))}”结尾）"
    return ""


def revenue_stage(revenue_wan: float | None, fills_above_gap: bool, policy: Policy) -> str | None:
    """Stage key ('ready'/'near'/'nurture'/'reserve') or None when the firm is not in the pipeline."""
    if revenue_wan is not None and policy.meets_threshold(revenue_wan):
        return "ready"
    ratio = revenue_wan / policy.revenue_threshold_wan if revenue_wan is not None else None
    if ratio is not None and ratio >= policy.near_ratio:
        return "near"
    if ratio is not None and ratio >= policy.nurture_ratio:
        return "nurture"
    return "reserve" if fills_above_gap else None


def revenue_growth(revenue_wan: float | None, revenue_prev_wan: float | None) -> float | None:
    """Year-on-year growth, when both years are given and the earlier one is positive."""
    if revenue_wan is None or revenue_prev_wan is None or revenue_prev_wan <= 0:
        return None
    return revenue_wan / revenue_prev_wan - 1


def build_entry_pipeline(registry: pd.DataFrame, gaps: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """All 规下 firms with stage, inclusion, exclusion reasons and rank (1 = first to follow up).

    Ranking of included firms, in order: 规上 gap level (大类 first), target-list
    membership (规上口径 list, then 全口径 list), how the code is known
    (registered code, then classified at or above the 全口径 counting
    threshold, then below it), distance to the revenue threshold (closer
    first, unknown revenue last), revenue growth (higher first, unknown last).
    Columns: CANDIDATE_COLUMNS.
    """
    registry_by_key: dict[str, dict] = {}
    for record in registry.to_dict("records") if registry is not None else []:
        registry_by_key.setdefault(text(record.get("uscc")) or text(record.get("name")), record)
    rows = [
        _candidate_row(gap, registry_by_key.get(gap["uscc"] or gap["name"], {}), policy)
        for gap in gaps.to_dict("records")
    ]
    frame = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS + ["_sort"])
    return _rank(frame)


def _candidate_row(gap: dict, source: dict, policy: Policy) -> dict:
    revenue = number(source.get("revenue_wan"))
    previous = number(source.get("revenue_prev_wan"))
    fills_above = gap["gap_level_above"] not in (NO_GAP, "")
    stage = revenue_stage(revenue, fills_above, policy)
    reasons = _exclusions(gap, source, policy, stage, revenue)
    ratio = revenue / policy.revenue_threshold_wan if revenue is not None else None
    growth = revenue_growth(revenue, previous)
    included = not reasons
    row = dict(
        uscc=gap["uscc"],
        name=gap["name"],
        town=text(source.get("town")) or gap.get("town", ""),
        enterprise_type=text(source.get("enterprise_type")),
        scope_summary=deciding_clause(text(source.get("scope")), text(source.get("evidence"))),
        code=gap["code"],
        code_name=gap["code_name"],
        code_source=gap["code_source"],
        confidence=gap["confidence"],
        gap_level_above=gap["gap_level_above"],
        gap_code_above=gap["gap_code_above"],
        gap_level_all=gap["gap_level_all"],
        on_target_above=gap["on_target_above"],
        on_target_all=gap["on_target_all"],
        target_code=gap["target_code"],
        department=gap["department"],
        revenue_wan=revenue if revenue is not None else math.nan,
        revenue_prev_wan=previous if previous is not None else math.nan,
        revenue_ratio=ratio if ratio is not None else math.nan,
        revenue_growth=growth if growth is not None else math.nan,
        stage=stage if included else "",
        stage_name=policy.stage_names[stage] if included and stage is not None else "",  # included: stage is set
        included=included,
        exclusion_reason="；".join(reasons),
        rank=math.nan,
        basis=_basis(gap, revenue, ratio, growth, policy),
    )
    row["_sort"] = _sort_key(row, policy)
    return row


def _exclusions(gap: dict, source: dict, policy: Policy, stage: str | None, revenue: float | None) -> list[str]:
    """Every reason that keeps the firm out of the pipeline (empty list = included)."""
    reasons = []
    if gap["in_above_scale"]:
        reasons.append("已在规上工业企业名录")
    active, inactive_reason = status_check(text(source.get("status")), text(source.get("town")), policy)
    if not active:
        reasons.append(inactive_reason)
    if policy.require_town and not text(source.get("town")):
        reasons.append("所属镇街为空，无法确认在本区")
    legal = legal_person_exclusion(text(source.get("enterprise_type")), gap["name"], policy)
    if legal:
        reasons.append(legal)
    if gap["needs_review"]:
        reasons.append("行业分类置信度低，已列入复核清单")
    elif not gap["code"]:
        reasons.append(f"行业未确定（{gap['decision']}）")
    elif not gap["is_industrial"]:
        reasons.append(f"非工业行业（{gap['code']} {gap['code_name']}）")
    elif stage is None:
        if revenue is None:
            reasons.append("营业收入未填报且不填补规上门类空白")
        else:
            floor = policy.nurture_ratio * policy.revenue_threshold_wan
            reasons.append(f"营业收入{revenue:,.1f}万元低于培育线{floor:,.0f}万元且不填补规上门类空白")
    return reasons


def _sort_key(row: dict, policy: Policy) -> tuple:
    if row["code_source"] in ("registry", "manual"):
        confidence_band = 0
    elif (number(row["confidence"]) or 0.0) >= policy.count_in_all_min_score:
        confidence_band = 1
    else:
        confidence_band = 2
    target_rank = 0 if row["on_target_above"] else (1 if row["on_target_all"] else 2)
    ratio = number(row["revenue_ratio"])
    distance = max(0.0, 1.0 - ratio) if ratio is not None else math.inf
    growth = number(row["revenue_growth"])
    return (
        GAP_ORDER.get(row["gap_level_above"], 3),
        target_rank,
        confidence_band,
        distance,
        -growth if growth is not None else math.inf,
        -(number(row["confidence"]) or 1.0),
        row["uscc"],
    )


def _rank(frame: pd.DataFrame) -> pd.DataFrame:
    mask = frame["included"].astype(bool)
    included = frame.loc[mask].copy()
    included = included.iloc[sorted(range(len(included)), key=lambda i: included["_sort"].iloc[i])]
    included["rank"] = range(1, len(included) + 1)
    excluded = frame.loc[~mask]
    out = pd.concat([included, excluded], ignore_index=True) if len(excluded) else included.reset_index(drop=True)
    out = out.drop(columns="_sort")
    out["rank"] = out["rank"].astype("Float64")
    return out[CANDIDATE_COLUMNS]


def _basis(gap: dict, revenue: float | None, ratio: float | None, growth: float | None, policy: Policy) -> str:
    parts = [gap["basis"]] if gap.get("basis") else []
    if revenue is None:
        parts.append("营业收入未填报")
    else:
        parts.append(f"上年营业收入{revenue:,.1f}万元，为规上门槛{policy.revenue_threshold_wan:,.0f}万元的{ratio:.0%}")
    if growth is not None:
        parts.append(f"同比增长{growth:.1%}")
    return "；".join(parts)


def _summary(scope: str) -> str:
    scope = " ".join(scope.split())
    return scope if len(scope) <= SCOPE_SUMMARY_CHARS else scope[:SCOPE_SUMMARY_CHARS] + "…"


def deciding_clause(scope: str, evidence: str = "") -> str:
    """经营范围摘要: the clause of the scope that carried the classification, boilerplate removed.

    The classifier's evidence quotes the scope items that carried its prediction
    (``依据经营项目“粗纺呢绒的生产”（…）→ 1722 …``); the summary is the first clause of the
    cleaned scope (registry boilerplate, 一般项目：/许可项目： headings and qualifiers removed by
    `classifiers.scope_parser`) that holds one of them, else the first clause.
    """
    clauses = [clause for _, clause in split_clauses(clean_scope(scope))] if scope else []
    if not clauses:
        return _summary(scope)
    items = _EVIDENCE_ITEM_RE.findall(evidence or "")
    chosen = next((c for item in items for c in clauses if item in c), clauses[0])
    return _summary(chosen)


def stage_counts(candidates: pd.DataFrame, policy: Policy) -> dict[str, int]:
    """Included firms per stage, in stage order, keyed by the Chinese stage name."""
    included = candidates[candidates["included"].astype(bool)]
    return {policy.stage_names[key]: int((included["stage"] == key).sum()) for key in STAGE_ORDER}


def enters_within_year(candidate: dict, policy: Policy) -> bool:
    """Whether an included 入规 candidate can plausibly enter 规上 within the plan year (附件5).

    The rule is the policy's ``[report.annex5]``: a stage listed there, or revenue at least
    ``min_revenue_ratio`` of the threshold with growth at least ``min_growth`` that reaches the
    threshold after one more year. Without the table every included candidate qualifies.
    """
    rule = policy.annex5
    if rule is None:
        return True
    if candidate.get("stage") in rule.stages:
        return True
    ratio = number(candidate.get("revenue_ratio"))
    growth = number(candidate.get("revenue_growth"))
    revenue = number(candidate.get("revenue_wan"))
    if ratio is None or growth is None or revenue is None:
        return False
    return (
        ratio >= rule.min_revenue_ratio and growth >= rule.min_growth and policy.meets_threshold(revenue * (1 + growth))
    )


def annex5_mask(candidates: pd.DataFrame, policy: Policy) -> pd.Series:
    """附件5 membership of every candidate row: included, fills a 规上 gap, enters within the year."""
    if candidates.empty:
        return pd.Series([], dtype=bool, index=candidates.index)
    return pd.Series(
        [
            bool(r["included"]) and r["gap_level_above"] != NO_GAP and enters_within_year(r, policy)
            for r in candidates.to_dict("records")
        ],
        index=candidates.index,
        dtype=bool,
    )
