"""The Excel exports: files, sheets, headers, row counts, formats, the chart, formula safety, atomic writes."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart

from industry_gap.changes import CHANGES_SHEET
from industry_gap.exports import ANNEX4_HEADERS, ANNEX5_HEADERS, excel_style
from industry_gap.exports.excel_style import safe_file_part, save_atomically, set_cell
from industry_gap.exports.publishing import MANIFEST_FILE
from industry_gap.exports.workbooks import (
    ANNEX4_SHEET,
    ANNEX5_SHEET,
    CHART_TITLE,
    COVERAGE_SHEET,
    EXCLUDED_SHEET,
    NO_ROWS_TEXT,
    PIPELINE_SHEET,
    PROGRESS_HEADERS,
    REWARDS_SHEET,
)
from industry_gap.policy import Policy
from industry_gap.review.columns import SHEET_NAME as REVIEW_SHEET
from industry_gap.schema import PROJECT_COLUMNS
from industry_gap.summary import run_summary, summary_lines
from tests.factories import TEST_POLICY_PATH, above_scale_frame, classified_firm, materialize_analysis

RUN_DATE = dt.date(2025, 11, 24)
MALICIOUS = '=HYPERLINK("http://x","y")'


def firm(uscc: str, **values) -> dict:
    return classified_firm(
        uscc,
        **{
            "name": f"企业{uscc[-2:]}有限公司",
            "scope": "生产销售农副食品、汽车零部件及配件",
            "revenue_wan": 1800.0,
            "revenue_prev_wan": 1500.0,
            "legal_representative": "张三",
            "source_file": "registry.csv",
            "source_row": 2,
            **values,
        },
    )


def project(name: str, code: str, investment: float, **values) -> dict:
    row: dict[str, object] = {column: "" for column in PROJECT_COLUMNS}
    row.update(
        project_name=name,
        builder=f"{name}建设公司",
        investment_wan=investment,
        stage="在建",
        signed_date="2025-02-01",
        planned_production="2026-06",
        intended_code=code,
        source_file="projects.xlsx",
    )
    row.update(values)
    return row


# Revenues against the tests' policy (tests/data/policy_test.toml: 规上 from 1000 万元, 临近 from 900, 培育 from 600):
# 01 has reached the threshold, 02 and 05 are close to it, 03 is far below it (储备: it fills a 规上 gap).
# 08 and 09 are 培育 (800 and 700 万): 08 grew 33 % and reaches 1000 next year at that pace, so 附件5
# lists it ([report.annex5]); 09 grew 3 % and stays in the working book's 培育库.
REGISTRY = pd.DataFrame(
    [
        firm("91150602MA0000000001", name=MALICIOUS, industry_code="1391", revenue_wan=2100.0),
        firm("91150602MA0000000002", industry_code="3611", revenue_wan=950.0),
        firm("91150602MA0000000003", pred_code_1="3312", pred_score_1=0.82, evidence="命中“门窗”", revenue_wan=450.0),
        firm(
            "91150602MA0000000004",
            pred_code_1="4411",
            pred_score_1=0.3,
            pred_code_2="4412",
            pred_score_2=0.2,
            evidence="命中“发电”",
        ),
        firm("91150602MA0000000005", industry_code="3670", revenue_wan=920.0),  # no gap: pipeline only
        firm("91150602MA0000000006", industry_code="3042", enterprise_type="个体工商户"),  # excluded
        firm("91150602MA0000000007", pred_code_1="5137", pred_score_1=0.95),  # not industrial
        firm("91150602MA0000000008", industry_code="2231", revenue_wan=800.0, revenue_prev_wan=600.0),
        firm("91150602MA0000000009", industry_code="2641", revenue_wan=700.0, revenue_prev_wan=680.0),
    ]
)
ABOVE = above_scale_frame(
    ("91150602MA00000000A1", "规上汽配", "3670", 9000.0),
    ("91150602MA00000000A2", "规上钢构", "3311", 9000.0),
)
TARGETS = pd.DataFrame(
    [
        dict(scope="规上口径", code="139", level="group", name="", department="区农牧局", target_year=2025),
        dict(
            scope="规上口径",
            code="361",
            level="group",
            name="",
            department="装备制造产业园管理办公室",
            target_year=2025,
        ),
        dict(scope="全口径", code="3071", level="class", name="", department="区住建局", target_year=2025),
    ]
)
PROJECTS = pd.DataFrame(
    [
        project("+新能源重卡", "3612", 30000, builder="@SUM(1)", department="装备制造产业园管理办公室", source_row=2),
        project("特种玻璃", "3042", 800, builder="-2+3", source_row=3),
        project("已有门类扩建", "3670", 5000, source_row=4),
    ]
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One run of the real assets on the lists above, under the tests' policy (the `policy` fixture):
    (tables, published workbooks, output folder)."""
    run = run_on_the_lists(tmp_path_factory.mktemp("run"))
    return run.result, run.exports, run.output


def run_on_the_lists(folder: Path):
    """One run of the real assets on the lists above, under the tests' policy (shared by the workbook,
    print-layout and brief tests)."""
    return materialize_analysis(
        folder,
        REGISTRY,
        run_date=RUN_DATE,
        above_scale=ABOVE,
        targets=TARGETS,
        projects=PROJECTS,
        policy_file=TEST_POLICY_PATH,
    )


def policy_ending(folder: Path, policy: Policy, deadline: dt.date) -> Path:
    """A copy of the tests' policy file (the `policy` fixture) in `folder`, its goals ending on `deadline`.

    For runs after the deadline: their month must already have begun, and the tests' own deadline is ahead.
    """
    text = TEST_POLICY_PATH.read_text(encoding="utf-8")
    line = f"deadline = {policy.goals_deadline.isoformat()}"
    assert text.count(line) == 1
    path = folder / "policy_ending.toml"
    path.write_text(text.replace(line, f"deadline = {deadline.isoformat()}"), encoding="utf-8")
    return path


def header(ws, row: int = 4) -> list:
    return [cell.value for cell in ws[row] if cell.value is not None]


def data_rows(ws, first: int = 5) -> list[tuple]:
    """Rows with a number in the first column (序号/排名)."""
    return [row for row in ws.iter_rows(min_row=first, values_only=True) if isinstance(row[0], int)]


def column_of(ws, title: str, row: int = 4) -> str:
    for cell in ws[row]:
        if cell.value == title:
            return cell.column_letter
    raise AssertionError(title)


def test_files_and_folder(exported, policy):
    _, paths, root = exported
    assert paths.folder == root / "exports" / "2025-11"
    assert paths.consolidated.name == "扩增工业门类清单_汇总_2025-11.xlsx"
    names = sorted(p.name for p in paths.departments.values())
    assert (
        names
        == sorted(
            [
                "附件4附件5_区农牧局_2025-11.xlsx",
                "附件4附件5_装备制造产业园管理办公室_2025-11.xlsx",
                "附件4附件5_区住建局_2025-11.xlsx",
                f"附件4附件5_{policy.lead_department}_2025-11.xlsx",  # the lead department: categories no target list assigns
            ]
        )
    )
    assert all(p.exists() for p in paths.all())
    # no temp files left: only the workbooks and the manifest the publication writes
    assert paths.brief is not None and paths.brief.name == "扩增工业门类月报_2025-11.docx"
    assert sorted(os.listdir(paths.folder)) == sorted([MANIFEST_FILE, paths.brief.name, *(p.name for p in paths.all())])


def test_consolidated_sheets_titles_and_headers(exported, policy):
    _, paths, _ = exported
    wb = load_workbook(paths.consolidated)
    # what is sent and printed; the full lists are in the working book, worked on electronically
    assert wb.sheetnames == [ANNEX4_SHEET, ANNEX5_SHEET, COVERAGE_SHEET]
    working = load_workbook(paths.working)
    assert working.sheetnames == [PIPELINE_SHEET, EXCLUDED_SHEET, REWARDS_SHEET, REVIEW_SHEET, CHANGES_SHEET]
    for ws in working.worksheets:  # frozen header, filters, no print setup
        assert ws.freeze_panes in ("A5", "D5") and ws.auto_filter.ref and ws.auto_filter.ref.startswith("A4:")
        assert not ws.print_title_rows and not ws.print_area and ws.page_setup.orientation is None, ws.title
        assert not ws.oddFooter.center.text, ws.title
    ws4, ws5 = wb[ANNEX4_SHEET], wb[ANNEX5_SHEET]
    assert ws4["A1"].value == "附件4" and ws5["A1"].value == "附件5"
    assert ws4["A2"].value == f"{policy.district}年度拟扩增全口径工业门类项目清单"
    assert ws5["A2"].value == f"{policy.district}年度拟扩增规上口径工业门类企业清单"
    assert "金额单位：万元" in ws4["A3"].value and "本区门类" in ws4["A3"].value  # reward basis said
    assert header(ws4) == ANNEX4_HEADERS
    assert header(ws5) == ANNEX5_HEADERS
    for ws in [*wb.worksheets, *working.worksheets]:  # the review sheet keeps 类型/名称 in view (fill-in layout)
        assert ws.freeze_panes == ("D5" if ws.title == REVIEW_SHEET else "A5"), ws.title
        assert re.search(r"[\u4e00-\u9fff]", ws["A2"].value)
    assert ws4.column_dimensions["B"].width == 20
    assert ws5.column_dimensions["N"].width == 40


def test_row_counts_and_values(exported, policy):
    result, paths, _ = exported
    wb = load_workbook(paths.consolidated)
    work = load_workbook(paths.working)
    annex4 = data_rows(wb[ANNEX4_SHEET])
    assert len(annex4) == int(result.projects["flagged"].sum()) == 2
    assert [row[0] for row in annex4] == [1, 2]
    annex5 = data_rows(wb[ANNEX5_SHEET])
    fills = result.candidates[result.candidates["included"] & (result.candidates["gap_level_above"] != "none")]
    assert len(fills) == 5
    # 附件5: only those that can enter within the year (ready, near, or 培育 growing fast enough)
    by_name = {row[1]: row for row in annex5}
    assert set(by_name) == {MALICIOUS, "企业02有限公司", "企业08有限公司"}
    first = by_name[MALICIOUS]
    assert first[ANNEX5_HEADERS.index("扩增层级")] == "大类"
    assert first[ANNEX5_HEADERS.index("入规阶段")] == policy.stage_names["ready"]
    # a 规下 firm at the threshold filling a 规上 大类 gap: the 入规 rule's 大类 amount
    assert first[ANNEX5_HEADERS.index("预计奖励（万元）")] == policy.rule("enterprise_entry").amount_for("division")
    assert first[ANNEX5_HEADERS.index("上年营业收入（万元）")] == 2100
    assert first[ANNEX5_HEADERS.index("责任单位")] == "区农牧局"
    assert first[ANNEX5_HEADERS.index("置信度")] is None  # registered code: no classifier confidence
    assert by_name["企业08有限公司"][ANNEX5_HEADERS.index("入规阶段")] == policy.stage_names["nurture"]
    assert len(data_rows(work[PIPELINE_SHEET])) == int(result.candidates["included"].sum()) == 6
    excluded = data_rows(work[EXCLUDED_SHEET])
    reasons = {row[1]: row[-1] for row in excluded}
    assert set(reasons) == {"企业04有限公司", "企业06有限公司"}  # industrial firms left out, with why
    assert "个体工商户" in reasons["企业06有限公司"] and "复核" in reasons["企业04有限公司"]
    review = data_rows(work[REVIEW_SHEET])
    assert len(review) == 1 and review[0][5] == "4411" and review[0][8] == "4412"
    assert len(data_rows(work[REWARDS_SHEET])) == len(result.rewards)
    all_text = " ".join(str(c) for row in wb[ANNEX5_SHEET].iter_rows(values_only=True) for c in row if c)
    assert "张三" not in all_text  # the legal representative is never exported


def test_number_formats(exported):
    _, paths, _ = exported
    wb = load_workbook(paths.consolidated)
    ws4, ws5 = wb[ANNEX4_SHEET], wb[ANNEX5_SHEET]
    for ws, titles in (
        (ws4, ("总投资（万元）", "预计奖励（万元）")),
        (ws5, ("上年营业收入（万元）", "预计奖励（万元）")),
    ):
        for title in titles:
            column = column_of(ws, title)
            cells = [ws[f"{column}{r}"] for r in range(5, 5 + len(data_rows(ws)))]
            assert cells and all(cell.number_format == "#,##0.00" for cell in cells), title
            assert all(isinstance(cell.value, (int, float)) for cell in cells), title
    confidence = [ws5[f"{column_of(ws5, '置信度')}{r}"] for r in range(5, 8)]
    assert all(cell.number_format == "0.00" for cell in confidence)
    coverage = wb[COVERAGE_SHEET]
    assert coverage[f"{column_of(coverage, '完成率')}6"].number_format == "0.0%"


def test_coverage_sheet_and_chart(exported, policy):
    result, paths, _ = exported
    wb = load_workbook(paths.consolidated)
    ws = wb[COVERAGE_SHEET]
    assert header(ws)[:3] == ["口径", "层级", "标准门类数"]
    progress = [row for row in ws.iter_rows(min_row=5, max_row=12, values_only=True)]
    assert [row[0] for row in progress] == ["全口径"] * 4 + ["规上口径"] * 4
    assert [row[1] for row in progress][:4] == ["大类", "中类", "小类", "合计"]
    assert progress[3][7] == policy.goal("all", "total") and progress[7][7] == policy.goal("above", "total")
    # the chart sits under the progress table, the 大类 table follows after a page break
    division_header = next(r for r in range(13, ws.max_row + 1) if ws.cell(row=r, column=1).value == "大类代码")
    assert [brk.id for brk in ws.row_breaks.brk] == [division_header - 2]
    assert ws._charts[0].anchor._from.row + 1 == 14  # openpyxl anchors count rows from 0
    deadline = ws.cell(row=5, column=PROGRESS_HEADERS.index("截止日期") + 1)
    assert deadline.is_date and deadline.value.date() == policy.goals_deadline
    assert deadline.number_format == "yyyy-mm-dd"
    divisions = [ws.cell(row=r, column=1).value for r in range(division_header + 1, division_header + 42)]
    assert len(divisions) == 41 and divisions[0] == "06" and divisions[-1] == "46"
    assert len(ws._charts) == 1
    chart = ws._charts[0]
    assert isinstance(chart, BarChart) and chart.type == "col" and chart.grouping == "clustered"
    assert len(chart.series) == 3
    title_text = "".join(run.t for p in chart.title.tx.rich.p for run in (p.r or []))
    assert title_text == CHART_TITLE
    categories = chart.series[0].cat.strRef.f if chart.series[0].cat.strRef else chart.series[0].cat.numRef.f
    assert categories.endswith(f"$A${division_header + 1}:$A${division_header + 41}")


def test_formula_looking_text_stays_text(exported):
    _, paths, _ = exported
    for path in paths.all():
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
    wb = load_workbook(paths.consolidated)
    ws5 = wb[ANNEX5_SHEET]
    cells = [c for row in ws5.iter_rows(min_row=5) for c in row if c.value == MALICIOUS]
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].quotePrefix
    ws4 = wb[ANNEX4_SHEET]
    values = {c.value: c for row in ws4.iter_rows(min_row=5) for c in row if isinstance(c.value, str)}
    for text in ("+新能源重卡", "@SUM(1)", "-2+3"):
        assert values[text].data_type == "s" and values[text].quotePrefix, text


def test_set_cell_guard_directly():
    ws = Workbook().active
    for index, text in enumerate(["=1+1", "+1", "-1", "@A1", "正常文本"], start=1):
        cell = set_cell(ws.cell(row=index, column=1), text)
        assert cell.data_type == "s" and cell.value == text
    assert set_cell(ws.cell(row=9, column=1), -5.0, "#,##0.00").data_type == "n"
    assert set_cell(ws.cell(row=10, column=1), float("nan")).value is None
    assert set_cell(ws.cell(row=11, column=1), "a\x01b").value == "ab"


def test_department_workbooks(exported):
    _, paths, _ = exported
    wb = load_workbook(paths.departments["区农牧局"])
    assert wb.sheetnames == [ANNEX4_SHEET, ANNEX5_SHEET]
    assert "填报单位：区农牧局" in wb[ANNEX5_SHEET]["A3"].value
    rows = data_rows(wb[ANNEX5_SHEET])
    assert [(row[0], row[1]) for row in rows] == [(1, MALICIOUS)]
    assert data_rows(wb[ANNEX4_SHEET]) == []
    assert wb[ANNEX4_SHEET]["A5"].value == NO_ROWS_TEXT
    equipment = load_workbook(paths.departments["装备制造产业园管理办公室"])
    assert [row[1] for row in data_rows(equipment[ANNEX4_SHEET])] == ["+新能源重卡"]
    assert [row[1] for row in data_rows(equipment[ANNEX5_SHEET])] == ["企业02有限公司"]
    # a department owning target categories but with nothing this month still files its lists
    nil = load_workbook(paths.departments["区住建局"])
    for ws in nil.worksheets:
        assert header(ws) in (ANNEX4_HEADERS, ANNEX5_HEADERS)
        assert data_rows(ws) == [] and ws["A5"].value == NO_ROWS_TEXT
        assert ws.freeze_panes == "A5"


def test_summary_numbers_and_lines(exported, policy):
    result, paths, _ = exported
    summary = run_summary(result, policy, paths.all())
    assert summary["enterprises_read"] == 9
    assert summary["classified"] == {"registry_code": 6, "manual": 0, "classified": 3, "unclassified": 0}
    # gap flags do not depend on eligibility: the 个体工商户 in 3042 is flagged, though not in the pipeline
    assert summary["flagged"]["above"] == {"division": 4, "group": 1, "class": 1}
    assert summary["review"] == {"enterprises": 1, "projects": 0}
    stages = policy.stage_names  # 2100 万 reached, 950 and 920 万 临近, 800 and 700 万 培育, 450 万 filling a gap: 储备
    assert summary["pipeline"] == {stages["ready"]: 1, stages["near"]: 2, stages["nurture"]: 2, stages["reserve"]: 1}
    assert summary["rewards"]["total_wan"] == pytest.approx(
        float(result.rewards.loc[result.rewards["status"] == "awarded", "amount_wan"].sum())
    )
    assert summary["workbooks"][0].endswith("扩增工业门类清单_汇总_2025-11.xlsx")
    lines = summary_lines(summary)
    assert any(line.startswith("读取规下企业9户") for line in lines)
    assert any("预计奖励合计" in line for line in lines)
    assert any(f"入规培育：{stages['ready']}1户" in line for line in lines)


def test_tables_have_snake_case_columns(exported):
    result, _, _ = exported
    tables = result.tables()
    assert set(tables) == {"coverage", "baseline", "gaps", "candidates", "projects", "rewards", "review"}
    for name, table in tables.items():
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", column) for column in table.columns), name
    assert "legal_representative" not in result.candidates.columns


def test_atomic_save_replaces_and_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "list.xlsx"
    first = Workbook()
    first.active["A1"] = "旧"
    save_atomically(first, target)
    second = Workbook()
    second.active["A1"] = "新"
    save_atomically(second, target)
    assert load_workbook(target).active["A1"].value == "新"

    def broken_save(workbook, filename):
        with open(filename, "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(excel_style, "save_workbook", broken_save)
    with pytest.raises(OSError):
        save_atomically(Workbook(), target)
    monkeypatch.undo()
    assert load_workbook(target).active["A1"].value == "新"  # the previous file is intact
    assert os.listdir(tmp_path) == ["list.xlsx"]


def test_safe_file_part():
    assert safe_file_part('区工信/科技局:*?"<>| ') == "区工信_科技局"
    assert safe_file_part("") == "未指定责任单位"


def test_annex_scope_columns_notes_and_dates(exported):
    """附件4/附件5 say which 口径 each row fills (填补口径, last column) and why the row is in that annex."""
    result, paths, _ = exported
    wb = load_workbook(paths.consolidated)
    ws4, ws5 = wb[ANNEX4_SHEET], wb[ANNEX5_SHEET]
    assert ANNEX4_HEADERS[-1] == ANNEX5_HEADERS[-1] == "填补口径"
    assert "不论规模" in ws4["A3"].value and "填补全口径空白" in ws4["A3"].value
    assert "规上口径" in ws5["A3"].value and "附件4" in ws5["A3"].value
    scope4 = {row[1]: row[ANNEX4_HEADERS.index("填补口径")] for row in data_rows(ws4)}
    flagged = result.projects[result.projects["flagged"].astype(bool)]
    for project in flagged.to_dict("records"):
        expected = "全口径、规上口径" if project["gap_level_all"] != "none" else "规上口径"
        assert scope4[project["project_name"]] == expected
    assert {row[ANNEX5_HEADERS.index("填补口径")] for row in data_rows(ws5)} == {"规上口径"}
    # 计划投产时间 is a real Excel date ("2026-06" is June 2026, as ingestion reads it)
    column = ANNEX4_HEADERS.index("计划投产时间") + 1
    cells = [ws4.cell(row=r, column=column) for r in range(5, 5 + len(data_rows(ws4)))]
    assert cells and all(c.is_date and c.number_format == "yyyy-mm-dd" for c in cells)
    assert {c.value.date() for c in cells} == {dt.date(2026, 6, 1)}


def test_coverage_sheet_after_the_deadline_says_so(policy, tmp_path):
    """After the plan's end date the sheet shows 已到期 and the final figures, never a negative day count."""
    late = dt.date(2026, 3, 1)
    ended = policy_ending(tmp_path, policy, late - dt.timedelta(days=60))
    run = materialize_analysis(
        tmp_path, REGISTRY, run_date=late, above_scale=ABOVE, targets=TARGETS, projects=PROJECTS, policy_file=ended
    )
    ws = load_workbook(run.exports.consolidated)[COVERAGE_SHEET]
    assert "已到期" in ws.cell(row=3, column=1).value and "基期" in ws.cell(row=3, column=1).value
    days = [ws.cell(row=r, column=PROGRESS_HEADERS.index("距截止天数") + 1).value for r in range(5, 13)]
    assert days == ["已到期"] * 8
