"""Which industrial categories the district has, at 规上 and 全口径 scope, and progress since a baseline.

Two scopes, as the plan counts them:

* 规上口径 (``above``): a node is present when a firm on the 规上 list carries a
  code at or below it (its official code).
* 全口径 (``all``): 规上 firms plus active 规下 firms. A 规下 firm counts by its
  registered 行业代码 when it has one, else by its classified 小类 when the
  classifier's top score reaches ``policy.count_in_all_min_score``. The
  decision and its source are kept per firm (`resolve_enterprise_codes`).

Codes may be 2, 3 or 4 digits: a firm registered only at 中类 makes its 中类 and
大类 present, never a 小类 beneath it. Only sections B, C, D are covered
(41 大类, 207 中类, 666 小类).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from industry_gap.policy import GAP_LEVELS, SCOPE_NAMES, Policy
from industry_gap.tables import TABLES
from reference import LEVEL_NAMES, Node, normalize_code, standard

NO_GAP = "none"
GAP_LEVEL_NAMES = {**{k: LEVEL_NAMES[k] for k in GAP_LEVELS}, NO_GAP: "无"}

ENTERPRISE_CODE_COLUMNS = TABLES["enterprise_codes"].frame_columns  # declared in industry_gap/tables.py
COVERAGE_COLUMNS = TABLES["coverage"].frame_columns  # declared in industry_gap/tables.py
BASELINE_COLUMNS = TABLES["baseline"].frame_columns  # declared in industry_gap/tables.py
PROGRESS_COLUMNS = TABLES["progress"].frame_columns  # declared in industry_gap/tables.py
DIVISION_COLUMNS = [
    "division",
    "name",
    "classes_total",
    "classes_above",
    "classes_all",
    "groups_total",
    "groups_above",
    "groups_all",
    "present_above",
    "present_all",
]

CODE_SOURCE_NAMES = {
    "above_scale": "规上名录行业代码",
    "registry": "登记行业代码",
    "manual": "人工核定",
    "classified": "经营范围分类",
    "intended": "项目清单拟扩增门类代码",
    "none": "无",
}


# -- small helpers shared by gaps and rewards -------------------------------
def text(value: object) -> str:
    """A cell as stripped text; NaN/None become ''."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    return str(value).strip()


def number(value: object) -> float | None:
    """A cell as a float, or None when empty or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)  # type: ignore[arg-type]  # any cell: what float() refuses is None below
    except (TypeError, ValueError):
        return None
    return None if math.isnan(result) else result


def find_node(code: object) -> Node | None:
    """The standard's node for a code in any spelling, or None."""
    canonical = normalize_code(text(code))
    if not canonical:
        return None
    return _find_canonical(canonical)


@lru_cache(maxsize=4096)
def _find_canonical(canonical: str) -> Node | None:
    return standard().find(canonical)


@lru_cache(maxsize=4096)
def gap_path(code: str) -> tuple[str, ...]:
    """The codes a node makes present: its 大类, 中类 and 小类 ancestors-or-self (industrial levels only)."""
    node = _find_canonical(code)
    if node is None:
        return ()
    return tuple(n.code for n in standard().lineage(node.code) if n.level in GAP_LEVELS)


def gap_level(code: object, present: set[str] | frozenset[str]) -> tuple[str, str]:
    """The highest level at which `code` is missing from `present`, and the missing node's code.

    大类 if its division is absent, else 中类 if its group is absent, else 小类 if
    the class itself is absent, else 'none'. A 2- or 3-digit code is judged only
    down to the level it carries. Unknown or non-industrial codes give 'none'.
    """
    node = find_node(code)
    if node is None or not node.is_industrial or node.level not in GAP_LEVELS:
        return NO_GAP, ""
    for ancestor in gap_path(node.code):
        if ancestor not in present:
            missing = _find_canonical(ancestor)
            assert missing is not None  # gap_path gives codes of the standard
            return missing.level, ancestor
    return NO_GAP, ""


def industrial_nodes() -> list[Node]:
    """The 914 industrial nodes (41 大类, 207 中类, 666 小类) in code order (depth first)."""
    s = standard()
    nodes = [n for level in GAP_LEVELS for n in s.by_level(level, industrial_only=True)]
    return sorted(nodes, key=lambda n: n.code)


# -- per-enterprise code decisions ------------------------------------------
def status_check(status: str, town: str, policy: Policy) -> tuple[bool, str]:
    """(active, reason) from 登记状态 and 镇街: moved-out or closed firms are not counted."""
    for keyword in policy.moved_out_keywords:
        if keyword in status or keyword in town:
            return False, f"已迁出（{status or town}）"
    for keyword in policy.inactive_status_keywords:
        if keyword in status:
            return False, f"登记状态为“{status}”"
    return True, ""


def _top_predictions(row: Mapping[str, object]) -> list[tuple[str, float | None]]:
    out = []
    for rank in (1, 2, 3):
        code = normalize_code(text(row.get(f"pred_code_{rank}"))) or ""
        if code:
            out.append((code, number(row.get(f"pred_score_{rank}"))))
    return out


def _below_scale_decision(row: Mapping[str, object], policy: Policy) -> dict:
    """Which code a 规下 firm is counted by, where it comes from, and whether it counts in 全口径."""
    registered_text = text(row.get("industry_code"))
    registered = find_node(registered_text)
    note = ""
    if registered is not None and registered.level == "section":
        note = f"登记行业代码“{registered_text}”仅到门类，改用经营范围分类；"
        registered = None
        registered_text = ""
    if registered is not None:
        counted = registered.is_industrial and registered.level in GAP_LEVELS
        manual = text(row.get("manual_review"))
        if manual:  # an analyst's override pinned into industry_code (industry_gap.review)
            decision = f"按{manual}计入全口径" if counted else f"{manual}：不属于工业"
            return dict(
                node=registered, source="manual", confidence=1.0, counted=counted, review=False, decision=decision
            )
        decision = "按登记行业代码计入全口径" if counted else "登记行业代码不属于工业"
        return dict(
            node=registered, source="registry", confidence=math.nan, counted=counted, review=False, decision=decision
        )
    if registered_text:
        note = f"登记行业代码“{registered_text}”无效，改用经营范围分类；"
    predictions = _top_predictions(row)
    if not predictions:
        reason = text(row.get("reason")) or "经营范围未能分类"
        return dict(
            node=None,
            source="none",
            confidence=math.nan,
            counted=False,
            review=False,
            decision=f"{note}未分类：{reason}",
        )
    code, score = predictions[0]
    node = _find_canonical(code)
    score_value = score if score is not None else 0.0
    if node is None:
        return dict(
            node=None,
            source="none",
            confidence=score_value,
            counted=False,
            review=False,
            decision=f"{note}分类结果“{code}”不是有效代码",
        )
    any_industrial = any(
        candidate is not None and candidate.is_industrial for candidate in (_find_canonical(c) for c, _ in predictions)
    )
    if score_value < policy.review_below_score:
        review = any_industrial
        decision = f"{note}分类置信度{score_value:.2f}低于复核阈值{policy.review_below_score:.2f}，" + (
            "列入复核清单，暂不计入" if review else "且候选均非工业"
        )
        return dict(
            node=node, source="classified", confidence=score_value, counted=False, review=review, decision=decision
        )
    if not node.is_industrial:
        return dict(
            node=node,
            source="classified",
            confidence=score_value,
            counted=False,
            review=False,
            decision=f"{note}经营范围分类为非工业（{node.code} {node.name}）",
        )
    if score_value >= policy.count_in_all_min_score:
        return dict(
            node=node,
            source="classified",
            confidence=score_value,
            counted=True,
            review=False,
            decision=f"{note}按经营范围分类计入全口径（置信度{score_value:.2f}≥{policy.count_in_all_min_score:.2f}）",
        )
    return dict(
        node=node,
        source="classified",
        confidence=score_value,
        counted=False,
        review=False,
        decision=(
            f"{note}经营范围分类置信度{score_value:.2f}未达计入全口径阈值{policy.count_in_all_min_score:.2f}，暂不计入"
        ),
    )


def resolve_enterprise_codes(registry: pd.DataFrame, above_scale: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """One row per enterprise (规上 list, then 规下 registry) with the code it counts by and why.

    A registry firm that is also on the 规上 list is kept with
    ``in_above_scale=True`` but counted only through its 规上 row, so no firm
    is counted twice. Columns: ENTERPRISE_CODE_COLUMNS.
    """
    rows: list[dict] = []
    above_ids: set[str] = set()
    for record in _records(above_scale):
        key = text(record.get("uscc")) or text(record.get("name"))
        if not key or key in above_ids:
            continue
        above_ids.add(key)
        node = find_node(record.get("industry_code"))
        industrial = bool(node and node.is_industrial and node.level in GAP_LEVELS)
        rows.append(
            _code_row(
                record,
                "above",
                node,
                "above_scale" if node else "none",
                math.nan,
                counted=industrial,
                review=False,
                in_above=True,
                active=True,
                decision=(
                    "按规上名录行业代码计入"
                    if industrial
                    else f"规上名录行业代码“{text(record.get('industry_code'))}”无效或不属于工业"
                ),
            )
        )
    below_seen: set[str] = set()
    for record in _records(registry):
        key = text(record.get("uscc")) or text(record.get("name"))
        if key in below_seen:
            continue
        below_seen.add(key)
        active, inactive_reason = status_check(text(record.get("status")), text(record.get("town")), policy)
        decision = _below_scale_decision(record, policy)
        in_above = key in above_ids
        counted = decision["counted"] and active and not in_above
        note = decision["decision"]
        if in_above:
            note = "已在规上名录，按规上行业代码计入"
        elif not active:
            note = f"{inactive_reason}，不计入；{note}"
        rows.append(
            _code_row(
                record,
                "below",
                decision["node"],
                decision["source"],
                decision["confidence"],
                counted=counted,
                review=decision["review"] and active and not in_above,
                in_above=in_above,
                active=active,
                decision=note,
            )
        )
    return pd.DataFrame(rows, columns=ENTERPRISE_CODE_COLUMNS)


def _code_row(
    record: Mapping,
    scale: str,
    node: Node | None,
    source: str,
    confidence: float,
    *,
    counted: bool,
    review: bool,
    in_above: bool,
    active: bool,
    decision: str,
) -> dict:
    return dict(
        uscc=text(record.get("uscc")),
        name=text(record.get("name")),
        scale=scale,
        code=node.code if node else "",
        code_level=node.level if node else "",
        code_name=node.name if node else "",
        is_industrial=bool(node and node.is_industrial),
        code_source=source,
        confidence=confidence,
        counted_in_all=bool(counted),
        needs_review=bool(review),
        in_above_scale=in_above,
        active=active,
        decision=decision,
    )


def _records(frame: pd.DataFrame | None) -> Iterable[dict]:
    if frame is None or frame.empty:
        return []
    return frame.to_dict("records")


# -- coverage ---------------------------------------------------------------
def build_coverage(
    registry: pd.DataFrame, above_scale: pd.DataFrame, policy: Policy, enterprise_codes: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Presence of every industrial node at 规上 and 全口径 scope, with counts by source.

    Returns one row per node (COVERAGE_COLUMNS), depth-first code order.
    ``present_all_source`` says which sources make the node present.
    Pass ``enterprise_codes`` (from `resolve_enterprise_codes`) to avoid resolving twice.
    """
    codes = (
        enterprise_codes if enterprise_codes is not None else resolve_enterprise_codes(registry, above_scale, policy)
    )
    counters: dict[str, dict[str, int]] = {"n_above": {}, "n_below_registry": {}, "n_below_classified": {}}
    for record in codes.to_dict("records"):
        if not record["counted_in_all"] or not record["code"]:
            continue
        if record["scale"] == "above":
            bucket = "n_above"
        elif record["code_source"] == "registry":
            bucket = "n_below_registry"
        else:
            bucket = "n_below_classified"
        for code in gap_path(record["code"]):
            counters[bucket][code] = counters[bucket].get(code, 0) + 1
    rows = []
    for node in industrial_nodes():
        counts = {name: counter.get(node.code, 0) for name, counter in counters.items()}
        n_all = sum(counts.values())
        sources = [
            label
            for key, label in (
                ("n_above", "规上企业"),
                ("n_below_registry", "规下企业（登记行业代码）"),
                ("n_below_classified", "规下企业（经营范围分类）"),
            )
            if counts[key]
        ]
        rows.append(
            dict(
                code=node.code,
                level=node.level,
                level_name=LEVEL_NAMES[node.level],
                name=node.name,
                section=node.section,
                division=node.division,
                group=node.group,
                parent=node.parent,
                present_above=counts["n_above"] > 0,
                present_all=n_all > 0,
                **counts,
                n_all=n_all,
                present_all_source="、".join(sources),
            )
        )
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def present_codes(coverage: pd.DataFrame, scope: str) -> frozenset[str]:
    """Codes present at a scope ('above' or 'all') in a coverage or baseline table."""
    column = f"present_{scope}"
    mask = coverage[column].fillna(False).astype(bool)
    return frozenset(coverage.loc[mask, "code"].astype(str))


def city_present_codes(city_coverage: pd.DataFrame | None, coverage: pd.DataFrame) -> dict[str, frozenset[str]] | None:
    """City-wide presence per scope, or None without a city table.

    The city table (code, present_above, present_all) may list any levels; a
    present node makes its ancestors present. The district is part of the
    city, so what the district has is added too.
    """
    if city_coverage is None:
        return None
    result = {}
    for scope in ("above", "all"):
        present: set[str] = set(present_codes(coverage, scope))
        column = f"present_{scope}"
        if column in city_coverage.columns:
            for record in city_coverage.to_dict("records"):
                if as_flag(record.get(column)):
                    node = find_node(record.get("code"))
                    if node is not None:
                        present.update(gap_path(node.code))
        result[scope] = frozenset(present)
    return result


def as_flag(value: object) -> bool:
    """A yes/no cell as stored by pandas, a warehouse or typed by an office: True, 1, "true", "是", "有"."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y", "是", "有", "√"}
    number_value = number(value)
    return bool(number_value) if number_value is not None else False


# -- baseline and progress --------------------------------------------------
def choose_baseline_run(run_dates: Iterable[dt.date | str], configured: dt.date | None) -> dt.date | None:
    """Which stored snapshot to use as baseline: the last on or before `configured`, else the first.

    For the caller that keeps coverage by run date (the warehouse).
    """
    dates = sorted(as_date(d) for d in run_dates)
    if not dates:
        return None
    if configured is not None:
        before = [d for d in dates if d <= configured]
        if before:
            return before[-1]
    return dates[0]


FIRST_RUN_NOTE = "基期为首次运行的覆盖（未提供规划基期）"
PLAN_FILE_SOURCE = "plan_file"
DEADLINE_PASSED = "已到期"


def baseline_from_table(table: pd.DataFrame, *, baseline_date: dt.date | None, source: str) -> pd.DataFrame:
    """The plan's 基期 from a coverage table (code, present_above, present_all, as `read_city_coverage` gives).

    A node listed as present makes its 中类 and 大类 present too, as in the city table. Returned in the
    stored-baseline shape `resolve_baseline` takes, so the file counts exactly like a stored snapshot.
    """
    present: dict[str, dict[str, bool]] = {}
    for record in table.to_dict("records"):
        node = find_node(record.get("code"))
        if node is None:
            continue
        for scope in ("above", "all"):
            if as_flag(record.get(f"present_{scope}")):
                for code in gap_path(node.code):
                    present.setdefault(code, {"above": False, "all": False})[scope] = True
    day = baseline_date.isoformat() if baseline_date else ""
    note = f"以规划基期文件“{source}”为基期" + (f"（{day}）" if day else "")
    rows = [
        dict(
            code=code,
            present_above=flags["above"],
            present_all=flags["all"],
            baseline_date=day,
            baseline_source=PLAN_FILE_SOURCE,
            note=note,
        )
        for code, flags in present.items()
    ]
    if not rows:  # a plan issued when the district had no industrial category at all
        rows = [
            dict(
                code="",
                present_above=False,
                present_all=False,
                baseline_date=day,
                baseline_source=PLAN_FILE_SOURCE,
                note=note,
            )
        ]
    return pd.DataFrame(rows)


def resolve_baseline(
    coverage: pd.DataFrame, stored_baseline: pd.DataFrame | None = None, *, run_date: dt.date | str, policy: Policy
) -> pd.DataFrame:
    """The baseline snapshot (BASELINE_COLUMNS): the stored one when given, else today's coverage.

    Nodes missing from a stored baseline count as absent there. When no
    stored baseline exists, the current coverage becomes the baseline (first
    run), and the note says so plainly: every "较基期新增" is then 0 on that run.
    """
    run_day = as_date(run_date)
    nodes = coverage[["code", "level", "name"]].copy()
    if stored_baseline is not None and not stored_baseline.empty:
        stored = stored_baseline.copy()
        stored["code"] = stored["code"].map(lambda c: normalize_code(text(c)) or text(c))
        stored = stored.drop_duplicates("code")
        merged = nodes.merge(
            stored[
                ["code"] + [c for c in ("present_above", "present_all", "baseline_date", "note") if c in stored.columns]
            ],
            on="code",
            how="left",
        )
        for column in ("present_above", "present_all"):
            if column not in merged.columns:
                merged[column] = False
            merged[column] = merged[column].map(as_flag)
        dates = [text(d) for d in stored.get("baseline_date", pd.Series(dtype=object)) if text(d)]
        merged["baseline_date"] = dates[0] if dates else ""
        sources = {text(v) for v in stored.get("baseline_source", pd.Series(dtype=object))}
        merged["baseline_source"] = PLAN_FILE_SOURCE if PLAN_FILE_SOURCE in sources else "stored"
        notes = [text(n) for n in stored.get("note", pd.Series(dtype=object)) if text(n)]
        merged["note"] = notes[0] if notes else "使用已保存的基期快照"
        return merged[BASELINE_COLUMNS].reset_index(drop=True)
    baseline = coverage[["code", "level", "name", "present_above", "present_all"]].copy()
    baseline["baseline_date"] = run_day.isoformat()
    baseline["baseline_source"] = "first_run"
    note = FIRST_RUN_NOTE
    if policy.baseline_date is not None and policy.baseline_date < run_day:
        note = (
            f"{FIRST_RUN_NOTE}：配置的基期日期为{policy.baseline_date.isoformat()}，但无该日或更早的快照，"
            f"以首次运行（{run_day.isoformat()}）为基期"
        )
    baseline["note"] = note
    return baseline[BASELINE_COLUMNS].reset_index(drop=True)


def baseline_text(baseline: pd.DataFrame) -> str:
    """One line naming the baseline in use, for metadata and the summary."""
    if baseline.empty:
        return FIRST_RUN_NOTE
    day, note = text(baseline["baseline_date"].iloc[0]), text(baseline["note"].iloc[0])
    return f"{note}；基期日期 {day}" if day and day not in note else note


def deadline_passed(policy: Policy, run_date: dt.date | str) -> bool:
    return as_date(run_date) > policy.goals_deadline


def deadline_text(policy: Policy, run_date: dt.date | str) -> str:
    """ "距截止 N 天（…）" before the plan's end date, "已到期（…）" after it, never a negative count."""
    deadline = policy.goals_deadline.isoformat()
    if deadline_passed(policy, run_date):
        return f"{DEADLINE_PASSED}（目标截止日期 {deadline}，以下为最终完成情况）"
    return f"距截止 {(policy.goals_deadline - as_date(run_date)).days} 天（目标截止日期 {deadline}）"


def coverage_progress(
    coverage: pd.DataFrame, baseline: pd.DataFrame, policy: Policy, run_date: dt.date | str
) -> pd.DataFrame:
    """New nodes per scope and level since the baseline, against the plan's goals.

    One row per scope (全口径, 规上口径) and level (大类, 中类, 小类, 合计).
    ``new_nodes`` counts nodes present now and absent at baseline (the plan
    counts categories 扩增); ``lost_nodes`` the reverse, shown separately.
    """
    run_day = as_date(run_date)
    deadline = policy.goals_deadline
    baseline_date = text(baseline["baseline_date"].iloc[0]) if len(baseline) else ""
    rows = []
    for scope in ("all", "above"):
        now = present_codes(coverage, scope)
        before = present_codes(baseline, scope)
        totals = dict(standard_nodes=0, baseline_present=0, current_present=0, new_nodes=0, lost_nodes=0)
        new_all: list[str] = []
        for level in GAP_LEVELS:
            level_codes = set(coverage.loc[coverage["level"] == level, "code"])
            new = sorted((now - before) & level_codes)
            counts = dict(
                standard_nodes=len(level_codes),
                baseline_present=len(before & level_codes),
                current_present=len(now & level_codes),
                new_nodes=len(new),
                lost_nodes=len((before - now) & level_codes),
            )
            for key, value in counts.items():
                totals[key] += value
            new_all.extend(new)
            rows.append(
                _progress_row(scope, level, counts, policy.goal(scope, level), deadline, run_day, baseline_date, new)
            )
        rows.append(
            _progress_row(
                scope, "total", totals, policy.goal(scope, "total"), deadline, run_day, baseline_date, new_all
            )
        )
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def _progress_row(
    scope: str,
    level: str,
    counts: dict,
    goal: int,
    deadline: dt.date,
    run_day: dt.date,
    baseline_date: str,
    new_codes: list[str],
) -> dict:
    return dict(
        scope=scope,
        scope_name=SCOPE_NAMES[scope],
        level=level,
        level_name=LEVEL_NAMES.get(level, "合计"),
        **counts,
        goal=goal,
        remaining=max(goal - counts["new_nodes"], 0),
        completion_ratio=(counts["new_nodes"] / goal) if goal else math.nan,
        deadline=deadline.isoformat(),
        days_left=max((deadline - run_day).days, 0),  # 0 once 已到期
        baseline_date=baseline_date,
        new_codes="、".join(new_codes),
    )


def coverage_by_division(coverage: pd.DataFrame) -> pd.DataFrame:
    """Per 大类: how many of its 小类 and 中类 are present at each scope (feeds the Excel chart)."""
    rows = []
    divisions = coverage[coverage["level"] == "division"]
    for record in divisions.to_dict("records"):
        members = coverage[coverage["division"] == record["division"]]
        classes = members[members["level"] == "class"]
        groups = members[members["level"] == "group"]
        rows.append(
            dict(
                division=record["code"],
                name=record["name"],
                classes_total=len(classes),
                classes_above=int(classes["present_above"].sum()),
                classes_all=int(classes["present_all"].sum()),
                groups_total=len(groups),
                groups_above=int(groups["present_above"].sum()),
                groups_all=int(groups["present_all"].sum()),
                present_above=bool(record["present_above"]),
                present_all=bool(record["present_all"]),
            )
        )
    return pd.DataFrame(rows, columns=DIVISION_COLUMNS)


@dataclass
class CoverageState:
    """Coverage of one run with the baseline it is measured against: what the later steps and the exports share."""

    enterprise_codes: pd.DataFrame  # per-firm code decisions (`resolve_enterprise_codes`)
    coverage: pd.DataFrame  # per industrial node, both scopes (`build_coverage`)
    baseline: pd.DataFrame  # the baseline snapshot in use (`resolve_baseline`)
    progress: pd.DataFrame  # new nodes per scope and level against the goals
    divisions: pd.DataFrame  # per 大类 counts (chart data)


def as_date(value: dt.date | dt.datetime | str | pd.Timestamp) -> dt.date:
    """A run date given as a date, datetime, Timestamp or ISO text (time part ignored)."""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])
