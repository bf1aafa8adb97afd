"""The alias table and header normalisation."""

from __future__ import annotations

import pytest

from industry_gap.ingest.aliases import (
    ALIASES,
    header_unit,
    label,
    map_headers,
    match_header,
    normalize_header,
    score_header,
)
from industry_gap.schema import ABOVE_SCALE_COLUMNS, PROJECT_COLUMNS, REGISTRY_COLUMNS, TARGET_COLUMNS

SCHEMAS = {
    "registry": REGISTRY_COLUMNS,
    "above_scale": ABOVE_SCALE_COLUMNS,
    "targets": TARGET_COLUMNS,
    "projects": PROJECT_COLUMNS,
}
DERIVED = {("targets", "level")}  # computed from the code, never read from a file


@pytest.mark.parametrize("dataset", list(SCHEMAS))
def test_aliases_cover_schema_and_nothing_else(dataset):
    expected = {c for c in SCHEMAS[dataset] if c not in ("source_file", "source_row") and (dataset, c) not in DERIVED}
    assert set(ALIASES[dataset]) == expected


@pytest.mark.parametrize(
    "header, column",
    [
        ("统一社会信用代码", "uscc"),
        ("信用代码", "uscc"),
        ("社会信用代码", "uscc"),
        ("统一代码", "uscc"),
        ("企业名称", "name"),
        ("单位名称", "name"),
        ("名称", "name"),
        ("市场主体名称", "name"),
        ("经营范围", "scope"),
        ("登记状态", "status"),
        ("经营状态", "status"),
        ("企业状态", "status"),
        ("企业类型", "enterprise_type"),
        ("市场主体类型", "enterprise_type"),
        ("公司类型", "enterprise_type"),
        ("类型", "enterprise_type"),
        ("成立日期", "established"),
        ("注册日期", "established"),
        ("成立时间", "established"),
        ("注册资本", "registered_capital_wan"),
        ("注册资金", "registered_capital_wan"),
        ("营业收入", "revenue_wan"),
        ("主营业务收入", "revenue_wan"),
        ("营业收入（万元）", "revenue_wan"),
        ("主营业务收入(万元)", "revenue_wan"),
        ("营业收入(元)", "revenue_wan"),
        ("上年营业收入（万元）", "revenue_prev_wan"),
        ("从业人员", "employees"),
        ("从业人数", "employees"),
        ("职工人数", "employees"),
        ("从业人员（人）", "employees"),
        ("乡镇街道", "town"),
        ("所属镇街", "town"),
        ("所属街道", "town"),
        ("镇街", "town"),
        ("乡镇（街道）", "town"),
        ("行业代码", "industry_code"),
        ("国民经济行业代码", "industry_code"),
        ("行业分类代码", "industry_code"),
        ("法定代表人", "legal_representative"),
        ("负责人", "legal_representative"),
        ("主要业务活动", "main_activity"),
        ("主营业务活动", "main_activity"),
        ("主要经济活动", "main_activity"),
        ("主要产品", "main_activity"),
        (" 企业\u3000名称 ", "name"),
        ("*企业名称", "name"),
        ("经营范围：", "scope"),
        ("营业收入\n（万元）", "revenue_wan"),
    ],
)
def test_registry_aliases(header, column):
    assert match_header("registry", header) == column


@pytest.mark.parametrize(
    "dataset, header, column",
    [
        ("targets", "口径", "scope"),
        ("targets", "门类代码", "code"),
        ("targets", "行业名称", "name"),
        ("targets", "门类名称", "name"),
        ("targets", "牵头单位", "department"),
        ("targets", "计划年份", "target_year"),
        ("projects", "项目名称", "project_name"),
        ("projects", "建设单位", "builder"),
        ("projects", "统一社会信用代码", "uscc"),
        ("projects", "总投资（万元）", "investment_wan"),
        ("projects", "投资额", "investment_wan"),
        ("projects", "项目阶段", "stage"),
        ("projects", "签约时间", "signed_date"),
        ("projects", "投产时间", "planned_production"),
        ("projects", "拟扩增行业代码", "intended_code"),
        ("projects", "项目内容", "content"),
        ("projects", "责任单位", "department"),
        ("above_scale", "单位名称", "name"),
        ("above_scale", "主营业务收入（万元）", "revenue_wan"),
    ],
)
def test_other_dataset_aliases(dataset, header, column):
    assert match_header(dataset, header) == column


def test_unknown_header():
    assert match_header("registry", "备注") is None


@pytest.mark.parametrize(
    "header, unit",
    [
        ("营业收入（万元）", "万元"),
        ("营业收入(元)", "元"),
        ("营业收入", None),
        ("总投资（亿元）", "亿元"),
        ("注册资本(万元人民币)", "万元"),
        ("营业收入 单位：元", "元"),
        ("注册资金", None),
    ],
)
def test_header_unit(header, unit):
    assert header_unit(header) == unit


def test_normalize_header_both_bracket_widths():
    assert normalize_header("营业收入（万元）") == normalize_header("营业收入(万元)") == "营业收入"


def test_label_is_first_alias():
    assert label("registry", "scope") == "经营范围"
    assert label("above_scale", "name") == "单位名称"


def test_map_headers_keeps_original_and_lists_ignored():
    mapping = map_headers(
        "registry", ["统一社会信用代码", "企业 名称", "经营范围", "备注", "企业名称", "营业收入（元）"]
    )
    assert mapping.columns["name"].header == "企业名称" and mapping.columns["name"].index == 1
    assert mapping.columns["revenue_wan"].unit == "元"
    assert mapping.ignored == ["备注", "企业名称"]  # the second 企业名称 is not used


def test_year_named_revenue_columns():
    mapping = map_headers("registry", ["统一社会信用代码", "2022年营业收入", "2023年营业收入（万元）"])
    assert mapping.columns["revenue_wan"].index == 2
    assert mapping.columns["revenue_prev_wan"].index == 1


def test_score_header_counts_distinct_columns():
    assert score_header("registry", ["XX区规下企业名录", "", ""]) == 0
    assert score_header("registry", ["统一社会信用代码", "企业名称", "经营范围", "信用代码"]) == 3
