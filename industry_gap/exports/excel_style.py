"""Small openpyxl helpers: safe cell values, the office's table look, atomic saving.

Safety first: a text cell starting with ``=``, ``+``, ``-`` or ``@`` is
written as a string (inline string, quote prefix), never as a formula, so a
firm called ``=HYPERLINK(...)`` cannot run anything when the office opens the
list. Characters XML cannot hold are dropped instead of failing the write.
"""

from __future__ import annotations

import datetime as dt
import math
from copy import copy
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from industry_gap.failpoints import EXPORT_BEFORE_RENAME, failpoint

FORMULA_PREFIXES = ("=", "+", "-", "@")
MONEY_FORMAT = "#,##0.00"       # 万元 with two decimals
INTEGER_FORMAT = "0"
COUNT_FORMAT = "#,##0"
CONFIDENCE_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"

_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
TITLE_FONT = Font(name="宋体", size=16, bold=True)
SUBTITLE_FONT = Font(name="宋体", size=10)
HEADER_FONT = Font(name="宋体", size=11, bold=True)
BODY_FONT = Font(name="宋体", size=10)
HEADER_FILL = PatternFill("solid", start_color="D9E1F2", end_color="D9E1F2")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT_WRAP = Alignment(horizontal="left", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center")


def clean_value(value: Any) -> Any:
    """A value openpyxl can store: NaN/None → None, numpy scalars → Python, text without control chars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (bool, int, float, dt.date, dt.datetime)):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def set_cell(cell: Cell, value: Any, number_format: str | None = None) -> Cell:
    """Write a value; text that looks like a formula stays text (data type 's', quote prefix)."""
    value = clean_value(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.number_format = number_format
    elif number_format and value is None:
        cell.number_format = number_format
    return cell


def write_title(ws: Worksheet, row: int, text: str, width: int, font: Font = TITLE_FONT,
                alignment: Alignment = CENTER, height: float | None = None) -> None:
    """A merged title line across `width` columns."""
    cell = set_cell(ws.cell(row=row, column=1), text)
    cell.font = font
    cell.alignment = alignment
    if width > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    if height:
        ws.row_dimensions[row].height = height


def write_table(ws: Worksheet, header_row: int, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                formats: dict[str, str] | None = None, wrap: Iterable[str] = ()) -> int:
    """Header plus data rows from `header_row`; returns the number of data rows written.

    `formats` maps a header to its number format, applied to every data cell
    of that column; `wrap` lists headers whose cells wrap long text. Each
    column's look is built once on a template cell and its style array copied
    to every data cell: assigning font/border/alignment objects cell by cell
    re-hashes them and is about ten times slower on a registry-sized list.
    """
    formats = formats or {}
    wrap = set(wrap)
    for column, header in enumerate(headers, start=1):
        cell = set_cell(ws.cell(row=header_row, column=column), header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = CENTER
        cell.border = BORDER
    templates = [_column_style(ws, header, formats.get(header), header in wrap) for header in headers]
    count = 0
    for count, values in enumerate(rows, start=1):
        row_number = header_row + count
        for column, (template, value) in enumerate(zip(templates, values), start=1):
            cell = ws.cell(row=row_number, column=column)
            cell._style = copy(template)  # openpyxl's StyleArray: font, border, alignment, number format
            set_cell(cell, value)
    return count


def _column_style(ws: Worksheet, header: str, number_format: str | None, wrap: bool):
    """A detached cell carrying one column's data style; returns its StyleArray."""
    template = Cell(ws)
    template.font = BODY_FONT
    template.border = BORDER
    template.alignment = LEFT_WRAP if wrap else Alignment(vertical="center", wrap_text=False)
    if number_format:
        template.number_format = number_format
    return template._style


def set_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


LINE_HEIGHT = 14.0   # points per wrapped line at the body font size
MAX_LINES = 12       # a very long 判定依据 is cut visually rather than making a page-high row


def display_width(value: object) -> int:
    """Width in Excel column units: CJK and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def fit_row_heights(ws: Worksheet, first_row: int, last_row: int, widths: Sequence[float],
                    wrap_columns: Iterable[int]) -> None:
    """Give rows with wrapped text a height that shows it: neither Excel nor LibreOffice
    reliably auto-fits rows of a generated file when it opens."""
    columns = [c for c in wrap_columns if c <= len(widths)]
    for row in range(first_row, last_row + 1):
        lines = 1
        for column in columns:
            value = ws.cell(row=row, column=column).value
            if value is None:
                continue
            usable = max(widths[column - 1] - 1, 1)
            lines = max(lines, sum(math.ceil(max(display_width(part), 1) / usable)
                                   for part in str(value).split("\n")))
        if lines > 1:
            ws.row_dimensions[row].height = min(lines, MAX_LINES) * LINE_HEIGHT


def save_atomically(workbook: Workbook, path: Path) -> Path:
    """Save to a temporary file in the same folder, then rename over `path`.

    A reader never sees a half-written workbook, and a failed write leaves
    the previous file in place.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".xlsx.tmp")
    os.close(handle)
    try:
        workbook.save(temporary)
        os.chmod(temporary, _file_mode(path))
        failpoint(EXPORT_BEFORE_RENAME)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def set_print_layout(ws: Worksheet, header_row: int) -> None:
    """A3 landscape, one page wide, the header row repeated on every printed page."""
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporaries left by a killed run (call under the export lock: no writer is active)."""
    stale = list(Path(folder).glob(".*.xlsx.tmp")) if Path(folder).is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _file_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new one gets the usual umask default, not mkstemp's 0600."""
    if path.exists():
        return path.stat().st_mode & 0o777
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def safe_file_part(text: str, limit: int = 60) -> str:
    """A department name usable in a file name on Windows and Linux."""
    cleaned = "".join("_" if ch in '\\/:*?"<>|' or ch.isspace() or ord(ch) < 32 else ch for ch in text)
    cleaned = cleaned.strip(" ._") or "未指定责任单位"
    return cleaned[:limit]
