"""Read a CSV / XLSX / HTML-disguised .xls into text cells and find its header row.

Everything is read as text so leading zeros ("0610", USCC) survive. The file
type is sniffed from its bytes, not its extension: offices rename files, and
WPS saves "xls" files that are really xlsx or HTML. Row numbers are the ones
the user sees in Excel/WPS (1-based, counting title rows and blank lines), so
a quarantine row can be found in the original file.

A CSV/TSV is decoded and parsed as it is read (`open_table(...).chunks(n)`: n data rows at
a time), so a registry of millions of rows is never held whole; the encoding is decided over
the whole file first (`decoding`), the header from its first rows, and checks that need the
whole file run after the last row. `read_table` returns the whole table at once.

Damage that can be repaired without guessing is repaired and reported in
`RawTable.notes` (shown by check-registry): control characters such as NUL, and
bidirectional controls (RLO, which can make one name display as another), are
removed from cells, trailing NUL padding is ignored, lines of a file that mixes
UTF-8 and GBK are decoded one by one, and a second header row under merged
header cells ("营业收入" over "本年"/"上年") is joined to the first. Damage that
cannot (a quote that swallows the rest of the file, binary data) is an
InputFileError, and so is a file over the size limits (`limits`: zip bombs, huge
sheets, runaway rows, columns or cells), checked before and while it is parsed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import chain, islice
from pathlib import Path
from typing import Any

from industry_gap.environment import is_symlink_loop
from industry_gap.errors import InputFileError
from industry_gap.ingest.aliases import CODE_COLUMNS, map_headers, match_header, normalize_header, score_header
from industry_gap.ingest.decoding import TextSource, detect, is_blank_file, rows_text
from industry_gap.ingest.limits import InputLimits, RecordGuard, check_archive, check_dimension

HEADER_SCAN_ROWS = 15  # title rows plus a few blank lines above the header
# Datasets whose tables may name their columns anything (the scope tables of classify / train /
# evaluate): when no row in the first rows names a known or user-named column, the first non-blank
# row is the header, as a plain CSV reader would take it.
FREE_HEADER_DATASETS = frozenset({"scopes"})
# C0 controls except tab/line feed/carriage return, DEL and C1 controls: never part of real text.
# Bidirectional controls (U+202E RLO and the like) neither: they make a name display as another
# ("公司甲" shown as "甲司公"), in the exports as on screen.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL_RE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI_CONTROLS}]")
_CONTROL_NAMES = {"\x00": "空字符 NUL", "\x1b": "ESC", "\x7f": "DEL", "\x0b": "垂直制表符", "\x0c": "换页符"}
_BIDI_RE = re.compile(f"[{_BIDI_CONTROLS}]")
# A cell may hold more than csv's default 131,072 characters (a 50,000-character 经营范围 in a
# GB18030 file is fine; a runaway quote is caught by _check_runaway_quote, not by this limit).
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
_DELIMITERS = (",", "\t", ";", "|")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_STRIP = " \t\r\n\u3000\xa0\u200b\ufeff"
_FORMULA_TAG_RE = re.compile(rb"<(?:\w+:)?f[ >/]")
_HTML_TITLE_RE = re.compile(r"<title[^>]*>([^<]*)</title>", re.IGNORECASE)
_SAVE_AS = "请在 Excel/WPS 中打开后“另存为” .xlsx 或 CSV（UTF-8）格式再试"
_EPOCH_1904 = dt.datetime(1904, 1, 1)  # openpyxl's CALENDAR_MAC_1904
# The main namespace of ISO/IEC 29500 Strict workbooks ("Strict Open XML Spreadsheet"), which openpyxl cannot read.
_STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/spreadsheetml/main"


@dataclass
class RawTable:
    """Text cells of one table: the header row and the non-blank data rows below it."""

    headers: list[str]
    rows: list[list[str]]  # each padded/truncated to len(headers)
    row_numbers: list[int]  # 1-based sheet row of each data row
    header_row: int  # 1-based sheet row of the header
    overflow: list[str] = field(default_factory=list)  # per row: cells beyond the header ("" if none)
    # XLSX only: column index -> sheet rows whose code cell was an Excel number (leading zero may be lost).
    numeric_codes: dict[int, set[int]] = field(default_factory=dict)
    # XLSX only: column index -> sheet rows whose cell is a formula without a saved result.
    formula_cells: dict[int, set[int]] = field(default_factory=dict)
    sheet: str | None = None
    encoding: str | None = None
    kind: str = "csv"  # csv / xlsx / html
    date1904: bool = False  # XLSX saved with the 1904 date system: day numbers count from 1904-01-01
    header_rows: int = 1  # 2 when a sub-header row under merged cells was joined in
    notes: list[str] = field(default_factory=list)  # repairs made while reading (Chinese)


def clean_cell(value: str) -> str:
    return value.strip(_STRIP) if value else ""


# No header cell is longer; longer cells are not looked at (normalising a 1,000,000-character
# 经营范围 as a possible header takes seconds).
HEADER_CELL_LIMIT = 200


def _find_header(records: list[list[str]], dataset: str, named: frozenset[str] = frozenset()) -> tuple[int, float]:
    """(index, score) of the record in the first rows that names the most columns; earliest on ties.

    A column counts when it is one of the dataset's schema columns, or one of `named` (normalised
    headers the user gave on the command line). In a FREE_HEADER_DATASETS table where no row names
    a column, the first non-blank row scores below 1, by its number of cells (so that the delimiter
    splitting it most wins).
    """
    best_index, best_score = 0, 0.0
    for index, record in enumerate(records[:HEADER_SCAN_ROWS]):
        cells = [clean_cell(c) if len(c) <= HEADER_CELL_LIMIT else "" for c in record]
        score = score_header(dataset, cells)
        if named:
            score += len({normalize_header(c) for c in cells if c and match_header(dataset, c) is None} & named)
        if score > best_score:
            best_index, best_score = index, score
    if best_score == 0 and dataset in FREE_HEADER_DATASETS:
        for index, record in enumerate(records[:HEADER_SCAN_ROWS]):
            filled = sum(1 for c in record if clean_cell(c))
            if filled:
                return index, min(filled, 999) / 1000
    return best_index, best_score


def _no_header_error(path: object, records: list[list[str]], where: str = "") -> InputFileError:
    first = next((r for r in records if any(clean_cell(c) for c in r)), None)
    seen = "、".join(clean_cell(c) for c in first if clean_cell(c))[:200] if first else "（空）"
    return InputFileError(
        path,
        f"{where}前{HEADER_SCAN_ROWS}行中没有找到可识别的表头（第一行非空内容为：{seen}）。"
        "请确认这是正确的文件，且表头包含如“统一社会信用代码”“企业名称”“经营范围”等列名",
    )


def _subheader(records, header_index: int, dataset: str) -> list[str] | None:
    """The header joined with the row below it, when that row is a second header level.

    Merged header cells look like this once read (the value sits in the first cell only):

        统一社会信用代码 | 企业名称 | 营业收入（万元） |      |
                         |          | 本年             | 上年 |

    The lower row counts as a header row when it has at least two short text cells, all
    under a header group (a header cell, or a blank header cell to its right), at least one
    under a blank header cell, and nothing under the other headers. Each lower cell is joined
    with its group's name in the order that names a known column ("本年"+"营业收入"), else
    group+cell.
    """
    if header_index + 1 >= len(records):
        return None
    header = [clean_cell(c) for c in records[header_index]]
    below = [clean_cell(c) for c in records[header_index + 1]]
    filled = [j for j, c in enumerate(below) if c]
    if len(filled) < 2 or any(len(below[j]) > 20 or _NUMBER_LIKE_RE.match(below[j]) for j in filled):
        return None
    width = max(len(header), len(below))
    header += [""] * (width - len(header))
    group_of: list[int | None] = []
    current: int | None = None
    for j, cell in enumerate(header):
        if cell:
            current = j
        group_of.append(current)
    under_blank = False
    for j in filled:
        group = group_of[j]
        if group is None:
            return None
        group_width = next((k for k in range(group + 1, width) if header[k]), width) - group
        if group_width < 2:
            return None  # a plain header with something under it: that is a data row
        under_blank |= not header[j]
    if not under_blank:
        return None
    joined = list(header)
    for j in filled:
        group = group_of[j]
        assert group is not None  # checked for every filled cell above
        parent = header[group]
        candidates = (below[j] + parent, parent + below[j], below[j])
        joined[j] = next(
            (c for c in candidates if match_header(dataset, c) or score_header(dataset, [c])), parent + below[j]
        )
    return joined


_NUMBER_LIKE_RE = re.compile(r"^[\d.,，\-+/: ]+$")


class _Controls:
    """Removes control characters from the header and data rows, remembering rows and kinds for one note."""

    def __init__(self) -> None:
        self.rows: list[int] = []  # the first ten sheet rows
        self.count = 0
        self.seen: set[str] = set()

    def strip(self, record: list[str], number: int, text: str | None = None) -> list[str]:
        """`text`: the record's cells joined by line feeds, when the caller has it already."""
        if not _CONTROL_RE.search("\n".join(c for c in record if c) if text is None else text):
            return record
        for cell in record:
            self.seen.update(_CONTROL_RE.findall(cell or ""))
        self.count += 1
        if len(self.rows) < 10:
            self.rows.append(number)
        return [_CONTROL_RE.sub("", c) if c else c for c in record]

    def note(self) -> str | None:
        if not self.count:
            return None
        kinds = "、".join(
            sorted(
                {
                    f"双向文字控制符 U+{ord(c):04X}" if _BIDI_RE.match(c) else _CONTROL_NAMES.get(c, f"U+{ord(c):04X}")
                    for c in self.seen
                }
            )
        )
        return f"{rows_text(self.rows, self.count)}的单元格中有不可见的控制字符（{kinds}），已删除"


@dataclass
class TableStream:
    """The header of a table and its data rows, produced in chunks by `chunks` while the file is read.

    `notes` is complete once `chunks` is exhausted (control characters are found row by row).
    Checks that need the whole file (a runaway quote) run after the last row, so a broken file
    still ends in an InputFileError, never in a partial table.
    """

    headers: list[str]
    header_row: int
    header_rows: int
    width: int  # cells per data row (CSV/HTML: the header's; XLSX: the widest row)
    records: Iterator[tuple[int, list[str]]]  # (sheet row, cells) of the records below the header rows
    controls: _Controls
    notes_before: list[str] = field(default_factory=list)  # decoding repairs
    notes_after: list[str] = field(default_factory=list)  # two header rows, uncached formulas
    numeric_codes: dict[int, set[int]] = field(default_factory=dict)
    formula_cells: dict[int, set[int]] = field(default_factory=dict)
    sheet: str | None = None
    encoding: str | None = None
    kind: str = "csv"
    date1904: bool = False
    finish: Callable[[], None] | None = None  # whole-file checks, run after the last record
    close: Callable[[], None] = lambda: None

    @property
    def notes(self) -> list[str]:
        control = self.controls.note()
        return self.notes_before + ([control] if control else []) + self.notes_after

    def chunks(self, size: int) -> Iterator[RawTable]:
        """RawTables of `size` data rows (0: all rows in one); at least one, possibly empty."""
        rows: list[list[str]] = []
        numbers: list[int] = []
        overflow: list[str] = []
        width, empty = self.width, True
        for number, record in self.records:
            cells = [clean_cell(c) for c in record]
            if not any(cells):
                continue  # blank lines are not rows
            extra = [c for c in cells[width:] if c]
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            elif len(cells) > width:
                cells = cells[:width]
            rows.append(cells)
            numbers.append(number)
            overflow.append("，".join(extra))
            if len(rows) == size:
                yield self._chunk(rows, numbers, overflow)
                rows, numbers, overflow, empty = [], [], [], False
        if self.finish is not None:
            self.finish()
        if rows or empty:
            yield self._chunk(rows, numbers, overflow)

    def drain(self) -> None:
        """Read to the end without keeping rows, so errors further down the file are raised."""
        for _ in self.chunks(1000):
            pass

    def _chunk(self, rows, numbers, overflow) -> RawTable:
        return RawTable(
            headers=self.headers,
            rows=rows,
            row_numbers=numbers,
            header_row=self.header_row,
            overflow=overflow,
            numeric_codes=self.numeric_codes,
            formula_cells=self.formula_cells,
            sheet=self.sheet,
            encoding=self.encoding,
            kind=self.kind,
            date1904=self.date1904,
            header_rows=self.header_rows,
        )


def _stream(
    head: list[list[str]],
    rest: Iterator[list[str]],
    header_index: int,
    *,
    dataset: str,
    width: int | None = None,
    guard: RecordGuard | None = None,
) -> TableStream:
    """Header (one row, or two under merged cells) from `head`, the first records; data rows follow lazily.

    `width=None` (CSV/HTML): the header fixes the width and extra cells in a row are reported,
    not dropped. XLSX passes its widest row: cells past the header are an unnamed column,
    listed as ignored by the caller. Sheet rows are record index + 1. `guard` checks each record
    against the size limits (XLSX records were checked while the sheet was read).
    """
    controls = _Controls()
    if guard is not None:
        head = [guard.check(number, record) for number, record in enumerate(head, 1)]
    head = head[:header_index] + [controls.strip(r, n) for n, r in enumerate(head[header_index:], header_index + 1)]
    joined = _subheader(head, header_index, dataset)
    header_rows = 2 if joined is not None else 1
    header = joined if joined is not None else [clean_cell(c) for c in head[header_index]]
    notes_after = []
    if joined is not None:
        lower = "、".join(c for c in (clean_cell(x) for x in head[header_index + 1]) if c)
        notes_after.append(
            f"第{header_index + 1}行和第{header_index + 2}行是两层表头（合并单元格），已合并读取（第二层：{lower}）"
        )
    if width is None:
        width = len(header)
    else:
        header = header + [""] * (width - len(header))
    start = header_index + header_rows

    def records() -> Iterator[tuple[int, list[str]]]:
        for offset in range(start, len(head)):
            yield offset + 1, head[offset]
        # The common case inline (a 3,000,000-row CSV); `check` explains, or trims empty cells.
        big = float("inf")
        rows, columns, chars = (
            (guard.limits.max_rows, guard.limits.max_columns, guard.limits.max_cell_chars)
            if guard is not None
            else (big, big, big)
        )
        for offset, record in enumerate(rest, start=len(head)):
            text = "\n".join(record)  # no cell is longer than the row's text
            if offset >= rows or len(record) > columns or len(text) > chars:
                assert guard is not None  # without a guard the limits are infinite
                record = guard.check(offset + 1, record)
                text = "\n".join(record)
            yield offset + 1, controls.strip(record, offset + 1, text)

    return TableStream(
        headers=header,
        header_row=header_index + 1,
        header_rows=header_rows,
        width=width,
        records=records(),
        controls=controls,
        notes_after=notes_after,
    )


# -- text (CSV / TSV) ---------------------------------------------------------------------------
def _csv_records(
    path: object, source: TextSource, delimiter: str, runaway: _RunawayQuote | None = None
) -> Iterator[list[str]]:
    """Records of the whole text, parsed as it is decoded; records spanning lines go to `runaway`."""
    count = 0
    with source.open() as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        lines = 0
        try:
            for record in reader:
                if runaway is not None and reader.line_num - lines > 1:
                    runaway.see(count, record)
                lines = reader.line_num
                count += 1
                yield record
        except csv.Error as error:
            raise InputFileError(
                path, f"CSV 格式错误（{error}）。常见原因是单元格中有不成对的英文双引号，{_SAVE_AS}"
            ) from None
    if runaway is not None:
        runaway.records = count


class _RunawayQuote:
    """A cell that opens an English double quote and never closes it swallows the lines after it.

    csv then returns fewer rows than the file has, and the lost rows would vanish without a
    trace, so this is an error. Sign: a cell spanning lines, one of which holds a whole row's
    worth of delimiters (a scope written over two lines does not). Cells are looked at only in
    records that span lines, and the error is raised after the last record.
    """

    def __init__(self, path: object, source: TextSource, delimiter: str):
        self.path, self.source, self.delimiter = path, source, delimiter
        self.header_index: int | None = None
        self.threshold = 0
        self.pending: list[tuple[int, list[str]]] = []  # records seen before the header was known
        self.first: tuple[int, int] | None = None  # (record index, swallowed lines)
        self.records = 0

    def set_header(self, header_index: int, header: list[str]) -> None:
        self.header_index, self.threshold = header_index, max(3, len(header) - 1)
        for index, record in self.pending:
            self.see(index, record)
        self.pending = []

    def see(self, index: int, record: list[str]) -> None:
        if self.first is not None:
            return
        if self.header_index is None:
            self.pending.append((index, record))
            return
        if index <= self.header_index:
            return
        for cell in record:
            if "\n" not in cell and "\r" not in cell:
                continue
            swallowed = sum(1 for line in cell.splitlines()[1:] if line.count(self.delimiter) >= self.threshold)
            if swallowed:
                self.first = (index, swallowed)
                return

    def check(self) -> None:
        """Raise when a swallowing cell was seen and the text has more lines than records."""
        if self.first is None:
            return
        newlines = returns = 0
        with self.source.open() as stream:
            for block in iter(lambda: stream.read(1 << 20), ""):
                newlines += block.count("\n")
                returns += block.count("\r")
        if (newlines or returns) <= self.records + 1:
            return  # every record is one line: no cell spans lines
        index, swallowed = self.first
        raise InputFileError(
            self.path,
            f'第{index + 1}行有一个以英文双引号（"）开头却没有结束引号的单元格，其后至少{swallowed}行'
            "被并入了这一个单元格，这些行无法可靠地读取。请用记事本或 WPS 打开该行，删除多余的英文双引号"
            "或补上结束引号后再试",
        )


def _open_text(
    path: object, source: TextSource, dataset: str, limits: InputLimits, named: frozenset[str] = frozenset()
) -> TableStream:
    # Choose the delimiter whose split makes the best header (commas inside 经营范围 fool plain counting).
    best: tuple[str, int, float] = (",", 0, 0.0)
    for delimiter in _DELIMITERS:
        try:
            sample = list(islice(_csv_records(path, source, delimiter), HEADER_SCAN_ROWS))
        except InputFileError:
            continue
        index, score = _find_header(sample, dataset, named)
        if score > best[2]:
            best = (delimiter, index, score)
    delimiter, header_index, score = best
    runaway = _RunawayQuote(path, source, delimiter)
    records = _csv_records(path, source, delimiter, runaway)
    head = list(islice(records, HEADER_SCAN_ROWS + 1))
    if score == 0:
        first = next((r for r in chain(head, records) if any(clean_cell(c) for c in r)), None)
        for _ in records:
            pass  # a CSV error further down is reported first, as when the whole file was parsed
        if first is None:
            raise InputFileError(path, "文件是空的")
        raise _no_header_error(path, [first])
    runaway.set_header(header_index, head[header_index])
    table = _stream(head, records, header_index, dataset=dataset, guard=RecordGuard(path, limits))
    table.encoding, table.notes_before, table.finish = source.encoding, list(source.notes), runaway.check
    return table


# -- HTML tables (WPS/Excel "xls" that are really web pages) ---------------------------------------
class _TableParser(HTMLParser):
    """Collects the text of <td>/<th> cells row by row; colspan and rowspan keep columns aligned
    (a spanned cell is empty, as openpyxl reads merged cells)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.records: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._rowspan = 1
        self._covered: dict[int, int] = {}  # column -> rows still covered by a rowspan from above

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._covered = {}
        if tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th"):
            self._close_cell()
            if self._row is None:
                self._row = []
            self._cell = []
            self._span = _span_attr(attrs, "colspan")
            self._rowspan = _span_attr(attrs, "rowspan")
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._close_cell()
        elif tag in ("tr", "table"):
            self._close_row()

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def _skip_covered(self):
        while len(self._row) in self._covered:
            column = len(self._row)
            self._row.append("")
            self._covered[column] -= 1
            if not self._covered[column]:
                del self._covered[column]

    def _close_cell(self):
        if self._cell is not None and self._row is not None:
            self._skip_covered()
            start = len(self._row)
            self._row.append("".join(self._cell))
            self._row.extend([""] * (self._span - 1))
            if self._rowspan > 1:
                for column in range(start, start + self._span):
                    self._covered[column] = self._rowspan - 1
        self._cell = None

    def _close_row(self):
        self._close_cell()
        if self._row is not None:
            for column in [c for c in self._covered if c >= len(self._row)]:
                self._covered[column] -= 1  # covered cells after the row's last cell
                if not self._covered[column]:
                    del self._covered[column]
            self.records.append(self._row)
        self._row = None


def _span_attr(attrs, name: str) -> int:
    try:
        return min(1000, max(1, int(dict(attrs).get(name) or 1)))
    except ValueError:
        return 1


def _read_html(
    path: object,
    text: str,
    encoding: str,
    dataset: str,
    limits: InputLimits,
    notes: list[str] | None = None,
    named: frozenset[str] = frozenset(),
) -> TableStream:
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    parser._close_row()
    records = parser.records
    if not records:
        raise InputFileError(path, f"文件是网页格式但其中没有表格，{_SAVE_AS}")
    index, score = _find_header(records, dataset, named)
    if score == 0:
        raise _no_header_error(path, records)
    table = _stream(records, iter(()), index, dataset=dataset, guard=RecordGuard(path, limits))
    table.encoding, table.kind, table.notes_before = encoding, "html", list(notes or [])
    return table


# -- XLSX -----------------------------------------------------------------------------------------
def _xlsx_cell(value: object) -> str:
    """Text of a cell value as a person would read it in the sheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        # Large numbers keep Excel's look (9.1110000600037E+16): an 18-digit code typed as a
        # number has already lost digits, and the USCC parser says so.
        return repr(value).upper() if abs(value) >= 1e15 else repr(value)
    return str(value)


def _is_strict(archive: zipfile.ZipFile) -> bool:
    """Whether the workbook part is in the Strict namespace (its root element is near the start)."""
    with archive.open("xl/workbook.xml") as member:
        return _STRICT_NAMESPACE in member.read(4096)


def _check_xml_prolog(path: object, archive: zipfile.ZipFile, name: str) -> None:
    """Refuse a part with a DOCTYPE (entity definitions, external references, entity expansion bombs).

    Excel never writes one. A DOCTYPE can only stand before the root element, so defusedxml's
    parser reads up to the root's start tag and stops: the rest of a large sheet is not parsed here.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    try:
        with archive.open(name) as member:
            for _ in iterparse(member, events=("start",), forbid_dtd=True):
                return
    except DefusedXmlException as error:
        what = {
            "DTDForbidden": "文档类型定义 DOCTYPE",
            "EntitiesForbidden": "实体定义 ENTITY",
            "ExternalReferenceForbidden": "外部引用",
        }.get(type(error).__name__, "不安全的 XML 结构")
        raise InputFileError(
            path,
            f"工作簿中的“{name}”含有不允许的 XML 内容（{what}）。Excel/WPS 保存的文件不会有这种内容，"
            f"文件可能被改动过或由其他程序生成，出于安全考虑不予读取；{_SAVE_AS}",
        ) from None
    except Exception:
        return  # damaged XML: said with its own message when openpyxl reads it


def _has_formula(archive: zipfile.ZipFile, name: str) -> bool:
    """Whether a sheet's XML holds a formula tag, read in blocks (a sheet can be a gigabyte of XML)."""
    tail = b""
    with archive.open(name) as member:
        for block in iter(lambda: member.read(1 << 22), b""):
            if _FORMULA_TAG_RE.search(tail + block[:16]) or _FORMULA_TAG_RE.search(block):
                return True
            tail = block[-16:]
    return False


def _read_xlsx(
    path: object,
    data: bytes,
    dataset: str,
    limits: InputLimits,
    prefer_sheet: str | None = None,
    named: frozenset[str] = frozenset(),
) -> TableStream:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_archive(path, archive, limits)  # before anything is decompressed
            names = set(archive.namelist())
            for name in sorted(names):
                if name.endswith((".xml", ".rels")):
                    _check_xml_prolog(path, archive, name)
            strict = "xl/workbook.xml" in names and _is_strict(archive)
            has_formulas = any(
                _has_formula(archive, name)
                for name in names
                if name.startswith("xl/worksheets/") and name.endswith(".xml")
            )
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        raise InputFileError(path, f"文件已损坏（可能只下载或拷贝了一部分）或不是 Excel 工作簿，{_SAVE_AS}") from None
    if strict:
        raise InputFileError(
            path,
            "这是“Strict Open XML 电子表格”格式的工作簿，本程序只能读取普通的 Excel 工作簿；请在 Excel 中打开后"
            "“另存为”“Excel 工作簿(*.xlsx)”（不要选 Strict Open XML），或另存为 CSV（UTF-8）格式再试",
        )
    if "xl/workbook.xml" not in names:
        if "content.xml" in names:
            raise InputFileError(path, f"这是 WPS/OpenOffice 的 .ods 表格，{_SAVE_AS}")
        raise InputFileError(path, f"文件是压缩包但不是 Excel 工作簿，{_SAVE_AS}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" etc. from generated files
            # From bytes, not the path: openpyxl refuses a ".xls" name even when the content is xlsx.
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise InputFileError(path, f"无法打开 Excel 工作簿（{error}），{_SAVE_AS}") from None
    try:
        records, sheet, index, score, numeric_codes, sheet_note = _read_sheet(
            workbook, dataset, RecordGuard(path, limits), prefer_sheet, named
        )
    except InputFileError:
        raise
    except Exception as error:  # a damaged part shows up only while rows are read (read-only mode is lazy)
        raise InputFileError(path, f"Excel 工作簿内容已损坏（{type(error).__name__}），{_SAVE_AS}") from None
    finally:
        workbook.close()
    if sheet is None:
        raise InputFileError(path, "工作簿中没有工作表")
    if not any(any(clean_cell(c) for c in r) for r in records):
        raise InputFileError(path, f"工作表“{sheet.title}”是空的")
    if score == 0:
        where = f"工作表“{sheet.title}”" if len(workbook.worksheets) == 1 else "所有工作表的"
        raise _no_header_error(path, records, where)
    formula_cells = _uncached_formulas(data, sheet.title, records) if has_formulas else {}
    table = _stream(records, iter(()), index, dataset=dataset, width=max(len(r) for r in records[index:]))
    table.sheet, table.kind = sheet.title, "xlsx"
    if sheet_note:
        table.notes_after.append(sheet_note)
    table.date1904 = workbook.epoch == _EPOCH_1904
    if table.date1904:
        table.notes_after.append("工作簿使用1904日期系统（旧版 Mac Excel），以数字表示的日期已按该系统换算")
    table.numeric_codes = {i: rows for i, rows in numeric_codes.items() if rows}
    table.formula_cells = formula_cells
    if formula_cells:
        count = sum(len(rows) for rows in formula_cells.values())
        table.notes_after.append(
            f"有{count}个单元格是没有保存计算结果的公式（文件可能由程序生成），本程序不计算公式"
        )  # what that did to the rows is for the reader of the table to say
    return table


def _read_sheet(
    workbook, dataset: str, guard: RecordGuard, prefer_sheet: str | None = None, named: frozenset[str] = frozenset()
):
    """(records, sheet, header index, score, numeric code cells, note) of the sheet to read.

    `prefer_sheet` names the sheet to read when the workbook has it (a review sheet inside the
    consolidated workbook, whose 附件5 would otherwise match better). Otherwise the sheet the
    workbook opens on (its active sheet) is read when it is visible and has the dataset's required
    columns; failing that, the visible sheet whose header names most columns; hidden sheets only
    when no visible one has a header. `note` says when the sheet read is not the one Excel shows.
    """
    best: tuple[float, Any, list[list[str]]] | None = None  # (score, sheet, first rows) of the sheet to read
    sheets = workbook.worksheets
    if prefer_sheet and prefer_sheet in workbook.sheetnames:
        sheets = [workbook[prefer_sheet]]
    active: Any = workbook.active if len(sheets) > 1 else None
    if active is not None and getattr(active, "sheet_state", "visible") != "visible":
        active = None
    visible = [s for s in sheets if getattr(s, "sheet_state", "visible") == "visible"]
    hidden = [s for s in sheets if s not in visible]
    note = None
    for group in (visible, hidden):
        if active is not None and active in group:
            group = [active] + [s for s in group if s is not active]
        for sheet in group:
            # A declared size over the limits is refused; one too small is common and harmless.
            check_dimension(guard.path, sheet.title, sheet.max_row, sheet.max_column, guard.limits)
            sheet.reset_dimensions()  # WPS files often carry a wrong <dimension>, truncating reads
            head = [[_xlsx_cell(v) for v in row] for row in islice(sheet.iter_rows(values_only=True), HEADER_SCAN_ROWS)]
            _, score = _find_header(head, dataset, named)
            if sheet is active and _has_required_columns(head, dataset, named):
                best = (score, sheet, head)
                break
            if best is None or score > best[0]:
                best = (score, sheet, head)
        if best is not None and (best[0] > 0 or not hidden):
            break
    if best is None:
        return [], None, 0, 0, {}, None
    score, sheet, head = best
    shown = workbook.active.title if workbook.active is not None else ""
    if sheet is not workbook.active and len(sheets) > 1 and score > 0:
        if sheet in hidden:
            note = f"可见的工作表中没有可识别的表头，读取的是隐藏的工作表“{sheet.title}”，请核对"
        elif shown:
            note = f"工作簿打开时显示的工作表“{shown}”中没有所需的列，读取的是工作表“{sheet.title}”"
    index, score = _find_header(head, dataset, named)
    header = (_subheader(head, index, dataset) or [clean_cell(h) for h in head[index]]) if score else []
    code_indexes = [m.index for column, m in map_headers(dataset, header).columns.items() if column in CODE_COLUMNS]
    numeric_codes: dict[int, set[int]] = {i: set() for i in code_indexes}
    records = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        records.append(guard.check(number, [_xlsx_cell(v) for v in row]))
        for i in code_indexes:
            if i < len(row) and isinstance(row[i], (int, float)) and not isinstance(row[i], bool):
                numeric_codes[i].add(number)
    return records, sheet, index, score, numeric_codes, note


def _has_required_columns(head: list[list[str]], dataset: str, named: frozenset[str]) -> bool:
    """Whether the header found in `head` names every column the dataset requires."""
    from industry_gap.ingest.datasets import DATASETS  # datasets imports this module

    index, score = _find_header(head, dataset, named)
    if not score:
        return False
    spec = DATASETS.get(dataset)
    if spec is None:
        return True
    header = _subheader(head, index, dataset) or [clean_cell(h) for h in head[index]]
    found = map_headers(dataset, header).columns
    return all(f.column in found for f in spec.fields if f.required_column)


def _uncached_formulas(data: bytes, title: str, records: list[list[str]]) -> dict[int, set[int]]:
    """Formula cells that have no saved result: their text goes into `records`; column -> sheet rows.

    Excel and WPS save each formula's last result, which is what the reader uses (nothing is
    ever evaluated here). Files written by programs often carry the formula only, which reads
    as an empty cell; this second pass finds those so they are quarantined, not read as blank.
    """
    import openpyxl

    found: dict[int, set[int]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        sheet = workbook[title]
        sheet.reset_dimensions()
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > len(records):
                break
            record = records[number - 1]
            for column, value in enumerate(row):
                formula = getattr(value, "text", value)  # ArrayFormula keeps its text in .text
                if not (isinstance(formula, str) and formula.startswith("=")):
                    continue
                if column < len(record) and record[column]:
                    continue  # a saved result, or text that merely starts with "="
                record.extend([""] * (column + 1 - len(record)))
                record[column] = formula
                found.setdefault(column, set()).add(number)
    finally:
        workbook.close()
    return found


# -- entry point ----------------------------------------------------------------------------------
def _existing_file(path: str | Path) -> Path:
    file = Path(path)
    if is_symlink_loop(file):
        raise InputFileError(path, "这是循环的符号链接（链接最终又指回自己），请改正该链接或直接指定文件")
    if not file.exists():
        raise InputFileError(path, "文件不存在")
    if file.is_dir():
        raise InputFileError(path, "这是一个文件夹，不是文件")
    return file


def read_input_bytes(path: str | Path) -> bytes:
    """The bytes of an input file; InputFileError (Chinese) when missing, a folder, unreadable or empty."""
    file = _existing_file(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise InputFileError(path, f"无法读取文件（{error.strerror or error}）") from None
    if not data.strip(b" \t\r\n\x00"):
        raise InputFileError(path, "文件是空的")
    return data


def open_table(
    path: str | Path,
    dataset: str,
    limits: InputLimits | None = None,
    prefer_sheet: str | None = None,
    header_names: tuple[str, ...] = (),
) -> TableStream:
    """Open `path` (CSV/TSV in any common Chinese encoding, XLSX, or HTML saved as .xls) for reading in chunks.

    CSV/TSV is decoded and parsed as the chunks are read, so a big registry is never held whole;
    XLSX and HTML are read whole (an XLSX sheet holds at most 1,048,576 rows). Raises
    InputFileError with a Chinese explanation when the file cannot be used or is over `limits`
    (default: `InputLimits.from_env()`); call `close()` when done. `header_names`: column names
    the user gave (`--text-column 描述`), which count as known headers when finding the header row.
    """
    limits = limits if limits is not None else InputLimits.from_env()
    file = _existing_file(path)
    try:
        handle = file.open("rb")
    except OSError as error:
        raise InputFileError(path, f"无法读取文件（{error.strerror or error}）") from None
    try:
        named = frozenset(normalize_header(name) for name in header_names if name)
        table = _open(path, handle, dataset, limits, prefer_sheet, named)
    except BaseException:
        handle.close()
        raise
    if table.kind != "csv":
        handle.close()
    else:
        table.close = handle.close
    return table


def _open(
    path: str | Path,
    handle,
    dataset: str,
    limits: InputLimits,
    prefer_sheet: str | None = None,
    named: frozenset[str] = frozenset(),
) -> TableStream:
    try:
        magic = handle.read(8)
        blank = is_blank_file(handle)
    except OSError as error:
        raise InputFileError(path, f"无法读取文件（{error.strerror or error}）") from None
    if blank:
        raise InputFileError(path, "文件是空的")
    if magic.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, read_input_bytes(path), dataset, limits, prefer_sheet, named)
    if magic.startswith(_OLE2_MAGIC):
        raise InputFileError(
            path,
            "这是旧版 Excel 97-2003（.xls）文件或加了密码的 Excel 文件，无法直接读取；"
            "请在 Excel/WPS 中打开后“另存为” .xlsx（不设密码）或 CSV（UTF-8）格式再试",
        )
    source = detect(handle, path)
    with source.open() as stream:
        start = stream.read(200000)
    head = start[:4096].lstrip("\ufeff \t\r\n").lower()
    if head.startswith("<") and "<table" in start.lower():
        with source.open() as stream:
            text = stream.read()
        return _read_html(path, text, source.encoding, dataset, limits, source.notes, named)
    if head.startswith(("<!doctype html", "<html", "<head", "<body")):
        title = _HTML_TITLE_RE.search(start[:20000])
        shown = f"（网页标题：{clean_cell(title.group(1))[:50]}）" if title and clean_cell(title.group(1)) else ""
        raise InputFileError(
            path,
            f"这是一个网页文件{shown}，其中没有表格。常见原因是从系统下载时登录已过期或下载出错，"
            "保存下来的是提示页面；请重新导出名录",
        )
    if head.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise InputFileError(path, f"这是 Excel 2003 XML 表格，{_SAVE_AS}")
    if head.startswith(("{\\rtf", "%pdf")):
        raise InputFileError(path, f"这不是表格文件，{_SAVE_AS}")
    return _open_text(path, source, dataset, limits, named)


def read_table(
    path: str | Path,
    dataset: str,
    limits: InputLimits | None = None,
    prefer_sheet: str | None = None,
    header_names: tuple[str, ...] = (),
) -> RawTable:
    """The whole table of `path` at once (see `open_table`)."""
    stream = open_table(path, dataset, limits, prefer_sheet, header_names)
    try:
        table = next(stream.chunks(0))
    finally:
        stream.close()
    table.notes = stream.notes
    return table
