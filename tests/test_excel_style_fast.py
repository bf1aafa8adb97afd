"""The faster table writing in `excel_style` gives cell for cell what the `set_cell` version gave."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import unicodedata
from copy import copy

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook

from industry_gap.exports.excel_style import (
    BORDER,
    CENTER,
    HEADER_FILL,
    HEADER_FONT,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    _column_style,
    clean_value,
    display_width,
    fit_row_heights,
    save_atomically,
    set_cell,
    write_table,
)

HEADERS = ["序号", "名称", "金额", "比例", "日期", "备注"]
FORMATS = {"序号": "0", "金额": MONEY_FORMAT, "比例": PERCENT_FORMAT}
WRAP = ("名称", "备注")


def reference_write_table(ws, header_row, headers, rows, formats=None, wrap=()) -> int:
    """The former `write_table`: ws.cell and set_cell for every cell."""
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
        for column, (template, value) in enumerate(zip(templates, values), start=1):
            cell = ws.cell(row=header_row + count, column=column)
            cell._style = copy(template)
            set_cell(cell, value)
    return count


def reference_display_width(value) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def reference_fit_row_heights(ws, first_row, last_row, widths, wrap_columns) -> None:
    columns = [c for c in wrap_columns if c <= len(widths)]
    for row in range(first_row, last_row + 1):
        lines = 1
        for column in columns:
            value = ws.cell(row=row, column=column).value
            if value is None:
                continue
            usable = max(widths[column - 1] - 1, 1)
            lines = max(
                lines, sum(math.ceil(max(reference_display_width(part), 1) / usable) for part in str(value).split("\n"))
            )
        if lines > 1:
            ws.row_dimensions[row].height = min(lines, 12) * 14.0


def tricky_rows() -> list[list]:
    """Every kind of value the lists carry, and some they should never carry."""
    values = [
        '=HYPERLINK("http://x")',
        "+1",
        "-2",
        "@sum",
        "=",
        "#N/A",
        "#DIV/0!",
        "普通文本\n第二行",
        "控制\x01字符\x1f",
        "",
        None,
        np.nan,
        pd.NA,
        pd.NaT,
        float("nan"),
        3,
        np.int64(4),
        np.float64(2.5),
        np.float32(0.25),
        True,
        np.bool_(False),
        dt.date(2026, 11, 20),
        dt.datetime(2026, 11, 20, 8, 30),
        pd.Timestamp("2026-01-02 03:04:05"),
        1.5e300,
        -0.0,
        "长" * 300,
        "ascii only text that is rather long",
        np.str_("numpy 文本"),
        10**20,
    ]
    rows = []
    for i in range(len(values)):
        row = [values[(i + shift) % len(values)] for shift in range(len(HEADERS))]
        rows.append(row if i % 7 else row[:3])  # short rows leave cells out
    return rows


def cell_facts(ws) -> dict:
    """Value, type and full look of every cell (styles read from the workbook's style tables)."""
    from openpyxl.styles.cell_style import StyleArray

    book = ws.parent
    facts = {}
    for (row, column), cell in ws._cells.items():
        style = cell._style if cell._style is not None else StyleArray()
        facts[row, column] = (
            type(cell).__name__,
            type(cell.value),
            cell.value,
            cell.data_type,
            cell.number_format,
            book._fonts[style.fontId],
            book._fills[style.fillId],
            book._borders[style.borderId],
            book._alignments[style.alignmentId],
            book._protections[style.protectionId],
            bool(style.quotePrefix),
        )
    return facts


def test_write_table_equals_the_set_cell_version_in_memory_and_in_the_file(tmp_path):
    rows = tricky_rows()
    books = {}
    for label, writer in (("fast", write_table), ("reference", reference_write_table)):
        workbook = Workbook()
        ws = workbook.active
        ws["A1"] = "标题"
        count = writer(ws, 4, HEADERS, iter(rows), FORMATS, WRAP)
        assert count == len(rows)
        books[label] = (workbook, ws)
    fast_ws, reference_ws = books["fast"][1], books["reference"][1]
    assert cell_facts(fast_ws) == cell_facts(reference_ws)
    assert fast_ws.max_row == reference_ws.max_row and fast_ws.max_column == reference_ws.max_column
    assert fast_ws._current_row == reference_ws._current_row

    paths = {}
    for label, (workbook, _) in books.items():
        paths[label] = save_atomically(workbook, tmp_path / f"{label}.xlsx")
    loaded = {label: load_workbook(path).active for label, path in paths.items()}
    assert cell_facts(loaded["fast"]) == cell_facts(loaded["reference"])
    assert loaded["fast"]["A5"].value is not None


def test_write_table_over_existing_cells_replaces_values_and_styles():
    for writer in (write_table, reference_write_table):
        workbook = Workbook()
        ws = workbook.active
        write_table(ws, 4, HEADERS, tricky_rows(), FORMATS, WRAP)
        writer(ws, 4, HEADERS, [["x"] * len(HEADERS), [None] * len(HEADERS)], {}, ())
        assert ws["B5"].value == "x" and ws["B6"].value is None and ws["B6"].data_type == "n"
        assert ws["B5"].alignment.wrap_text is False


def reference_clean_value(value):
    """The former `clean_value`, without its fast paths."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(TypeError, ValueError):
            value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (bool, int, float, dt.date, dt.datetime)):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def test_clean_value_fast_paths_equal_the_general_path():
    class Text(str):
        pass

    for value in [*[v for row in tricky_rows() for v in row], Text("=子类"), 7, 7.0, False, float("inf")]:
        got, want = clean_value(value), reference_clean_value(value)
        assert type(got) is type(want) and (got == want or got is want), value


def test_display_width_and_row_heights_equal_the_reference():
    samples = ["", "abc", "中文", "ｆｕｌｌ", "한국어", "\u0378", "mixed 中 text ١٢", "😀", "\t\n", "a\u3000b"]
    for text in samples:
        assert display_width(text) == reference_display_width(text), text
    rows = [[i, "名称" * (i % 9) + "\n" * (i % 3), i * 1.5, 0.5, None, "备注 remark " * i] for i in range(40)]
    heights = {}
    for label, fit in (("fast", fit_row_heights), ("reference", reference_fit_row_heights)):
        ws = Workbook().active
        write_table(ws, 4, HEADERS, rows, FORMATS, WRAP)
        fit(ws, 5, 4 + len(rows) + 2, [6, 10, 12, 8, 10, 20], [2, 6, 9])  # past the last row, too
        heights[label] = ({r: d.height for r, d in ws.row_dimensions.items()}, sorted(ws._cells))
    assert heights["fast"] == heights["reference"]
