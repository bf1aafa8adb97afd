"""The review workbook: the review list with four highlighted columns for the reviewer to fill.

The office prints or circulates this file, a reviewer writes the confirmed
4-digit 小类 code, their name and the date, and the saved file comes back as
overrides (`read_overrides`). Everything the reviewer needs to decide is on
the row: the top-3 candidates with scores, the evidence, why the row is
here and which 规上 gap a confirmation would fill. The last column, 记录编号,
carries the review list's entity_id so a re-sorted or filtered file still
matches its firm or project.

House style as the other lists (title rows, header on row 4, frozen panes,
atomic save, text that looks like a formula stays text). Personal numbers in
free text are masked here as well, in case a caller passes an unmasked frame.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from industry_gap.coverage import find_node, number, text
from industry_gap.exports.excel_style import (
    CONFIDENCE_FORMAT,
    INTEGER_FORMAT,
    LEFT,
    LEFT_WRAP,
    SUBTITLE_FONT,
    fit_row_heights,
    save_atomically,
    set_print_layout,
    set_widths,
    write_table,
    write_title,
)
from industry_gap.gaps import level_name
from industry_gap.privacy import safe_for_output
from industry_gap.review.columns import (
    CODE_HEADER,
    DATE_HEADER,
    FILL_HEADERS,
    FILL_HINTS,
    HEADER_ROW,
    RECORD_ID_HEADER,
    RECORD_ID_HINT,
    SHEET_NAME,
    WORKBOOK_HEADERS,
    WORKBOOK_WIDTHS,
    WRAPPED_HEADERS,
)

TEXT_FORMAT = "@"  # keeps a typed 0610 as text instead of the number 610
DATE_FORMAT = "yyyy-mm-dd"
FORMATS = {
    "序号": INTEGER_FORMAT,
    CODE_HEADER: TEXT_FORMAT,
    DATE_HEADER: DATE_FORMAT,
    RECORD_ID_HEADER: TEXT_FORMAT,
} | {f"候选{i}置信度": CONFIDENCE_FORMAT for i in (1, 2, 3)}
FILL_HEADER_FILL = PatternFill("solid", start_color="FFD966", end_color="FFD966")
FILL_CELL_FILL = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")  # light yellow
RECORD_ID_FONT = Font(name="宋体", size=9, color="808080")
FROZEN_CELL = "D5"  # header rows and 序号/类型/名称 stay visible while scrolling to the fill-in columns
NO_ROWS_TEXT = "本次无待复核记录"
KIND_NAMES = {"enterprise": "规下企业", "project": "项目"}


def write_review_workbook(review: pd.DataFrame, path: Path, run_date: dt.date | str, district: str = "") -> Path:
    """Write `review` (columns REVIEW_COLUMNS of `industry_gap.gaps`) as a fill-in workbook; returns `path`.

    One sheet, 复核清单 (`add_review_sheet`). The file is written atomically:
    a reviewer who has last month's file open never sees a half-written one.
    """
    workbook = Workbook()
    first_sheet = workbook.active  # the empty sheet every new workbook starts with
    assert first_sheet is not None
    workbook.remove(first_sheet)
    add_review_sheet(workbook, review, run_date, district=district)
    return save_atomically(workbook, Path(path))


def add_review_sheet(
    workbook: Workbook, review: pd.DataFrame | None, run_date: dt.date | str, *, district: str = ""
) -> Worksheet:
    """Add the fill-in sheet 复核清单 to `workbook`; returns it.

    The one builder of this sheet, used by the standalone review workbook and
    by the consolidated workbook, so a reviewer can fill in either and
    `read_overrides` reads both the same way.
    """
    run_day = run_date if isinstance(run_date, dt.date) else dt.date.fromisoformat(str(run_date)[:10])
    rows = review_rows(review)
    ws = workbook.create_sheet(SHEET_NAME)
    _titles(ws, district, run_day, len(rows))
    written = write_table(ws, HEADER_ROW, WORKBOOK_HEADERS, rows, FORMATS, WRAPPED_HEADERS)
    if written == 0:
        write_title(ws, HEADER_ROW + 1, NO_ROWS_TEXT, len(WORKBOOK_HEADERS), font=SUBTITLE_FONT)
    _highlight_fill_columns(ws, written)
    _record_id_column(ws, written)
    _layout(ws, written, district, run_day)
    return ws


def review_rows(review: pd.DataFrame | None) -> list[list]:
    """Workbook rows in WORKBOOK_HEADERS order; the fill-in columns start empty."""
    if review is None or review.empty:
        return []
    rows = []
    for index, r in enumerate(safe_for_output(review).to_dict("records"), start=1):
        kind_name = text(r.get("entity_kind_name")) or KIND_NAMES.get(text(r.get("entity_kind")), "")
        candidates = []
        for rank in (1, 2, 3):
            code = text(r.get(f"pred_code_{rank}"))
            node = find_node(code)
            name = text(r.get(f"pred_name_{rank}")) or (node.name if node else "")
            candidates += [code, name, number(r.get(f"pred_score_{rank}"))]
        rows.append(
            [
                index,
                kind_name,
                text(r.get("name")),
                text(r.get("uscc")),
                text(r.get("text_excerpt")),
                *candidates,
                _basis(r),
                text(r.get("review_reason")),
                level_name(text(r.get("potential_gap_level_above"))),
                text(r.get("department")),
                None,
                None,
                None,
                None,
                text(r.get("entity_id")),
            ]
        )
    return rows


def _basis(row: dict) -> str:
    """分类依据: the evidence, plus the classifier's own remark (e.g. why it had nothing to go on)."""
    evidence, remark = text(row.get("evidence")), text(row.get("classifier_reason"))
    if evidence and remark:
        return f"{evidence}（说明：{remark}）"
    return evidence or remark


def _titles(ws: Worksheet, district: str, run_day: dt.date, count: int) -> None:
    width = len(WORKBOOK_HEADERS)
    write_title(ws, 1, SHEET_NAME, width, font=SUBTITLE_FONT, alignment=LEFT)
    write_title(ws, 2, f"{district}行业分类复核清单", width, height=30)
    write_title(
        ws,
        3,
        (
            f"统计日期：{run_day.isoformat()}    共{count}条    填写方法：在黄色列填写核定的4位行业小类代码"
            "（如 3511）、核定人和核定日期（三项必填，备注选填），保存后放入收件箱或用 "
            "industry-gap run --overrides 文件名 读入；未填代码的行不作处理。请勿修改“记录编号”列。"
        ),
        width,
        font=SUBTITLE_FONT,
        alignment=LEFT_WRAP,
        height=30,
    )


def _column(header: str) -> int:
    return WORKBOOK_HEADERS.index(header) + 1


def _highlight_fill_columns(ws: Worksheet, written: int) -> None:
    """Yellow fill, a header comment and an input hint on every cell the reviewer fills."""
    last_row = HEADER_ROW + max(written, 1)
    for header in FILL_HEADERS:
        column = _column(header)
        letter = get_column_letter(column)
        header_cell = ws.cell(row=HEADER_ROW, column=column)
        header_cell.fill = FILL_HEADER_FILL
        header_cell.comment = _comment(FILL_HINTS[header])
        _restyle_column(ws, column, written, "fillId", "_fills", FILL_CELL_FILL)
        validation = _validation(header)
        validation.add(f"{letter}{HEADER_ROW + 1}:{letter}{last_row}")
        ws.add_data_validation(validation)


def _validation(header: str) -> DataValidation:
    """The code column refuses anything but four characters; the others only show their hint."""
    hint = FILL_HINTS[header]
    if header == CODE_HEADER:
        return DataValidation(
            type="textLength",
            operator="equal",
            formula1="4",
            allow_blank=True,
            showInputMessage=True,
            promptTitle=header,
            prompt=hint,
            showErrorMessage=True,
            errorTitle="代码位数不对",
            error="请填写4位行业小类代码，如 3511（开头的0要保留，如 0610）",
        )
    return DataValidation(allow_blank=True, showInputMessage=True, promptTitle=header, prompt=hint)


def _comment(message: str) -> Comment:
    comment = Comment(message, "industry-gap")
    comment.width, comment.height = 220, 60
    return comment


def _record_id_column(ws: Worksheet, written: int) -> None:
    """记录编号 stays visible (a hidden column can be left behind when a user sorts a selection) but grey."""
    column = _column(RECORD_ID_HEADER)
    ws.cell(row=HEADER_ROW, column=column).comment = _comment(RECORD_ID_HINT)
    _restyle_column(ws, column, written, "fontId", "_fonts", RECORD_ID_FONT)


def _restyle_column(ws: Worksheet, column: int, written: int, key: str, table: str, value: object) -> None:
    """Give every data cell of `column` a font or fill: what ``cell.fill = value`` does per cell
    (add the object to the workbook's style table, keep its id), with the object added once
    instead of hashed again for each of a long list's cells."""
    if not written:
        return
    style_id = getattr(ws.parent, table).add(value)
    cells = ws._cells  # openpyxl's private cell map; write_table has put a cell in every column
    for row in range(HEADER_ROW + 1, HEADER_ROW + written + 1):
        setattr(cells[row, column]._style, key, style_id)  # type: ignore[union-attr]  # openpyxl's style array


def _layout(ws: Worksheet, written: int, district: str, run_day: dt.date) -> None:
    width = len(WORKBOOK_HEADERS)
    set_widths(ws, WORKBOOK_WIDTHS)
    fit_row_heights(ws, HEADER_ROW, HEADER_ROW, WORKBOOK_WIDTHS, range(1, width + 1))
    fit_row_heights(ws, HEADER_ROW + 1, HEADER_ROW + written, WORKBOOK_WIDTHS, [_column(h) for h in WRAPPED_HEADERS])
    ws.freeze_panes = FROZEN_CELL
    if written:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{HEADER_ROW + written}"
    # 记录编号 is for the file's way back in, not for the reader: the printout leaves it out.
    print_area = f"A1:{get_column_letter(width - 1)}{HEADER_ROW + max(written, 1)}"
    set_print_layout(
        ws,
        HEADER_ROW,
        district=district,
        title=f"{district}行业分类复核清单",
        month=f"{run_day.year}年{run_day.month}月",
        print_area=print_area,
    )
