"""Saving an openpyxl workbook with its sheets' rows written as text, a chunk of rows at a time.

openpyxl writes every cell through lxml's incremental writer, an element and
several calls into lxml per cell: on a registry-sized list that is most of
the time of saving. Here the plain cells of a row (numbers, text, booleans,
error codes and empty styled cells) are rendered as XML text, parsed by lxml
a few hundred rows at a time and written as elements. A row holding anything
else (a comment, a hyperlink, a formula, a date, rich text) goes through
openpyxl's own row writer. The markup is what openpyxl writes for the same
cells, and the style table is filled in the same order, so the file reads
back the same cell for cell.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from lxml import etree  # type: ignore[import-untyped]
from openpyxl.cell.cell import MergedCell
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

CHUNK_ROWS = 500  # rows rendered and parsed together
# what lxml escapes in element text; a raw carriage return would be read back as a line feed
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_PLAIN_TYPES = frozenset(("n", "s", "b", "e"))  # data types rendered here; "f" and "d" go to openpyxl


def save_workbook(workbook: Workbook, path: str | Path) -> None:
    """`workbook.save(path)` with the rows of every sheet written as text (see the module's notes)."""
    if workbook.write_only:  # a write-only workbook has written its rows already
        workbook.save(path)
        return
    workbook.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)  # as openpyxl's save
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        _ExcelWriter(workbook, archive).save()


class _ExcelWriter(ExcelWriter):
    """openpyxl's package writer, with worksheets written by `_WorksheetWriter`."""

    def write_worksheet(self, ws) -> None:
        # openpyxl's ExcelWriter.write_worksheet for a normal workbook, with our worksheet writer
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _WorksheetWriter(ws)
        writer.write()
        ws._rels = writer._rels  # type: ignore[attr-defined]  # openpyxl's private writer state
        self._archive.write(writer.out, ws.path[1:])  # type: ignore[attr-defined]  # openpyxl's private archive
        self.manifest.append(ws)
        writer.cleanup()


class _WorksheetWriter(WorksheetWriter):
    """openpyxl's worksheet writer whose sheetData is written a chunk of rows at a time."""

    def write_rows(self) -> None:
        xf: Any = self.xf.send(True)  # lxml's incremental writer
        render = _RowRenderer(self.ws)
        pending: list[str] = []
        with xf.element("sheetData"):
            for row_idx, row in self.rows():
                markup = render(row_idx, row)
                if markup is None:  # a row openpyxl writes itself, after the rows before it
                    _write_chunk(xf, pending)
                    self.write_row(xf, row, row_idx)
                    continue
                pending.append(markup)
                if len(pending) >= CHUNK_ROWS:
                    _write_chunk(xf, pending)
            _write_chunk(xf, pending)
        self.xf.send(None)  # hand the stream back, as openpyxl's write_rows does


def _write_chunk(xf, pending: list[str]) -> None:
    """Parse the rendered rows and write them as elements; empties `pending`."""
    if not pending:
        return
    for element in etree.fromstring(f"<sheetData>{''.join(pending)}</sheetData>"):
        xf.write(element)
    pending.clear()


class _RowRenderer:
    """One row's ``<row>`` markup as openpyxl's `lxml_write_cell` would write it, or None when the
    row has a cell this renderer leaves to openpyxl."""

    def __init__(self, ws) -> None:
        self.dimensions = ws.row_dimensions
        self.styles = ws.parent._cell_styles  # the workbook's style table: ids are added in cell order
        self.style_ids: dict[bytes, int] = {}  # a style array's bytes -> its id (hashing the array is slow)
        self.letters: dict[int, str] = {}

    def __call__(self, row_idx: int, row: list) -> str | None:
        for cell in row:
            if cell._comment is not None or cell.data_type not in _PLAIN_TYPES:
                return None
            if type(cell) is MergedCell:
                continue
            if cell._hyperlink is not None or (
                cell.data_type == "s" and not isinstance(cell._value, (str, type(None)))
            ):
                return None
        attributes = {"r": f"{row_idx}"}
        attributes.update(self.dimensions.get(row_idx, {}))
        parts = ["<row", *(f' {k}="{str(v).translate(_ATTRIBUTE_ESCAPES)}"' for k, v in attributes.items()), ">"]
        letters, style_ids = self.letters, self.style_ids
        for cell in row:
            value = cell._value
            style = cell._style
            styled = style is not None and any(style)  # openpyxl's Cell.has_style
            if value is None and not styled:
                continue
            column = cell.column
            letter = letters.get(column)
            if letter is None:
                letter = letters[column] = get_column_letter(column)
            if styled:
                key = style.tobytes()
                style_id = style_ids.get(key)
                if style_id is None:
                    style_id = style_ids[key] = self.styles.add(style)
                head = f'<c r="{letter}{row_idx}" s="{style_id}"'
            else:
                head = f'<c r="{letter}{row_idx}"'
            kind = cell.data_type
            if kind == "s":
                if value is None or value == "":
                    parts.append(f'{head} t="inlineStr"/>')
                else:
                    space = ' xml:space="preserve"' if value != value.strip() else ""
                    parts.append(f'{head} t="inlineStr"><is><t{space}>{value.translate(_TEXT_ESCAPES)}</t></is></c>')
            elif value is None or value == "":
                parts.append(f'{head} t="{kind}"/>')
            else:
                parts.append(f'{head} t="{kind}"><v>{safe_string(value).translate(_TEXT_ESCAPES)}</v></c>')
        parts.append("</row>")
        return "".join(parts)
