"""The review loop: export the review list, fill it in with openpyxl, read it back, pin, merge, label."""

from __future__ import annotations

import datetime as dt
import math
import os

import pandas as pd
import pytest
from openpyxl import load_workbook

from industry_gap.errors import InputFileError
from industry_gap.exports.workbooks import annex5_table, write_exports
from industry_gap.gaps import REVIEW_COLUMNS
from industry_gap.model_training import labelled_rows
from industry_gap.review import (
    FILL_HEADERS,
    OVERRIDE_COLUMNS,
    REJECTED_COLUMNS,
    SHEET_NAME,
    WORKBOOK_HEADERS,
    apply_overrides,
    apply_project_overrides,
    check_class_code,
    merge_overrides,
    override_labels,
    read_overrides,
    unmatched_overrides,
    write_review_workbook,
)
from industry_gap.schema import ABOVE_SCALE_COLUMNS, PROJECT_COLUMNS, REGISTRY_COLUMNS
from tests.factories import TEST_POLICY_PATH, make_uscc, materialize_analysis, write_csv

RUN_DATE = dt.date(2025, 11, 24)
TODAY = dt.date(2025, 11, 24)
MALICIOUS = '=HYPERLINK("http://x","y")'
FIRM_A, FIRM_B, FIRM_C = make_uscc(101), make_uscc(102), make_uscc(103)
STRANGER = make_uscc(999)
PROJECT_ID = "projects.xlsx#5"
KNOWN = {FIRM_A, FIRM_B, FIRM_C}


def review_row(kind: str, entity_id: str, name: str, uscc: str, candidates, **values) -> dict:
    row = {column: "" for column in REVIEW_COLUMNS}
    row.update(
        entity_kind=kind,
        entity_kind_name="规下企业" if kind == "enterprise" else "项目",
        entity_id=entity_id,
        name=name,
        uscc=uscc,
        text_excerpt="矿山机械设备制造、销售；机电设备维修。",
        evidence="命中“矿山机械”",
        classifier_reason="",
        potential_gap_level_above="group",
        department="工信和科技局",
        review_reason="首选分类3511置信度0.31低于复核阈值0.50，若确认则可填补规上中类空白",
    )
    for rank, (code, score) in enumerate(candidates, start=1):
        row[f"pred_code_{rank}"], row[f"pred_score_{rank}"] = code, score
    row.update(values)
    return row


REVIEW = pd.DataFrame(
    [
        review_row(
            "enterprise",
            FIRM_A,
            MALICIOUS,
            FIRM_A,
            [("3511", 0.31), ("3512", 0.22), ("3514", 0.12)],
            pred_name_1="矿山机械制造",
        ),
        review_row("enterprise", FIRM_B, "鄂尔多斯市乙稻谷加工有限公司", FIRM_B, [("1311", 0.4), ("1312", 0.3)]),
        review_row("enterprise", FIRM_C, "鄂尔多斯市丙机械有限公司", FIRM_C, [("3432", 0.3)]),
        review_row("project", PROJECT_ID, "矿山装备项目", "", [("3511", 0.35)], potential_gap_level_above="none"),
    ],
    columns=REVIEW_COLUMNS,
)


# -- helpers ------------------------------------------------------------------
def columns_by_header(ws) -> dict[str, int]:
    return {cell.value: cell.column for cell in ws[4] if cell.value}


def row_of(ws, record_id: str) -> int:
    column = columns_by_header(ws)["记录编号"]
    for row in range(5, ws.max_row + 1):
        if ws.cell(row=row, column=column).value == record_id:
            return row
    raise AssertionError(record_id)


def fill(ws, row: int, code=None, reviewer=None, date=None, note=None) -> None:
    columns = columns_by_header(ws)
    for header, value in zip(FILL_HEADERS, (code, reviewer, date, note)):
        if value is not None:
            ws.cell(row=row, column=columns[header], value=value)


def append_line(ws, uscc: str, name: str, code, reviewer, date, record_id: str | None = None) -> int:
    """A line added under the list, as a reviewer copying a row would."""
    columns = columns_by_header(ws)
    row = ws.max_row + 1
    values = {
        "类型": "规下企业",
        "名称": name,
        "统一社会信用代码": uscc,
        "核定行业代码": code,
        "核定人": reviewer,
        "核定日期": date,
        "记录编号": record_id if record_id is not None else uscc,
    }
    for header, value in values.items():
        ws.cell(row=row, column=columns[header], value=value)
    return row


@pytest.fixture()
def review_file(tmp_path, policy):
    return write_review_workbook(REVIEW, tmp_path / "复核清单_2025-11.xlsx", RUN_DATE, district=policy.district)


def filled(review_file, tmp_path, edit) -> str:
    """Open the exported file, let `edit(ws)` fill it in, save under a new name."""
    workbook = load_workbook(review_file)
    edit(workbook[SHEET_NAME])
    path = tmp_path / "复核清单_已填.xlsx"
    workbook.save(path)
    return path


def read(path, **kwargs):
    kwargs.setdefault("known_entity_ids", {PROJECT_ID})
    return read_overrides(path, KNOWN, today=TODAY, **kwargs)


def reasons(result) -> list[str]:
    return result.rejected["reason"].tolist()


# -- the workbook ---------------------------------------------------------------
def test_workbook_house_style(review_file, policy):
    assert sorted(os.listdir(review_file.parent)) == [review_file.name]  # atomic: no temp file left
    workbook = load_workbook(review_file)
    assert workbook.sheetnames == [SHEET_NAME]
    ws = workbook[SHEET_NAME]
    assert ws["A1"].value == "复核清单"
    assert ws["A2"].value == f"{policy.district}行业分类复核清单"
    assert "统计日期：2025-11-24" in ws["A3"].value and "共4条" in ws["A3"].value
    assert [cell.value for cell in ws[4]] == WORKBOOK_HEADERS
    assert WORKBOOK_HEADERS[-1] == "记录编号"
    assert ws.freeze_panes == "D5"
    rows = [row for row in ws.iter_rows(min_row=5, values_only=True)]
    assert len(rows) == 4
    first = dict(zip(WORKBOOK_HEADERS, rows[0]))
    assert first["序号"] == 1 and first["类型"] == "规下企业" and first["统一社会信用代码"] == FIRM_A
    assert (first["候选1代码"], first["候选1名称"], first["候选1置信度"]) == ("3511", "矿山机械制造", 0.31)
    assert first["候选2名称"] == "石油钻采专用设备制造"  # filled from the standard when the list has no name
    assert first["潜在规上缺口层级"] == "中类" and first["分类依据"] == "命中“矿山机械”"
    assert all(first[h] is None for h in FILL_HEADERS)
    assert first["记录编号"] == FIRM_A
    assert dict(zip(WORKBOOK_HEADERS, rows[3]))["类型"] == "项目"


def test_fill_columns_highlighted_with_hints(review_file):
    ws = load_workbook(review_file)[SHEET_NAME]
    columns = columns_by_header(ws)
    for header in FILL_HEADERS:
        assert ws.cell(row=4, column=columns[header]).comment is not None
        assert ws.cell(row=5, column=columns[header]).fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.cell(row=5, column=columns["名称"]).fill.fgColor.rgb in (None, "00000000")
    code_cell = ws.cell(row=5, column=columns["核定行业代码"])
    assert code_cell.number_format == "@"  # a typed 0610 stays text
    assert "填写4位行业小类代码，如 3511" in ws.cell(row=4, column=columns["核定行业代码"]).comment.text
    prompts = {dv.promptTitle: dv for dv in ws.data_validations.dataValidation}
    assert prompts["核定行业代码"].prompt == "填写4位行业小类代码，如 3511"
    assert code_cell.coordinate in prompts["核定行业代码"].sqref
    assert set(prompts) == set(FILL_HEADERS)


def test_formula_like_name_stays_text(review_file, tmp_path):
    ws = load_workbook(review_file)[SHEET_NAME]
    cell = ws.cell(row=5, column=columns_by_header(ws)["名称"])
    assert cell.value == MALICIOUS and cell.data_type == "s"
    path = filled(review_file, tmp_path, lambda ws: fill(ws, 5, "3511", "张三", "2025-11-20"))
    result = read(path)
    assert result.accepted["name"].tolist() == [MALICIOUS]


def test_empty_review_list(tmp_path):
    path = write_review_workbook(pd.DataFrame(columns=REVIEW_COLUMNS), tmp_path / "空.xlsx", "2025-11-24")
    ws = load_workbook(path)[SHEET_NAME]
    assert ws["A5"].value == "本次无待复核记录"
    result = read(path)
    assert result.accepted.empty and result.rejected.empty and result.unfilled == 0


# -- one layout: the consolidated workbook's 复核清单 is the fill-in sheet ---------------------------------
@pytest.fixture()
def consolidated_file(tmp_path, policy):
    """The consolidated workbook of a run whose review list is REVIEW (other lists empty)."""
    paths = write_exports(
        projects=pd.DataFrame(),
        candidates=pd.DataFrame(),
        rewards=None,
        progress=pd.DataFrame(),
        divisions=pd.DataFrame(),
        review=REVIEW,
        policy=policy,
        run_date=RUN_DATE,
        output_root=tmp_path / "out",
    )
    assert paths.working is not None
    return paths.working  # the 复核清单 sheet is in the working book now (issue 24)


def sheet_layout(ws) -> dict:
    """What a reviewer sees and fills: cells below the title rows, widths, fills, validations, print setup."""
    return {
        "cells": [
            [(c.value, c.number_format, c.fill.fgColor.rgb, c.data_type) for c in row]
            for row in ws.iter_rows(min_row=4)
        ],
        "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        "validations": sorted(
            str((dv.type, dv.formula1, dv.promptTitle, str(dv.sqref))) for dv in ws.data_validations.dataValidation
        ),
        "comments": [(c.coordinate, c.comment.text) for c in ws[4] if c.comment],
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "titles": ws.print_title_rows,
        "area": ws.print_area,
        "paper": (ws.page_setup.paperSize, ws.page_setup.orientation),
        "header": (ws.oddHeader.left.text, ws.oddHeader.center.text, ws.oddHeader.right.text),
    }


def test_consolidated_review_sheet_is_the_fill_in_sheet(consolidated_file, review_file):
    consolidated = load_workbook(consolidated_file)[SHEET_NAME]
    standalone = load_workbook(review_file)[SHEET_NAME]
    assert [c.value for c in consolidated[4]] == WORKBOOK_HEADERS
    printed = ("titles", "area", "header", "paper")  # the working book is not printed (no print setup)
    mine = {k: v for k, v in sheet_layout(consolidated).items() if k not in printed}
    assert mine == {k: v for k, v in sheet_layout(standalone).items() if k not in printed}
    assert [consolidated[f"A{r}"].value for r in (1, 2, 3)] == [standalone[f"A{r}"].value for r in (1, 2, 3)]


def test_consolidated_review_sheet_reads_back_as_overrides(consolidated_file, tmp_path):
    """A reviewer who fills the sheet in the consolidated workbook and saves it on its own gets it read."""
    workbook = load_workbook(consolidated_file)
    for name in workbook.sheetnames:
        if name != SHEET_NAME:
            del workbook[name]
    ws = workbook[SHEET_NAME]
    fill(ws, row_of(ws, FIRM_A), "3511", "张三", dt.date(2025, 11, 20))
    path = tmp_path / "汇总复核清单_已填.xlsx"
    workbook.save(path)
    result = read(path)
    assert result.rejected.empty
    assert result.accepted[["uscc", "code", "reviewer"]].values.tolist() == [[FIRM_A, "3511", "张三"]]


def test_whole_consolidated_workbook_reads_back_as_overrides(consolidated_file, tmp_path):
    workbook = load_workbook(consolidated_file)
    ws = workbook[SHEET_NAME]
    fill(ws, row_of(ws, FIRM_A), "3511", "张三", dt.date(2025, 11, 20))
    path = tmp_path / "汇总_已填.xlsx"
    workbook.save(path)
    assert read(path).accepted["code"].tolist() == ["3511"]


# -- the round trip ----------------------------------------------------------------
def fill_round_trip(ws) -> None:
    fill(ws, row_of(ws, FIRM_A), 3511, "张三", dt.date(2025, 11, 20), "现场核实，主营破碎机")  # typed as a number
    fill(ws, row_of(ws, FIRM_B), "9999", "李四", "2025-11-20")
    append_line(ws, FIRM_A, "重复填写", "3512", "王五", "2025-11-18")  # older, different code


def test_round_trip_accepted_rejected_messages(review_file, tmp_path):
    path = filled(review_file, tmp_path, fill_round_trip)
    result = read(path)

    assert list(result.accepted.columns) == OVERRIDE_COLUMNS
    assert len(result.accepted) == 1
    accepted = result.accepted.iloc[0].to_dict()
    assert accepted | {"source_file": "", "source_row": 0} == dict(
        uscc=FIRM_A,
        entity_id=FIRM_A,
        entity_kind="enterprise",
        name=MALICIOUS,
        code="3511",
        code_name="矿山机械制造",
        reviewer="张三",
        reviewed_on="2025-11-20",
        note="现场核实，主营破碎机",
        source_file="",
        source_row=0,
    )
    assert accepted["source_file"] == "复核清单_已填.xlsx" and accepted["source_row"] == 5

    assert list(result.rejected.columns) == REJECTED_COLUMNS
    rejected = result.rejected.set_index("source_row")
    assert rejected.loc[6, "reason"] == "核定行业代码“9999”不是有效的 GB/T 4754-2017 小类代码"
    assert rejected.loc[6, "column"] == "核定行业代码" and rejected.loc[6, "value"] == "9999"
    assert (
        rejected.loc[9, "reason"] == "与第5行对同一企业给出不同代码（3512 / 3511），按核定日期较新的第5行（3511）为准"
    )
    assert result.messages == [
        f"第5行与第9行对同一企业（{MALICIOUS}，{FIRM_A}）给出不同代码（3511 / 3512），按核定日期较新的第5行为准"
    ]
    assert result.unfilled == 2  # firm C and the project
    assert result.summary == "复核文件“复核清单_已填.xlsx”：采纳人工核定1条，退回2行，未填核定行业代码2行"


def test_round_trip_pins_code_in_annex5_and_counts_as_label(tmp_path):
    """Review list from a real run → fill → read → pin → the firm is in 附件5 with 3511 and is a label."""
    firm = {column: "" for column in REGISTRY_COLUMNS}
    firm.update(
        uscc=FIRM_A,
        name="鄂尔多斯市甲矿山机械有限公司",
        scope="矿山机械设备制造、销售；机电设备维修。",
        status="存续",
        enterprise_type="有限责任公司",
        town="交通街道",
        revenue_wan=1800.0,
        revenue_prev_wan=1500.0,
        source_file="registry.csv",
        source_row=2,
        pred_code_1="3511",
        pred_name_1="矿山机械制造",
        pred_score_1=0.31,
        pred_code_2="3512",
        pred_score_2=0.2,
        pred_code_3="",
        pred_score_3=math.nan,
        evidence="命中“矿山机械”",
        reason="",
    )
    registry = pd.DataFrame([firm])
    above = pd.DataFrame(
        [
            dict(
                uscc=make_uscc(500),
                name="规上钢构",
                industry_code="3311",
                revenue_wan=9000.0,
                town="交通街道",
                source_file="a.csv",
                source_row=2,
            )
        ],
        columns=ABOVE_SCALE_COLUMNS,
    )
    projects = pd.DataFrame(columns=PROJECT_COLUMNS)

    run = materialize_analysis(
        tmp_path / "before",
        registry,
        run_date=RUN_DATE,
        above_scale=above,
        projects=projects,
        policy_file=TEST_POLICY_PATH,
    )
    before = run.result
    assert before.review["uscc"].tolist() == [FIRM_A]
    assert annex5_table(before.candidates, before.rewards).empty
    workbook = load_workbook(run.exports.review)  # the 复核清单 the run published
    ws = workbook[SHEET_NAME]
    fill(ws, row_of(ws, FIRM_A), "3511", "张三", "2025-11-20")
    path = tmp_path / "复核清单.xlsx"
    workbook.save(path)

    result = read_overrides(path, set(registry["uscc"]), today=TODAY)
    assert result.rejected.empty and len(result.accepted) == 1
    pinned = apply_overrides(registry, result.accepted)
    after = materialize_analysis(
        tmp_path / "after",
        pinned,
        run_date=RUN_DATE,
        above_scale=above,
        projects=projects,
        policy_file=TEST_POLICY_PATH,
    ).result

    assert after.review.empty
    annex5 = annex5_table(after.candidates, after.rewards)
    assert annex5[["统一社会信用代码", "行业代码", "行业名称"]].values.tolist() == [[FIRM_A, "3511", "矿山机械制造"]]
    assert pinned["manual_review"].tolist() == ["人工核定（张三，2025-11-20）"]
    labels = override_labels(result.accepted, registry)
    assert labels.to_dict("records") == [dict(uscc=FIRM_A, text=firm["scope"], code="3511")]
    assert labelled_rows(registry, result.accepted)["code"].tolist() == ["3511"]


# -- refusals ----------------------------------------------------------------------
def test_unknown_and_invalid_uscc_rejected(review_file, tmp_path):
    def edit(ws):
        append_line(ws, STRANGER, "外区企业", "3511", "张三", "2025-11-20")
        append_line(ws, "91150602000000001Y", "校验位错", "3511", "张三", "2025-11-20", record_id="")

    result = read(filled(review_file, tmp_path, edit))
    assert result.accepted.empty
    assert reasons(result) == [f"统一社会信用代码“{STRANGER}”不在本次名录中", "统一社会信用代码校验位错误"]
    assert result.rejected["column"].tolist() == ["统一社会信用代码", "统一社会信用代码"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3511", "3511"),
        ("C3511", "3511"),
        ("３５１１", "3511"),
        ("3511 矿山机械制造", "3511"),
        ("0610", "0610"),
    ],
)
def test_class_codes_accepted(value, expected):
    node, problem = check_class_code(value)
    assert problem is None and node.code == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("9999", "不是有效的 GB/T 4754-2017 小类代码"),
        ("35", "是大类（35 专用设备制造业），不是小类：人工核定须填写4位小类代码"),
        ("351", "可选小类如 3511 矿山机械制造、3512 石油钻采专用设备制造"),
        ("610", "若指 0610 烟煤和无烟煤开采洗选，请填写完整的4位代码"),
        ("3511 稻谷加工", "代码与名称不符（3511 是“矿山机械制造”）"),
        ("3511.0", "不是有效的 GB/T 4754-2017 小类代码"),
    ],
)
def test_class_codes_refused(value, fragment):
    node, problem = check_class_code(value)
    assert node is None and fragment in problem


def test_reviewer_and_date_required(review_file, tmp_path):
    def edit(ws):
        fill(ws, row_of(ws, FIRM_A), "3511", None, "2025-11-20")
        fill(ws, row_of(ws, FIRM_B), "1311", "李四", None)
        fill(ws, row_of(ws, FIRM_C), "3432", "王五", "上周")
        append_line(ws, FIRM_C, "丙", "3432", "王五", "2026-01-05")

    result = read(filled(review_file, tmp_path, edit))
    assert result.accepted.empty
    assert reasons(result) == [
        "缺少核定人（未写明核定人的核定不生效）",
        "缺少核定日期（未写明核定日期的核定不生效）",
        "核定日期无法识别：“上周”（请填写如 2015-03-02 的日期）",
        "核定日期“2026-01-05”晚于今天（2025-11-24），请核对",
    ]


def test_every_problem_of_a_row_is_listed(review_file, tmp_path):
    result = read(
        filled(review_file, tmp_path, lambda ws: append_line(ws, STRANGER, "外区", "9999", "", "", record_id=""))
    )
    assert result.rejected["column"].tolist() == ["统一社会信用代码", "核定行业代码", "核定人", "核定日期"]
    assert set(result.rejected["source_row"]) == {9} and result.summary.endswith("退回1行，未填核定行业代码4行")


def test_record_id_must_match_uscc(review_file, tmp_path):
    """A sort that moved only some columns leaves 记录编号 and USCC on different firms."""
    result = read(
        filled(
            review_file,
            tmp_path,
            lambda ws: append_line(ws, FIRM_A, "甲", "3511", "张三", "2025-11-20", record_id=FIRM_B),
        )
    )
    assert result.accepted.empty
    assert reasons(result) == [
        f"记录编号“{FIRM_B}”与统一社会信用代码“{FIRM_A}”不一致（可能排序或粘贴时只移动了部分列），请核对后重新填写"
    ]


def test_refused_line_for_a_pinned_firm_is_explained(review_file, tmp_path):
    def edit(ws):
        fill(ws, row_of(ws, FIRM_A), "3511", "张三", "2025-11-20")
        append_line(ws, FIRM_A, "甲", "9999", "张三", "2025-11-21")

    result = read(filled(review_file, tmp_path, edit))
    assert result.accepted["code"].tolist() == ["3511"]
    assert result.messages == [f"第9行对企业（{MALICIOUS}，{FIRM_A}）的核定已退回，该企业按第5行的3511核定"]


# -- conflicts and blanks -------------------------------------------------------------
def test_same_date_later_row_wins(review_file, tmp_path):
    def edit(ws):
        fill(ws, row_of(ws, FIRM_A), "3511", "张三", "2025-11-20")
        append_line(ws, FIRM_A, "甲", "3512", "王五", "2025-11-20")
        append_line(ws, FIRM_B, "乙", "1311", "李四", "2025-11-19")
        append_line(ws, FIRM_B, "乙", "1311", "赵六", "2025-11-18")

    result = read(filled(review_file, tmp_path, edit))
    assert dict(zip(result.accepted["uscc"], result.accepted["code"])) == {FIRM_A: "3512", FIRM_B: "1311"}
    assert result.accepted.set_index("uscc").loc[FIRM_B, "reviewer"] == "李四"
    assert reasons(result) == [
        "与第9行对同一企业给出不同代码（3511 / 3512），按核定日期相同、位置靠后的第9行（3512）为准"
    ]
    assert result.messages[0].endswith("给出不同代码（3511 / 3512），按核定日期相同、位置靠后的第9行为准")
    assert result.messages[1].startswith("第10行与第11行对同一企业") and "给出相同代码1311" in result.messages[1]


def test_blank_rows_counted_and_half_filled_rows_noted(review_file, tmp_path):
    result = read(filled(review_file, tmp_path, lambda ws: fill(ws, row_of(ws, FIRM_B), None, "李四", None, "看不出")))
    assert result.accepted.empty and result.rejected.empty and result.unfilled == 4
    assert result.messages == ["第6行填写了核定人、备注但未填核定行业代码，该行未作处理"]


# -- projects ----------------------------------------------------------------------
def test_project_lines(review_file, tmp_path):
    path = filled(review_file, tmp_path, lambda ws: fill(ws, row_of(ws, PROJECT_ID), "3511", "张三", "2025-11-20"))
    result = read(path)
    assert result.accepted[["entity_kind", "entity_id", "code"]].values.tolist() == [["project", PROJECT_ID, "3511"]]
    refused = read(path, known_entity_ids=None)
    assert reasons(refused) == [f"记录编号“{PROJECT_ID}”不在本次项目清单中"]

    projects = pd.DataFrame(
        [
            {
                **{c: "" for c in PROJECT_COLUMNS},
                "project_name": "矿山装备项目",
                "source_file": "projects.xlsx",
                "source_row": 5,
            },
            {
                **{c: "" for c in PROJECT_COLUMNS},
                "project_name": "其他项目",
                "intended_code": "3612",
                "source_file": "projects.xlsx",
                "source_row": 6,
            },
        ]
    )
    pinned = apply_project_overrides(projects, result.accepted)
    assert pinned["intended_code"].tolist() == ["3511", "3612"]
    assert pinned["manual_review"].tolist() == ["人工核定（张三，2025-11-20）", ""]
    assert projects["intended_code"].tolist() == ["", "3612"]


# -- other files -------------------------------------------------------------------
def test_plain_csv_in_gbk(tmp_path):
    path = write_csv(
        tmp_path / "核定结果.csv",
        ["企业名称", "统一社会信用代码", "核定行业代码", "核定人", "核定日期"],
        [
            ["甲", FIRM_A, "C3511", "张三", "2025年11月20日"],
            ["乙", FIRM_B.lower(), "1311 稻谷加工", "李四", "2025/11/21"],
            ["丙", FIRM_C, "", "", ""],
        ],
        encoding="gbk",
    )
    result = read_overrides(path, KNOWN, today=TODAY)
    assert result.accepted[["uscc", "code", "reviewed_on"]].values.tolist() == [
        [FIRM_A, "3511", "2025-11-20"],
        [FIRM_B, "1311", "2025-11-21"],
    ]
    assert result.rejected.empty and result.unfilled == 1


def test_file_without_code_column_is_refused(tmp_path):
    path = write_csv(tmp_path / "名录.csv", ["企业名称", "统一社会信用代码", "行业代码"], [["甲", FIRM_A, "3511"]])
    with pytest.raises(InputFileError, match="缺少“核定行业代码”列"):
        read_overrides(path, KNOWN, today=TODAY)


def test_missing_reviewer_column_is_said(tmp_path):
    path = write_csv(
        tmp_path / "核定.csv", ["统一社会信用代码", "核定行业代码", "核定日期"], [[FIRM_A, "3511", "2025-11-20"]]
    )
    result = read_overrides(path, KNOWN, today=TODAY)
    assert result.accepted.empty and reasons(result) == ["缺少核定人（未写明核定人的核定不生效）"]
    assert result.messages == ["文件中没有“核定人”列，所有填写了代码的行都将因缺少核定人而退回"]


# -- merge ----------------------------------------------------------------------
def override(uscc: str, code: str, reviewer: str, date: str, **values) -> dict:
    from reference import standard

    row = dict(
        uscc=uscc,
        entity_id=uscc,
        entity_kind="enterprise",
        name=f"企业{uscc[-3:]}",
        code=code,
        code_name=standard().get(code).name,
        reviewer=reviewer,
        reviewed_on=date,
        note="",
        source_file="复核.xlsx",
        source_row=5,
    )
    row.update(values)
    return row


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=OVERRIDE_COLUMNS)


def test_merge_newest_wins_with_messages():
    stored = frame(
        override(FIRM_A, "3511", "张三", "2025-10-01"),
        override(FIRM_B, "1311", "李四", "2025-10-01"),
        override(FIRM_C, "3432", "王五", "2025-10-01"),
    )
    new = frame(
        override(FIRM_A, "3512", "赵六", "2025-11-20", source_row=7),  # newer: replaces
        override(FIRM_B, "1312", "赵六", "2025-09-01", source_row=8),  # older: not adopted
        override(FIRM_C, "3432", "王五", "2025-10-01"),  # identical: silent
        override(STRANGER, "1311", "赵六", "2025-11-20"),
    )  # new firm
    merged, messages = merge_overrides(stored, new)
    assert dict(zip(merged["uscc"], merged["code"])) == {
        FIRM_A: "3512",
        FIRM_B: "1311",
        FIRM_C: "3432",
        STRANGER: "1311",
    }
    assert messages == [
        f"企业（企业{FIRM_A[-3:]}，{FIRM_A}）的人工核定由 3511（张三，2025-10-01）改为 3512（赵六，2025-11-20，复核.xlsx第7行）",
        f"复核.xlsx第8行对企业（企业{FIRM_B[-3:]}，{FIRM_B}）的核定 1312（2025-09-01）早于已存的核定 1311（李四，2025-10-01），未采用",
    ]


def test_merge_tie_goes_to_the_new_file():
    merged, messages = merge_overrides(
        frame(override(FIRM_A, "3511", "张三", "2025-11-20")), frame(override(FIRM_A, "3512", "李四", "2025-11-20"))
    )
    assert merged["code"].tolist() == ["3512"] and len(messages) == 1
    merged, messages = merge_overrides(
        frame(override(FIRM_A, "3511", "张三", "2025-11-01")), frame(override(FIRM_A, "3511", "李四", "2025-11-20"))
    )
    assert merged["reviewer"].tolist() == ["李四"] and "再次确认" in messages[0]
    merged, messages = merge_overrides(None, frame(override(FIRM_A, "3511", "张三", "2025-11-20")))
    assert len(merged) == 1 and messages == []


# -- apply and labels -------------------------------------------------------------------
def classified_frame() -> pd.DataFrame:
    rows = []
    for uscc, registered, scope in ((FIRM_A, "", "矿山机械制造"), (FIRM_B, "1312", "大米加工"), (FIRM_C, "", "")):
        rows.append(
            dict(
                uscc=uscc,
                name=f"企业{uscc[-3:]}",
                scope=scope,
                industry_code=registered,
                pred_code_1="3512",
                pred_name_1="石油钻采专用设备制造",
                pred_score_1=0.3,
                pred_code_2="",
                pred_name_2="",
                pred_score_2=math.nan,
                pred_code_3="",
                pred_name_3="",
                pred_score_3=math.nan,
                evidence="命中“设备”",
                pred_division="35",
                pred_section="C",
                is_industrial=True,
            )
        )
    return pd.DataFrame(rows)


def test_apply_overrides_pins_and_marks():
    classified = classified_frame()
    overrides = frame(
        override(FIRM_A, "3511", "张三", "2025-11-20", note="现场核实"), override(FIRM_B, "1311", "李四", "2025-11-20")
    )
    pinned = apply_overrides(classified, overrides)
    assert pinned["industry_code"].tolist() == ["3511", "1311", ""]
    assert pinned["manual_review"].tolist() == ["人工核定（张三，2025-11-20）", "人工核定（李四，2025-11-20）", ""]
    assert pinned.loc[0, "evidence"] == "人工核定：3511 矿山机械制造（张三，2025-11-20；备注：现场核实）；命中“设备”"
    assert pinned.loc[1, "evidence"].startswith("人工核定：1311 稻谷加工（李四，2025-11-20；原行业代码1312）")
    assert pinned.loc[0, "pred_code_1"] == "3512"  # the model's view is kept
    pd.testing.assert_series_equal(pinned.loc[2].drop("manual_review"), classified.loc[2])  # no override: unchanged
    assert classified["industry_code"].tolist() == ["", "1312", ""] and "manual_review" not in classified


def test_apply_without_overrides_adds_empty_mark():
    pinned = apply_overrides(classified_frame(), None)
    assert pinned["manual_review"].tolist() == ["", "", ""]
    assert pinned.drop(columns="manual_review").equals(classified_frame())


def test_override_labels_need_a_scope():
    overrides = frame(
        override(FIRM_A, "3511", "张三", "2025-11-20"),
        override(FIRM_C, "3432", "王五", "2025-11-20"),
        override(STRANGER, "1311", "李四", "2025-11-20"),
    )
    labels = override_labels(overrides, classified_frame())
    assert labels.values.tolist() == [[FIRM_A, "矿山机械制造", "3511"]]


def test_unmatched_overrides_are_said():
    overrides = frame(override(FIRM_A, "3511", "张三", "2025-11-20"), override(STRANGER, "1311", "李四", "2025-11-20"))
    assert unmatched_overrides(overrides, KNOWN) == [
        f"人工核定的企业（企业{STRANGER[-3:]}，{STRANGER}）不在本次名录中，其核定 1311 本次未应用（已保留）"
    ]


def test_rerun_of_a_date_keeps_the_first_review_files_pins(tmp_path):
    """Issue 23 #1: a second review file on the same run date merges with the first file's stored
    pins exactly as across dates: an older line loses to the newer stored one and is reported."""
    from industry_gap.earlier_runs import EarlierRuns
    from industry_gap.review import overrides_in_force
    from industry_gap.warehouse import Warehouse, default_database_url

    store = Warehouse(default_database_url(tmp_path))
    store.replace_run(
        RUN_DATE - dt.timedelta(days=30), {"overrides": frame(override(FIRM_B, "1311", "李四", "2025-10-01"))}
    )
    first_run = frame(override(FIRM_A, "3511", "张三", "2025-11-20"), override(FIRM_B, "1311", "李四", "2025-10-01"))
    store.replace_run(RUN_DATE, {"overrides": first_run})  # the first run of the date, with the first file

    second = pd.DataFrame(
        [{"统一社会信用代码": FIRM_A, "核定行业代码": "3512", "核定人": "王五", "核定日期": "2025-11-10"}]
    )
    path = tmp_path / "复核清单_第二份.csv"
    second.to_csv(path, index=False, encoding="utf-8-sig")
    registry = pd.DataFrame({"uscc": sorted(KNOWN)})
    with EarlierRuns(Warehouse(default_database_url(tmp_path)), RUN_DATE) as earlier:
        stored = earlier.kept_overrides()
    result = overrides_in_force(stored, path, registry, pd.DataFrame(columns=PROJECT_COLUMNS))

    assert dict(zip(result.accepted["uscc"], result.accepted["code"])) == {FIRM_A: "3511", FIRM_B: "1311"}
    assert any("核定 3512（2025-11-10）早于已存的核定 3511（张三，2025-11-20），未采用" in m for m in result.messages)
    store.dispose()


def test_review_dated_after_the_run_date_is_refused(review_file, tmp_path):
    """Issue 23 #2: a past date run again refuses a 核定日期 after it, naming the run date."""

    def edit(ws):
        fill(ws, row_of(ws, FIRM_A), "3511", "张三", "2025-11-20")
        fill(ws, row_of(ws, FIRM_B), "1311", "李四", "2025-11-10")

    result = read(filled(review_file, tmp_path, edit), run_date=dt.date(2025, 11, 15))
    assert result.accepted["uscc"].tolist() == [FIRM_B]
    assert reasons(result) == ["核定日期“2025-11-20”晚于本次运行日期（2025-11-15），请核对"]


def test_formula_cells_are_refused_where_used_and_said_as_they_are(review_file, tmp_path):
    """Issue 23 #2: a formula without a saved result in 核定人 refuses the line; one in a column the
    review does not use refuses nothing, and the messages say which."""

    def edit(ws):
        fill(ws, row_of(ws, FIRM_A), "3511", "=B1", "2025-11-20")
        fill(ws, row_of(ws, FIRM_B), "1311", "李四", "2025-11-10")

    result = read(filled(review_file, tmp_path, edit))
    assert result.accepted["uscc"].tolist() == [FIRM_B]
    assert reasons(result) == [
        "核定人是公式“=B1”，文件中没有保存它的计算结果（本程序不计算公式，请在 Excel/WPS 中打开并保存后再读入，或填写数值）"
    ]
    assert f"第{row_of(load_workbook(review_file)[SHEET_NAME], FIRM_A)}行用到了没有计算结果的公式单元格，已退回" in (
        result.messages
    )
    assert not any("已隔离" in m for m in result.messages)

    def edit_unused(ws):
        fill(ws, row_of(ws, FIRM_B), "1311", "李四", "2025-11-10")
        ws.cell(row=row_of(ws, FIRM_B), column=ws.max_column + 2, value="=SUM(1,2)")

    result = read(filled(review_file, tmp_path, edit_unused))
    assert result.accepted["uscc"].tolist() == [FIRM_B] and result.rejected.empty
    assert "这些公式单元格不在复核用到的列中（或所在行未填核定行业代码），没有行因此退回" in result.messages
