"""Read a CSV / XLSX / HTML-disguised .xls into text cells and find its header row.

Everything is read as text so leading zeros ("0610", USCC) survive. The file
type is sniffed from its bytes, not its extension: offices rename files, and
WPS saves "xls" files that are really xlsx or HTML. Row numbers are the ones
the user sees in Excel/WPS (1-based, counting title rows and blank lines), so
a quarantine row can be found in the original file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import islice
from pathlib import Path

from charset_normalizer import from_bytes

from industry_gap.errors import InputFileError
from industry_gap.ingest.aliases import CODE_COLUMNS, map_headers, score_header

HEADER_SCAN_ROWS = 15          # title rows plus a few blank lines above the header
_DELIMITERS = (",", "\t", ";", "|")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_STRIP = " \t\r\n\u3000\xa0\u200b\ufeff"
_SAVE_AS = "请在 Excel/WPS 中打开后“另存为” .xlsx 或 CSV（UTF-8）格式再试"


@dataclass
class RawTable:
    """Text cells of one table: the header row and the non-blank data rows below it."""

    headers: list[str]
    rows: list[list[str]]          # each padded/truncated to len(headers)
    row_numbers: list[int]         # 1-based sheet row of each data row
    header_row: int                # 1-based sheet row of the header
    overflow: list[str] = field(default_factory=list)  # per row: cells beyond the header ("" if none)
    # XLSX only: column index -> sheet rows whose code cell was an Excel number (leading zero may be lost).
    numeric_codes: dict[int, set[int]] = field(default_factory=dict)
    sheet: str | None = None
    encoding: str | None = None
    kind: str = "csv"              # csv / xlsx / html


def clean_cell(value: str) -> str:
    return value.strip(_STRIP) if value else ""


def _find_header(records: list[list[str]], dataset: str) -> tuple[int, int]:
    """(index, score) of the record in the first rows that names the most schema columns; earliest on ties."""
    best_index, best_score = 0, 0
    for index, record in enumerate(records[:HEADER_SCAN_ROWS]):
        score = score_header(dataset, [clean_cell(c) for c in record])
        if score > best_score:
            best_index, best_score = index, score
    return best_index, best_score


def _no_header_error(path: object, records: list[list[str]], where: str = "") -> InputFileError:
    first = next((r for r in records if any(clean_cell(c) for c in r)), None)
    seen = "、".join(clean_cell(c) for c in first if clean_cell(c))[:200] if first else "（空）"
    return InputFileError(path, f"{where}前{HEADER_SCAN_ROWS}行中没有找到可识别的表头（第一行非空内容为：{seen}）。"
                                "请确认这是正确的文件，且表头包含如“统一社会信用代码”“企业名称”“经营范围”等列名")


def _build(records, header_index: int, *, first_row_number: int = 1, width_from_header: bool) -> RawTable:
    """Split records into header + non-blank data rows, keeping sheet row numbers."""
    header = [clean_cell(c) for c in records[header_index]]
    if width_from_header:
        # CSV/HTML: the header fixes the width; extra cells in a row are reported, not dropped.
        width = len(header)
    else:
        # XLSX: cells past the header are an unnamed column, listed as ignored by the caller.
        width = max((len(r) for r in records[header_index:]), default=len(header))
        header = header + [""] * (width - len(header))
    rows: list[list[str]] = []
    numbers: list[int] = []
    overflow: list[str] = []
    for offset, record in enumerate(records[header_index + 1:], start=header_index + 1):
        cells = [clean_cell(c) for c in record]
        if not any(cells):
            continue   # blank lines are not rows
        extra = [c for c in cells[width:] if c]
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        elif len(cells) > width:
            cells = cells[:width]
        rows.append(cells)
        numbers.append(first_row_number + offset)
        overflow.append("，".join(extra))
    return RawTable(headers=header, rows=rows, row_numbers=numbers,
                    header_row=first_row_number + header_index, overflow=overflow)


# -- text (CSV / TSV) ---------------------------------------------------------------------------
def decode_bytes(data: bytes, path: object) -> tuple[str, str]:
    """(text, encoding): UTF-16 BOM, then strict UTF-8 (with or without BOM), then GB18030, then a guess."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise InputFileError(path, f"文件声明为 UTF-16 编码但内容有误（{error.reason}）") from None
    sample = data[:4096]
    if sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        encoding = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            raise InputFileError(path, f"文件不是文本表格（含有大量空字节），{_SAVE_AS}") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    guess = from_bytes(data).best()
    if guess is not None:
        return str(guess), guess.encoding
    raise InputFileError(path, f"无法识别文件的文字编码，{_SAVE_AS}")


def _parse_csv(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return list(islice(reader, limit)) if limit else list(reader)


def _read_text(path: object, text: str, encoding: str, dataset: str) -> RawTable:
    if "\x00" in text:
        raise InputFileError(path, f"文件含有空字符，不是文本表格，{_SAVE_AS}")
    # Choose the delimiter whose split makes the best header (commas inside 经营范围 fool plain counting).
    best = (",", 0, 0)
    for delimiter in _DELIMITERS:
        try:
            sample = _parse_csv(text, delimiter, HEADER_SCAN_ROWS)
        except csv.Error:
            continue
        index, score = _find_header(sample, dataset)
        if score > best[2]:
            best = (delimiter, index, score)
    delimiter, header_index, score = best
    try:
        records = _parse_csv(text, delimiter)
    except csv.Error as error:
        raise InputFileError(path, f"CSV 格式错误：{error}。常见原因是单元格中有不成对的英文双引号，{_SAVE_AS}") from None
    if not any(any(clean_cell(c) for c in r) for r in records):
        raise InputFileError(path, "文件是空的")
    if score == 0:
        raise _no_header_error(path, records)
    table = _build(records, header_index, width_from_header=True)
    table.encoding = encoding
    return table


# -- HTML tables (WPS/Excel "xls" that are really web pages) ---------------------------------------
class _TableParser(HTMLParser):
    """Collects the text of <td>/<th> cells row by row; colspan keeps columns aligned."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.records: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th"):
            self._close_cell()
            if self._row is None:
                self._row = []
            self._cell = []
            try:
                self._span = max(1, int(dict(attrs).get("colspan") or 1))
            except ValueError:
                self._span = 1
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

    def _close_cell(self):
        if self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._row.extend([""] * (self._span - 1))
        self._cell = None

    def _close_row(self):
        self._close_cell()
        if self._row is not None:
            self.records.append(self._row)
        self._row = None


def _read_html(path: object, text: str, encoding: str, dataset: str) -> RawTable:
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    parser._close_row()
    records = parser.records
    if not records:
        raise InputFileError(path, f"文件是网页格式但其中没有表格，{_SAVE_AS}")
    index, score = _find_header(records, dataset)
    if score == 0:
        raise _no_header_error(path, records)
    table = _build(records, index, width_from_header=True)
    table.encoding, table.kind = encoding, "html"
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


def _read_xlsx(path: object, data: bytes, dataset: str) -> RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise InputFileError(path, f"文件已损坏或不是 Excel 工作簿，{_SAVE_AS}") from None
    if "xl/workbook.xml" not in names:
        if "content.xml" in names:
            raise InputFileError(path, f"这是 WPS/OpenOffice 的 .ods 表格，{_SAVE_AS}")
        raise InputFileError(path, f"文件是压缩包但不是 Excel 工作簿，{_SAVE_AS}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "no default style" etc. from generated files
            # From bytes, not the path: openpyxl refuses a ".xls" name even when the content is xlsx.
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise InputFileError(path, f"无法打开 Excel 工作簿（{error}），{_SAVE_AS}") from None
    try:
        best = None   # (score, sheet, first rows): the sheet whose header names most columns
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()   # WPS files often carry a wrong <dimension>, truncating reads
            head = [[_xlsx_cell(v) for v in row]
                    for row in islice(sheet.iter_rows(values_only=True), HEADER_SCAN_ROWS)]
            _, score = _find_header(head, dataset)
            if best is None or score > best[0]:
                best = (score, sheet, head)
        if best is None:
            raise InputFileError(path, "工作簿中没有工作表")
        score, sheet, head = best
        index, score = _find_header(head, dataset)
        header = [clean_cell(h) for h in head[index]] if score else []
        code_indexes = [m.index for column, m in map_headers(dataset, header).columns.items()
                        if column in CODE_COLUMNS]
        numeric_codes: dict[int, set[int]] = {i: set() for i in code_indexes}
        records = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            records.append([_xlsx_cell(v) for v in row])
            for i in code_indexes:
                if i < len(row) and isinstance(row[i], (int, float)) and not isinstance(row[i], bool):
                    numeric_codes[i].add(number)
    finally:
        workbook.close()
    if not any(any(clean_cell(c) for c in r) for r in records):
        raise InputFileError(path, f"工作表“{sheet.title}”是空的")
    if score == 0:
        where = f"工作表“{sheet.title}”" if len(workbook.worksheets) == 1 else "所有工作表的"
        raise _no_header_error(path, records, where)
    table = _build(records, index, width_from_header=False)
    table.sheet, table.kind = sheet.title, "xlsx"
    table.numeric_codes = {i: rows for i, rows in numeric_codes.items() if rows}
    return table


# -- entry point ----------------------------------------------------------------------------------
def read_table(path: str | Path, dataset: str) -> RawTable:
    """Read `path` (CSV/TSV in any common Chinese encoding, XLSX, or HTML saved as .xls).

    Raises InputFileError with a Chinese explanation when the file cannot be used.
    """
    file = Path(path)
    if not file.exists():
        raise InputFileError(path, "文件不存在")
    if file.is_dir():
        raise InputFileError(path, "这是一个文件夹，不是文件")
    try:
        data = file.read_bytes()
    except OSError as error:
        raise InputFileError(path, f"无法读取文件（{error.strerror or error}）") from None
    if not data.strip():
        raise InputFileError(path, "文件是空的")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, data, dataset)
    if data.startswith(_OLE2_MAGIC):
        raise InputFileError(path, "这是旧版 Excel 97-2003（.xls）文件或加了密码的 Excel 文件，无法直接读取；"
                                   "请在 Excel/WPS 中打开后“另存为” .xlsx（不设密码）或 CSV（UTF-8）格式再试")
    text, encoding = decode_bytes(data, path)
    head = text[:4096].lstrip("\ufeff \t\r\n").lower()
    if head.startswith("<") and "<table" in text[:200000].lower():
        return _read_html(path, text, encoding, dataset)
    if head.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise InputFileError(path, f"这是 Excel 2003 XML 表格，{_SAVE_AS}")
    if head.startswith(("{\\rtf", "%pdf")):
        raise InputFileError(path, f"这不是表格文件，{_SAVE_AS}")
    return _read_text(path, text, encoding, dataset)
