"""`industry-gap run` on the bundled sample district, end to end, as a user runs it."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from industry_gap.cli import main
from industry_gap.exports.workbooks import ANNEX4_HEADERS, ANNEX4_SHEET, ANNEX5_HEADERS, ANNEX5_SHEET
from industry_gap.warehouse import Warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
RUN_DATE = "2026-11-20"


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("run")
    import io
    from contextlib import redirect_stdout
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(["run", "--output", str(output), "--run-date", RUN_DATE])
    return code, buffer.getvalue(), output


def header_row(sheet) -> list:
    for row in sheet.iter_rows(min_row=1, max_row=8, values_only=True):
        if row and row[0] == "序号":
            return [cell for cell in row if cell is not None]
    raise AssertionError(f"no header row in {sheet.title}")


def test_run_succeeds_and_prints_a_chinese_summary(sample_run):
    code, printed, output = sample_run
    assert code == 0, printed
    for phrase in ("运行完成", "规下企业名录：读入 8008 行", "隔离", "入规培育", "预计奖励", "industry_gap.sqlite"):
        assert phrase in printed
    assert (output / "industry_gap.sqlite").exists()


def test_every_deliberately_bad_row_is_quarantined_or_set_aside(sample_run):
    _, _, output = sample_run
    store = Warehouse(f"sqlite:///{output / 'industry_gap.sqlite'}")
    day = dt.date.fromisoformat(RUN_DATE)
    quarantine = store.read("quarantine", day)
    set_aside = store.read("set_aside", day)
    placed = {(Path(f).name, int(r)) for f, r in zip(quarantine["file"], quarantine["row"])}
    placed |= {(Path(f).name, int(r)) for f, r in zip(set_aside["file"], set_aside["row"])}
    with (REPO_ROOT / "sample_data" / "bad_rows.csv").open(encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))
    missing = [(m["file"], m["row"], m["kind"]) for m in manifest if (m["file"], int(m["row"])) not in placed]
    assert not missing
    assert quarantine["reason"].str.len().min() > 0
    accounting = store.read("row_accounting", day)
    assert (accounting["rows_in"] == accounting["clean"] + accounting["quarantined"] + accounting["set_aside"]).all()
    for table in ("coverage", "gaps", "candidates", "project_assessment", "rewards", "review_list", "baseline"):
        assert store.count(table, day) > 0, table


def test_workbooks_are_written_for_the_month(sample_run):
    _, _, output = sample_run
    folder = output / "exports" / RUN_DATE[:7]
    workbooks = sorted(folder.glob("*.xlsx"))
    consolidated = [p for p in workbooks if "汇总" in p.name]
    departments = [p for p in workbooks if "汇总" not in p.name]
    assert len(consolidated) == 1 and len(departments) >= 3
    book = openpyxl.load_workbook(consolidated[0])
    assert header_row(book[ANNEX4_SHEET]) == ANNEX4_HEADERS
    assert header_row(book[ANNEX5_SHEET]) == ANNEX5_HEADERS
    assert book["门类覆盖情况"]._charts, "the coverage sheet carries a native chart"
    annex5_rows = [row for row in book[ANNEX5_SHEET].iter_rows(min_row=5, values_only=True) if isinstance(row[0], int)]
    assert annex5_rows, "the sample district has 规上 gap candidates"
    for path in departments:
        department_book = openpyxl.load_workbook(path)
        assert header_row(department_book[ANNEX5_SHEET]) == ANNEX5_HEADERS
