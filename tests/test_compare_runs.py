"""scripts/compare_runs.py: identical outputs exit 0 with 相同, any difference exits 1 and is named."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sqlite3
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from industry_gap.warehouse import TABLE_COLUMNS, Warehouse

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "compare_runs.py"


def load_script():
    spec = importlib.util.spec_from_file_location("compare_runs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_output(root: Path, name: str = "企业1", amount: float = 12.5, number_format: str = "#,##0.00") -> Path:
    row: dict[str, object] = {column: None for column in TABLE_COLUMNS["registry"]}
    row.update(uscc="91150602MA0000001X", name=name, revenue_wan=amount, source_row=2)
    store = Warehouse(f"sqlite:///{root / 'industry_gap.sqlite'}")
    second = {**row, "name": "企业2", "uscc": "91150602MA0000002X"}  # (run date, USCC) is the registry's key
    store.replace_run(dt.date(2026, 11, 20), {"registry": pd.DataFrame([row, second])})
    store.dispose()
    workbook = Workbook()
    ws = workbook.active
    assert isinstance(ws, Worksheet)
    ws.title = "附件5"
    ws["A1"] = name
    ws["B1"] = amount
    ws["B1"].number_format = number_format
    ws.freeze_panes = "A2"
    (root / "exports" / "2026-11").mkdir(parents=True)
    workbook.save(root / "exports" / "2026-11" / "汇总.xlsx")
    return root


def test_identical_outputs(tmp_path, capsys):
    compare = load_script()
    a, b = make_output(tmp_path / "a"), make_output(tmp_path / "b")
    assert compare.main([str(a), str(b)]) == 0
    assert capsys.readouterr().out.startswith("相同")


def test_differences_in_tables_cells_and_formats_are_reported(tmp_path, capsys):
    compare = load_script()
    a = make_output(tmp_path / "a")
    b = make_output(tmp_path / "b", name="企业X", number_format="0.0")
    assert compare.main([str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("不同")
    assert "数据库表 registry 第 1 行" in out and "企业X" in out
    assert "汇总.xlsx / 附件5!A1" in out
    assert "数字格式" in out


def test_row_order_and_excluded_columns(tmp_path, capsys):
    compare = load_script()
    a, b, c = make_output(tmp_path / "a"), make_output(tmp_path / "b"), make_output(tmp_path / "c")
    with sqlite3.connect(b / "industry_gap.sqlite") as connection:  # same rows, written in the other order
        for old, new in ((1, -1), (2, 1), (-1, 2)):  # ids one at a time (primary key)
            connection.execute("UPDATE registry SET id = ? WHERE id = ?", (new, old))
    with sqlite3.connect(c / "industry_gap.sqlite") as connection:  # only the names differ
        connection.execute("UPDATE registry SET name = CASE name WHEN '企业1' THEN '企业2' ELSE '企业1' END")
    assert compare.main([str(a), str(b)]) == 1
    assert compare.main([str(a), str(b), "--ignore-row-order"]) == 0
    assert compare.main([str(a), str(c)]) == 1
    assert compare.main([str(a), str(c), "--exclude-column", "registry.name"]) == 0
    assert compare.main([str(a), str(c), "--exclude-column", "*.name"]) == 0
    capsys.readouterr()


def test_missing_workbook_or_folder(tmp_path, capsys):
    compare = load_script()
    a, b = make_output(tmp_path / "a"), make_output(tmp_path / "b")
    (b / "exports" / "2026-11" / "汇总.xlsx").unlink()
    assert compare.main([str(a), str(b)]) == 1
    assert "工作簿只在 A 中" in capsys.readouterr().out
    assert compare.main([str(a), str(tmp_path / "missing")]) == 2
