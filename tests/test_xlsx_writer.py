"""`xlsx_writer.save_workbook` writes the same package as openpyxl's own save, part for part."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from industry_gap.exports import xlsx_writer
from industry_gap.exports.excel_style import MONEY_FORMAT, write_table, write_title

VALUES = [
    1,
    -2.5,
    1e-20,
    12345678901234567,
    True,
    False,
    "普通文本",
    "a & b < c > d \"q\" 'a'",
    "  leading and trailing  ",
    "line\nbreak\r\nwindows\ttab",
    '=HYPERLINK("x")',
    "#N/A",
    "",
    None,
    dt.date(2026, 12, 7),
    dt.datetime(2026, 12, 7, 8, 30),
]


def _workbook() -> Workbook:
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "清单"
    write_title(ws, 1, "标题", 6, height=30)
    headers = ["甲", "乙", "丙", "丁", "戊", "己"]
    rows = [[VALUES[(r + c) % len(VALUES)] for c in range(6)] for r in range(3 * xlsx_writer.CHUNK_ROWS // 2)]
    write_table(ws, 4, headers, rows, {"丙": MONEY_FORMAT}, ("乙",))
    ws.row_dimensions[7].height = 42
    ws.row_dimensions[2000].height = 20  # a row with a height and no cells
    ws["B10"].comment = Comment("批注", "industry-gap")
    ws["C12"].hyperlink = "https://example.org"
    ws["D14"] = "=1+1"  # a formula
    ws["E16"] = CellRichText("富", TextBlock(InlineFont(b=True), "文本"))
    ws["F18"].fill = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")
    ws["F19"].font = Font(name="宋体", size=9, color="808080")
    validation = DataValidation(type="textLength", operator="equal", formula1="4", allow_blank=True)
    validation.add("A5:A20")
    ws.add_data_validation(validation)
    other = workbook.create_sheet("图表")
    for row in range(1, 6):
        other.append([f"类{row}", row, row * 2])
    chart = BarChart()
    chart.add_data(Reference(other, min_col=2, min_row=1, max_col=3, max_row=5))
    other.add_chart(chart, "E2")
    workbook.create_sheet("空表")
    return workbook


def _parts(path: Path) -> dict[str, bytes]:
    """Every part of the package, XML canonicalised (C14N); the save time left out."""
    parts = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name == "docProps/core.xml":
                continue
            if name.endswith((".xml", ".rels")):
                data = etree.tostring(etree.fromstring(data), method="c14n")
            parts[name] = data
    return parts


def test_same_package_as_openpyxl(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    xlsx_writer.save_workbook(_workbook(), ours)
    _workbook().save(theirs)
    parts_ours, parts_theirs = _parts(ours), _parts(theirs)
    assert sorted(parts_ours) == sorted(parts_theirs)
    for name, data in parts_theirs.items():
        assert parts_ours[name] == data, name


def test_values_read_back(tmp_path: Path) -> None:
    path = tmp_path / "ours.xlsx"
    xlsx_writer.save_workbook(_workbook(), path)
    ws = load_workbook(path)["清单"]
    assert ws["A5"].value == 1
    texts = {cell.value for row in ws.iter_rows(min_row=5) for cell in row if isinstance(cell.value, str)}
    assert "line\nbreak\r\nwindows\ttab" in texts
    assert "  leading and trailing  " in texts
    assert ws["D14"].value == "=1+1"
    assert ws["B10"].comment.text == "批注"
