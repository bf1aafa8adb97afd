"""Small openpyxl helpers: safe cell values, the office's table look, atomic saving.

Safety first: a text cell starting with ``=``, ``+``, ``-`` or ``@`` is
written as a string (inline string, quote prefix), never as a formula, so a
firm called ``=HYPERLINK(...)`` cannot run anything when the office opens the
list. Characters XML cannot hold are dropped instead of failing the write.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from copy import copy
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from industry_gap.environment import check_not_locked_by_office
from industry_gap.exports.xlsx_writer import save_workbook
from industry_gap.failpoints import EXPORT_BEFORE_RENAME, failpoint

FORMULA_PREFIXES = ("=", "+", "-", "@")
# Excel also starts a formula from a CSV cell beginning with a tab or carriage return (OWASP's list).
CSV_FORMULA_PREFIXES = (*FORMULA_PREFIXES, "\t", "\r")
_PLAIN_NUMBER_RE = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
MONEY_FORMAT = "#,##0.00"  # 万元 with two decimals
INTEGER_FORMAT = "0"
COUNT_FORMAT = "#,##0"
CONFIDENCE_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
MAX_TEXT_CHARS = 32767  # Excel's limit for one cell; openpyxl cuts longer text

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
    kind = type(value)
    if kind is str:  # the common cases first, with the same results as the general path below
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if kind is float:
        return None if math.isnan(value) else value
    if kind is int or kind is bool or value is None:
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:  # noqa: SIM105  (per cell: contextlib.suppress would add a context manager to each)
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


def csv_safe_text(value: Any) -> Any:
    """A CSV cell that Excel would run as a formula ("=HYPERLINK(…)", "+1+1", "@SUM(…)") gets a leading
    apostrophe, as OWASP advises for CSV; plain numbers ("-5") and other values are unchanged."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_PREFIXES) and not _PLAIN_NUMBER_RE.match(value):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell through `csv_safe_text`: the CSV counterpart of `set_cell`'s quote prefix."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(csv_safe_text)
    out.columns = [csv_safe_text(c) for c in out.columns]
    return out


def set_cell(cell: Cell | MergedCell, value: Any, number_format: str | None = None) -> Cell:
    """Write a value; text that looks like a formula stays text (data type 's', quote prefix)."""
    if not isinstance(cell, Cell):  # what `ws.cell()` returns inside a merged range: it holds no value
        raise TypeError(f"cell {cell.coordinate} is covered by a merged range")
    value = clean_value(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format and (value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))):
        cell.number_format = number_format
    return cell


def write_title(
    ws: Worksheet,
    row: int,
    text: str,
    width: int,
    font: Font = TITLE_FONT,
    alignment: Alignment = CENTER,
    height: float | None = None,
) -> None:
    """A merged title line across `width` columns."""
    cell = set_cell(ws.cell(row=row, column=1), text)
    cell.font = font
    cell.alignment = alignment
    if width > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    if height:
        ws.row_dimensions[row].height = height


def write_table(
    ws: Worksheet,
    header_row: int,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    formats: dict[str, str] | None = None,
    wrap: Iterable[str] = (),
) -> int:
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
    return _write_body(ws, header_row + 1, templates, rows)


def _write_body(ws: Worksheet, first_row: int, templates: list, rows: Iterable[Sequence[Any]]) -> int:
    """Data rows from `first_row`, each cell with its column's style; returns the number of rows.

    The cells are built directly (not through ``ws.cell``) and only the cell
    types that need it go through the general `clean_value`; the result is
    the same as ``set_cell(ws.cell(...), value)`` with the template's style.
    Text is bound here as openpyxl binds it (cut to Excel's cell limit, "="
    a formula, "#N/A" an error code), since `clean_value` has already removed
    the characters openpyxl would scan every string again for.
    """
    cells: dict[tuple[int, int], Any] = ws._cells  # openpyxl's private cell map
    count = 0
    for count, values in enumerate(rows, start=1):
        row_number = first_row + count - 1
        for column, (template, value) in enumerate(zip(templates, values), start=1):
            value = clean_value(value)
            if (row_number, column) in cells:  # an existing cell keeps its other attributes
                cell = cells[row_number, column]
                cell._style = copy(template)
                cell.value = value
            elif type(value) is str:  # bound as openpyxl's Cell.value does, without its second character scan
                cell = cells[row_number, column] = Cell(ws, row_number, column, None, template)
                value = cell._value = value[:MAX_TEXT_CHARS]  # type: ignore[attr-defined]  # openpyxl's slot
                if len(value) > 1 and value.startswith("="):
                    cell.data_type = "f"
                elif value in ERROR_CODES:
                    cell.data_type = "e"
                else:
                    cell.data_type = "s"
            else:  # the style array (font, border, alignment, number format) is copied, then the value bound
                cell = cells[row_number, column] = Cell(ws, row_number, column, value, template)
            if type(value) is str and value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"
                cell.quotePrefix = True
    if count:
        ws._current_row = max(ws._current_row, first_row + count - 1)  # type: ignore[attr-defined]  # private
    return count


def _column_style(ws: Worksheet, header: str, number_format: str | None, wrap: bool) -> StyleArray:
    """A detached cell carrying one column's data style; returns its StyleArray."""
    template = Cell(ws, row=1, column=1)  # never put on the sheet: only its style is used
    template.font = BODY_FONT
    template.border = BORDER
    template.alignment = LEFT_WRAP if wrap else Alignment(vertical="center", wrap_text=False)
    if number_format:
        template.number_format = number_format
    return template._style  # type: ignore[attr-defined]  # the private style array, copied per cell


def set_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def header_widths(headers: Sequence[str], widths: Sequence[float]) -> list[float]:
    """`widths`, each widened just enough that its header does not wrap one lone character onto a line.

    A heading that breaks evenly reads well ("计划投" / "产时间"); one that leaves a single character
    on its last line ("建设阶" / "段") does not, so that column gets the room for one line fewer."""
    out = []
    for header, width in zip(headers, widths):
        units = max((display_width(line) for line in str(header).split("\n")), default=0)
        per_line = max(2, math.floor(width - HEADER_PADDING))
        lines = -(-units // per_line)
        last = units - (lines - 1) * per_line
        if lines > 1 and last <= 2:
            fewer = -(-units // (lines - 1))
            width = max(width, fewer + fewer % 2 + HEADER_PADDING)
        out.append(width)
    return [*out, *widths[len(out) :]]


LINE_HEIGHT = 14.0  # points per wrapped line at the body font size
HEADER_PADDING = 1.5  # column units a bold 11 pt heading needs beside its characters
MAX_LINES = 12  # a very long 判定依据 is cut visually rather than making a page-high row


class _CharacterWidths(dict):
    """Character → 1 or 2 column units, looked up once per character (``unicodedata`` is slow per call)."""

    def __missing__(self, character: str) -> int:
        width = self[character] = 2 if unicodedata.east_asian_width(character) in "WF" else 1
        return width


_CHARACTER_WIDTHS = _CharacterWidths()


def display_width(value: object) -> int:
    """Width in Excel column units: CJK and full-width characters count double."""
    text = str(value)
    if text.isascii():
        return len(text)
    return sum(map(_CHARACTER_WIDTHS.__getitem__, text))


def fit_row_heights(
    ws: Worksheet, first_row: int, last_row: int, widths: Sequence[float], wrap_columns: Iterable[int]
) -> None:
    """Give rows with wrapped text a height that shows it: neither Excel nor LibreOffice
    reliably auto-fits rows of a generated file when it opens."""
    columns = [c for c in wrap_columns if c <= len(widths)]
    usable = {column: max(widths[column - 1] - 1, 1) for column in columns}
    cells = ws._cells
    for row in range(first_row, last_row + 1):
        lines = 1
        for column in columns:
            cell = cells.get((row, column))
            if cell is None:
                cell = ws.cell(row=row, column=column)  # as before: the look-up creates the empty cell
            value = cell.value
            if value is None:
                continue
            lines = max(lines, _line_count(str(value), usable[column]))
        if lines > 1:
            ws.row_dimensions[row].height = min(lines, MAX_LINES) * LINE_HEIGHT


def _line_count(text: str, usable: float) -> int:
    """Lines `text` takes in a column `usable` units wide (each paragraph wraps on its own)."""
    if "\n" not in text:
        return math.ceil(max(display_width(text), 1) / usable)
    return sum(math.ceil(max(display_width(part), 1) / usable) for part in text.split("\n"))


def save_atomically(workbook: Workbook, path: Path) -> Path:
    """Save to a temporary file in the same folder, then rename over `path`.

    A reader never sees a half-written workbook, and a failed write leaves
    the previous file in place. The rows are written by `xlsx_writer` (the
    same file as openpyxl's save, several times faster on long sheets).
    """
    path = Path(path)
    check_not_locked_by_office(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".xlsx.tmp")
    os.close(handle)
    try:
        save_workbook(workbook, temporary)
        os.chmod(temporary, _file_mode(path))
        failpoint(EXPORT_BEFORE_RENAME)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


PRINT_MARGINS = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.6, header=0.3, footer=0.3)  # inches
PAGE_NUMBER_FOOTER = "第 &P 页 共 &N 页"
A4_LANDSCAPE_WIDTH_MM = 297.0
A4_LANDSCAPE_HEIGHT_MM = 210.0
COLUMN_UNIT_MM = 7 * 25.4 / 96  # one column-width unit: a 7-pixel digit of the default font at 96 dpi
# DejaVu Sans's 11 pt digit (9.3 px at 96 dpi): LibreOffice prints Calibri with it where neither Calibri nor
# Carlito is installed
SUBSTITUTE_DIGIT_PX = 9.0


def set_print_layout(
    ws: Worksheet,
    header_row: int | None,
    *,
    district: str = "",
    title: str = "",
    month: str = "",
    scale: int | None = None,
    print_area: str | None = None,
) -> None:
    """A4 landscape, one page wide, the header row repeated, page numbers and a running header.

    Offices print on A4: an A3 layout printed there shrinks to unreadable
    text, and a loose sheet without its district, list name and month on
    every page cannot be told apart from last month's. ``scale`` (percent)
    replaces fit-to-width where a sheet needs manual page breaks (Excel
    ignores them under fit-to-page); ``print_area`` defaults to the used range.
    """
    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A4
    setup.orientation = ws.ORIENTATION_LANDSCAPE
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    properties = ws.sheet_properties.pageSetUpPr
    header, footer = ws.oddHeader, ws.oddFooter
    if properties is None or header is None or footer is None:  # openpyxl makes all three with a sheet
        raise ValueError(f"sheet {ws.title!r} lacks page setup properties or header/footer")
    properties.fitToPage = scale is None
    if scale is not None:
        setup.scale = scale
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = print_area or f"A1:{get_column_letter(max(ws.max_column, 1))}{max(ws.max_row, 1)}"
    ws.page_margins = copy(PRINT_MARGINS)
    ws.print_options.horizontalCentered = True
    for part, value in ((header.left, district), (header.center, title), (header.right, month)):
        part.text = _header_text(value)
        part.size = 9
    footer.center.text = PAGE_NUMBER_FOOTER
    footer.center.size = 9


def _header_text(value: str) -> str | None:
    """A header section's text; ``&`` starts a code in Excel headers, so a literal one is doubled."""
    return value.replace("&", "&&") if value else None


def width_scale(widths: Sequence[float], margins: PageMargins = PRINT_MARGINS, digit_px: float = 7.0) -> int:
    """The largest whole percent at which columns of `widths` fit across an A4 landscape page.

    `digit_px`: the default font's digit width that column widths are counted in (7 for Calibri;
    LibreOffice without Calibri or Carlito substitutes DejaVu Sans, whose digit is about 9)."""
    printable = A4_LANDSCAPE_WIDTH_MM - (margins.left + margins.right) * 25.4
    unit = COLUMN_UNIT_MM * digit_px / 7.0
    needed = sum(widths) * unit + len(widths) * 0.5  # half a millimetre of grid line per column
    return max(10, min(100, math.floor(printable / needed * 100) - 2))  # 2 % spare for renderer differences


def excel_date(value: Any) -> Any:
    """A date as ``datetime.date`` (ISO text, "YYYY-MM" as the month's first day); other text unchanged.

    Dates written as text cannot be sorted, filtered or compared in Excel.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date) or value is None:
        return value
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    text = str(value).strip()
    if not text or text.lower() in ("nan", "nat", "none"):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    if len(text) == 7 and text[4] == "-":
        try:
            return dt.date(int(text[:4]), int(text[5:7]), 1)
        except ValueError:
            pass
    return text


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
