"""What changed between two runs, for the office's monthly report (sheet 本月变化).

A run is summarised by a `RunSnapshot`: its 入规 candidates, its coverage
and its 规上 list. `compare_runs` lists, against one earlier snapshot:

* 入规 candidates that are new or dropped (only ``included == True`` rows
  count as candidates) and those whose stage moved up or down;
* categories (大类, 中类, 小类, each counted separately, as the plan's goals
  are) that were filled or became empty again, per scope (规上口径, 全口径).

The office wants two comparisons, "since the last run" and "since last
month" (`choose_comparison_dates`, `monthly_changes`). Coverage must never
decrease silently: `coverage_drops` lists nodes present before and absent
now, and `left_above_scale` the enterprises that left the 规上 list, which
is the usual reason for a 规上 drop; both feed an asset check.

Snapshots may come straight from the warehouse, so presence and inclusion
flags are read leniently (True, 1, "true", "是").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from industry_gap.coverage import NO_GAP, as_date, as_flag, find_node, gap_path, number, text
from industry_gap.exports.excel_style import (
    INTEGER_FORMAT,
    LEFT,
    SUBTITLE_FONT,
    fit_row_heights,
    set_print_layout,
    set_widths,
    write_table,
    write_title,
)
from industry_gap.policy import GAP_LEVELS, SCOPE_NAMES, SCOPES
from industry_gap.tables import TABLES
from reference import LEVEL_NAMES

CHANGE_COLUMNS = TABLES["changes"].frame_columns  # declared in industry_gap/tables.py
CHANGE_KIND_NAMES = {
    "new_candidate": "新增候选企业",
    "dropped_candidate": "移出候选",
    "stage_up": "阶段提升",
    "stage_down": "阶段回落",
    "gap_filled": "门类填补",
    "gap_reopened": "门类重新空缺",
}
LEFT_ABOVE_COLUMNS = ["uscc", "name", "industry_code", "code_name"]
DROP_COLUMNS = ["scope", "scope_name", "level", "level_name", "code", "name", "n_before", "left_enterprises"]
STAGE_ORDER = ("ready", "near", "nurture", "reserve")  # as in entry_pipeline: ready is closest to 规上
ENTERED_ABOVE_SCALE = "已在规上工业企业名录"  # the exclusion reason entry_pipeline gives

CHANGES_SHEET = "本月变化"
CHANGES_HEADERS = ["序号", "比较对象", "变化类型", "口径", "层级", "代码", "名称", "统一社会信用代码", "说明"]
CHANGES_WIDTHS = [6, 22, 13, 10, 8, 9, 30, 21, 70]
CHANGES_FORMATS = {"序号": INTEGER_FORMAT}
CHANGES_WRAP = ("比较对象", "名称", "说明")
NO_CHANGES_TEXT = "与比较对象相比无变化"
FIRST_RUN_TEXT = "首次运行，暂无可比较的历史结果"
HEADER_ROW = 4  # rows 1-3: sheet label, title, subtitle (as in the other sheets)


@dataclass(frozen=True, eq=False)
class RunSnapshot:
    """One run's tables, as far as the monthly comparison needs them.

    ``candidates``: CANDIDATE_COLUMNS (entry_pipeline); ``coverage``:
    COVERAGE_COLUMNS; ``above_scale``: at least uscc, name, industry_code.
    """

    run_date: dt.date
    candidates: pd.DataFrame
    coverage: pd.DataFrame
    above_scale: pd.DataFrame


# -- small helpers ----------------------------------------------------------
def _key(record: dict) -> str:
    """Firms are matched on USCC, or on the name when the USCC is empty (as elsewhere in the pipeline)."""
    return text(record.get("uscc")) or text(record.get("name"))


def _records_by_key(frame: pd.DataFrame | None) -> dict[str, dict]:
    out: dict[str, dict] = {}
    if frame is None or frame.empty:
        return out
    for record in frame.to_dict("records"):
        key = _key(record)
        if key:
            out.setdefault(key, record)
    return out


def _revenue_text(record: dict) -> str:
    revenue = number(record.get("revenue_wan"))
    return "营业收入未填报" if revenue is None else f"上年营业收入{revenue:,.1f}万元"


def _stage_rank(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER)


def _stage_label(record: dict) -> str:
    return text(record.get("stage_name")) or text(record.get("stage")) or "未定"


def _gap_level(record: dict) -> str:
    level = text(record.get("gap_level_above"))
    return "" if level in ("", NO_GAP) else level


def _row(
    kind: str,
    label: str,
    *,
    scope: str = "",
    level: str = "",
    code: str = "",
    name: str = "",
    uscc: str = "",
    detail: str = "",
) -> dict:
    return dict(
        change_kind=kind,
        change_kind_name=CHANGE_KIND_NAMES[kind],
        compared_with=label,
        scope=scope,
        level=level,
        code=code,
        name=name,
        uscc=uscc,
        detail=detail,
    )


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


# -- labels and which runs to compare ----------------------------------------
def previous_run_label(run_date: dt.date | str) -> str:
    """比较对象 for the previous run, e.g. 上次运行（2026-11-19）."""
    return f"上次运行（{as_date(run_date).isoformat()}）"


def month_label(compared_date: dt.date | str, current_date: dt.date | str) -> str:
    """比较对象 for the month comparison: 上月（2026-10）, or the month itself when a month was skipped."""
    compared, current = as_date(compared_date), as_date(current_date)
    month = f"{compared.year:04d}-{compared.month:02d}"
    previous_month = current.replace(day=1) - dt.timedelta(days=1)
    if (compared.year, compared.month) == (previous_month.year, previous_month.month):
        return f"上月（{month}）"
    return f"此前月份（{month}）"


def choose_comparison_dates(
    run_dates: Iterable[dt.date | str], current: dt.date | str
) -> tuple[dt.date | None, dt.date | None]:
    """(previous run, last run of an earlier month) among stored run dates, either None when absent.

    The previous run is the latest date before `current`; the month
    comparison uses the latest run before the first day of `current`'s
    month, i.e. last month's final figures (or an older month's when a month
    had no run). The two may be the same date.
    """
    today = as_date(current)
    earlier = sorted({as_date(d) for d in run_dates if as_date(d) < today})
    previous = earlier[-1] if earlier else None
    before_month = [d for d in earlier if d < today.replace(day=1)]
    return previous, (before_month[-1] if before_month else None)


# -- candidates -------------------------------------------------------------
def _included(frame: pd.DataFrame | None) -> dict[str, dict]:
    return {key: record for key, record in _records_by_key(frame).items() if as_flag(record.get("included"))}


def _candidate_changes(current: pd.DataFrame, previous: pd.DataFrame, label: str) -> list[dict]:
    now_all, before_all = _records_by_key(current), _records_by_key(previous)
    now, before = _included(current), _included(previous)
    new, dropped, moved = [], [], []
    for key, record in now.items():
        if key not in before:
            new.append(_new_candidate(record, before_all.get(key), label))
            continue
        old_stage, new_stage = text(before[key].get("stage")), text(record.get("stage"))
        if old_stage != new_stage:
            moved.append(_stage_change(record, before[key], label))
    for key, record in before.items():
        if key not in now:
            dropped.append(_dropped_candidate(record, now_all.get(key), label))
    ups = [r for r in moved if r["change_kind"] == "stage_up"]
    downs = [r for r in moved if r["change_kind"] == "stage_down"]
    return [row for group in (new, dropped, ups, downs) for row in _by_rank(group)]


def _by_rank(rows: list[dict]) -> list[dict]:
    """Rows in 入规 rank order (unranked last, then by USCC), without the helper `_rank` key."""

    def key(row: dict) -> tuple:
        rank = number(row["_rank"])
        return (rank if rank is not None else float("inf"), row["uscc"] or row["name"])

    return [{k: v for k, v in row.items() if k != "_rank"} for row in sorted(rows, key=key)]


def _new_candidate(record: dict, earlier: dict | None, label: str) -> dict:
    parts = [
        f"新纳入入规培育清单，入规阶段“{_stage_label(record)}”",
        f"行业{text(record.get('code'))} {text(record.get('code_name'))}".rstrip(),
        _revenue_text(record),
    ]
    level = _gap_level(record)
    if level:
        parts.append(f"可填补规上{LEVEL_NAMES[level]}空白")
    if earlier is None:
        parts.append("比较时无该企业记录")
    elif text(earlier.get("exclusion_reason")):
        parts.append(f"比较时未纳入：{text(earlier.get('exclusion_reason'))}")
    row = _row(
        "new_candidate",
        label,
        level=level,
        code=text(record.get("code")),
        name=text(record.get("name")),
        uscc=text(record.get("uscc")),
        detail="；".join(parts),
    )
    row["_rank"] = record.get("rank")
    return row


def _dropped_candidate(record: dict, now: dict | None, label: str) -> dict:
    reason = text(now.get("exclusion_reason")) if now is not None else ""
    if now is None:
        why = "本次无该企业记录（可能已注销、迁出或更名）"
    elif ENTERED_ABOVE_SCALE in reason:
        why = "已进入规上工业企业名录"
    else:
        why = f"本次未纳入：{reason}" if reason else "本次未纳入"
    detail = f"比较时入规阶段“{_stage_label(record)}”；{why}"
    row = _row(
        "dropped_candidate",
        label,
        level=_gap_level(record),
        code=text(record.get("code")),
        name=text(record.get("name")),
        uscc=text(record.get("uscc")),
        detail=detail,
    )
    row["_rank"] = record.get("rank")
    return row


def _stage_change(record: dict, earlier: dict, label: str) -> dict:
    up = _stage_rank(text(record.get("stage"))) < _stage_rank(text(earlier.get("stage")))
    verb = "提升为" if up else "回落为"
    detail = f"入规阶段由“{_stage_label(earlier)}”{verb}“{_stage_label(record)}”"
    old_revenue, new_revenue = number(earlier.get("revenue_wan")), number(record.get("revenue_wan"))
    if old_revenue is not None and new_revenue is not None and old_revenue != new_revenue:
        detail += f"，上年营业收入由{old_revenue:,.1f}万元变为{new_revenue:,.1f}万元"
    elif new_revenue is None:
        detail += "，营业收入未填报"
    row = _row(
        "stage_up" if up else "stage_down",
        label,
        level=_gap_level(record),
        code=text(record.get("code")),
        name=text(record.get("name")),
        uscc=text(record.get("uscc")),
        detail=detail,
    )
    row["_rank"] = record.get("rank")
    return row


# -- coverage ---------------------------------------------------------------
def _present(coverage: pd.DataFrame | None, scope: str) -> dict[str, dict]:
    """{code: coverage record} of the nodes present at a scope."""
    column = f"present_{scope}"
    if coverage is None or coverage.empty or column not in coverage.columns:
        return {}
    return {text(r["code"]): r for r in coverage.to_dict("records") if as_flag(r.get(column))}


def _node_order(code: str, level: str) -> tuple:
    levels = {name: i for i, name in enumerate(GAP_LEVELS)}
    return levels.get(level, len(levels)), code


def _count(record: dict, scope: str) -> int:
    return int(number(record.get("n_above" if scope == "above" else "n_all")) or 0)


def left_above_scale(current_above: pd.DataFrame | None, previous_above: pd.DataFrame | None) -> pd.DataFrame:
    """Enterprises on the previous 规上 list and not on the current one (LEFT_ABOVE_COLUMNS).

    Matched on USCC, or on the name for a row without one. A firm that
    left 规上 is the usual reason a 规上 category disappears, so a coverage
    drop is always shown next to this list.
    """
    now = _records_by_key(current_above)
    now_names = {text(r.get("name")) for r in now.values()}
    rows = []
    for key, record in _records_by_key(previous_above).items():
        uscc = text(record.get("uscc"))
        if key in now or (not uscc and text(record.get("name")) in now_names):
            continue
        node = find_node(record.get("industry_code"))
        rows.append(
            dict(
                uscc=uscc,
                name=text(record.get("name")),
                industry_code=text(record.get("industry_code")),
                code_name=node.name if node else "",
            )
        )
    return pd.DataFrame(rows, columns=LEFT_ABOVE_COLUMNS)


def _firms_under(code: str, firms: pd.DataFrame | None) -> list[str]:
    """'名称（USCC）' of the firms in `firms` whose industry code lies at or below `code`."""
    if firms is None or firms.empty:
        return []
    out = []
    for record in firms.to_dict("records"):
        node = find_node(record.get("industry_code"))
        if node is not None and code in gap_path(node.code):
            uscc = text(record.get("uscc"))
            out.append(f"{text(record.get('name'))}（{uscc}）" if uscc else text(record.get("name")))
    return out


def coverage_drops(
    current_cov: pd.DataFrame, previous_cov: pd.DataFrame | None, left_above: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Nodes present in `previous_cov` and absent in `current_cov`, per scope (DROP_COLUMNS).

    ``n_before`` is how many firms made the node present before. Pass
    ``left_above`` (from `left_above_scale`) to name, per node, the firms
    that left the 规上 list with a code under it; an empty
    ``left_enterprises`` on a 规上 drop means the cause lies elsewhere (a
    changed industry code, a firm that stopped being counted) and deserves
    a look.
    """
    rows = []
    for scope in SCOPES:
        before, now = _present(previous_cov, scope), _present(current_cov, scope)
        for code in sorted(set(before) - set(now), key=lambda c: _node_order(c, text(before[c].get("level")))):
            record = before[code]
            level = text(record.get("level"))
            rows.append(
                dict(
                    scope=scope,
                    scope_name=SCOPE_NAMES[scope],
                    level=level,
                    level_name=LEVEL_NAMES.get(level, level),
                    code=code,
                    name=text(record.get("name")),
                    n_before=_count(record, scope),
                    left_enterprises="、".join(_firms_under(code, left_above)),
                )
            )
    return pd.DataFrame(rows, columns=DROP_COLUMNS)


def _gap_changes(current: RunSnapshot, previous: RunSnapshot, label: str) -> list[dict]:
    left = left_above_scale(current.above_scale, previous.above_scale)
    filled, reopened = [], []
    for scope in SCOPES:
        before, now = _present(previous.coverage, scope), _present(current.coverage, scope)
        scope_name = SCOPE_NAMES[scope]
        for code in sorted(set(now) - set(before), key=lambda c: _node_order(c, text(now[c].get("level")))):
            record = now[code]
            filled.append(_gap_row("gap_filled", label, scope, record, _filled_detail(scope_name, record, scope)))
        for code in sorted(set(before) - set(now), key=lambda c: _node_order(c, text(before[c].get("level")))):
            record = before[code]
            reopened.append(
                _gap_row(
                    "gap_reopened",
                    label,
                    scope,
                    record,
                    _reopened_detail(scope_name, record, scope, _firms_under(code, left)),
                )
            )
    return filled + reopened


def _node_text(record: dict) -> str:
    level = text(record.get("level"))
    return f"{LEVEL_NAMES.get(level, level)}“{text(record.get('code'))} {text(record.get('name'))}”"


def _filled_detail(scope_name: str, record: dict, scope: str) -> str:
    if scope == "above":
        source = f"规上企业{_count(record, scope)}家"
    else:
        sources = text(record.get("present_all_source"))
        source = f"{sources}，共{_count(record, scope)}家" if sources else f"共{_count(record, scope)}家"
    return f"{scope_name}{_node_text(record)}由空缺变为已有（{source}）"


def _reopened_detail(scope_name: str, record: dict, scope: str, left: list[str]) -> str:
    detail = f"{scope_name}{_node_text(record)}由已有变为空缺（比较时有{_count(record, scope)}家）"
    if left:
        detail += f"；移出规上名录的企业：{'、'.join(left)}"
    elif scope == "above":
        detail += "；无企业移出规上名录，请核实行业代码是否变更"
    return detail


def _gap_row(kind: str, label: str, scope: str, record: dict, detail: str) -> dict:
    return _row(
        kind,
        label,
        scope=scope,
        level=text(record.get("level")),
        code=text(record.get("code")),
        name=text(record.get("name")),
        detail=detail,
    )


# -- the comparison ---------------------------------------------------------
def compare_runs(current: RunSnapshot, previous: RunSnapshot | None, label: str) -> pd.DataFrame:
    """Changes from `previous` to `current` (CHANGE_COLUMNS), each row tagged ``compared_with=label``.

    Order: new candidates, dropped candidates, stage up, stage down (each in
    current or previous 入规 rank order), then categories filled and
    reopened (全口径 then 规上口径; 大类, 中类, 小类; code order).
    ``level`` is the node's level for category rows and, for candidate
    rows, the 规上 level the firm would fill ('' when none). With no
    previous snapshot (first run) the frame is empty.
    """
    if previous is None:
        return _frame([])
    rows = _candidate_changes(current.candidates, previous.candidates, label)
    rows += _gap_changes(current, previous, label)
    return _frame(rows)


def monthly_changes(
    current: RunSnapshot, previous_run: RunSnapshot | None, last_month: RunSnapshot | None
) -> pd.DataFrame:
    """Changes since the previous run and since last month, one frame (CHANGE_COLUMNS).

    When both comparisons would use the same snapshot, it is compared once
    and labelled with both, so the sheet does not list every change twice.
    """
    comparisons: list[tuple[RunSnapshot, str]] = []
    if previous_run is not None:
        comparisons.append((previous_run, previous_run_label(previous_run.run_date)))
    if last_month is not None:
        label = month_label(last_month.run_date, current.run_date)
        if comparisons and as_date(comparisons[0][0].run_date) == as_date(last_month.run_date):
            comparisons[0] = (last_month, f"{comparisons[0][1]}，即{label}")
        else:
            comparisons.append((last_month, label))
    frames = [compare_runs(current, snapshot, label) for snapshot, label in comparisons]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else _frame([])


def change_summary(changes: pd.DataFrame) -> dict[str, int]:
    """Row counts per 比较对象 and 变化类型, e.g. {"上月（2026-10）·新增候选企业": 3}, for asset metadata."""
    summary: dict[str, int] = {}
    for record in changes.to_dict("records"):
        key = f"{record['compared_with']}·{record['change_kind_name']}"
        summary[key] = summary.get(key, 0) + 1
    return summary


# -- the 本月变化 sheet ---------------------------------------------------------
def _sheet_rows(changes: pd.DataFrame) -> list[tuple]:
    rows = []
    for index, r in enumerate(changes.to_dict("records"), start=1):
        level = text(r["level"])
        rows.append(
            (
                index,
                r["compared_with"],
                r["change_kind_name"],
                SCOPE_NAMES.get(text(r["scope"]), ""),
                LEVEL_NAMES.get(level, level),
                r["code"],
                r["name"],
                r["uscc"],
                r["detail"],
            )
        )
    return rows


def write_changes_sheet(
    workbook: Workbook,
    changes: pd.DataFrame,
    run_date: dt.date | str,
    *,
    compared_with: Sequence[str] = (),
    district: str = "",
    index: int | None = None,
) -> Worksheet:
    """Add the sheet 本月变化 to `workbook`, in the look of the consolidated workbook's other sheets.

    Sheet label, title and subtitle rows, then the table from row 4 with a
    frozen header; text stays text (formula guard in `excel_style`).
    ``compared_with`` names the comparisons made (shown in the subtitle, and
    telling "no change" apart from "nothing to compare with" when there are
    no rows); by default the labels found in `changes`. An existing sheet of
    the same name is replaced.
    """
    run_day = as_date(run_date)
    labels = list(compared_with)
    if not labels and "compared_with" in changes.columns:
        labels = list(dict.fromkeys(text(label) for label in changes["compared_with"] if text(label)))
    if CHANGES_SHEET in workbook.sheetnames:
        del workbook[CHANGES_SHEET]
    ws = workbook.create_sheet(CHANGES_SHEET, index)
    width = len(CHANGES_HEADERS)
    write_title(ws, 1, CHANGES_SHEET, width, font=SUBTITLE_FONT, alignment=LEFT)
    write_title(ws, 2, f"{district}扩增工业门类本月变化情况", width, height=30)
    against = "、".join(labels) if labels else "无"
    write_title(
        ws,
        3,
        f"统计日期：{run_day.isoformat()}    比较对象：{against}    "
        "说明：仅纳入入规培育清单的企业计为候选企业；门类按大类、中类、小类分别计",
        width,
        font=SUBTITLE_FONT,
        alignment=LEFT,
    )
    written = write_table(ws, HEADER_ROW, CHANGES_HEADERS, _sheet_rows(changes), CHANGES_FORMATS, CHANGES_WRAP)
    if written == 0:
        write_title(ws, HEADER_ROW + 1, NO_CHANGES_TEXT if labels else FIRST_RUN_TEXT, width, font=SUBTITLE_FONT)
    set_widths(ws, CHANGES_WIDTHS)
    fit_row_heights(ws, HEADER_ROW, HEADER_ROW, CHANGES_WIDTHS, range(1, width + 1))
    fit_row_heights(
        ws, HEADER_ROW + 1, HEADER_ROW + written, CHANGES_WIDTHS, [CHANGES_HEADERS.index(h) + 1 for h in CHANGES_WRAP]
    )
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1).coordinate
    set_print_layout(
        ws,
        HEADER_ROW,
        district=district,
        title=f"{district}扩增工业门类本月变化情况",
        month=f"{run_day.year}年{run_day.month}月",
    )
    return ws


__all__ = [
    "CHANGE_COLUMNS",
    "CHANGE_KIND_NAMES",
    "CHANGES_SHEET",
    "DROP_COLUMNS",
    "LEFT_ABOVE_COLUMNS",
    "RunSnapshot",
    "change_summary",
    "choose_comparison_dates",
    "compare_runs",
    "coverage_drops",
    "left_above_scale",
    "month_label",
    "monthly_changes",
    "previous_run_label",
    "write_changes_sheet",
]
