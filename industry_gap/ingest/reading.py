"""Read a CSV / XLSX / HTML-disguised .xls into text cells and find its header row.

Everything is read as text so leading zeros ("0610", USCC) survive. The file
type is sniffed from its bytes, not its extension: offices rename files, and
WPS saves "xls" files that are really xlsx or HTML. Row numbers are the ones
the user sees in Excel/WPS (1-based, counting title rows and blank lines), so
a quarantine row can be found in the original file.

Damage that can be repaired without guessing is repaired and reported in
`RawTable.notes` (shown by check-registry): control characters such as NUL are
removed from cells, trailing NUL padding is ignored, lines of a file that mixes
UTF-8 and GBK are decoded one by one, and a second header row under merged
header cells ("营业收入" over "本年"/"上年") is joined to the first. Damage that
cannot (a quote that swallows the rest of the file, binary data) is an
InputFileError.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import islice
from pathlib import Path

from charset_normalizer import from_bytes

from industry_gap.errors import InputFileError
from industry_gap.ingest.aliases import CODE_COLUMNS, map_headers, match_header, score_header

HEADER_SCAN_ROWS = 15          # title rows plus a few blank lines above the header
# C0 controls except tab/line feed/carriage return, DEL and C1 controls: never part of real text.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
_CONTROL_NAMES = {"\x00": "空字符 NUL", "\x1b": "ESC", "\x7f": "DEL", "\x0b": "垂直制表符", "\x0c": "换页符"}
# A cell may hold more than csv's default 131,072 characters (a 50,000-character 经营范围 in a
# GB18030 file is fine; a runaway quote is caught by _check_runaway_quote, not by this limit).
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
_DELIMITERS = (",", "\t", ";", "|")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_STRIP = " \t\r\n\u3000\xa0\u200b\ufeff"
_FORMULA_TAG_RE = re.compile(rb"<(?:\w+:)?f[ >/]")
_HTML_TITLE_RE = re.compile(r"<title[^>]*>([^<]*)</title>", re.IGNORECASE)
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
    # XLSX only: column index -> sheet rows whose cell is a formula without a saved result.
    formula_cells: dict[int, set[int]] = field(default_factory=dict)
    sheet: str | None = None
    encoding: str | None = None
    kind: str = "csv"              # csv / xlsx / html
    header_rows: int = 1           # 2 when a sub-header row under merged cells was joined in
    notes: list[str] = field(default_factory=list)   # repairs made while reading (Chinese)


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
            return None     # a plain header with something under it: that is a data row
        under_blank |= not header[j]
    if not under_blank:
        return None
    joined = list(header)
    for j in filled:
        parent = header[group_of[j]]
        candidates = (below[j] + parent, parent + below[j], below[j])
        joined[j] = next((c for c in candidates if match_header(dataset, c) or score_header(dataset, [c])),
                         parent + below[j])
    return joined


_NUMBER_LIKE_RE = re.compile(r"^[\d.,，\-+/: ]+$")


def _strip_controls(records, start: int, first_row_number: int) -> tuple[list[list[str]], str | None]:
    """Records with control characters removed from every cell, and a note naming the rows."""
    rows: list[int] = []
    seen: set[str] = set()
    cleaned = []
    for offset, record in enumerate(records):
        if offset >= start and any(_CONTROL_RE.search(c) for c in record if c):
            for cell in record:
                seen.update(_CONTROL_RE.findall(cell or ""))
            record = [_CONTROL_RE.sub("", c) if c else c for c in record]
            rows.append(first_row_number + offset)
        cleaned.append(record)
    if not rows:
        return cleaned, None
    kinds = "、".join(sorted({_CONTROL_NAMES.get(c, f"U+{ord(c):04X}") for c in seen}))
    return cleaned, f"{_rows_text(rows)}的单元格中有不可见的控制字符（{kinds}），已删除"


def _rows_text(rows: list[int]) -> str:
    """"第3、5行", or the first ten and the count: "第3、5、…、40等共25行"."""
    shown = "、".join(str(r) for r in rows[:10])
    return f"第{shown}行" if len(rows) <= 10 else f"第{shown}等共{len(rows)}行"


def _build(records, header_index: int, *, dataset: str, first_row_number: int = 1,
           width_from_header: bool, strip_controls: bool = False) -> RawTable:
    """Split records into header + non-blank data rows, keeping sheet row numbers."""
    notes: list[str] = []
    if strip_controls:
        records, note = _strip_controls(records, header_index, first_row_number)
        if note:
            notes.append(note)
    joined = _subheader(records, header_index, dataset)
    header_rows = 2 if joined is not None else 1
    header = joined if joined is not None else [clean_cell(c) for c in records[header_index]]
    if joined is not None:
        lower = "、".join(c for c in (clean_cell(x) for x in records[header_index + 1]) if c)
        notes.append(f"第{first_row_number + header_index}行和第{first_row_number + header_index + 1}行"
                     f"是两层表头（合并单元格），已合并读取（第二层：{lower}）")
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
    for offset, record in enumerate(records[header_index + header_rows:], start=header_index + header_rows):
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
                    header_row=first_row_number + header_index, overflow=overflow,
                    header_rows=header_rows, notes=notes)


# -- text (CSV / TSV) ---------------------------------------------------------------------------
def decode_bytes(data: bytes, path: object) -> tuple[str, str, list[str]]:
    """(text, encoding, notes): UTF-16 BOM, then strict UTF-8 (with or without BOM), then
    UTF-8 and GB18030 line by line (files pasted together), then GB18030, then a guess.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError as error:
            raise InputFileError(path, f"文件声明为 UTF-16 编码但内容有误（{error.reason}）") from None
    notes: list[str] = []
    body = data.rstrip(b"\x00")
    if len(body) < len(data) and body.count(b"\x00") < len(body) // 4:
        # NUL padding after the text (an interrupted copy, fixed-size exports); UTF-16 keeps its zeros.
        notes.append(f"文件末尾有{len(data) - len(body)}个空字节（常见于拷贝中断或系统导出时补齐），已忽略")
        data = body
    sample = data[:4096]
    if sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        encoding = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(encoding), encoding, notes
        except UnicodeDecodeError:
            raise InputFileError(path, f"文件不是文本表格（含有大量空字节），{_SAVE_AS}") from None
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > max(8, len(sample) // 100):
        raise InputFileError(path, "文件内容不是文字表格（含有大量二进制数据），可能已损坏，或是图片、压缩包等"
                                   f"被改成了表格的扩展名；{_SAVE_AS}")
    try:
        return data.decode("utf-8-sig"), "utf-8-sig", notes
    except UnicodeDecodeError:
        pass
    mixed = _decode_mixed(data)
    if mixed is not None:
        return mixed[0], "utf-8+gb18030", notes + [mixed[1]]
    try:
        return data.decode("gb18030"), "gb18030", notes
    except UnicodeDecodeError:
        pass
    guess = from_bytes(data).best()
    if guess is not None:
        return str(guess), guess.encoding, notes
    raise InputFileError(path, f"无法识别文件的文字编码，{_SAVE_AS}")


def _decode_mixed(data: bytes) -> tuple[str, str] | None:
    """Text and a note when some lines are UTF-8 and others GBK/GB18030 (exports pasted together).

    A line counts as UTF-8 only with at least two non-ASCII characters that decode as UTF-8:
    a short GBK line can pass as UTF-8 by accident, a longer one practically never.
    """
    lines = data.split(b"\n")
    texts: list[str] = []
    gbk_lines: list[int] = []
    utf8_lines = 0
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            if sum(1 for byte in line if byte >= 0x80) >= 6:
                utf8_lines += 1
        except UnicodeDecodeError:
            try:
                text = line.decode("gb18030")
            except UnicodeDecodeError:
                return None
            gbk_lines.append(number)
        texts.append(text)
    if not utf8_lines or not gbk_lines:
        return None
    note = (f"文件混用了 UTF-8 和 GBK 两种文字编码（{_rows_text(gbk_lines)}为 GBK，常见于把不同系统的导出文件拼接在一起），"
            "已逐行识别，请核对这些行的文字")
    return "\n".join(texts).removeprefix("\ufeff"), note


def _parse_csv(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return list(islice(reader, limit)) if limit else list(reader)


def _check_runaway_quote(path: object, text: str, records: list[list[str]], header_index: int,
                         delimiter: str) -> None:
    """A cell that opens an English double quote and never closes it swallows the lines after it.

    csv then returns fewer rows than the file has, and the lost rows would vanish without a
    trace, so this is an error. Sign: a cell spanning lines, one of which holds a whole row's
    worth of delimiters (a scope written over two lines does not).
    """
    lines = text.count("\n") or text.count("\r")
    if lines <= len(records) + 1:
        return   # every record is one line: no cell spans lines
    threshold = max(3, len(records[header_index]) - 1)
    for offset in range(header_index + 1, len(records)):
        for cell in records[offset]:
            if "\n" not in cell and "\r" not in cell:
                continue
            swallowed = sum(1 for line in cell.splitlines()[1:] if line.count(delimiter) >= threshold)
            if swallowed:
                raise InputFileError(
                    path, f"第{offset + 1}行有一个以英文双引号（\"）开头却没有结束引号的单元格，其后至少{swallowed}行"
                          "被并入了这一个单元格，这些行无法可靠地读取。请用记事本或 WPS 打开该行，删除多余的英文双引号"
                          "或补上结束引号后再试")


def _read_text(path: object, text: str, encoding: str, dataset: str, notes: list[str] | None = None) -> RawTable:
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
        raise InputFileError(path, f"CSV 格式错误（{error}）。常见原因是单元格中有不成对的英文双引号，{_SAVE_AS}") from None
    if not any(any(clean_cell(c) for c in r) for r in records):
        raise InputFileError(path, "文件是空的")
    if score == 0:
        raise _no_header_error(path, records)
    _check_runaway_quote(path, text, records, header_index, delimiter)
    table = _build(records, header_index, dataset=dataset, width_from_header=True,
                   strip_controls=bool(_CONTROL_RE.search(text)))
    table.encoding = encoding
    table.notes[:0] = notes or []
    return table


# -- HTML tables (WPS/Excel "xls" that are really web pages) ---------------------------------------
class _TableParser(HTMLParser):
    """Collects the text of <td>/<th> cells row by row; colspan and rowspan keep columns aligned
    (a spanned cell is empty, as openpyxl reads merged cells)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.records: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._rowspan = 1
        self._covered: dict[int, int] = {}   # column -> rows still covered by a rowspan from above

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
                self._covered[column] -= 1     # covered cells after the row's last cell
                if not self._covered[column]:
                    del self._covered[column]
            self.records.append(self._row)
        self._row = None


def _span_attr(attrs, name: str) -> int:
    try:
        return min(1000, max(1, int(dict(attrs).get(name) or 1)))
    except ValueError:
        return 1


def _read_html(path: object, text: str, encoding: str, dataset: str, notes: list[str] | None = None) -> RawTable:
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
    table = _build(records, index, dataset=dataset, width_from_header=True,
                   strip_controls=bool(_CONTROL_RE.search(text)))
    table.encoding, table.kind = encoding, "html"
    table.notes[:0] = notes or []
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
            has_formulas = any(_FORMULA_TAG_RE.search(archive.read(name)) for name in names
                               if name.startswith("xl/worksheets/") and name.endswith(".xml"))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        raise InputFileError(path, f"文件已损坏（可能只下载或拷贝了一部分）或不是 Excel 工作簿，{_SAVE_AS}") from None
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
        records, sheet, index, score, numeric_codes = _read_sheet(workbook, dataset)
    except InputFileError:
        raise
    except Exception as error:   # a damaged part shows up only while rows are read (read-only mode is lazy)
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
    table = _build(records, index, dataset=dataset, width_from_header=False,
                   strip_controls=bool(_CONTROL_RE.search("\n".join("\t".join(r) for r in records))))
    table.sheet, table.kind = sheet.title, "xlsx"
    table.numeric_codes = {i: rows for i, rows in numeric_codes.items() if rows}
    table.formula_cells = formula_cells
    if formula_cells:
        count = sum(len(rows) for rows in formula_cells.values())
        table.notes.append(f"有{count}个单元格是没有保存计算结果的公式（文件可能由程序生成），"
                           "本程序不计算公式；用到这些单元格的行已隔离")
    return table


def _read_sheet(workbook, dataset: str):
    """(records, sheet, header index, score, numeric code cells) of the sheet with the best header."""
    best = None   # (score, sheet, first rows): the sheet whose header names most columns
    for sheet in workbook.worksheets:
        sheet.reset_dimensions()   # WPS files often carry a wrong <dimension>, truncating reads
        head = [[_xlsx_cell(v) for v in row]
                for row in islice(sheet.iter_rows(values_only=True), HEADER_SCAN_ROWS)]
        _, score = _find_header(head, dataset)
        if best is None or score > best[0]:
            best = (score, sheet, head)
    if best is None:
        return [], None, 0, 0, {}
    score, sheet, head = best
    index, score = _find_header(head, dataset)
    header = (_subheader(head, index, dataset) or [clean_cell(h) for h in head[index]]) if score else []
    code_indexes = [m.index for column, m in map_headers(dataset, header).columns.items()
                    if column in CODE_COLUMNS]
    numeric_codes: dict[int, set[int]] = {i: set() for i in code_indexes}
    records = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        records.append([_xlsx_cell(v) for v in row])
        for i in code_indexes:
            if i < len(row) and isinstance(row[i], (int, float)) and not isinstance(row[i], bool):
                numeric_codes[i].add(number)
    return records, sheet, index, score, numeric_codes


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
                formula = getattr(value, "text", value)   # ArrayFormula keeps its text in .text
                if not (isinstance(formula, str) and formula.startswith("=")):
                    continue
                if column < len(record) and record[column]:
                    continue   # a saved result, or text that merely starts with "="
                record.extend([""] * (column + 1 - len(record)))
                record[column] = formula
                found.setdefault(column, set()).add(number)
    finally:
        workbook.close()
    return found


# -- entry point ----------------------------------------------------------------------------------
def read_input_bytes(path: str | Path) -> bytes:
    """The bytes of an input file; InputFileError (Chinese) when missing, a folder, unreadable or empty."""
    file = Path(path)
    if not file.exists():
        raise InputFileError(path, "文件不存在")
    if file.is_dir():
        raise InputFileError(path, "这是一个文件夹，不是文件")
    try:
        data = file.read_bytes()
    except OSError as error:
        raise InputFileError(path, f"无法读取文件（{error.strerror or error}）") from None
    if not data.strip(b" \t\r\n\x00"):
        raise InputFileError(path, "文件是空的")
    return data


def read_table(path: str | Path, dataset: str) -> RawTable:
    """Read `path` (CSV/TSV in any common Chinese encoding, XLSX, or HTML saved as .xls).

    Raises InputFileError with a Chinese explanation when the file cannot be used.
    """
    data = read_input_bytes(path)
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, data, dataset)
    if data.startswith(_OLE2_MAGIC):
        raise InputFileError(path, "这是旧版 Excel 97-2003（.xls）文件或加了密码的 Excel 文件，无法直接读取；"
                                   "请在 Excel/WPS 中打开后“另存为” .xlsx（不设密码）或 CSV（UTF-8）格式再试")
    text, encoding, notes = decode_bytes(data, path)
    head = text[:4096].lstrip("\ufeff \t\r\n").lower()
    if head.startswith("<") and "<table" in text[:200000].lower():
        return _read_html(path, text, encoding, dataset, notes)
    if head.startswith(("<!doctype html", "<html", "<head", "<body")):
        title = _HTML_TITLE_RE.search(text[:20000])
        shown = f"（网页标题：{clean_cell(title.group(1))[:50]}）" if title and clean_cell(title.group(1)) else ""
        raise InputFileError(path, f"这是一个网页文件{shown}，其中没有表格。常见原因是从系统下载时登录已过期或下载出错，"
                                   "保存下来的是提示页面；请重新导出名录")
    if head.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise InputFileError(path, f"这是 Excel 2003 XML 表格，{_SAVE_AS}")
    if head.startswith(("{\\rtf", "%pdf")):
        raise InputFileError(path, f"这不是表格文件，{_SAVE_AS}")
    return _read_text(path, text, encoding, dataset, notes)
