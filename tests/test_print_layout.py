"""Every sheet of every workbook prints on A4 landscape, one page wide, with headings, page numbers and a header.

The workbooks are written by the real assets (consolidated, per department,
the review workbook) and the city export function (the city workbook). When LibreOffice is
installed, the coverage sheet is also converted to PDF and must take at most
two pages.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from industry_gap.city import city_coverage, city_gap_candidates, city_table_for_districts, coverage_summary
from industry_gap.coverage import build_coverage
from industry_gap.exports.city_workbook import write_city_exports
from industry_gap.exports.excel_style import PAGE_NUMBER_FOOTER, width_scale
from industry_gap.exports.workbooks import COVERAGE_SHEET, COVERAGE_WIDTHS, _coverage_sheet
from tests.test_workbooks import RUN_DATE, run_on_the_lists

MONTH = "2025年11月"
A4 = 9


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run of the real assets on the lists of test_workbooks, under the tests' policy (the `policy` fixture)."""
    return run_on_the_lists(tmp_path_factory.mktemp("print"))


@pytest.fixture(scope="module")
def result(run):
    return run.result


@pytest.fixture(scope="module")
def workbooks(run, policy, tmp_path_factory):
    """{file name: path} of every workbook a district run and a city run write."""
    city_book, _ = _city_workbook(tmp_path_factory.mktemp("city"), policy)
    # the printed ones: the working book (工作底稿) is electronic, with no print setup (tests/test_workbooks.py)
    return {path.name: path for path in (*run.exports.all(), city_book) if path != run.exports.working}


def _city_workbook(root, policy):
    def coverage(present: set[str]) -> pd.DataFrame:
        table = build_coverage(pd.DataFrame(), pd.DataFrame(), policy)
        table["present_above"] = table["present_all"] = table["code"].isin(present)
        table["n_above"] = table["n_all"] = table["present_above"].astype(int)
        return table

    tables = {"甲区": coverage({"1512", "151", "15"}), "乙区": coverage({"3021", "302", "30"})}
    city = city_coverage(tables)
    codes = pd.DataFrame(
        [
            {
                "uscc": "1",
                "name": "甲公司",
                "scale": "below",
                "counted_in_all": True,
                "code": "2611",
                "code_name": "无机酸制造",
                "code_level": "class",
                "code_source": "registry",
                "confidence": float("nan"),
                "decision": "登记行业代码",
            }
        ]
    )
    candidates = city_gap_candidates(city, {"乙区": codes})
    return write_city_exports(
        city=city,
        summary=coverage_summary(city, tables),
        candidates=candidates,
        city_table=city_table_for_districts(city),
        output_root=root,
        run_date=RUN_DATE,
        city_name=policy.city,
    )


def every_sheet(workbooks):
    for name, path in workbooks.items():
        for ws in load_workbook(path).worksheets:
            yield name, ws


def test_all_workbooks_are_covered(workbooks):
    names = sorted(workbooks)
    assert any(n.startswith("扩增工业门类清单_汇总_") for n in names)
    assert any(n.startswith("附件4附件5_") for n in names)
    assert "复核清单_2025-11.xlsx" in names and any(n.startswith("全市门类覆盖_") for n in names)


def test_every_sheet_prints_a4_landscape_one_page_wide(workbooks):
    for name, ws in every_sheet(workbooks):
        where = f"{name} / {ws.title}"
        setup = ws.page_setup
        assert int(setup.paperSize) == A4, where
        assert setup.orientation == "landscape", where
        assert int(setup.fitToWidth) == 1 and int(setup.fitToHeight) == 0, where
        if ws.title == COVERAGE_SHEET:  # a fixed scale keeps its manual page break (see below)
            assert not ws.sheet_properties.pageSetUpPr.fitToPage, where
            assert int(setup.scale) <= width_scale(COVERAGE_WIDTHS), where
        else:
            assert ws.sheet_properties.pageSetUpPr.fitToPage, where
        assert ws.print_area, where
        assert ws.print_options.horizontalCentered, where


def test_every_sheet_repeats_headings_and_numbers_pages(workbooks, policy):
    for name, ws in every_sheet(workbooks):
        where = f"{name} / {ws.title}"
        if ws.title != COVERAGE_SHEET:  # its two pages each start with their own table heading
            assert re.fullmatch(r"\$(\d+):\$\1", ws.print_title_rows or ""), where
            row = int(ws.print_title_rows.split(":")[0].strip("$"))
            assert ws.cell(row=row, column=1).value in ("序号", "排名", "口径", "行业代码"), where
        footer = ws.oddFooter.center.text
        assert footer == PAGE_NUMBER_FOOTER and "&P" in footer and "&N" in footer, where
        header = ws.oddHeader
        assert MONTH in (header.right.text or ""), where
        assert header.left.text in (policy.district, policy.city), where
        assert header.center.text and header.left.text in header.center.text, where


def test_annex_headers_name_the_list(workbooks, policy):
    path = next(p for n, p in workbooks.items() if n.startswith("附件4附件5_"))
    book = load_workbook(path)
    centers = [ws.oddHeader.center.text for ws in book.worksheets]
    assert centers == [
        f"附件4 {policy.district}年度拟扩增全口径工业门类项目清单",
        f"附件5 {policy.district}年度拟扩增规上口径工业门类企业清单",
    ]


def test_no_sent_heading_wraps_a_lone_character(workbooks):
    """A heading either fits its column or breaks with at least two characters on its last line."""
    from industry_gap.exports.excel_style import HEADER_PADDING, display_width

    checked = 0
    for name, path in workbooks.items():
        if not name.endswith(".xlsx") or "复核" in name:
            continue
        for ws in load_workbook(path).worksheets:
            if ws.title not in ("附件4 全口径项目清单", "附件5 规上口径企业清单", COVERAGE_SHEET):
                continue
            for cell in ws[4]:  # HEADER_ROW
                if not isinstance(cell.value, str):
                    continue
                per_line = max(2, math.floor((ws.column_dimensions[cell.column_letter].width or 8.43) - HEADER_PADDING))
                units = max(display_width(line) for line in cell.value.split("\n"))
                checked += 1
                lines = -(-units // per_line)
                last = units - (lines - 1) * per_line
                assert lines == 1 or last > 2, (name, ws.title, cell.value, per_line)
    assert checked > 20


def test_coverage_sheet_two_pages_with_its_chart(workbooks):
    path = next(p for n, p in workbooks.items() if n.startswith("扩增工业门类清单_汇总_"))
    ws = load_workbook(path)[COVERAGE_SHEET]
    breaks = [brk.id for brk in ws.row_breaks.brk]
    assert len(breaks) == 1
    chart = ws._charts[0]
    first_row = chart.anchor._from.row + 1
    chart_points = chart.anchor.ext.height / 12700 if hasattr(chart.anchor, "ext") and chart.anchor.ext else 0
    rows_under_chart = sum(ws.row_dimensions[r].height for r in range(first_row, breaks[0] + 1))
    assert chart_points == 0 or chart_points <= rows_under_chart  # the chart ends before the break
    page_one = sum(ws.row_dimensions[r].height or 15 for r in range(1, breaks[0] + 1))
    page_two = sum(ws.row_dimensions[r].height or 15 for r in range(breaks[0] + 1, ws.max_row + 1))
    page_points = (210 / 25.4 - ws.page_margins.top - ws.page_margins.bottom) * 72 * 100 / ws.page_setup.scale
    assert page_one <= page_points and page_two <= page_points
    area = ws.print_area.split("!")[-1].replace("$", "")
    assert area == f"A1:M{ws.max_row}"


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed")
@pytest.mark.slow
def test_coverage_sheet_prints_on_two_pages_in_libreoffice(result, policy, tmp_path):
    workbook = Workbook()
    workbook.remove(workbook.active)
    _coverage_sheet(workbook, result.progress, result.divisions, policy, RUN_DATE)
    source = tmp_path / "coverage.xlsx"
    workbook.save(source)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = (tmp_path / "coverage.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) == 2
