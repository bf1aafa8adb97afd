"""Gap flags: which 规下 firms and which projects would add a category the district lacks.

For each firm and project, the highest level at which its category is
missing (大类 if its division is absent, else 中类, else 小类, else none), at
规上 scope and at 全口径 scope, whether the category is on the plan's target
lists (附件2 全口径 / 附件3 规上口径) and which department owns it.

全口径 for a 规下 firm is judged "without the firm itself": a firm already
counted in 全口径 coverage cannot be missing from it, so the question that
matters is whether the category would be missing without it, i.e. whether
it is the one firm that brings the category into 全口径. Projects are new and
not in coverage, so they are judged against coverage as it is.

Low-confidence classifications are never flagged silently: they get
``needs_review`` and go to the review list (`build_review_list`) with their
top-3 and evidence.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from industry_gap.coverage import (
    CODE_SOURCE_NAMES,
    GAP_LEVEL_NAMES,
    NO_GAP,
    find_node,
    gap_level,
    gap_path,
    number,
    present_codes,
    resolve_enterprise_codes,
    text,
)
from industry_gap.policy import Policy
from industry_gap.tables import TABLES
from reference import LEVEL_NAMES, normalize_code

GAP_COLUMNS = TABLES["gaps"].frame_columns  # declared in industry_gap/tables.py
PROJECT_COLUMNS_ASSESSED = TABLES["project_assessment"].frame_columns  # declared in industry_gap/tables.py
REVIEW_COLUMNS = TABLES["review_list"].frame_columns  # declared in industry_gap/tables.py
TARGET_SCOPE_NAMES = {"above": "规上口径（附件3）", "all": "全口径（附件2）"}
EXCERPT_CHARS = 200  # display length of 经营范围/建设内容 in the review list


# -- target lists -----------------------------------------------------------
def target_scope_key(value: object) -> str:
    """'above' for 规上口径 (附件3), 'all' for 全口径 (附件2)."""
    raw = text(value)
    return "above" if ("规上" in raw or raw.lower() == "above") else "all"


def index_targets(targets: pd.DataFrame | None) -> dict[str, dict[str, dict]]:
    """{scope: {code: target record}}; the first row wins for a repeated code."""
    index: dict[str, dict[str, dict]] = {"above": {}, "all": {}}
    if targets is None or targets.empty:
        return index
    for record in targets.to_dict("records"):
        code = normalize_code(text(record.get("code")))
        if not code:
            continue
        index[target_scope_key(record.get("scope"))].setdefault(code, record)
    return index


def match_target(code: str, scope_targets: dict[str, dict]) -> dict | None:
    """The most specific target whose code is the category itself or one of its ancestors."""
    for ancestor in reversed(gap_path(code)) if code else ():
        if ancestor in scope_targets:
            return scope_targets[ancestor]
    return None


def _department(own: str, matches: list[tuple[dict | None, str]], policy: Policy) -> tuple[str, str]:
    """责任单位 and where it came from: the row's own, the first matching target list, or the lead office."""
    if own:
        return own, "项目清单"
    for target, scope in matches:
        department = text(target.get("department")) if target else ""
        if department:
            return department, f"{TARGET_SCOPE_NAMES[scope]}目标清单"
    return policy.lead_department, "牵头部门（目标清单未列）"


# -- enterprises ------------------------------------------------------------
def flag_enterprise_gaps(
    registry: pd.DataFrame,
    above_scale: pd.DataFrame,
    coverage: pd.DataFrame,
    targets: pd.DataFrame | None,
    policy: Policy,
    enterprise_codes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per 规下 firm with its gap levels, target-list match, department and 判定依据.

    ``flagged`` is true for an active 规下 firm, not on the 规上 list and not
    waiting for review, whose category is missing at either scope.
    Columns: GAP_COLUMNS.
    """
    codes = (
        enterprise_codes if enterprise_codes is not None else resolve_enterprise_codes(registry, above_scale, policy)
    )
    below = codes[codes["scale"] == "below"]
    towns = _town_by_key(registry)
    present_above = present_codes(coverage, "above")
    present_all = present_codes(coverage, "all")
    holders = dict(zip(coverage["code"], coverage["n_all"]))
    target_index = index_targets(targets)
    rows = [
        _enterprise_gap_row(record, towns, present_above, present_all, holders, target_index, policy)
        for record in below.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=GAP_COLUMNS)


def _town_by_key(registry: pd.DataFrame) -> dict[str, str]:
    towns: dict[str, str] = {}
    if registry is None or registry.empty:
        return towns
    for record in registry.to_dict("records"):
        key = text(record.get("uscc")) or text(record.get("name"))
        towns.setdefault(key, text(record.get("town")))
    return towns


def leave_one_out_gap(code: str, holders: dict[str, int]) -> tuple[str, str]:
    """Gap level of a counted firm at 全口径: the highest node it alone holds."""
    for ancestor in gap_path(code):
        if holders.get(ancestor, 0) <= 1:
            node = find_node(ancestor)
            assert node is not None  # gap_path gives the standard's own codes
            return node.level, ancestor
    return NO_GAP, ""


def _enterprise_gap_row(
    record: dict, towns: dict, present_above, present_all, holders, target_index, policy: Policy
) -> dict:
    code = record["code"]
    judged = record["active"] and not record["in_above_scale"] and record["is_industrial"]
    potential_above, _ = gap_level(code, present_above) if record["is_industrial"] else (NO_GAP, "")
    level_above, code_above, level_all, code_all = NO_GAP, "", NO_GAP, ""
    if judged and not record["needs_review"]:
        level_above, code_above = gap_level(code, present_above)
        if record["counted_in_all"]:
            level_all, code_all = leave_one_out_gap(code, holders)
        else:
            level_all, code_all = gap_level(code, present_all)
    above_target = match_target(code, target_index["above"]) if record["is_industrial"] else None
    all_target = match_target(code, target_index["all"]) if record["is_industrial"] else None
    department, department_source = _department("", [(above_target, "above"), (all_target, "all")], policy)
    target = above_target or all_target
    flagged = bool(judged and not record["needs_review"] and (level_above != NO_GAP or level_all != NO_GAP))
    key = record["uscc"] or record["name"]
    row = dict(
        uscc=record["uscc"],
        name=record["name"],
        town=towns.get(key, ""),
        code=code,
        code_level=record["code_level"],
        code_name=record["code_name"],
        code_source=record["code_source"],
        confidence=record["confidence"],
        counted_in_all=record["counted_in_all"],
        decision=record["decision"],
        is_industrial=record["is_industrial"],
        active=record["active"],
        in_above_scale=record["in_above_scale"],
        needs_review=record["needs_review"],
        gap_level_above=level_above,
        gap_code_above=code_above,
        gap_level_all=level_all,
        gap_code_all=code_all,
        potential_gap_level_above=potential_above,
        on_target_above=above_target is not None,
        on_target_all=all_target is not None,
        target_code=normalize_code(text(target.get("code"))) if target else "",
        target_scope=("above" if above_target else "all") if target else "",
        department=department,
        department_source=department_source,
        flagged=flagged,
    )
    row["basis"] = gap_basis_text(row, subject="本区规上企业")
    return row


def gap_basis_text(row: dict, subject: str, classified_label: str = "经营范围分类") -> str:
    """判定依据 in Chinese: where the code comes from, what is missing, which target list."""
    parts = []
    source = CODE_SOURCE_NAMES.get(row.get("code_source", ""), "")
    if row.get("code_source") == "classified":
        source = classified_label
    if row.get("code"):
        label = f"{row['code']} {row.get('code_name', '')}".strip()
        if row.get("code_source") == "classified":
            confidence = number(row.get("confidence"))
            score = f"，置信度{confidence:.2f}" if confidence is not None else ""
            parts.append(f"行业代码来自{source}（{label}{score}）")
        elif source:
            parts.append(f"行业代码来自{source}（{label}）")
    if row.get("needs_review"):
        parts.append("分类置信度低，待人工复核，暂不判定")
    for scope, scope_subject in (("above", subject), ("all", "本区全口径")):
        level = row.get(f"gap_level_{scope}", NO_GAP)
        missing = row.get(f"gap_code_{scope}", "")
        if level and level != NO_GAP:
            node = find_node(missing)
            name = node.name if node else ""
            suffix = "（本企业为唯一持有者）" if scope == "all" and row.get("counted_in_all") else ""
            parts.append(f"{scope_subject}缺{GAP_LEVEL_NAMES[level]}{missing}{name}{suffix}")
    if row.get("on_target_above") or row.get("on_target_all"):
        scope_name = TARGET_SCOPE_NAMES.get(row.get("target_scope", ""), "")
        parts.append(f"列入{scope_name}目标清单（{row.get('target_code', '')}）")
    elif row.get("code"):
        parts.append("不在目标清单")
    return "；".join(parts)


# -- projects ---------------------------------------------------------------
def project_ids(projects: pd.DataFrame) -> list[str]:
    """Stable ids for project rows: "<source_file>#<source_row>", else "项目<n>"."""
    ids = []
    for position, record in enumerate(projects.to_dict("records") if projects is not None else []):
        source_file, source_row = text(record.get("source_file")), text(record.get("source_row"))
        if source_file and source_row:
            source_row = source_row[:-2] if source_row.endswith(".0") else source_row
            ids.append(f"{source_file}#{source_row}")
        else:
            ids.append(f"项目{position + 1}")
    return ids


def _project_code(record: dict, policy: Policy) -> dict:
    """The project's category: 拟扩增门类代码 when given, else its classified 建设内容."""
    intended_text = text(record.get("intended_code"))
    node = find_node(intended_text)
    if node is not None and node.level != "section":
        return dict(node=node, source="intended", confidence=float("nan"), review=False, note="")
    note = f"拟扩增门类代码“{intended_text}”无效，改用建设内容分类；" if intended_text else ""
    code = normalize_code(text(record.get("pred_code_1"))) or ""
    predicted = find_node(code)
    if predicted is None:
        return dict(
            node=None,
            source="none",
            confidence=float("nan"),
            review=False,
            note=note + "未填拟扩增门类代码，建设内容也未能分类",
        )
    score = number(record.get("pred_score_1")) or 0.0
    if score < policy.review_below_score:
        return dict(
            node=predicted,
            source="classified",
            confidence=score,
            review=True,
            note=note + f"建设内容分类置信度{score:.2f}低于复核阈值{policy.review_below_score:.2f}",
        )
    return dict(node=predicted, source="classified", confidence=score, review=False, note=note)


def assess_projects(
    projects: pd.DataFrame | None, coverage: pd.DataFrame, targets: pd.DataFrame | None, policy: Policy
) -> pd.DataFrame:
    """One row per project with its category, gap levels, target match and department.

    Columns: PROJECT_COLUMNS_ASSESSED. ``code_source`` is 'intended' (拟扩增门类代码),
    'classified' (建设内容) or 'none'.
    """
    if projects is None or projects.empty:
        return pd.DataFrame(columns=PROJECT_COLUMNS_ASSESSED)
    present_above = present_codes(coverage, "above")
    present_all = present_codes(coverage, "all")
    target_index = index_targets(targets)
    rows = []
    for project_id, record in zip(project_ids(projects), projects.to_dict("records")):
        chosen = _project_code(record, policy)
        node = chosen["node"]
        code = node.code if node else ""
        industrial = bool(node and node.is_industrial)
        level_above, code_above = gap_level(code, present_above)
        level_all, code_all = gap_level(code, present_all)
        potential = level_above
        if chosen["review"]:
            level_above, code_above, level_all, code_all = NO_GAP, "", NO_GAP, ""
        above_target = match_target(code, target_index["above"]) if industrial else None
        all_target = match_target(code, target_index["all"]) if industrial else None
        department, department_source = _department(
            text(record.get("department")), [(all_target, "all"), (above_target, "above")], policy
        )
        target = all_target or above_target
        row = dict(
            project_id=project_id,
            project_name=text(record.get("project_name")),
            builder=text(record.get("builder")),
            uscc=text(record.get("uscc")).upper(),
            investment_wan=number(record.get("investment_wan")),
            stage=text(record.get("stage")),
            signed_date=text(record.get("signed_date")),
            planned_production=text(record.get("planned_production")),
            parent_uscc=text(record.get("parent_uscc")).upper(),
            parent_name=text(record.get("parent_name")),
            content=text(record.get("content")),
            code=code,
            code_level=node.level if node else "",
            code_name=node.name if node else "",
            code_source=chosen["source"],
            confidence=chosen["confidence"],
            needs_review=chosen["review"],
            gap_level_above=level_above,
            gap_code_above=code_above,
            gap_level_all=level_all,
            gap_code_all=code_all,
            potential_gap_level_above=potential,
            on_target_above=above_target is not None,
            on_target_all=all_target is not None,
            target_code=normalize_code(text(target.get("code"))) if target else "",
            target_scope=("all" if all_target else "above") if target else "",
            department=department,
            department_source=department_source,
            flagged=bool(industrial and not chosen["review"] and (level_above != NO_GAP or level_all != NO_GAP)),
            source_file=text(record.get("source_file")),
            source_row=number(record.get("source_row")),
        )
        row["basis"] = chosen["note"] + gap_basis_text(row, subject="本区规上企业", classified_label="建设内容分类")
        rows.append(row)
    return pd.DataFrame(rows, columns=PROJECT_COLUMNS_ASSESSED)


# -- review list ------------------------------------------------------------
def build_review_list(
    registry: pd.DataFrame | None,
    gaps: pd.DataFrame,
    projects: pd.DataFrame | None = None,
    projects_assessed: pd.DataFrame | None = None,
    policy: Policy | None = None,
    coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Firms and projects whose classification is too uncertain to flag, with top-3 and evidence.

    With ``coverage`` only rows whose answer changes something reported are listed: one of
    the top-3 candidate codes would fill a gap (规上 or 全口径: a coverage count, 附件4/附件5
    membership, a reward), for a firm that is active and not yet 规上. Their gap column then
    gives the biggest 规上 gap any of the three would fill, and the list is ordered by what the
    answer is worth: the rewards of the candidates' gap levels weighted by their scores.
    Without it, sorted so that those that would fill the biggest 规上 gap come first.
    Columns: REVIEW_COLUMNS.
    """
    rows = []
    threshold = f"{policy.review_below_score:.2f}" if policy else "阈值"
    review_gaps = gaps[gaps["needs_review"].astype(bool)] if not gaps.empty else gaps
    by_key: dict[str, dict] = {}
    if registry is not None and not registry.empty:
        for record in registry.to_dict("records"):
            by_key.setdefault(text(record.get("uscc")) or text(record.get("name")), record)
    for gap in review_gaps.to_dict("records"):
        source = by_key.get(gap["uscc"] or gap["name"], {})
        rows.append(
            _review_row(
                "enterprise",
                gap["uscc"] or gap["name"],
                gap["name"],
                gap["uscc"],
                text(source.get("scope")),
                source,
                gap,
                threshold,
            )
        )
    if projects is not None and projects_assessed is not None and not projects_assessed.empty:
        originals = dict(zip(project_ids(projects), projects.to_dict("records")))
        for assessed in projects_assessed[projects_assessed["needs_review"].astype(bool)].to_dict("records"):
            source = originals.get(assessed["project_id"], {})
            rows.append(
                _review_row(
                    "project",
                    assessed["project_id"],
                    assessed["project_name"],
                    assessed["uscc"],
                    assessed["content"],
                    source,
                    assessed,
                    threshold,
                )
            )
    frame = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    if frame.empty:
        return frame
    if coverage is not None and not coverage.empty:
        return _reportable(frame, review_gaps, coverage, policy)
    order = {"division": 0, "group": 1, "class": 2, NO_GAP: 3, "": 3}
    frame["_order"] = frame["potential_gap_level_above"].map(lambda v: order.get(v, 3))
    frame = frame.sort_values(["_order", "pred_score_1"], ascending=[True, False], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


def _review_row(
    kind: str, entity_id: str, name: str, uscc: str, body: str, source: dict, assessed: dict, threshold: str
) -> dict:
    row: dict[str, Any] = dict(
        entity_kind=kind,
        entity_kind_name="规下企业" if kind == "enterprise" else "项目",
        entity_id=entity_id,
        name=name,
        uscc=uscc,
        text_excerpt=_excerpt(body),
    )
    for rank in (1, 2, 3):
        code = normalize_code(text(source.get(f"pred_code_{rank}"))) or ""
        node = find_node(code)
        row[f"pred_code_{rank}"] = code
        row[f"pred_name_{rank}"] = text(source.get(f"pred_name_{rank}")) or (node.name if node else "")
        row[f"pred_score_{rank}"] = number(source.get(f"pred_score_{rank}"))
    row["evidence"] = text(source.get("evidence"))
    row["classifier_reason"] = text(source.get("reason"))
    top = assessed.get("code", "")
    row["potential_gap_level_above"] = assessed.get("potential_gap_level_above", NO_GAP)
    row["department"] = assessed.get("department", "")
    score = row["pred_score_1"]
    score_text = f"{score:.2f}" if score is not None else "空"
    potential = row["potential_gap_level_above"]
    hint = f"，若确认则可填补规上{GAP_LEVEL_NAMES[potential]}空白" if potential in LEVEL_NAMES else ""
    row["review_reason"] = f"首选分类{top}置信度{score_text}低于复核阈值{threshold}{hint}"
    return row


_LEVEL_ORDER = {"division": 0, "group": 1, "class": 2, NO_GAP: 3, "": 3}


def _reportable(frame: pd.DataFrame, review_gaps: pd.DataFrame, coverage: pd.DataFrame, policy: Policy | None):
    """The review rows whose answer changes something reported, most valuable first (see `build_review_list`)."""
    present_above, present_all = present_codes(coverage, "above"), present_codes(coverage, "all")
    closed = {
        g["uscc"] or g["name"]
        for g in review_gaps.to_dict("records")
        if not g.get("active", True) or g.get("in_above_scale", False)
    }

    def amounts(kind: str) -> dict[str, float]:
        rules = (
            [] if policy is None else policy.rules_of_kind("enterprise_entry" if kind == "enterprise" else "project")
        )
        return {lv: max((r.amount_for(lv) for r in rules), default=1.0) for lv in LEVEL_NAMES}

    amount = {"enterprise": amounts("enterprise"), "project": amounts("project")}
    keep, best_levels, worth = [], [], []
    for r in frame.to_dict("records"):
        levels = []
        value = 0.0
        for rank in (1, 2, 3):
            code = r[f"pred_code_{rank}"]
            if not code:
                continue
            above, _ = gap_level(code, present_above)
            every, _ = gap_level(code, present_all)
            level = above if above != NO_GAP else every
            if level == NO_GAP:
                continue
            levels.append(above)
            value += (number(r[f"pred_score_{rank}"]) or 0.0) * amount[r["entity_kind"]].get(level, 0.0) + 1e-6
        changes = bool(levels) and not (r["entity_kind"] == "enterprise" and r["entity_id"] in closed)
        keep.append(changes)
        best_levels.append(min(levels, key=lambda lv: _LEVEL_ORDER.get(lv, 3)) if levels else NO_GAP)
        worth.append(value)
    frame = frame.assign(potential_gap_level_above=best_levels, _worth=worth)[keep]
    frame = frame.sort_values(["_worth", "pred_score_1"], ascending=[False, False], kind="stable")
    return frame.drop(columns="_worth").reset_index(drop=True)


def _excerpt(body: str) -> str:
    body = " ".join(body.split())
    return body if len(body) <= EXCERPT_CHARS else body[:EXCERPT_CHARS] + "…"


def level_name(level: str) -> str:
    """Chinese name of a gap level ('大类', '中类', '小类', '无')."""
    return GAP_LEVEL_NAMES.get(level, "无") if level else "无"


__all__ = [
    "GAP_COLUMNS",
    "PROJECT_COLUMNS_ASSESSED",
    "REVIEW_COLUMNS",
    "assess_projects",
    "build_review_list",
    "flag_enterprise_gaps",
    "gap_basis_text",
    "index_targets",
    "leave_one_out_gap",
    "level_name",
    "match_target",
    "project_ids",
]
