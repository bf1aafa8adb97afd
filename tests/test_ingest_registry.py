"""Registry validation: quarantine reasons, set-aside rules, dedup, accounting."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import time

import pytest
from stdnum.cn.uscc import calc_check_digit

from industry_gap.errors import InputFileError
from industry_gap.ingest import DATASETS, IngestResult, accounting_problem, ingest_file
from industry_gap.schema import QUARANTINE_COLUMNS, REGISTRY_COLUMNS, SET_ASIDE_COLUMNS
from tests.factories import make_uscc

TODAY = dt.date(2024, 6, 30)
HEADER = [
    "统一社会信用代码",
    "企业名称",
    "经营范围",
    "登记状态",
    "企业类型",
    "成立日期",
    "注册资本",
    "营业收入（万元）",
    "上年营业收入（万元）",
    "从业人员",
    "所属镇街",
    "行业代码",
    "法定代表人",
]


def row(serial=1, **changes) -> list[str]:
    base = {
        "统一社会信用代码": make_uscc(serial),
        "企业名称": f"企业{serial}",
        "经营范围": "塑料制品制造；塑料制品销售",
        "登记状态": "存续",
        "企业类型": "有限责任公司",
        "成立日期": "2015-03-02",
        "注册资本": "100万元人民币",
        "营业收入（万元）": "1,234.5",
        "上年营业收入（万元）": "1000",
        "从业人员": "35",
        "所属镇街": "城东街道",
        "行业代码": "2929",
        "法定代表人": "张三",
    }
    base.update(changes)
    return [base[h] for h in HEADER]


def ingest_rows(tmp_path, rows, header=HEADER, name="registry.csv", **kwargs) -> IngestResult:
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return ingest_file(path, "registry", today=TODAY, **kwargs)


def test_clean_row_has_schema_columns_and_types(tmp_path):
    result = ingest_rows(tmp_path, [row(1)])
    assert list(result.clean.columns) == REGISTRY_COLUMNS
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    assert list(result.set_aside.columns) == SET_ASIDE_COLUMNS
    record = result.clean.iloc[0].to_dict()
    assert record["uscc"] == make_uscc(1)
    assert record["registered_capital_wan"] == 100.0
    assert record["revenue_wan"] == 1234.5 and record["revenue_prev_wan"] == 1000.0
    assert record["employees"] == 35.0
    assert record["industry_code"] == "2929"
    assert record["source_row"] == 2 and record["source_file"].endswith("registry.csv")
    assert result.accounting() == {"in": 1, "clean": 1, "quarantined": 0, "set_aside": 0, "missing": 0}
    assert accounting_problem(result) is None


def test_revenue_in_yuan_header(tmp_path):
    header = [h if h != "营业收入（万元）" else "营业收入(元)" for h in HEADER]
    result = ingest_rows(tmp_path, [row(1, **{"营业收入（万元）": "1234500"})], header=header)
    assert result.clean.loc[0, "revenue_wan"] == pytest.approx(123.45)


@pytest.mark.parametrize(
    "column, value, reason",
    [
        ("统一社会信用代码", "", "统一社会信用代码为空"),
        ("统一社会信用代码", "91330100000000001", "统一社会信用代码长度应为18位（实际17位）"),
        ("统一社会信用代码", "913301000000000019", "统一社会信用代码校验位错误"),
        ("企业名称", "", "企业名称为空"),
        ("经营范围", "", "经营范围为空"),
        ("经营范围", "  ", "经营范围为空"),
        ("成立日期", "2015-02-30", "成立日期无法识别：“2015-02-30”（请填写如 2015-03-02 的日期）"),
        ("成立日期", "2030-01-01", "成立日期晚于今天：“2030-01-01”"),
        ("注册资本", "壹佰万", "注册资本无法识别：“壹佰万”（请填写阿拉伯数字）"),
        ("注册资本", "约300万", "注册资本无法识别：“约300万”（请填写阿拉伯数字）"),
        ("注册资本", "100万美元", "注册资本为外币（美元）：“100万美元”，请换算为人民币万元后填写"),
        ("营业收入（万元）", "-5", "营业收入为负数：“-5”"),
        ("从业人员", "约50人", "从业人员无法识别：“约50人”（请填写阿拉伯数字）"),
        ("行业代码", "9999", "行业代码“9999”不是有效的 GB/T 4754-2017 代码"),
        ("登记状态", "待定", "登记状态无法识别：“待定”（应为存续、在业、注销、吊销等）"),
    ],
)
def test_each_quarantine_reason(tmp_path, column, value, reason):
    if column == "统一社会信用代码" and value == "913301000000000019":
        assert calc_check_digit("91330100000000001") != "9"
    result = ingest_rows(tmp_path, [row(1, **{column: value}), row(2)])
    assert len(result.clean) == 1
    assert len(result.quarantine) == 1
    bad = result.quarantine.iloc[0].to_dict()
    assert bad == {
        "dataset": "registry",
        "file": str(tmp_path / "registry.csv"),
        "row": 2,
        "column": column,
        "value": value.strip(),
        "reason": reason,
    }


def test_several_problems_one_quarantine_row(tmp_path):
    result = ingest_rows(tmp_path, [row(1, 经营范围="", 成立日期="去年", 行业代码="ABC")])
    assert len(result.quarantine) == 1
    bad = result.quarantine.iloc[0]
    assert bad["column"] == "经营范围"  # first bad column in sheet order
    assert bad["reason"] == (
        "经营范围为空；成立日期无法识别：“去年”（请填写如 2015-03-02 的日期）；"
        "行业代码“ABC”不是有效的 GB/T 4754-2017 代码"
    )
    assert result.reasons_summary() == {
        "经营范围为空": 1,
        "成立日期无法识别": 1,
        "行业代码不是有效的 GB/T 4754-2017 代码": 1,
    }


def test_optional_cells_may_be_empty(tmp_path):
    empty = {h: "" for h in HEADER[3:]}
    result = ingest_rows(tmp_path, [row(1, **empty)])
    record = result.clean.iloc[0]
    assert record["status"] == "" and record["established"] == "" and record["industry_code"] == ""
    assert record["revenue_wan"] != record["revenue_wan"]  # NaN


def test_optional_columns_may_be_missing(tmp_path):
    result = ingest_rows(tmp_path, [row(1)[:3]], header=HEADER[:3])
    assert list(result.clean.columns) == REGISTRY_COLUMNS
    assert result.clean.loc[0, "town"] == ""
    assert result.clean["employees"].isna().all()


@pytest.mark.parametrize("status, word", [("注销", "注销"), ("吊销，未注销", "吊销"), ("迁出", "迁出")])
def test_closed_status_set_aside(tmp_path, status, word):
    result = ingest_rows(tmp_path, [row(1, 登记状态=status)])
    assert result.clean.empty and result.quarantine.empty
    aside = result.set_aside.iloc[0].to_dict()
    assert aside["reason"] == f"登记状态为{word}，不纳入统计"
    assert aside["uscc"] == make_uscc(1) and aside["name"] == "企业1" and aside["row"] == 2


def test_closed_firm_with_bad_cells_is_set_aside_not_quarantined(tmp_path):
    result = ingest_rows(tmp_path, [row(1, 登记状态="注销", 经营范围="")])
    assert len(result.set_aside) == 1 and result.quarantine.empty


def test_duplicates_last_row_wins(tmp_path):
    rows = [row(1, 企业名称="旧名称", 登记状态="存续"), row(2), row(1, 企业名称="新名称")]
    result = ingest_rows(tmp_path, rows)
    assert list(result.clean["name"]) == ["企业2", "新名称"]
    aside = result.set_aside.iloc[0]
    assert aside["row"] == 2 and aside["reason"] == "统一社会信用代码重复，保留第4行的较新记录"


def test_duplicate_uscc_matched_after_normalisation(tmp_path):
    rows = [row(1), row(1, 统一社会信用代码=" " + make_uscc(1).lower())]
    result = ingest_rows(tmp_path, rows)
    assert len(result.clean) == 1 and result.clean.loc[0, "source_row"] == 3


def test_newest_record_closed_removes_firm(tmp_path):
    rows = [row(1, 登记状态="存续"), row(1, 登记状态="注销")]
    result = ingest_rows(tmp_path, rows)
    assert result.clean.empty
    assert sorted(result.set_aside["reason"]) == [
        "登记状态为注销，不纳入统计",
        "统一社会信用代码重复，保留第3行的较新记录",
    ]


def test_repeated_header_row_is_set_aside(tmp_path):
    result = ingest_rows(tmp_path, [row(1), HEADER, row(2)])
    assert len(result.clean) == 2
    assert result.set_aside.iloc[0]["reason"].startswith("重复的表头行")


def test_code_edition_2011(tmp_path):
    result = ingest_rows(tmp_path, [row(1, 行业代码="1310")], code_edition="2011")
    assert result.clean.loc[0, "industry_code"] == "1311"


def test_missing_scope_column_is_an_input_file_error(tmp_path):
    header = [h for h in HEADER if h != "经营范围"]
    with pytest.raises(InputFileError) as info:
        ingest_rows(tmp_path, [row(1)[:2] + row(1)[3:]], header=header, name="名录2024.csv")
    message = info.value.message
    assert "名录2024.csv" in message
    assert "经营范围" in message
    assert "统一社会信用代码、企业名称、登记状态" in message  # the columns that were found
    assert info.value.exit_code == 2


def test_every_row_accounted_for(tmp_path):
    rows = [
        row(1),
        row(2, 经营范围=""),
        row(3, 登记状态="注销"),
        row(4),
        row(4),
        [""] * len(HEADER),
        row(5, 注册资本="100万美元", 成立日期="x"),
    ]
    result = ingest_rows(tmp_path, rows)
    counts = result.accounting()
    assert counts == {"in": 6, "clean": 2, "quarantined": 2, "set_aside": 2, "missing": 0}
    assert accounting_problem(result) is None
    all_rows = sorted(list(result.clean["source_row"]) + list(result.quarantine["row"]) + list(result.set_aside["row"]))
    assert all_rows == [2, 3, 4, 5, 6, 8]


def test_accounting_problem_fires_when_a_row_is_dropped(tmp_path):
    result = ingest_rows(tmp_path, [row(1), row(2), row(3)])
    broken = dataclasses.replace(result, clean=result.clean.iloc[1:])
    message = accounting_problem(broken)
    assert message is not None
    assert "读入 3 行" in message and "丢失了 1 行" in message
    assert broken.accounting()["missing"] == 1


def test_accounting_problem_fires_when_a_row_is_counted_twice(tmp_path):
    result = ingest_rows(tmp_path, [row(1), row(2, 经营范围="")])
    moved = result.quarantine.copy()
    moved["row"] = result.clean["source_row"].iloc[0]
    broken = dataclasses.replace(result, quarantine=moved)
    assert "重复计入" in accounting_problem(broken)


def test_unknown_columns_listed(tmp_path):
    result = ingest_rows(tmp_path, [row(1) + ["x"]], header=HEADER + ["备注"])
    assert result.ignored_columns == ["备注"]


def test_datasets_constant():
    assert list(DATASETS) == ["registry", "above_scale", "targets", "projects"]


def test_unknown_dataset(tmp_path):
    from industry_gap.errors import UserError

    with pytest.raises(UserError, match="未知的数据集"):
        ingest_file(tmp_path / "x.csv", "people")


@pytest.mark.slow
def test_200k_rows_well_under_a_minute(tmp_path):
    statuses = ["存续", "在业", "注销", "吊销，未注销", "开业"]
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(200_000):
            writer.writerow(
                row(
                    i % 190_000,
                    登记状态=statuses[i % 5],
                    成立日期=f"20{i % 20:02d}-0{i % 9 + 1}-1{i % 9}",
                    经营范围=f"第{i}号经营范围：塑料制品制造；塑料制品销售；技术服务、技术开发",
                    注册资本=f"{i % 1000}万元人民币",
                    **{"营业收入（万元）": f"{i % 5000}.5"},
                )
            )
    started = time.perf_counter()
    result = ingest_file(path, "registry", today=TODAY)
    elapsed = time.perf_counter() - started
    assert accounting_problem(result) is None
    assert result.rows_in == 200_000
    assert elapsed < 30, f"took {elapsed:.1f}s"
