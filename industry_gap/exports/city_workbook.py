"""The city's coverage workbook and the 全市门类表 that district runs read back.

``<output_root>/city/全市门类覆盖_YYYYMMDD.xlsx`` with sheets 覆盖汇总 (present
categories per level and scope, city and each district), 全市门类表 (every
industrial node: present at 规上/全口径, in which districts) and 全市空白可填补企业
(规下 firms whose 小类 no district has at 规上). Beside it ``全市门类表.csv``, in the
form `industry-gap run --city-coverage` reads, so each district's lists and
rewards are judged against the city.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from industry_gap.coverage import CODE_SOURCE_NAMES
from industry_gap.environment import check_not_locked_by_office
from industry_gap.exports.excel_style import (
    CONFIDENCE_FORMAT,
    COUNT_FORMAT,
    INTEGER_FORMAT,
    fit_row_heights,
    save_atomically,
    set_print_layout,
    set_widths,
    write_table,
    write_title,
)
from industry_gap.privacy import mask_series

SUMMARY_SHEET = "覆盖汇总"
TABLE_SHEET = "全市门类表"
CANDIDATE_SHEET = "全市空白可填补企业"
CITY_TABLE_CSV = "全市门类表.csv"
HEADER_ROW = 3

TABLE_HEADERS = [
    "行业代码",
    "层级",
    "门类名称",
    "所属大类",
    "规上已有",
    "全口径已有",
    "规上已有的区县数",
    "全口径已有的区县数",
    "规上企业数",
    "全部计入企业数",
    "规上已有的区县",
    "全口径已有的区县",
]
TABLE_WIDTHS = [9, 6, 24, 7, 7, 8, 9, 9, 9, 9, 28, 28]
TABLE_WRAP = ("门类名称", "规上已有的区县", "全口径已有的区县")
TABLE_FORMATS = {h: COUNT_FORMAT for h in TABLE_HEADERS[6:10]}
CANDIDATE_HEADERS = [
    "序号",
    "区县",
    "企业名称",
    "统一社会信用代码",
    "行业代码",
    "行业名称",
    "代码来源",
    "置信度",
    "全口径已有的区县数",
    "判定依据",
]
CANDIDATE_WIDTHS = [5, 10, 24, 19, 7, 20, 12, 7, 9, 48]
CANDIDATE_WRAP = ("企业名称", "行业名称", "代码来源", "判定依据")
CANDIDATE_FORMATS = {"序号": INTEGER_FORMAT, "置信度": CONFIDENCE_FORMAT, "全口径已有的区县数": COUNT_FORMAT}


def city_workbook_name(run_date: dt.date) -> str:
    return f"全市门类覆盖_{run_date:%Y%m%d}.xlsx"


def write_city_exports(
    *,
    city: pd.DataFrame,
    summary: pd.DataFrame,
    candidates: pd.DataFrame,
    city_table: pd.DataFrame,
    output_root: str | Path,
    run_date: dt.date,
    city_name: str = "全市",
) -> tuple[Path, Path]:
    """Write the workbook and the CSV (each atomically); returns their paths."""
    folder = Path(output_root) / "city"
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the empty default sheet
    _summary_sheet(workbook, summary, city_name, run_date)
    _table_sheet(workbook, city, city_name, run_date)
    _candidate_sheet(workbook, candidates, city_name, run_date)
    book = save_atomically(workbook, folder / city_workbook_name(run_date))
    table = _write_csv(city_table, folder / CITY_TABLE_CSV)
    return book, table


def _summary_sheet(workbook: Workbook, summary: pd.DataFrame, city_name: str, run_date: dt.date) -> None:
    ws = workbook.create_sheet(SUMMARY_SHEET)
    districts = list(dict.fromkeys(summary["district"]))
    pivot = summary.pivot_table(
        index=["scope_name", "level_name"], columns="district", values="present", aggfunc="sum", sort=False
    )
    headers = ["口径", "层级", *districts]
    write_title(ws, 1, f"{city_name}工业门类覆盖汇总（已有门类数）", len(headers), height=28)
    write_title(ws, 2, f"统计日期：{run_date.isoformat()}；“全市”为任一区县已有即计", len(headers))
    rows = [(scope, level, *(int(pivot.loc[(scope, level), d]) for d in districts)) for scope, level in pivot.index]
    write_table(ws, HEADER_ROW, headers, rows, {d: COUNT_FORMAT for d in districts})
    set_widths(ws, [10, 8, *([12] * len(districts))])
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3).coordinate
    _print_layout(ws, city_name, f"{city_name}工业门类覆盖汇总", run_date)


def _table_sheet(workbook: Workbook, city: pd.DataFrame, city_name: str, run_date: dt.date) -> None:
    ws = workbook.create_sheet(TABLE_SHEET)
    write_title(ws, 1, f"{city_name}工业门类表", len(TABLE_HEADERS), height=28)
    write_title(ws, 2, f"统计日期：{run_date.isoformat()}；大类、中类、小类逐一列出", len(TABLE_HEADERS))
    yes_no = {True: "是", False: "否"}
    rows = [
        (
            r["code"],
            r["level_name"],
            r["name"],
            r["division"],
            yes_no[bool(r["present_above"])],
            yes_no[bool(r["present_all"])],
            int(r["districts_above"]),
            int(r["districts_all"]),
            int(r["n_above"]),
            int(r["n_all"]),
            r["above_in"],
            r["all_in"],
        )
        for r in city.to_dict("records")
    ]
    write_table(ws, HEADER_ROW, TABLE_HEADERS, rows, TABLE_FORMATS, TABLE_WRAP)
    set_widths(ws, TABLE_WIDTHS)
    fit_row_heights(ws, HEADER_ROW, HEADER_ROW, TABLE_WIDTHS, range(1, len(TABLE_HEADERS) + 1))
    fit_row_heights(
        ws, HEADER_ROW + 1, HEADER_ROW + len(rows), TABLE_WIDTHS, [TABLE_HEADERS.index(h) + 1 for h in TABLE_WRAP]
    )
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2).coordinate
    ws.auto_filter.ref = f"A{HEADER_ROW}:L{HEADER_ROW + len(rows)}"
    _print_layout(ws, city_name, f"{city_name}工业门类表", run_date)


def _candidate_sheet(workbook: Workbook, candidates: pd.DataFrame, city_name: str, run_date: dt.date) -> None:
    ws = workbook.create_sheet(CANDIDATE_SHEET)
    write_title(ws, 1, f"{city_name}规上口径空白小类的规下企业", len(CANDIDATE_HEADERS), height=28)
    write_title(
        ws,
        2,
        f"统计日期：{run_date.isoformat()}；这些小类在全市所有区县均无规上企业，企业入规即填补全市空白",
        len(CANDIDATE_HEADERS),
    )
    frame = candidates.assign(
        name=mask_series(candidates["name"].astype(str)), decision=mask_series(candidates["decision"].astype(str))
    )
    rows: list[tuple[Any, ...]] = [
        (
            i,
            r["district"],
            r["name"],
            r["uscc"],
            r["code"],
            r["code_name"],
            CODE_SOURCE_NAMES.get(r["code_source"], r["code_source"]),
            r["confidence"],
            r["districts_all"],
            r["decision"],
        )
        for i, r in enumerate(frame.to_dict("records"), start=1)
    ]
    if not rows:
        rows = [("", "", "本期无全市空白可填补企业", "", "", "", "", None, None, "")]
    write_table(ws, HEADER_ROW, CANDIDATE_HEADERS, rows, CANDIDATE_FORMATS, CANDIDATE_WRAP)
    set_widths(ws, CANDIDATE_WIDTHS)
    fit_row_heights(ws, HEADER_ROW, HEADER_ROW, CANDIDATE_WIDTHS, range(1, len(CANDIDATE_HEADERS) + 1))
    fit_row_heights(
        ws,
        HEADER_ROW + 1,
        HEADER_ROW + len(rows),
        CANDIDATE_WIDTHS,
        [CANDIDATE_HEADERS.index(h) + 1 for h in CANDIDATE_WRAP],
    )
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3).coordinate
    _print_layout(ws, city_name, f"{city_name}规上口径空白小类的规下企业", run_date)


def _print_layout(ws, city_name: str, title: str, run_date: dt.date) -> None:
    """A4 landscape like the district's lists, with the city, list name and month in the page header."""
    set_print_layout(ws, HEADER_ROW, district=city_name, title=title, month=f"{run_date.year}年{run_date.month}月")


def _write_csv(table: pd.DataFrame, path: Path) -> Path:
    """UTF-8 with BOM (Excel/WPS open it as is), through a temporary file renamed into place."""
    check_not_locked_by_office(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".csv.tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
            table.to_csv(out, index=False)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path
