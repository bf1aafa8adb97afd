"""The bad-input corpus: each kind of broken file an office sends, written at test time.

Every case has an id, a description (中文 / English), a builder that writes the file
into a directory, and its expected outcome, one of:

* `Error(substring)`: the file cannot be used. `ingest_file` raises a UserError
  (InputFileError) naming the file; `industry-gap check-registry` exits 2 with
  that one message on stderr.
* `Rows(clean, quarantined, set_aside, ...)`: the file is read. The counts are
  exact; `quarantine` lists every quarantined row (sheet row, column, reason
  substring), `set_aside` every set-aside row (sheet row, reason substring),
  `notes` substrings expected in `IngestResult.notes` (also printed by the CLI),
  `check` further assertions on the result. check-registry exits 1 when rows are
  quarantined, else 0, unless `cli_exit` says otherwise.

Nothing binary and no 200,000-row file is committed: builders write them into the
test's tmp dir. `CORPUS` is the list the test module runs; `table()` prints the
case -> outcome table (`python -m tests.corpus.cases`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.worksheet.worksheet import Worksheet

from industry_gap.ingest import IngestResult
from tests.factories import REGISTRY_HEADER, make_uscc, registry_row

# -- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Error:
    """("error", message): exit 2, ingest_file raises; `message` is a substring of the Chinese message."""

    message: str

    def describe(self) -> str:
        return f"error（退出码2）：“{self.message}”"


@dataclass(frozen=True)
class Quarantined:
    row: int  # sheet row as the user sees it
    column: str  # the quarantine table's column (header of the first bad cell)
    reason: str  # substring of the reason


@dataclass(frozen=True)
class SetAside:
    row: int
    reason: str


@dataclass(frozen=True)
class Rows:
    """("rows", counts): exact clean / quarantined / set-aside counts and every rejected row's reason."""

    clean: int
    quarantined: int = 0
    set_aside: int = 0
    quarantine: tuple[Quarantined, ...] = ()
    aside: tuple[SetAside, ...] = ()
    notes: tuple[str, ...] = ()
    check: Callable[[IngestResult], None] | None = None
    cli_exit: int | None = None  # default: 1 when rows are quarantined, else 0
    cli_message: str | None = None  # expected on stderr when cli_exit is 2

    @property
    def exit_code(self) -> int:
        if self.cli_exit is not None:
            return self.cli_exit
        return 1 if self.quarantined else 0

    def describe(self) -> str:
        text = f"rows：合格{self.clean} / 隔离{self.quarantined} / 暂不纳入{self.set_aside}"
        reasons = dict.fromkeys(q.reason for q in self.quarantine)
        reasons.update(dict.fromkeys(a.reason for a in self.aside))
        if reasons:
            text += "；" + "，".join(f"“{r}”" for r in reasons)
        if self.notes:
            text += "；提示：" + "，".join(f"“{n}”" for n in self.notes)
        if self.cli_exit is not None:
            text += f"；退出码{self.cli_exit}" + (f"“{self.cli_message}”" if self.cli_message else "")
        return text


@dataclass(frozen=True)
class Case:
    id: str
    description: str  # 中文 / English
    filename: str
    build: Callable[[Path], None]  # writes the file at the given path
    outcome: Error | Rows
    dataset: str = "registry"
    slow: bool = False

    def write(self, directory: Path) -> Path:
        path = directory / self.filename
        self.build(path)
        return path


# -- building blocks ----------------------------------------------------------------------------------

SCOPE = "塑料制品制造；塑料制品销售；技术服务"
SHORT = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "scope": "经营范围",
    "status": "登记状态",
    "established": "成立日期",
    "capital": "注册资本",
    "revenue": "营业收入（万元）",
    "revenue_prev": "上年营业收入（万元）",
    "employees": "从业人员",
    "town": "所属镇街",
    "code": "行业代码",
}
H = SHORT  # header of a column in quarantine expectations: H["revenue"] == "营业收入（万元）"


def reg(seq: int, **changes: object) -> list[str]:
    """One registry row of firm `seq` (valid unless changed); keys are SHORT names."""
    row = dict(zip(REGISTRY_HEADER, registry_row(seq, f"鄂尔多斯市测试{seq}号有限公司", SCOPE)))
    for key, value in changes.items():
        row[SHORT[key]] = value
    return [str(row[h]) for h in REGISTRY_HEADER]


def csv_text(rows: Sequence[Sequence[object]], header: Sequence[str] = REGISTRY_HEADER, newline: str = "\r\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def csv_file(
    rows: Sequence[Sequence[object]],
    header: Sequence[str] = REGISTRY_HEADER,
    encoding: str = "utf-8-sig",
    newline: str = "\r\n",
) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.write_bytes(csv_text(rows, header, newline).encode(encoding))

    return build


def raw_file(data: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.write_bytes(data() if callable(data) else data)

    return build


def xlsx_bytes(fill: Callable[[openpyxl.Workbook], None]) -> bytes:
    workbook = openpyxl.Workbook()
    fill(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file(fill: Callable[[openpyxl.Workbook], None]) -> Callable[[Path], None]:
    return raw_file(lambda: xlsx_bytes(fill))


def rewrite_zip(data: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    """The same xlsx with one member's bytes changed (to fake what Excel saves, or damage)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, change(content) if info.filename == member else content)
    return out.getvalue()


def clean(result: IngestResult) -> pd.DataFrame:
    """The clean table (the corpus reads with keep_clean=True: always kept)."""
    assert result.clean is not None
    return result.clean


def active_sheet(workbook: openpyxl.Workbook) -> Worksheet:
    """The active worksheet of a new workbook."""
    active = workbook.active
    assert isinstance(active, Worksheet)
    return active


def values(column: str, expected: Sequence[object]) -> Callable[[IngestResult], None]:
    """Check: the clean table's `column`, in row order, equals `expected` (None stands for NaN)."""

    def check(result: IngestResult) -> None:
        actual = [None if isinstance(x, float) and math.isnan(x) else x for x in clean(result)[column]]
        assert actual == expected, f"{column}: {actual!r}"

    return check


def holds(predicate: Callable[[IngestResult], bool], what: str) -> Callable[[IngestResult], None]:
    """Check: `predicate(result)` is true; `what` says what was expected."""

    def check(result: IngestResult) -> None:
        assert predicate(result), what

    return check


def checks(*functions: Callable[[IngestResult], None]) -> Callable[[IngestResult], None]:
    def check(result: IngestResult) -> None:
        for function in functions:
            function(result)

    return check


def header_row(number: int) -> Callable[[IngestResult], None]:
    def check(result: IngestResult) -> None:
        assert result.header_row == number, result.header_row

    return check


# -- the cases -----------------------------------------------------------------------------------------

TODAY = dt.date.today()  # the CLI has no --today: future dates are relative to the real day
FUTURE = (TODAY + dt.timedelta(days=400)).isoformat()
NAMES = [f"鄂尔多斯市测试{i}号有限公司" for i in range(1, 10)]


def _garbage(seed: int, size: int = 8192, prefix: bytes = b"") -> Callable[[], bytes]:
    return lambda: prefix + random.Random(seed).randbytes(size)


def _html_table(rows: list[list[str]], head: str = "") -> bytes:
    cells = "".join(f"<tr>{''.join(f'<td>{c}</td>' for c in row)}</tr>" for row in rows)
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>'
        f'<table border="1">{head}{cells}</table></body></html>'
    ).encode("gbk")


def _html_rowspan_header() -> bytes:
    head = (
        '<tr><th rowspan="2">统一社会信用代码</th><th rowspan="2">企业名称</th><th rowspan="2">经营范围</th>'
        '<th colspan="2">营业收入（万元）</th><th rowspan="2">所属镇街</th></tr><tr><th>本年</th><th>上年</th></tr>'
    )
    rows = [
        [make_uscc(1), NAMES[0], SCOPE, "1200", "900", "罕台镇"],
        [make_uscc(2), NAMES[1], SCOPE, "300", "", "罕台镇"],
    ]
    return _html_table(rows, head)


def _registry_sheet(rows: Sequence[Sequence[object]], header: Sequence[str] = REGISTRY_HEADER):
    def fill(workbook: openpyxl.Workbook) -> None:
        sheet = active_sheet(workbook)
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))

    return fill


def _truncated_xlsx() -> bytes:
    data = xlsx_bytes(_registry_sheet([reg(1), reg(2)]))
    return data[: len(data) * 3 // 5]


def _damaged_sheet_xml() -> bytes:
    data = xlsx_bytes(_registry_sheet([reg(1), reg(2)]))
    return rewrite_zip(data, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])


def _title_rows_xlsx(workbook: openpyxl.Workbook) -> None:
    sheet = active_sheet(workbook)
    sheet.title = "名录"
    sheet.append(["康巴什区规下工业企业名录（2024年）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(REGISTRY_HEADER))
    sheet.append(["填报单位：区统计局", None, None, None, None, None, None, "单位：万元"])
    sheet.append([])
    sheet.append(REGISTRY_HEADER)
    sheet.append(reg(1))
    sheet.append(reg(2, uscc="123"))


def _merged_header_xlsx(workbook: openpyxl.Workbook) -> None:
    """统一社会信用代码 / 企业名称 / 经营范围 merged over two rows; 营业收入（万元） over 本年 | 上年."""
    sheet = active_sheet(workbook)
    sheet.append(["统一社会信用代码", "企业名称", "经营范围", "营业收入（万元）", None, "登记状态"])
    sheet.append([None, None, None, "本年", "上年", None])
    for column in "ABCF":
        sheet.merge_cells(f"{column}1:{column}2")
    sheet.merge_cells("D1:E1")
    sheet.append([make_uscc(1), NAMES[0], SCOPE, 1200, 900, "存续"])
    sheet.append([make_uscc(2), NAMES[1], SCOPE, "-3", 50, "存续"])
    sheet.append([make_uscc(3), NAMES[2], SCOPE, 75.5, None, "存续"])


def _group_header_xlsx(workbook: openpyxl.Workbook) -> None:
    """A merged group row ("基本信息" over A:C, "经营情况" over D:E) above the real header."""
    sheet = active_sheet(workbook)
    sheet.append(["基本信息", None, None, "经营情况", None])
    sheet.merge_cells("A1:C1")
    sheet.merge_cells("D1:E1")
    sheet.append(["统一社会信用代码", "企业名称", "经营范围", "营业收入（万元）", "从业人员"])
    sheet.append([make_uscc(1), NAMES[0], SCOPE, 1200, 30])
    sheet.append([make_uscc(2), NAMES[1], SCOPE, 300, 12])


def _formula_xlsx() -> bytes:
    def fill(workbook: openpyxl.Workbook) -> None:
        sheet = active_sheet(workbook)
        sheet.append(["统一社会信用代码", "企业名称", "经营范围", "营业收入（万元）", "从业人员"])
        sheet.append([make_uscc(1), NAMES[0], SCOPE, "=1+1", 10])  # formula, no saved result
        sheet.append([make_uscc(2), None, SCOPE, 500, 10])
        sheet["B3"].value = "=甲公司"  # text that starts with "="
        sheet["B3"].data_type = "s"
        sheet.append([make_uscc(3), NAMES[2], SCOPE, "=2*3", 10])  # Excel saved its result: 6
        sheet.append([make_uscc(4), NAMES[3], SCOPE, 800, "=SUM(1,2)"])  # formula, no saved result

    data = xlsx_bytes(fill)
    # What Excel/WPS write for a computed formula: the formula and its last result.
    # (openpyxl writes the empty result as <v /> or <v/> or <v></v>, depending on whether lxml is installed)
    return rewrite_zip(
        data,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb"<f>2\*3</f><v\s*/>|<f>2\*3</f><v></v>", b"<f>2*3</f><v>6</v>", xml),
    )


def _formula_unused_column_xlsx() -> bytes:
    def fill(workbook: openpyxl.Workbook) -> None:
        sheet = active_sheet(workbook)
        sheet.append(["统一社会信用代码", "企业名称", "经营范围", "营业收入（万元）", "核对"])
        sheet.append([make_uscc(1), NAMES[0], SCOPE, 500, "=D2*2"])  # a column nothing reads
        sheet.append([make_uscc(2), NAMES[1], SCOPE, 600, None])

    return xlsx_bytes(fill)


def _date1904_xlsx(workbook: openpyxl.Workbook) -> None:
    """A workbook saved with the 1904 date system: a real date cell and the same date typed as its day number."""
    workbook.epoch = CALENDAR_MAC_1904
    sheet = active_sheet(workbook)
    sheet.append(["统一社会信用代码", "企业名称", "经营范围", "成立日期"])
    sheet.append([make_uscc(1), NAMES[0], SCOPE, dt.date(2015, 3, 2)])
    sheet.append([make_uscc(2), NAMES[1], SCOPE, (dt.date(2015, 3, 2) - dt.date(1904, 1, 1)).days])  # 40603
    sheet.append([make_uscc(3), NAMES[2], SCOPE, "40603"])


def _very_hidden_sheet_xlsx(workbook: openpyxl.Workbook) -> None:
    """The visible, active sheet is the registry; a very hidden sheet holds an older, wider copy."""
    hidden = workbook.create_sheet("旧名录", 0)
    hidden.sheet_state = "veryHidden"
    hidden.append(REGISTRY_HEADER)
    for seq in (7, 8, 9):
        hidden.append(reg(seq))
    sheet = workbook.create_sheet("名录")
    sheet.append(["统一社会信用代码", "企业名称", "经营范围"])
    sheet.append([make_uscc(1), NAMES[0], SCOPE])
    sheet.append([make_uscc(2), NAMES[1], SCOPE])
    del workbook["Sheet"]
    workbook.active = workbook.sheetnames.index("名录")


def _registry_not_on_active_sheet_xlsx(workbook: openpyxl.Workbook) -> None:
    notes = active_sheet(workbook)
    notes.title = "填表说明"
    notes.append(["请按名录格式填写"])
    sheet = workbook.create_sheet("名录")
    sheet.append(REGISTRY_HEADER)
    sheet.append(reg(1))
    sheet.append(reg(2))


def _numbers_as_text_xlsx(workbook: openpyxl.Workbook) -> None:
    sheet = active_sheet(workbook)
    sheet.append(
        ["统一社会信用代码", "企业名称", "经营范围", "成立日期", "注册资本", "营业收入（万元）", "从业人员", "行业代码"]
    )
    # Numbers stored as text (the green triangle in Excel) next to real numbers and dates.
    sheet.append([make_uscc(1), NAMES[0], SCOPE, "2015-03-02", "100", "1234.5", "35", "0610"])
    sheet.append([make_uscc(2), NAMES[1], SCOPE, dt.datetime(2015, 3, 2), 100, 1234.5, 35, "1311"])
    sheet.append([make_uscc(3), NAMES[2], SCOPE, "42065", "100.00", " 1,234.50 ", "３５", " 2929 "])


def _long_scope_rows() -> list[list[str]]:
    scope = ("塑料制品制造；" * 8000)[:50_000]
    return [reg(1, scope=scope), reg(2)]


def _mixed_encoding() -> bytes:
    head = csv_text([reg(1), reg(2)]).encode("utf-8")
    tail = csv_text([reg(3), reg(4)], header=[]).split("\r\n", 1)[1].encode("gbk")
    return head + tail


def _broken_utf8() -> bytes:
    """UTF-8, but a lone surrogate (as a program writes it: ED A0 80) in one name and a stray byte in one status."""
    text = csv_text([reg(1), reg(2, name="鄂尔多斯市@@有限公司"), reg(3, status="存续##"), reg(4)])
    return text.encode("utf-8").replace(b"@@", b"\xed\xa0\x80").replace(b"##", b"\xff")


def _quote_swallows_rows() -> bytes:
    rows = [reg(1), reg(2, name='"鄂尔多斯市测试2号有限公司'), reg(3), reg(4), reg(5)]
    lines = [",".join(REGISTRY_HEADER)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _unquoted_comma() -> bytes:
    lines = [",".join(REGISTRY_HEADER), ",".join(reg(1)), ",".join(reg(2, scope="塑料制品制造,塑料制品销售"))]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


BIG_ROWS = 200_000
BIG_DUPLICATES = 100  # the last 100 rows repeat the first 100 firms (renamed)


def _big_registry(path: Path) -> None:
    """200,000 rows: every 1000th has a 15-digit 注册号, every 500th (offset 250) is 注销,
    and the last 100 rows are newer records of the first 100 firms under a new name."""
    header = ",".join(REGISTRY_HEADER)
    lines = [header]
    statuses = ("存续", "在业", "开业", "存续（在营、开业、在册）")
    for i in range(BIG_ROWS):
        duplicate = i >= BIG_ROWS - BIG_DUPLICATES
        seq = i - (BIG_ROWS - BIG_DUPLICATES) if duplicate else i
        uscc = make_uscc(seq)
        status = statuses[i % 4]
        if not duplicate and i % 1000 == 999:
            uscc = f"150602{i:09d}"
        if not duplicate and i % 500 == 250:
            status = "注销"
        name = f"鄂尔多斯市第{i}号制品有限公司"
        lines.append(
            f"{uscc},{name},第{i % 97}类塑料制品制造；塑料制品销售；技术服务,{status},有限责任公司,"
            f"20{i % 20:02d}-0{i % 9 + 1}-1{i % 9},{i % 1000}万元,{i % 5000}.5,{i % 3000},{i % 300},"
            f"罕台镇,,张三"
        )
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


BIG_QUARANTINED = len([i for i in range(BIG_ROWS - BIG_DUPLICATES) if i % 1000 == 999])
BIG_CLOSED = len([i for i in range(BIG_ROWS - BIG_DUPLICATES) if i % 500 == 250])


def _big_check(result: IngestResult) -> None:
    assert result.reasons_summary("quarantine") == {"统一社会信用代码填的是15位旧工商注册号": BIG_QUARANTINED}
    assert result.reasons_summary("set_aside") == {"登记状态为注销": BIG_CLOSED, "统一社会信用代码重复": BIG_DUPLICATES}
    assert set(result.set_aside["row"]) >= set(range(2, 2 + BIG_DUPLICATES))  # the older records


def _uscc(first17: str) -> str:
    """A code with the right check digit (python-stdnum's), whatever its parts mean."""
    from stdnum.cn.uscc import calc_check_digit

    return first17 + calc_check_digit(first17)


def _with_doctype(member: str, doctype: bytes, use: bytes = b"") -> Callable[[], bytes]:
    """A registry workbook whose `member` carries `doctype` (and `use` at the start of its first text)."""

    def change(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        if use:
            body = body.replace(b"<t>", b"<t>" + use, 1)
        return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + doctype + body

    return lambda: rewrite_zip(xlsx_bytes(_registry_sheet([reg(1), reg(2)])), member, change)


def _strict_ooxml() -> bytes:
    """A registry saved as "Strict Open XML Spreadsheet": the same parts under the ISO/IEC 29500 Strict namespaces."""
    data = xlsx_bytes(_registry_sheet([reg(1), reg(2)]))
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.endswith((".xml", ".rels")):
                content = content.replace(
                    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                    b"http://purl.oclc.org/ooxml/spreadsheetml/main",
                ).replace(
                    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                    b"http://purl.oclc.org/ooxml/officeDocument/relationships",
                )
            target.writestr(info, content)
    return out.getvalue()


_ENTITY_BOMB = (
    b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)
_EXTERNAL_ENTITY = b'<!DOCTYPE workbook [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


def _symlink_loop(path: Path) -> None:
    """`path` links to a sibling that links back to it."""
    other = path.with_name("名录_链接.csv")
    path.symlink_to(other.name)
    other.symlink_to(path.name)


def _zip_bomb_xlsx(path: Path, megabytes: int = 100) -> None:
    """A real workbook whose sheet XML is `megabytes` MB of one repeated row (~1000:1), written in 1 MB blocks."""
    row = "<row>" + "".join(f'<c t="inlineStr"><is><t>{make_uscc(1)}</t></is></c>' for _ in REGISTRY_HEADER) + "</row>"
    block = (row * ((1 << 20) // len(row))).encode()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes(_registry_sheet([])))) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, source.read(info.filename))
                continue
            member = zipfile.ZipInfo(info.filename)
            member.compress_type = zipfile.ZIP_DEFLATED
            with target.open(member, "w", force_zip64=True) as out:
                out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for _ in range(megabytes):
                    out.write(block)
                out.write(b"</sheetData></worksheet>")


def _styled_far_right(workbook: openpyxl.Workbook) -> None:
    """Two firms, and a styled empty cell in column 700: the sheet declares 700 columns."""
    _registry_sheet([reg(1), reg(2)])(workbook)
    active_sheet(workbook).cell(row=4, column=700).font = openpyxl.styles.Font(bold=True)


CORPUS: list[Case] = [
    # -- files that cannot be used --------------------------------------------------------------
    Case("empty_file", "空文件（0字节）/ empty file", "名录.csv", raw_file(b""), Error("文件是空的")),
    Case(
        "blank_lines_only",
        "只有空行和空格 / only blank lines and spaces",
        "名录.csv",
        raw_file(b"\r\n  \r\n\t\r\n\x00\x00"),
        Error("文件是空的"),
    ),
    Case(
        "header_only",
        "只有表头没有数据 / header row only",
        "名录.csv",
        csv_file([]),
        Rows(0, cli_exit=2, cli_message="只有表头（第1行），没有数据行"),
    ),
    Case(
        "binary_garbage_csv",
        "随机二进制内容改名为 .csv / binary garbage named .csv",
        "名录.csv",
        raw_file(_garbage(6)),
        Error("含有大量二进制数据"),
    ),
    Case(
        "image_named_csv",
        "PNG 图片改名为 .csv / a PNG image named .csv",
        "名录.csv",
        raw_file(_garbage(7, 4096, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")),
        Error("含有大量二进制数据"),
    ),
    Case(
        "html_page_as_xls",
        "登录过期页面保存为 .xls / an HTML page (no table) saved as .xls",
        "名录.xls",
        raw_file(
            "<!DOCTYPE html><html><head><title>会话已过期</title></head><body><p>请重新登录</p></body></html>".encode()
        ),
        Error("这是一个网页文件（网页标题：会话已过期），其中没有表格"),
    ),
    Case(
        "truncated_xlsx",
        "只拷贝了一部分的 .xlsx / a truncated .xlsx",
        "名录.xlsx",
        raw_file(_truncated_xlsx),
        Error("文件已损坏"),
    ),
    Case(
        "damaged_sheet_xlsx",
        "工作表 XML 被截断的 .xlsx / an .xlsx whose sheet XML is cut",
        "名录.xlsx",
        raw_file(_damaged_sheet_xml),
        Error("Excel 工作簿内容已损坏"),
    ),
    Case(
        "xlsx_entity_expansion",
        "工作表 XML 中有实体展开（“十亿笑”式）/ entity expansion inside a sheet's XML",
        "名录.xlsx",
        raw_file(_with_doctype("xl/worksheets/sheet1.xml", _ENTITY_BOMB, b"&c;")),
        Error("工作簿中的“xl/worksheets/sheet1.xml”含有不允许的 XML 内容（文档类型定义 DOCTYPE）"),
    ),
    Case(
        "xlsx_external_entity",
        "workbook.xml 中有外部实体引用 / an external entity in workbook.xml",
        "名录.xlsx",
        raw_file(_with_doctype("xl/workbook.xml", _EXTERNAL_ENTITY)),
        Error("工作簿中的“xl/workbook.xml”含有不允许的 XML 内容"),
    ),
    Case(
        "xlsx_doctype_in_relationships",
        "关系文件 .rels 中有 DOCTYPE / a DOCTYPE in a relationships part",
        "名录.xlsx",
        raw_file(_with_doctype("_rels/.rels", b"<!DOCTYPE Relationships>")),
        Error("工作簿中的“_rels/.rels”含有不允许的 XML 内容（文档类型定义 DOCTYPE）"),
    ),
    Case(
        "xlsx_strict_open_xml",
        "“Strict Open XML 电子表格”格式的 .xlsx / a Strict Open XML workbook",
        "名录.xlsx",
        raw_file(_strict_ooxml),
        Error("Strict Open XML"),
    ),
    Case(
        "input_symlink_loop",
        "名录路径是循环的符号链接 / the input path is a symbolic link loop",
        "名录.csv",
        _symlink_loop,
        Error("这是循环的符号链接"),
    ),
    Case(
        "old_xls_ole2",
        "旧版 Excel 97-2003 .xls / a real OLE2 .xls",
        "名录.xls",
        raw_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)),
        Error("旧版 Excel 97-2003"),
    ),
    Case(
        "not_a_registry",
        "其他表格（没有可识别的表头）/ an unrelated table",
        "名录.csv",
        csv_file([["张三", "13800000000"]], header=["姓名", "电话"]),
        Error("没有找到可识别的表头"),
    ),
    Case(
        "missing_required_column",
        "缺少“经营范围”列 / required column missing",
        "名录.csv",
        csv_file([reg(1)[:2]], header=REGISTRY_HEADER[:2]),
        Error("缺少必需的列“经营范围”"),
    ),
    Case(
        "unbalanced_quote",
        "单元格以英文双引号开头未闭合，吞掉后面的行 / an unclosed quote swallowing rows",
        "名录.csv",
        raw_file(_quote_swallows_rows),
        Error("第3行有一个以英文双引号"),
    ),
    # -- layout ---------------------------------------------------------------------------------------
    Case(
        "html_table_as_xls",
        "WPS 网页格式 .xls（GBK，含标题行）/ an HTML table saved as .xls",
        "名录.xls",
        raw_file(
            _html_table(
                [reg(1), reg(2, uscc="123"), reg(3)],
                f'<tr><td colspan="{len(REGISTRY_HEADER)}">规下企业名录</td></tr>'
                f"<tr>{''.join(f'<td>{h}</td>' for h in REGISTRY_HEADER)}</tr>",
            )
        ),
        Rows(
            2,
            1,
            quarantine=(Quarantined(4, H["uscc"], "统一社会信用代码长度应为18位（实际3位）"),),
            check=header_row(2),
        ),
    ),
    Case(
        "html_rowspan_header_as_xls",
        "网页 .xls 的两层表头（rowspan/colspan）/ HTML two-level header",
        "名录.xls",
        raw_file(_html_rowspan_header),
        Rows(
            2,
            notes=("两层表头",),
            check=checks(values("revenue_wan", [1200.0, 300.0]), values("town", ["罕台镇", "罕台镇"])),
        ),
    ),
    Case(
        "title_rows_csv",
        "表头上方有标题行和空行 / title rows above the header (CSV)",
        "名录.csv",
        raw_file(
            lambda: (
                "规下企业名录（2024年）,,,\r\n填报单位：区统计局,,,\r\n\r\n".encode()
                + csv_text([reg(1), reg(2)]).encode("utf-8")
            )
        ),
        Rows(2, check=checks(header_row(4), values("source_row", [5, 6]))),
    ),
    Case(
        "title_rows_xlsx",
        "合并单元格标题行和单位行 / merged title rows above the header (XLSX)",
        "名录.xlsx",
        xlsx_file(_title_rows_xlsx),
        Rows(
            1,
            1,
            quarantine=(Quarantined(6, H["uscc"], "长度应为18位"),),
            check=checks(header_row(4), values("source_row", [5])),
        ),
    ),
    Case(
        "merged_header_xlsx",
        "合并单元格两层表头：营业收入下分本年/上年 / merged two-level header",
        "名录.xlsx",
        xlsx_file(_merged_header_xlsx),
        Rows(
            2,
            1,
            quarantine=(Quarantined(4, "本年营业收入（万元）", "营业收入为负数"),),
            notes=("第1行和第2行是两层表头",),
            check=checks(
                values("revenue_wan", [1200.0, 75.5]),
                values("revenue_prev_wan", [900.0, None]),
                values("source_row", [3, 5]),
            ),
        ),
    ),
    Case(
        "group_header_xlsx",
        "表头上方的合并分组行 / a merged group row above the header",
        "名录.xlsx",
        xlsx_file(_group_header_xlsx),
        Rows(2, check=checks(header_row(2), values("employees", [30.0, 12.0]))),
    ),
    Case(
        "very_hidden_sheet_xlsx",
        "可见的当前工作表是名录，另有“深度隐藏”的工作表：读当前工作表 / a very hidden sheet beside the active registry",
        "名录.xlsx",
        xlsx_file(_very_hidden_sheet_xlsx),
        Rows(
            2,
            check=checks(
                values("name", NAMES[:2]),
                holds(lambda r: r.sheet == "名录", "the active visible sheet is read"),
                holds(lambda r: not any("读取的是" in n for n in r.notes), "no note when the active sheet is read"),
            ),
        ),
    ),
    Case(
        "registry_not_on_active_sheet_xlsx",
        "打开时显示的是说明页，名录在另一个工作表：读名录并说明 / the registry is not on the active sheet",
        "名录.xlsx",
        xlsx_file(_registry_not_on_active_sheet_xlsx),
        Rows(2, notes=("工作簿打开时显示的工作表“填表说明”中没有所需的列，读取的是工作表“名录”",)),
    ),
    Case(
        "duplicate_column_names",
        "两列都叫“企业名称” / two columns named 企业名称",
        "名录.csv",
        csv_file([r[:3] + ["简称甲"] for r in (reg(1), reg(2))], header=REGISTRY_HEADER[:3] + ["企业名称"]),
        Rows(
            2,
            notes=("第2列“企业名称”和第4列“企业名称”都表示企业名称，只使用了第2列",),
            check=checks(
                values("name", NAMES[:2]),
                holds(lambda r: r.ignored_columns == ["企业名称"], "the second 企业名称 is listed as unused"),
            ),
        ),
    ),
    Case(
        "blank_column_names",
        "中间有空白列名的列 / a blank column name holding data",
        "名录.csv",
        csv_file(
            [r[:3] + ["备注文字"] + r[3:4] for r in (reg(1), reg(2))],
            header=REGISTRY_HEADER[:3] + [""] + REGISTRY_HEADER[3:4],
        ),
        Rows(2, check=holds(lambda r: r.ignored_columns == ["（第4列，无表头）"], "the unnamed column is listed")),
    ),
    Case(
        "repeated_header_rows",
        "多份导出拼接，中间夹着表头 / exports pasted together, header repeated",
        "名录.csv",
        csv_file([reg(1), REGISTRY_HEADER, reg(2)]),
        Rows(2, 0, 1, aside=(SetAside(3, "重复的表头行"),)),
    ),
    Case(
        "extra_cells_unquoted_comma",
        "经营范围中的英文逗号未加引号 / an unquoted comma adds a cell",
        "名录.csv",
        raw_file(_unquoted_comma),
        Rows(1, 1, quarantine=(Quarantined(3, "（整行）", "未加引号的英文逗号"),)),
    ),
    # -- encodings and bytes ----------------------------------------------------------------------
    Case(
        "encoding_gbk",
        "GBK 编码 / GBK",
        "名录.csv",
        csv_file([reg(1), reg(2)], encoding="gbk"),
        Rows(2, check=values("name", NAMES[:2])),
    ),
    Case(
        "encoding_gb18030",
        "GB18030 编码（含 GBK 没有的字“䶮”）/ GB18030 with a non-GBK character",
        "名录.csv",
        csv_file([reg(1, name="鄂尔多斯市䶮字号有限公司"), reg(2)], encoding="gb18030"),
        Rows(2, check=values("name", ["鄂尔多斯市䶮字号有限公司", NAMES[1]])),
    ),
    Case(
        "encoding_utf16",
        "UTF-16（带 BOM，Excel“Unicode 文本”）/ UTF-16 LE with BOM",
        "名录.csv",
        csv_file([reg(1), reg(2)], encoding="utf-16"),
        Rows(2, check=values("name", NAMES[:2])),
    ),
    Case(
        "encoding_utf16_tab",
        "UTF-16 制表符分隔（Excel 另存为 Unicode 文本）/ UTF-16 tab-separated",
        "名录.txt",
        raw_file(lambda: "\r\n".join("\t".join(r) for r in [REGISTRY_HEADER, reg(1), reg(2)]).encode("utf-16")),
        Rows(2, check=values("name", NAMES[:2])),
    ),
    Case(
        "encoding_utf8_bom",
        "UTF-8 带 BOM / UTF-8 with BOM",
        "名录.csv",
        csv_file([reg(1), reg(2)], encoding="utf-8-sig"),
        Rows(2, check=holds(lambda r: r.column_headers["uscc"] == "统一社会信用代码", "BOM not part of the header")),
    ),
    Case(
        "mixed_utf8_gbk",
        "前半 UTF-8、后半 GBK 拼接 / UTF-8 lines followed by GBK lines",
        "名录.csv",
        raw_file(_mixed_encoding),
        Rows(4, notes=("混用了 UTF-8 和 GBK", "第4、5行为 GBK"), check=values("name", NAMES[:4])),
    ),
    Case(
        "utf8_lone_surrogate",
        "UTF-8 文件中个别单元格有无效字节（孤立代理字符）/ a lone surrogate and a stray byte in a UTF-8 file",
        "名录.csv",
        raw_file(_broken_utf8),
        Rows(
            2,
            2,
            quarantine=(
                Quarantined(3, H["name"], "企业名称中有无法识别的字符“\ufffd”（文件此处的字节编码已损坏）"),
                Quarantined(4, "登记状态", "登记状态中有无法识别的字符"),
            ),
            notes=("文件是 UTF-8 编码，但第3、4行有不是有效 UTF-8 的字节",),
            check=values("name", [NAMES[0], NAMES[3]]),
        ),
    ),
    Case(
        "bidi_controls_in_names",
        "企业名称中有双向文字控制符（RLO 等，可使名称显示成另一个）/ bidirectional controls in names",
        "名录.csv",
        csv_file([reg(1, name="鄂尔多斯市\u202e司公限有\u202c测试1号"), reg(2, name="\u2067" + NAMES[1] + "\u2069")]),
        Rows(
            2,
            notes=("双向文字控制符 U+202E", "已删除"),
            check=values("name", ["鄂尔多斯市司公限有测试1号", NAMES[1]]),
        ),
    ),
    Case(
        "traditional_scope",
        "繁体字经营范围：转换为简体后读入，企业名称不变 / traditional-character scopes become simplified",
        "名錄.csv",
        csv_file([reg(1, scope="電子產品銷售；機械設備製造", name="鄂爾多斯市測試1號有限公司"), reg(2)]),
        Rows(
            2,
            notes=("第2行的经营范围含繁体字，已转换为简体后读入",),
            check=checks(
                values("scope", ["电子产品销售；机械设备制造", SCOPE]),
                values("name", ["鄂爾多斯市測試1號有限公司", NAMES[1]]),
            ),
        ),
    ),
    Case(
        "crlf_line_endings",
        "Windows 换行 CRLF，单元格内也有换行 / CRLF, with a line break inside a cell",
        "名录.csv",
        csv_file([reg(1, scope="许可项目：食品生产。\r\n一般项目：食品销售。"), reg(2)], newline="\r\n"),
        Rows(
            2,
            check=checks(
                values("source_row", [2, 3]),
                holds(lambda r: "\n" in clean(r)["scope"].loc[0], "line break kept inside the cell"),
            ),
        ),
    ),
    Case(
        "cr_line_endings",
        "旧 Mac 换行（只有 CR）/ CR-only line endings",
        "名录.csv",
        csv_file([reg(1), reg(2), reg(3)], newline="\r"),
        Rows(3, check=values("source_row", [2, 3, 4])),
    ),
    Case(
        "nul_bytes",
        "单元格中有空字符 NUL / NUL bytes inside cells",
        "名录.csv",
        raw_file(
            lambda: csv_text([reg(1, name="鄂尔多斯市测试1号\x00有限公司"), reg(2, scope=SCOPE + "\x00\x00")]).encode(
                "utf-8"
            )
        ),
        Rows(
            2,
            notes=("第2、3行的单元格中有不可见的控制字符（空字符 NUL）",),
            check=checks(values("name", NAMES[:2]), values("scope", [SCOPE, SCOPE])),
        ),
    ),
    Case(
        "control_characters",
        "单元格中有响铃、ESC、垂直制表符、DEL 等控制字符 / control characters in cells",
        "名录.csv",
        raw_file(
            lambda: csv_text(
                [reg(1, name="\x07鄂尔多斯市测试1号有限公司\x1b"), reg(2, scope="塑料制品制造\x0b塑料制品销售\x7f")]
            ).encode("utf-8")
        ),
        Rows(
            2,
            notes=("控制字符", "ESC", "DEL", "垂直制表符"),
            check=checks(values("name", NAMES[:2]), values("scope", [SCOPE, "塑料制品制造塑料制品销售"])),
        ),
    ),
    Case(
        "nul_padding",
        "文件末尾补了一串空字节 / NUL padding after the text",
        "名录.csv",
        raw_file(lambda: csv_text([reg(1), reg(2)]).encode("utf-8") + bytes(3000)),
        Rows(2, notes=("文件末尾有3000个空字节",)),
    ),
    # -- cell contents ------------------------------------------------------------------------------
    Case(
        "scope_50000_chars",
        "5万字的经营范围（保留，不崩溃）/ a 50,000-character scope (kept)",
        "名录.csv",
        csv_file(_long_scope_rows()),
        Rows(
            2,
            notes=("第2行的经营范围超过32767字（最长50000字",),
            check=holds(lambda r: clean(r)["scope"].str.len().tolist() == [50_000, len(SCOPE)], "scope kept whole"),
        ),
    ),
    Case(
        "formula_cells_xlsx",
        "公式单元格：无计算结果的隔离，有结果的用结果，“=”开头的文字保留 / formula cells",
        "名录.xlsx",
        raw_file(_formula_xlsx),
        Rows(
            2,
            2,
            quarantine=(
                Quarantined(2, H["revenue"], "营业收入是公式“=1+1”，文件中没有保存它的计算结果"),
                Quarantined(5, H["employees"], "从业人员是公式“=SUM(1,2)”"),
            ),
            notes=("有2个单元格是没有保存计算结果的公式", "第2、5行用到了没有计算结果的公式单元格，已隔离"),
            check=checks(
                values("name", ["=甲公司", NAMES[2]]),
                values("revenue_wan", [500.0, 6.0]),
                holds(
                    lambda r: r.reasons_summary() == {"营业收入是公式": 1, "从业人员是公式": 1},
                    "one reason kind per formula cell",
                ),
            ),
        ),
    ),
    Case(
        "formula_unused_column_xlsx",
        "没有计算结果的公式只在不使用的列中：不隔离，也不说隔离了 / formulas only in an unused column",
        "名录.xlsx",
        raw_file(_formula_unused_column_xlsx),
        Rows(
            2,
            notes=("有1个单元格是没有保存计算结果的公式", "这些公式单元格不在本程序用到的列中"),
            check=holds(lambda r: not any("已隔离" in n for n in r.notes), "no note claims rows were quarantined"),
        ),
    ),
    Case(
        "formula_text_csv",
        "CSV 中以“=”开头的文字 / cells starting with '=' in a CSV",
        "名录.csv",
        csv_file(
            [
                reg(1, name='=HYPERLINK("x")'),
                reg(2, revenue="=1+1"),
                reg(3, employees='@SUM(1+1)*cmd|"/C calc"!A0'),
                reg(4, revenue="-2+3"),
            ]
        ),
        Rows(
            1,
            3,
            quarantine=(
                Quarantined(3, H["revenue"], "营业收入无法识别：“=1+1”"),
                Quarantined(4, "从业人员", "从业人员无法识别"),
                Quarantined(5, H["revenue"], "营业收入无法识别：“-2+3”"),
            ),
            check=values("name", ['=HYPERLINK("x")']),
        ),
    ),
    Case(
        "numbers_as_text_xlsx",
        "以文本存储的数字、日期和代码 / numbers, dates and codes stored as text",
        "名录.xlsx",
        xlsx_file(_numbers_as_text_xlsx),
        Rows(
            3,
            check=checks(
                values("revenue_wan", [1234.5] * 3),
                values("employees", [35.0] * 3),
                values("established", ["2015-03-02"] * 3),
                values("registered_capital_wan", [100.0] * 3),
                values("industry_code", ["0610", "1311", "2929"]),
            ),
        ),
    ),
    Case(
        "date_1904_system",
        "1904日期系统的工作簿中以数字填写的日期 / day numbers in a workbook saved with the 1904 date system",
        "名录.xlsx",
        xlsx_file(_date1904_xlsx),
        Rows(3, notes=("1904日期系统",), check=values("established", ["2015-03-02"] * 3)),
    ),
    Case(
        "negative_amounts",
        "负数营业收入、注册资本、从业人员 / negative revenue, capital, staff",
        "名录.csv",
        csv_file([reg(1, revenue="-5"), reg(2, capital="-100万元"), reg(3, employees="-3"), reg(4, revenue="0")]),
        Rows(
            1,
            3,
            quarantine=(
                Quarantined(2, H["revenue"], "营业收入为负数：“-5”"),
                Quarantined(3, "注册资本", "注册资本为负数"),
                Quarantined(4, "从业人员", "从业人员为负数"),
            ),
            check=values("revenue_wan", [0.0]),
        ),
    ),
    Case(
        "absurd_amounts",
        "离谱的数额：1e12万元、400位数字、5000位人数 / absurd amounts",
        "名录.csv",
        csv_file(
            [
                reg(1, revenue="1e12"),
                reg(2, capital="9" * 400),
                reg(3, employees="9" * 5000),
                reg(4, revenue="50000000000000元"),
                reg(5, revenue="500000000", employees="2000000"),
            ]
        ),
        Rows(
            1,
            4,
            quarantine=(
                Quarantined(2, H["revenue"], "营业收入数额不合理：“1e12”"),
                Quarantined(3, "注册资本", "注册资本数额不合理"),
                Quarantined(4, "从业人员", "从业人员数额不合理"),
                Quarantined(5, H["revenue"], "营业收入数额不合理"),
            ),
            check=checks(
                values("revenue_wan", [5e8]),  # 5 万亿元: large but possible, kept
                holds(
                    lambda r: len(r.quarantine["reason"].loc[2]) < 200 and len(r.quarantine["value"].loc[2]) < 1100,
                    "a 5000-digit value is cut in the reason and the value column",
                ),
            ),
        ),
    ),
    Case(
        "amount_units",
        "金额带单位：亿元、万元、元、千元、人民币、外币 / amounts with units",
        "名录.csv",
        csv_file(
            [
                reg(1, revenue="3亿元"),
                reg(2, revenue="1234500元"),
                reg(3, revenue="500万元"),
                reg(4, revenue="500万"),
                reg(5, revenue="5千元"),
                reg(6, revenue="人民币1,234.5万元"),
                reg(7, revenue="100万美元"),
                reg(8, revenue="约300万"),
            ]
        ),
        Rows(
            6,
            2,
            quarantine=(
                Quarantined(8, H["revenue"], "营业收入为外币（美元）"),
                Quarantined(9, H["revenue"], "营业收入无法识别：“约300万”"),
            ),
            check=values("revenue_wan", [30000.0, 123.45, 500.0, 500.0, 0.5, 1234.5]),
        ),
    ),
    Case(
        "amount_malformed",
        "营业收入为 NaN/nan、会计记法负数 (100)、错误千分位 1,2,3 / NaN, (100) and 1,2,3 as amounts",
        "名录.csv",
        csv_file(
            [
                reg(1, revenue="NaN"),
                reg(2, revenue="nan"),
                reg(3, revenue="(100)"),
                reg(4, revenue="1,2,3"),
                reg(5, revenue="1,234,567.5元"),
                reg(6, employees="1,2,3"),
                reg(7, employees="NULL"),
                reg(8, revenue="-", employees="1,200"),
            ]
        ),
        Rows(
            2,
            6,
            quarantine=(
                Quarantined(2, H["revenue"], "营业收入不是数字：“NaN”"),
                Quarantined(3, H["revenue"], "营业收入不是数字：“nan”"),
                Quarantined(4, H["revenue"], "营业收入为负数：“(100)”（括号括起的数是会计记法的负数）"),
                Quarantined(5, H["revenue"], "营业收入无法识别：“1,2,3”"),
                Quarantined(7, "从业人员", "从业人员无法识别：“1,2,3”"),
                Quarantined(8, "从业人员", "从业人员不是数字：“NULL”"),
            ),
            check=checks(values("revenue_wan", [123.45675, None]), values("employees", [25.0, 1200.0])),
        ),
    ),
    Case(
        "amount_unit_in_header",
        "表头单位为“元”，单元格单位优先 / 元 in the header, units in cells win",
        "名录.csv",
        csv_file(
            [reg(1, revenue="1234500"), reg(2, revenue="3亿元")],
            header=[h if h != "营业收入（万元）" else "营业收入(元)" for h in REGISTRY_HEADER],
        ),
        Rows(2, check=values("revenue_wan", [123.45, 30000.0])),
    ),
    Case(
        "date_formats",
        "九种日期写法及无法识别的日期 / dates in many formats",
        "名录.csv",
        csv_file(
            [
                reg(1, established="2015-03-02"),
                reg(2, established="2015/3/2"),
                reg(3, established="2015.3.2"),
                reg(4, established="2015年3月2日"),
                reg(5, established="20150302"),
                reg(6, established="42065"),
                reg(7, established="2015-03-02 00:00:00"),
                reg(8, established=" 2015 年 3 月 2 日 "),
                reg(9, established="2015年3月"),
                reg(10, established="3/2/2015"),
                reg(11, established="2015-02-30"),
                reg(12, established="去年"),
                reg(13, established="2150-01-01"),
            ]
        ),
        Rows(
            9,
            4,
            quarantine=tuple(
                Quarantined(row, "成立日期", f"成立日期无法识别：“{value}”")
                for row, value in ((11, "3/2/2015"), (12, "2015-02-30"), (13, "去年"), (14, "2150-01-01"))
            ),
            check=values("established", ["2015-03-02"] * 8 + ["2015-03-01"]),
        ),
    ),
    Case(
        "future_dates",
        "成立日期在未来 / establishment dates in the future",
        "名录.csv",
        csv_file(
            [
                reg(1, established=FUTURE),
                reg(2, established=TODAY.isoformat()),
                reg(3, established=(TODAY + dt.timedelta(days=400)).strftime("%Y年%m月%d日")),
            ]
        ),
        Rows(
            1,
            2,
            quarantine=(
                Quarantined(2, "成立日期", f"成立日期晚于今天：“{FUTURE}”"),
                Quarantined(4, "成立日期", "成立日期晚于今天"),
            ),
            check=values("established", [TODAY.isoformat()]),
        ),
    ),
    # -- identity ------------------------------------------------------------------------------------
    Case(
        "uscc_variants",
        "统一社会信用代码小写、带空格、全角、带横线、零宽字符 / USCC lowercase, spaced, full-width",
        "名录.csv",
        csv_file(
            [
                reg(1, uscc=make_uscc(1).lower()),
                reg(2, uscc=" " + make_uscc(2)[:6] + " " + make_uscc(2)[6:] + "\u3000"),
                reg(3, uscc=make_uscc(3).translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})),
                reg(4, uscc=f"{make_uscc(4)[:8]}-{make_uscc(4)[8:]}"),
                reg(5, uscc="\u200b" + make_uscc(5)),
            ]
        ),
        Rows(5, check=values("uscc", [make_uscc(i) for i in range(1, 6)])),
    ),
    Case(
        "uscc_invalid",
        "统一社会信用代码长度、校验位、字符错误或成了科学计数法 / invalid USCCs",
        "名录.csv",
        csv_file(
            [
                reg(1, uscc=make_uscc(1)[:17]),
                reg(2, uscc=make_uscc(2)[:17] + ("0" if make_uscc(2)[17] != "0" else "1")),
                reg(3, uscc="9115060200000000IO"),
                reg(4, uscc="9.11506E+17"),
                reg(5, uscc=""),
            ]
        ),
        Rows(
            0,
            5,
            quarantine=(
                Quarantined(2, H["uscc"], "长度应为18位（实际17位）"),
                Quarantined(3, H["uscc"], "校验位错误"),
                Quarantined(4, H["uscc"], "不允许的字符"),
                Quarantined(5, H["uscc"], "科学计数法"),
                Quarantined(6, H["uscc"], "统一社会信用代码为空"),
            ),
        ),
    ),
    Case(
        "old_registration_number",
        "15位旧工商注册号、9位组织机构代码代替信用代码 / old 15-digit 注册号",
        "名录.csv",
        csv_file([reg(1, uscc="150602000012345"), reg(2, uscc="12345678-9"), reg(3)]),
        Rows(
            1,
            2,
            quarantine=(
                Quarantined(
                    2,
                    H["uscc"],
                    "统一社会信用代码填的是15位旧工商注册号“150602000012345”，"
                    "请向企业或市场监管部门查询并填写18位统一社会信用代码",
                ),
                Quarantined(3, H["uscc"], "统一社会信用代码填的是9位组织机构代码“12345678-9”"),
            ),
        ),
    ),
    Case(
        "same_uscc_two_names",
        "同一信用代码两个名称（更名）：保留较新的 / one USCC, two names",
        "名录.csv",
        csv_file([reg(1, name="鄂尔多斯市旧名称有限公司"), reg(2), reg(1, name="鄂尔多斯市新名称有限公司")]),
        Rows(
            2,
            0,
            1,
            aside=(SetAside(2, "统一社会信用代码重复，保留第4行的较新记录"),),
            notes=(
                "同一统一社会信用代码下企业名称不同：第2行“鄂尔多斯市旧名称有限公司”与第4行“鄂尔多斯市新名称有限公司”",
            ),
            check=values("name", [NAMES[1], "鄂尔多斯市新名称有限公司"]),
        ),
    ),
    Case(
        "closed_firms",
        "注销、吊销企业 / closed firms",
        "名录.csv",
        csv_file([reg(1, status="注销"), reg(2, status="吊销，未注销"), reg(3, status="存续"), reg(4, status="待定")]),
        Rows(
            1,
            1,
            2,
            quarantine=(Quarantined(5, "登记状态", "登记状态无法识别：“待定”"),),
            aside=(SetAside(2, "登记状态为注销"), SetAside(3, "登记状态为吊销")),
        ),
    ),
    Case(
        "status_with_phone_glued",
        "登记状态后粘连电话号码 / a phone number glued to the status",
        "名录.csv",
        csv_file(
            [reg(1, status="存续15940000000"), reg(2, status="存续（在营、开业、在册）"), reg(3, status="在业 A")]
        ),
        Rows(
            1,
            2,
            quarantine=(
                Quarantined(2, "登记状态", "登记状态无法识别：“存续15940000000”"),
                Quarantined(4, "登记状态", "登记状态无法识别：“在业 A”"),
            ),
        ),
    ),
    # -- size -------------------------------------------------------------------------------------
    Case(
        "rows_200000",
        "20万行名录（含旧注册号、注销、更名重复）/ a 200,000-row registry",
        "名录.csv",
        _big_registry,
        Rows(
            BIG_ROWS - BIG_QUARANTINED - BIG_CLOSED - BIG_DUPLICATES,
            BIG_QUARANTINED,
            BIG_CLOSED + BIG_DUPLICATES,
            notes=(f"等{BIG_DUPLICATES}处",),
            check=_big_check,
        ),
        slow=True,
    ),
    # -- 统一社会信用代码 structure (GB 32100-2015): right check digit, impossible parts -------------------
    Case(
        "uscc_bad_department",
        "信用代码第1位登记管理部门代码不存在 / impossible registration authority",
        "名录.csv",
        csv_file([reg(1), reg(2, uscc=_uscc("01150602MA0012345")), reg(3, uscc=_uscc("B1150602MA0012345"))]),
        Rows(
            1,
            2,
            quarantine=(
                Quarantined(3, H["uscc"], "统一社会信用代码第1位登记管理部门代码“0”不存在"),
                Quarantined(4, H["uscc"], "统一社会信用代码第1位登记管理部门代码“B”不存在"),
            ),
        ),
    ),
    Case(
        "uscc_bad_category",
        "信用代码第2位机构类别代码不存在 / impossible institution category",
        "名录.csv",
        csv_file([reg(1, uscc=_uscc("94150602MA0012345")), reg(2, uscc=_uscc("1A150602MA0012345")), reg(3)]),
        Rows(
            1,
            2,
            quarantine=(
                Quarantined(2, H["uscc"], "统一社会信用代码第2位机构类别代码“4”不存在（登记管理部门“9”（工商）"),
                Quarantined(3, H["uscc"], "统一社会信用代码第2位机构类别代码“A”不存在"),
            ),
        ),
    ),
    Case(
        "uscc_region_000000",
        "信用代码行政区划码为000000或不是省级代码 / region 000000",
        "名录.csv",
        csv_file([reg(1, uscc=_uscc("91000000MA0012345")), reg(2, uscc=_uscc("91990602MA0012345")), reg(3)]),
        Rows(
            1,
            2,
            quarantine=(
                Quarantined(2, H["uscc"], "统一社会信用代码第3-8位行政区划码“000000”无效"),
                Quarantined(3, H["uscc"], "统一社会信用代码第3-8位行政区划码“990602”无效"),
            ),
        ),
    ),
    Case(
        "uscc_all_zeros",
        "信用代码全是0（校验位也对）/ an all-zero code (its check digit is right)",
        "名录.csv",
        csv_file([reg(1), reg(2, uscc="000000000000000000")]),
        Rows(1, 1, quarantine=(Quarantined(3, H["uscc"], "统一社会信用代码第1位登记管理部门代码“0”不存在"),)),
    ),
    Case(
        "uscc_all_nines",
        "信用代码全是9、主体标识码全是9 / all-nine code and all-nine body",
        "名录.csv",
        csv_file([reg(1, uscc=_uscc("99999999999999999")), reg(2, uscc=_uscc("91150602999999999")), reg(3)]),
        Rows(
            1,
            2,
            quarantine=(
                Quarantined(2, H["uscc"], "统一社会信用代码第2位机构类别代码“9”不存在"),
                Quarantined(3, H["uscc"], "统一社会信用代码第9-17位主体标识码“999999999”无效"),
            ),
        ),
    ),
    Case(
        "uscc_rare_but_real",
        "少见但真实的信用代码：军队、农村集体经济组织、村委会、国家级登记、主体标识码全0 / rare real codes",
        "名录.csv",
        csv_file(
            [
                reg(1, uscc=_uscc("A1110000MA0012345")),
                reg(2, uscc=_uscc("N2150602MF1234567")),
                reg(3, uscc=_uscc("54150602MF1234567")),
                reg(4, uscc=_uscc("11100000000013127")),
                reg(5, uscc=_uscc("91150602000000000")),
            ]
        ),
        Rows(
            5,
            check=values(
                "uscc",
                [
                    _uscc("A1110000MA0012345"),
                    _uscc("N2150602MF1234567"),
                    _uscc("54150602MF1234567"),
                    _uscc("11100000000013127"),
                    _uscc("91150602000000000"),
                ],
            ),
        ),
    ),
    # -- over the size limits (industry_gap.ingest.limits), refused before / while parsing --------------------
    Case(
        "xlsx_zip_bomb",
        "解压后100MB、压缩后约0.1MB的 xlsx（压缩炸弹）/ an xlsx that unpacks 1000:1 (zip bomb)",
        "名录.xlsx",
        _zip_bomb_xlsx,
        Error("超过100倍的压缩比上限（环境变量 INDUSTRY_GAP_MAX_XLSX_RATIO 可调整）"),
    ),
    Case(
        "xlsx_declared_too_wide",
        "工作表声明700列（远处有带格式的空单元格）/ a sheet declaring 700 columns",
        "名录.xlsx",
        xlsx_file(_styled_far_right),
        Error("工作表“Sheet”声明有700列，超过500列的上限（环境变量 INDUSTRY_GAP_MAX_COLUMNS 可调整）"),
    ),
    Case(
        "csv_too_many_columns",
        "一行有600多列数据 / a CSV row with over 600 filled cells",
        "名录.csv",
        csv_file([reg(1), reg(2) + ["备注"] * 600]),
        Error("第3行有613列，超过500列的上限"),
    ),
    Case(
        "csv_cell_too_long",
        "一个单元格有140万字 / a 1,400,000-character cell",
        "名录.csv",
        csv_file([reg(1), reg(2, scope="塑料制品制造；" * 200_000)]),
        Error(
            "第3行第3列的单元格有1,400,000字，超过单元格1,000,000字的上限（环境变量 INDUSTRY_GAP_MAX_CELL_CHARS 可调整）"
        ),
    ),
]

assert len({case.id for case in CORPUS}) == len(CORPUS), "case ids must be unique"


def table() -> str:
    """The corpus as a Markdown table: case id, description, expected outcome."""
    lines = ["| case | description | outcome |", "|---|---|---|"]
    lines += [f"| `{c.id}` | {c.description} | {c.outcome.describe()} |" for c in CORPUS]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
