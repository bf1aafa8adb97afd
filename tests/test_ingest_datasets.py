"""Above-scale list, target lists and project lists."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from industry_gap.errors import InputFileError
from industry_gap.ingest import accounting_problem, ingest_file
from industry_gap.schema import ABOVE_SCALE_COLUMNS, PROJECT_COLUMNS, TARGET_COLUMNS
from tests.factories import make_uscc

TODAY = dt.date(2024, 6, 30)


def write_csv(path, lines, encoding="utf-8"):
    path.write_bytes(("\n".join(",".join(line) for line in lines) + "\n").encode(encoding))
    return path


# -- above-scale ------------------------------------------------------------------------------
def test_above_scale_gbk(tmp_path):
    path = write_csv(
        tmp_path / "规上.csv",
        [
            ["统一社会信用代码", "单位名称", "行业代码", "主营业务收入（万元）", "所属镇街"],
            [make_uscc(1), "甲公司", "C2929", "25000", "城东街道"],
            [make_uscc(2), "乙公司", "", "3000", "城西街道"],
            [make_uscc(3), "丙公司", "9999", "", ""],
            [make_uscc(1), "甲公司（更名）", "2929", "26000", "城东街道"],
        ],
        "gbk",
    )
    result = ingest_file(path, "above_scale", today=TODAY)
    assert list(result.clean.columns) == ABOVE_SCALE_COLUMNS
    assert list(result.clean["name"]) == ["甲公司（更名）"]
    assert result.clean.loc[0, "revenue_wan"] == 26000.0
    assert list(result.quarantine["reason"]) == ["行业代码为空", "行业代码“9999”不是有效的 GB/T 4754-2017 代码"]
    assert result.set_aside.loc[0, "reason"] == "统一社会信用代码重复，保留第5行的较新记录"
    assert accounting_problem(result) is None


def test_above_scale_requires_industry_code_column(tmp_path):
    path = write_csv(tmp_path / "规上.csv", [["统一社会信用代码", "单位名称"], [make_uscc(1), "甲"]])
    with pytest.raises(InputFileError, match="行业代码"):
        ingest_file(path, "above_scale")


# -- targets ------------------------------------------------------------------------------------
def test_targets(tmp_path):
    path = write_csv(
        tmp_path / "目标.csv",
        [
            ["口径", "行业代码", "行业名称", "责任单位", "目标年份"],
            ["全口径", "C1311", "稻谷加工（旧名）", "经信局", "2025"],
            ["规上", "29", "橡胶和塑料制品业", "经信局", "2025年"],
            ["规模以上", "3011", "", "发改局", "2026"],
            ["规上口径", "5111", "谷物批发", "商务局", "2025"],  # wholesale is not industrial
            ["部分", "1311", "", "经信局", "2025"],
            ["全口径", "1312", "", "", "明年"],
            ["全口径", "1311", "", "科技局", "2026"],  # repeats row 2: last wins
        ],
    )
    result = ingest_file(path, "targets", today=TODAY)
    clean = result.clean
    assert list(clean.columns) == TARGET_COLUMNS
    assert list(clean["code"]) == ["29", "3011", "1311"]
    assert list(clean["scope"]) == ["规上口径", "规上口径", "全口径"]
    assert list(clean["level"]) == ["division", "class", "class"]
    assert clean.loc[2, "name"] == "稻谷加工"  # the standard's name, not the file's
    assert clean.loc[2, "department"] == "科技局"
    assert clean["target_year"].tolist() == [2025, 2026, 2026]
    assert str(clean["target_year"].dtype) == "int64"
    reasons = list(result.quarantine["reason"])
    assert reasons[0].startswith("行业代码“5111”不属于工业")
    assert reasons[1] == "口径无法识别：“部分”（应为全口径或规上口径）"
    assert reasons[2] == "责任单位为空；目标年份无法识别：“明年”（请填写四位年份，如 2025）"
    assert result.set_aside.loc[0, "reason"] == "口径和行业代码重复，保留第8行的较新记录"
    assert result.set_aside.loc[0, "name"] == "稻谷加工"
    assert accounting_problem(result) is None


# -- projects -------------------------------------------------------------------------------------
PROJECT_HEADER = [
    "项目名称",
    "建设单位",
    "统一社会信用代码",
    "总投资（万元）",
    "建设阶段",
    "签约日期",
    "计划投产时间",
    "拟扩增门类代码",
    "建设内容",
    "责任单位",
]


def test_projects_xlsx_sheet(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "封面"
    workbook.active.append(["2024年重点项目"])
    sheet = workbook.create_sheet("项目清单")
    sheet.append(["附件4", None, None])
    sheet.append(PROJECT_HEADER)
    sheet.append(
        [
            "年产5000吨特种纸项目",
            "甲纸业",
            make_uscc(1),
            12000,
            "在建",
            dt.datetime(2023, 5, 6),
            "2025年6月",
            "2221",
            "新建生产线",
            "经信局",
        ]
    )
    sheet.append(["新材料项目", "乙公司", "", "1.2亿元", "签约", "2024/1/2", "", "", "新材料研发生产", "招商局"])
    sheet.append(["", "丙公司", "123", "壹亿", "签约", "2030-01-01", "", "99", "", ""])
    sheet.append(["外资项目", "丁公司", "", "100万美元", "签约", "", "", "", "", ""])
    path = tmp_path / "projects.xlsx"
    workbook.save(path)
    result = ingest_file(path, "projects", today=TODAY)
    assert result.sheet == "项目清单" and result.header_row == 2
    clean = result.clean
    assert list(clean.columns) == PROJECT_COLUMNS
    assert list(clean["project_name"]) == ["年产5000吨特种纸项目", "新材料项目"]
    assert list(clean["investment_wan"]) == [12000.0, 12000.0]
    assert list(clean["signed_date"]) == ["2023-05-06", "2024-01-02"]
    assert list(clean["planned_production"]) == ["2025-06-01", ""]
    assert list(clean["intended_code"]) == ["2221", ""]
    assert list(clean["uscc"]) == [make_uscc(1), ""]
    assert list(clean["source_row"]) == [3, 4]
    bad = result.quarantine.iloc[0]
    assert bad["row"] == 5 and bad["column"] == "项目名称"
    assert bad["reason"].split("；") == [
        "项目名称为空",
        "统一社会信用代码长度应为18位（实际3位）",
        "总投资无法识别：“壹亿”（请填写阿拉伯数字）",
        "签约日期晚于今天：“2030-01-01”",
        "拟扩增门类代码“99”不是有效的 GB/T 4754-2017 代码",
    ]
    assert result.quarantine.iloc[1]["reason"].startswith("总投资为外币（美元）")
    assert accounting_problem(result) is None


def test_projects_investment_required(tmp_path):
    path = write_csv(tmp_path / "p.csv", [PROJECT_HEADER, ["项目A", "", "", "", "", "", "", "", "", ""]])
    result = ingest_file(path, "projects", today=TODAY)
    assert result.quarantine.loc[0, "reason"] == "总投资为空"
