"""Compare the outputs of two `industry-gap run`s: the SQLite warehouse and every exported workbook.

Usage::

    python scripts/compare_runs.py OUT_A OUT_B [--exclude-column TABLE.COLUMN ...] [--ignore-row-order]

What is compared:

* the warehouse ``OUT/industry_gap.sqlite``: the set of tables and indexes
  (their CREATE statements), and every row of every table. Rows are matched
  in ``id`` order (the order the tables were written in, which is the order
  `Warehouse.read` returns) with the ``id`` value itself left out, since it
  depends on the database's history. Tables without an ``id`` column, or all
  tables with ``--ignore-row-order``, are compared as multisets of rows (as
  are tables whose row counts differ, so one missing row is one difference).
  Values are compared with their storage type (``1`` is not ``1.0``, ``'1'``
  is not ``1``). Columns that hold the time of a run can be left out with
  ``--exclude-column TABLE.COLUMN`` (or ``*.COLUMN`` for every table); none
  of the current tables has one, so nothing is excluded by default.
* every ``.xlsx`` under ``OUT/exports/`` (same relative paths): sheet names and
  order, and for every cell its value, data type, number format, font, fill,
  border, alignment, protection and quote prefix; per sheet also the merged
  ranges, column widths, row heights, frozen panes, print titles and page
  setup, auto filter, data validations, conditional formats and charts.

Prints a Chinese summary (相同, or the first 20 differences) and exits 0
when the outputs are identical, 1 when they differ, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections import Counter
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

DATABASE_NAME = "industry_gap.sqlite"
EXPORTS_FOLDER = "exports"
# Differ between any two runs by design: the staging token, the commit time, and the files' hashes
# and sizes (an .xlsx records when it was written); the file names are still compared.
RUN_SPECIFIC_COLUMNS = {
    "export_manifest.token",
    "export_manifest.committed_at",
    "export_manifest.sha256",
    "export_manifest.bytes",
}
SHOWN = 20
MESSAGE_LIMIT = 600  # characters of one difference shown
ORDER_KEY = "id"


class Differences:
    """Collects differences; keeps the count of all and the text of the first `SHOWN`."""

    def __init__(self) -> None:
        self.count = 0
        self.shown: list[str] = []

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.shown) < SHOWN:
            self.shown.append(message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + "…")


# -- warehouse ----------------------------------------------------------------
def _typed(value: object) -> tuple[str, object]:
    """A value with its storage type, so 1, 1.0 and '1' differ."""
    return (type(value).__name__, value)


def _schema(connection: sqlite3.Connection) -> dict[tuple[str, str], str]:
    rows = connection.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'"
    )
    return {(kind, name): sql or "" for kind, name, sql in rows}


def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]


def _rows(connection: sqlite3.Connection, table: str, columns: list[str], ordered: bool) -> list[tuple]:
    selected = ", ".join(f'"{c}"' for c in columns) or "1"
    order = f' ORDER BY "{ORDER_KEY}"' if ordered else ""
    return [tuple(_typed(v) for v in row) for row in connection.execute(f'SELECT {selected} FROM "{table}"{order}')]


def _show_row(columns: list[str], row: tuple) -> str:
    return "，".join(f"{c}={v[1]!r}" for c, v in zip(columns, row))


def compare_warehouse(a: Path, b: Path, excluded: set[str], ignore_order: bool, diff: Differences) -> int:
    """Compare the two SQLite files; returns the number of rows compared."""
    path_a, path_b = a / DATABASE_NAME, b / DATABASE_NAME
    for path in (path_a, path_b):
        if not path.is_file():
            diff.add(f"数据库文件不存在：{path}")
    if not (path_a.is_file() and path_b.is_file()):
        return 0
    compared = 0
    with (
        sqlite3.connect(f"file:{path_a}?mode=ro", uri=True) as db_a,
        sqlite3.connect(f"file:{path_b}?mode=ro", uri=True) as db_b,
    ):
        schema_a, schema_b = _schema(db_a), _schema(db_b)
        for key in sorted(set(schema_a) | set(schema_b)):
            kind = "表" if key[0] == "table" else "索引"
            if key not in schema_b:
                diff.add(f"数据库：{kind} {key[1]} 只在 A 中")
            elif key not in schema_a:
                diff.add(f"数据库：{kind} {key[1]} 只在 B 中")
            elif schema_a[key] != schema_b[key]:
                diff.add(f"数据库：{kind} {key[1]} 的定义不同：A {schema_a[key]!r}，B {schema_b[key]!r}")
        tables = sorted(name for kind, name in set(schema_a) & set(schema_b) if kind == "table")
        for table in tables:
            columns_a, columns_b = _columns(db_a, table), _columns(db_b, table)
            if columns_a != columns_b:
                continue  # already reported through the CREATE statement
            ordered = ORDER_KEY in columns_a and not ignore_order
            columns = [c for c in columns_a if c != ORDER_KEY and c not in excluded and f"{table}.{c}" not in excluded]
            rows_a = _rows(db_a, table, columns, ordered)
            rows_b = _rows(db_b, table, columns, ordered)
            compared += max(len(rows_a), len(rows_b))
            if len(rows_a) != len(rows_b):
                diff.add(f"数据库表 {table}：行数不同（A {len(rows_a)} 行，B {len(rows_b)} 行）")
            if ordered and len(rows_a) == len(rows_b):  # row for row: names the columns that differ
                for number, (row_a, row_b) in enumerate(zip(rows_a, rows_b), start=1):
                    if row_a == row_b:
                        continue
                    cells = [
                        f"{c}：A {va[1]!r}（{va[0]}），B {vb[1]!r}（{vb[0]}）"
                        for c, va, vb in zip(columns, row_a, row_b)
                        if va != vb
                    ]
                    diff.add(f"数据库表 {table} 第 {number} 行（按 {ORDER_KEY} 排序）：" + "；".join(cells))
            else:  # no order to follow, or rows added/missing: the rows found on one side only
                count_a, count_b = Counter(rows_a), Counter(rows_b)
                for row, n in (count_a - count_b).items():
                    diff.add(f"数据库表 {table}：只在 A 中的行（{n} 次）：{_show_row(columns, row)}")
                for row, n in (count_b - count_a).items():
                    diff.add(f"数据库表 {table}：只在 B 中的行（{n} 次）：{_show_row(columns, row)}")
    return compared


# -- workbooks ----------------------------------------------------------------
def _workbooks(root: Path) -> dict[str, Path]:
    folder = root / EXPORTS_FOLDER
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*.xlsx"))
        if not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }


def _style(workbook, cell) -> tuple:
    """Everything about a cell's look, read from the workbook's style tables."""
    style = cell._style or StyleArray()
    return (
        ("数字格式", cell.number_format),
        ("字体", workbook._fonts[style.fontId]),
        ("填充", workbook._fills[style.fillId]),
        ("边框", workbook._borders[style.borderId]),
        ("对齐", workbook._alignments[style.alignmentId]),
        ("保护", workbook._protections[style.protectionId]),
        ("引号前缀", bool(style.quotePrefix)),
    )


def _cell_key(workbook, cell) -> tuple:
    return (("值", cell.value), ("类型", cell.data_type)) + _style(workbook, cell)


def _default_key(workbook) -> tuple:
    """What a cell that is not in the file looks like (no value, the workbook's default style)."""
    from openpyxl.cell.cell import Cell

    sheet = workbook.worksheets[0]
    return _cell_key(workbook, Cell(sheet, row=1, column=1))  # detached: only its value and style count


def _sheet_layout(ws) -> list[tuple[str, object]]:
    """Sheet-level settings a reader of the file sees."""
    columns = {
        key: (dim.width, dim.hidden, dim.customWidth, dim.min, dim.max)
        for key, dim in ws.column_dimensions.items()
        if dim.width or dim.hidden or dim.customWidth
    }
    rows = {
        index: (dim.height, dim.hidden)
        for index, dim in ws.row_dimensions.items()
        if dim.height is not None or dim.hidden
    }
    setup = ws.page_setup
    validations = sorted(
        (
            str(v.sqref),
            v.type,
            v.formula1,
            v.formula2,
            v.allow_blank,
            v.showErrorMessage,
            v.errorTitle,
            v.error,
            v.showInputMessage,
            v.promptTitle,
            v.prompt,
            v.operator,
        )
        for v in ws.data_validations.dataValidation
    )
    conditional = sorted(
        (str(rng.sqref), repr(rule.to_tree().attrib), tuple(rule.formula or ()))
        for rng in ws.conditional_formatting
        for rule in rng.rules
    )
    charts = [
        (
            type(chart).__name__,
            repr(getattr(chart.anchor, "_from", None) and (chart.anchor._from.col, chart.anchor._from.row)),
        )
        for chart in ws._charts
    ]
    return [
        ("合并单元格", sorted(str(r) for r in ws.merged_cells.ranges)),
        ("列宽", columns),
        ("行高", rows),
        ("冻结窗格", ws.freeze_panes),
        ("打印标题行", ws.print_title_rows),
        ("打印标题列", ws.print_title_cols),
        ("打印区域", ws.print_area),
        ("页面设置", (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight, setup.scale)),
        ("适应页面", ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None),
        ("自动筛选", ws.auto_filter.ref),
        ("数据验证", validations),
        ("条件格式", conditional),
        ("图表", charts),
        ("批注", sorted((c.coordinate, c.comment.text, c.comment.author) for c in ws._cells.values() if c.comment)),
    ]


def compare_workbooks(a: Path, b: Path, diff: Differences) -> tuple[int, int]:
    """Compare every workbook under exports/; returns (workbooks, cells) compared."""
    books_a, books_b = _workbooks(a), _workbooks(b)
    if not books_a and not books_b:
        diff.add("两个输出文件夹都没有 exports/ 下的工作簿")
    for name in sorted(set(books_a) - set(books_b)):
        diff.add(f"工作簿只在 A 中：{name}")
    for name in sorted(set(books_b) - set(books_a)):
        diff.add(f"工作簿只在 B 中：{name}")
    cells = 0
    common = sorted(set(books_a) & set(books_b))
    for name in common:
        wb_a, wb_b = load_workbook(books_a[name]), load_workbook(books_b[name])
        if wb_a.sheetnames != wb_b.sheetnames:
            diff.add(f"{name}：工作表不同：A {wb_a.sheetnames}，B {wb_b.sheetnames}")
        default_a, default_b = _default_key(wb_a), _default_key(wb_b)
        for title in [t for t in wb_a.sheetnames if t in wb_b.sheetnames]:
            ws_a, ws_b = wb_a[title], wb_b[title]
            for (label, value_a), (_, value_b) in zip(_sheet_layout(ws_a), _sheet_layout(ws_b)):
                if value_a == value_b:
                    continue
                if isinstance(value_a, dict) and isinstance(value_b, dict):  # only the keys that differ
                    keys = sorted(k for k in set(value_a) | set(value_b) if value_a.get(k) != value_b.get(k))
                    value_a = {k: value_a.get(k) for k in keys}
                    value_b = {k: value_b.get(k) for k in keys}
                diff.add(f"{name} / {title}：{label}不同：A {value_a!r}，B {value_b!r}")
            coordinates = sorted(set(ws_a._cells) | set(ws_b._cells))
            cells += len(coordinates)
            for row, column in coordinates:
                cell_a, cell_b = ws_a._cells.get((row, column)), ws_b._cells.get((row, column))
                key_a = _cell_key(wb_a, cell_a) if cell_a is not None else default_a
                key_b = _cell_key(wb_b, cell_b) if cell_b is not None else default_b
                if key_a == key_b:
                    continue
                where = f"{get_column_letter(column)}{row}"
                parts = [f"{label}：A {va!r}，B {vb!r}" for (label, va), (_, vb) in zip(key_a, key_b) if va != vb]
                diff.add(f"{name} / {title}!{where}：" + "；".join(parts))
    return len(common), cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="比较两次 industry-gap run 的输出（数据库各表与导出工作簿）。")
    parser.add_argument("out_a", type=Path, help="第一次运行的输出文件夹（A）")
    parser.add_argument("out_b", type=Path, help="第二次运行的输出文件夹（B）")
    parser.add_argument(
        "--exclude-column",
        action="append",
        default=[],
        metavar="TABLE.COLUMN",
        help="不比较的列（如记录运行时间的列）；*.COLUMN 表示所有表的该列，可多次给出",
    )
    parser.add_argument("--ignore-row-order", action="store_true", help="数据库各表按行集合比较，不看写入顺序")
    args = parser.parse_args(argv)
    for folder in (args.out_a, args.out_b):
        if not folder.is_dir():
            print(f"输出文件夹不存在：{folder}", file=sys.stderr)
            return 2
    excluded = (
        {c.removeprefix("*.") for c in args.exclude_column if c.startswith("*.")}
        | {c for c in args.exclude_column if not c.startswith("*.")}
        | RUN_SPECIFIC_COLUMNS
    )

    diff = Differences()
    rows = compare_warehouse(args.out_a, args.out_b, excluded, args.ignore_row_order, diff)
    books, cells = compare_workbooks(args.out_a, args.out_b, diff)
    scope = (
        f"（数据库 {rows} 行；工作簿 {books} 个，单元格 {cells} 个"
        + (f"；未比较的列：{', '.join(sorted(args.exclude_column))}" if args.exclude_column else "")
        + "）"
    )
    if diff.count == 0:
        print(f"相同{scope}")
        return 0
    print(f"不同：共 {diff.count} 处差异{scope}，前 {len(diff.shown)} 处：")
    for number, message in enumerate(diff.shown, start=1):
        print(f"  {number}. {message}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
