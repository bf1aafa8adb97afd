"""`industry-gap run` on the bundled sample district, end to end, as a user runs it."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from industry_gap.exports.workbooks import (
    ANNEX4_HEADERS,
    ANNEX4_SHEET,
    ANNEX5_HEADERS,
    ANNEX5_SHEET,
    PIPELINE_SHEET,
)
from industry_gap.settings import Settings
from industry_gap.warehouse import Warehouse
from pipelines.cli import main

pytestmark = pytest.mark.slow  # the module fixture runs `industry-gap run` on the whole sample district

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
        if row and row[0] in ("序号", "排名"):
            return [cell for cell in row if cell is not None]
    raise AssertionError(f"no header row in {sheet.title}")


def test_run_succeeds_and_prints_a_chinese_summary(sample_run):
    code, printed, output = sample_run
    assert code == 0, printed
    for phrase in ("运行完成", "规下企业名录：读入 8008 行", "隔离", "入规培育", "预计奖励", "industry_gap.sqlite"):
        assert phrase in printed
    assert (output / "industry_gap.sqlite").exists()


def test_the_first_sample_run_reports_progress_since_the_plan(sample_run):
    """The sample ships its plan's 基期 (sample_data/baseline.csv): the first run reports real progress."""
    import re

    _, printed, _ = sample_run
    assert "以规划基期文件“baseline.csv”为基期" in printed
    added = [int(n) for n in re.findall(r"较基期新增(\d+)个", printed)]
    assert len(added) == 2 and all(n > 0 for n in added), printed
    assert "完成0%" not in printed


def test_the_summary_says_how_long_each_stage_took(sample_run):
    _, printed, _ = sample_run
    stages = printed.split("五、各环节用时", 1)[1]
    assert "经营范围分类模型（scope_model）" in stages and "秒" in stages
    for asset in ("registry", "classified_registry", "coverage", "warehouse_tables", "office_workbooks"):
        assert f"（{asset}）：" in stages


def test_the_trained_office_model_is_kept_beside_the_warehouse(sample_run):
    """The sample registry's coded firms train the model once; it is kept under output/models."""
    _, _, output = sample_run
    [entry] = list((output / "models").glob("office-model-*"))
    assert (entry / "model.joblib").exists() and (entry / "training_report.json").exists()


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
    departments = [p for p in workbooks if p.name.startswith("附件4附件5_")]
    assert [p.name for p in workbooks if p.name.startswith("复核清单_")] == [f"复核清单_{RUN_DATE[:7]}.xlsx"]
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


def test_review_round_trip_pins_an_override(sample_run, tmp_path):
    """Export the review list, fill it in with openpyxl, run again: pinned in 附件5 and used as a label."""
    from industry_gap.model_training import labelled_rows
    from industry_gap.review import WORKBOOK_HEADERS
    from pipelines.runner import run_pipeline

    _, _, output = sample_run
    review_path = output / "exports" / RUN_DATE[:7] / f"复核清单_{RUN_DATE[:7]}.xlsx"
    book = openpyxl.load_workbook(review_path)
    sheet = book["复核清单"]
    column = {header: index + 1 for index, header in enumerate(WORKBOOK_HEADERS)}
    store = Warehouse(f"sqlite:///{output / 'industry_gap.sqlite'}")
    day = dt.date.fromisoformat(RUN_DATE)
    registry = store.read("registry", day).set_index("uscc")
    companies = {
        u
        for u, kind, town in zip(registry.index, registry["enterprise_type"], registry["town"])
        if town and not any(word in kind for word in ("个体", "分公司", "个人独资", "合伙", "分支"))
    }
    coverage = store.read("coverage", day)
    absent = coverage[
        (coverage["level"] == "class") & ~coverage["present_above"].astype(bool) & ~coverage["present_all"].astype(bool)
    ]["code"]
    code = sorted(c for c in absent if c.startswith("3"))[0]  # a manufacturing class nobody has yet
    row = next(
        r
        for r in range(5, sheet.max_row + 1)
        if sheet.cell(r, column["类型"]).value == "规下企业"
        and sheet.cell(r, column["统一社会信用代码"]).value in companies
    )
    uscc = sheet.cell(row, column["统一社会信用代码"]).value
    sheet.cell(row, column["核定行业代码"]).value = code
    sheet.cell(row, column["核定人"]).value = "王科员"
    sheet.cell(row, column["核定日期"]).value = dt.date(2026, 11, 21)
    filled = tmp_path / "复核清单_已填.xlsx"
    book.save(filled)

    outcome = run_pipeline(Settings(output_dir=str(output), run_date="2026-11-22", overrides=str(filled)))
    pinned = outcome.values["overrides"].accepted
    assert list(pinned["uscc"]) == [uscc] and list(pinned["code"]) == [code]
    classified = outcome.values["classified_registry"].set_index("uscc")
    assert classified.loc[uscc, "industry_code"] == code
    assert "人工核定" in classified.loc[uscc, "manual_review"]
    labels = labelled_rows(outcome.values["registry"].clean, pinned)
    assert labels.set_index("uscc").loc[uscc, "code"] == code

    # the firm is in the 培育库 (the working book); 附件5 lists it only when it can enter within the year
    working = next((output / "exports" / "2026-11").glob("*工作底稿*.xlsx"))
    nursery = openpyxl.load_workbook(working)[PIPELINE_SHEET]
    headers = header_row(nursery)
    rows = [dict(zip(headers, r)) for r in nursery.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    mine = [r for r in rows if r["统一社会信用代码"] == uscc]
    assert mine and mine[0]["行业代码"] == code and "人工核定" in mine[0]["判定依据"]
    assert store.count("overrides", dt.date(2026, 11, 22)) == 1
