"""Unit tests of the pure cell parsers in industry_gap.ingest.values."""

from __future__ import annotations

import pandas as pd
import pytest
from stdnum.cn.uscc import calc_check_digit

from industry_gap.ingest import values as v
from industry_gap.ingest.result import count_reasons, reason_kind
from tests.factories import make_uscc

VALID = make_uscc(12345)


# -- USCC ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", [VALID, VALID.lower(), f" {VALID[:6]} {VALID[6:]} ", "９１" + VALID[2:], VALID + "\u3000"]
)
def test_uscc_normalised(text):
    assert v.parse_uscc(text) == (VALID, None)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "统一社会信用代码为空"),
        ("  ", "统一社会信用代码为空"),
        (VALID[:-1], "统一社会信用代码长度应为18位（实际17位）"),
        (VALID + "1", "统一社会信用代码长度应为18位（实际19位）"),
        (VALID[:-1] + ("0" if VALID[-1] != "0" else "1"), "统一社会信用代码校验位错误"),
        ("9.1330100000012E+17", "统一社会信用代码被转成了科学计数法（原值已丢失，请把该列设为文本格式后重新导出）"),
    ],
)
def test_uscc_problems(text, reason):
    assert v.parse_uscc(text) == (None, reason)


def test_uscc_fast_path_agrees_with_stdnum():
    """Length, charset and check digit agree with python-stdnum (which wants digits in positions 1-8)."""
    import random

    from stdnum.cn import uscc as reference

    rng = random.Random(7)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    samples = [make_uscc(i) for i in range(300)]
    samples += ["".join(rng.choice(alphabet) for _ in range(18)) for _ in range(3000)]
    samples += [s[:-1] + rng.choice(alphabet) for s in samples[:300]]
    usable = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for _ in range(3000):  # right check digit, random parts: only the structure can be wrong
        first17 = "".join(rng.choice(usable[:10] if 2 <= i < 8 else usable) for i in range(17))
        samples.append(first17 + reference.calc_check_digit(first17))
    for text in samples:
        value, problem = v.parse_uscc(text)
        well_formed = value is not None or problem.startswith("统一社会信用代码第")  # only the structure is wrong
        if text[:8].isdigit():
            assert well_formed == reference.is_valid(text), text
        elif well_formed:
            assert text[17] == reference.calc_check_digit(text), text


def test_uscc_bad_characters():
    value, problem = v.parse_uscc("9133010000001234O5")
    assert value is None and problem.startswith("统一社会信用代码含有不允许的字符")


def _code(first17: str) -> str:
    return first17 + calc_check_digit(first17)


@pytest.mark.parametrize(
    "code",
    [
        _code("11100000000013127"),  # 机构编制/机关, national region 100000
        _code("12150602MB1234567"),  # 事业单位
        _code("31110000E00012345"),  # 律师执业机构
        _code("51150602MJ1234567"),  # 社会团体
        _code("54150602MF1234567"),  # 村民委员会 (assigned after the standard)
        _code("71150602MB1234567"),  # 宗教活动场所
        _code("81150602MC1234567"),  # 基层工会
        _code("91150602000000000"),  # all-zero 主体标识码: consistent under GB 11714, accepted
        _code("92150602MA0N12345"),  # 个体工商户
        _code("93650100MA7812345"),  # 农民专业合作社, 新疆
        _code("A1110000MA0012345"),  # 军队事业单位
        _code("N2150602MF1234567"),  # 村级集体经济组织
        _code("Y1820000MA0012345"),  # 其他, 澳门
        _code("G1110000MA0012345"),  # 境外非政府组织代表机构 (公安, after the standard)
    ],
)
def test_uscc_structure_valid(code):
    assert v.parse_uscc(code) == (code, None)


@pytest.mark.parametrize(
    "first17, reason",
    [
        ("00000000000000000", "统一社会信用代码第1位登记管理部门代码“0”不存在"),
        ("B1150602MA0012345", "统一社会信用代码第1位登记管理部门代码“B”不存在"),
        ("99999999999999999", "统一社会信用代码第2位机构类别代码“9”不存在（登记管理部门“9”（工商）下没有这一类别）"),
        ("94150602MA0012345", "统一社会信用代码第2位机构类别代码“4”不存在"),
        ("1A150602MA0012345", "统一社会信用代码第2位机构类别代码“A”不存在"),
        ("Y2150602MA0012345", "统一社会信用代码第2位机构类别代码“2”不存在"),
        ("91000000MA0012345", "统一社会信用代码第3-8位行政区划码“000000”无效"),
        ("91990000MA0012345", "统一社会信用代码第3-8位行政区划码“990000”无效"),
        ("91101000MA0012345", "统一社会信用代码第3-8位行政区划码“101000”无效"),  # only 100000 itself is national
        ("91150602999999999", "统一社会信用代码第9-17位主体标识码“999999999”无效"),
    ],
)
def test_uscc_impossible_structure(first17, reason):
    value, problem = v.parse_uscc(_code(first17))
    assert value is None and problem.startswith(reason), problem
    assert reason_kind(problem).startswith("统一社会信用代码第") and "“" not in reason_kind(problem)  # groups by part


def test_uscc_letter_in_region_is_a_charset_problem():
    value, problem = v.parse_uscc(_code("9115060A"[:8] + "MA0012345"))
    assert value is None and problem.startswith("统一社会信用代码含有不允许的字符（第3-8位应为数字")


def test_uscc_structure_table_is_complete():
    from industry_gap.ingest.uscc_structure import DEPARTMENTS

    assert "".join(DEPARTMENTS) == "123456789ANY"
    assert set(DEPARTMENTS["9"][1]) == {"1", "2", "3"}
    assert all(set(cats) <= set("123459") for _, cats in DEPARTMENTS.values())


# -- dates -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "2015-03-02",
        "2015/3/2",
        "2015.3.2",
        "2015年3月2日",
        "2015 年 3 月 2 日",
        "20150302",
        "42065",
        "42065.5",
        "2015-03-02 00:00:00",
        "2015-03-02T08:30:00",
        "２０１５－０３－０２",
    ],
)
def test_dates_accepted(text):
    assert v.parse_date(text) == ("2015-03-02", None)


def test_year_month_means_first_day():
    assert v.parse_date("2025年6月") == ("2025-06-01", None)
    assert v.parse_date("2025-06") == ("2025-06-01", None)


@pytest.mark.parametrize("text", ["", "  ", "-", "无"])
def test_dates_empty(text):
    assert v.parse_date(text) == (None, None)


@pytest.mark.parametrize(
    "text", ["2015-02-30", "2015-13-01", "3/2/2015", "2015", "去年", "1850-01-01", "15-3-2", "2015年底"]
)
def test_dates_rejected_with_value(text):
    value, problem = v.parse_date(text, "成立日期")
    assert value is None
    assert problem.startswith("成立日期无法识别")
    assert f"“{text}”" in problem


# -- amounts -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, unit, expected",
    [
        ("1234.5", None, 1234.5),
        ("1,234.5万元", None, 1234.5),
        ("1,234.5 万元", "元", 1234.5),  # the cell's unit overrides the header's
        ("3亿元", None, 30000.0),
        ("3亿", None, 30000.0),
        ("1234500元", None, 123.45),
        ("1234500", "元", 123.45),
        ("500万元人民币", None, 500.0),
        ("人民币500万元", None, 500.0),
        ("￥500万", None, 500.0),
        ("100（万元）", None, 100.0),
        ("2", "亿元", 20000.0),
        ("0", None, 0.0),
        ("1.5e3", None, 1500.0),
        ("１２３", None, 123.0),
    ],
)
def test_amounts(text, unit, expected):
    value, problem = v.parse_amount(text, unit)
    assert problem is None
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "-", "—", "/"])
def test_amount_empty(text):
    assert v.parse_amount(text) == (None, None)


@pytest.mark.parametrize("text", ["壹佰万", "约300万", "300万左右", "一百万", "1.2.3"])
def test_amount_words_rejected(text):
    assert v.parse_amount(text, None, "注册资本") == (None, f"注册资本无法识别：“{text}”（请填写阿拉伯数字）")


@pytest.mark.parametrize(
    "text, currency",
    [("100万美元", "美元"), ("USD 100", "美元"), ("50万港元", "港元"), ("HK$50", "港元"), ("20万欧元", "欧元")],
)
def test_amount_foreign_currency(text, currency):
    value, problem = v.parse_amount(text, None, "注册资本")
    assert value is None
    assert problem.startswith(f"注册资本为外币（{currency}）")
    assert reason_kind(problem) == "注册资本为外币"


def test_amount_negative():
    assert v.parse_amount("-5", None, "营业收入") == (None, "营业收入为负数：“-5”")


# -- counts and years -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected", [("35", 35.0), ("35人", 35.0), ("35.0", 35.0), ("1,200", 1200.0), ("", None)]
)
def test_counts(text, expected):
    assert v.parse_count(text) == (expected, None)


@pytest.mark.parametrize(
    "text, kind", [("约50", "人数无法识别"), ("12.5", "人数不是整数"), ("-3", "人数为负数"), ("五十", "人数无法识别")]
)
def test_count_problems(text, kind):
    value, problem = v.parse_count(text)
    assert value is None and reason_kind(problem) == kind


@pytest.mark.parametrize("text, expected", [("2025", 2025), ("2025年", 2025), ("2025.0", 2025)])
def test_years(text, expected):
    assert v.parse_year(text) == (expected, None)


@pytest.mark.parametrize("text", ["25", "明年", "1999", "2025-06"])
def test_year_problems(text):
    assert v.parse_year(text, "目标年份")[1].startswith("目标年份无法识别")


# -- status ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["存续", "在业", "开业", "正常", "登记成立", "存续（在营、开业、在册）", " 在营 "])
def test_status_active(text):
    assert v.parse_status(text) == ("active", None)


@pytest.mark.parametrize(
    "text, word",
    [
        ("注销", "注销"),
        ("已注销", "注销"),
        ("吊销，未注销", "吊销"),
        ("吊销", "吊销"),
        ("迁出", "迁出"),
        ("撤销", "撤销"),
        ("停业", "停业"),
        ("清算中", "清算"),
        ("责令关闭", "责令关闭"),
    ],
)
def test_status_closed(text, word):
    assert v.parse_status(text) == ("closed", word)


def test_status_empty_and_unknown():
    assert v.parse_status("") == ("empty", None)
    assert v.parse_status("非正常户") == ("unknown", None)
    assert v.parse_status("待定") == ("unknown", None)


# -- industry codes -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("1311", "1311"),
        ("C1311", "1311"),
        ("c13", "13"),
        ("１３１１", "1311"),
        ("C1311 稻谷加工", "1311"),
        ("0610", "0610"),
        ("C", "C"),
    ],
)
def test_codes(text, expected):
    assert v.parse_industry_code(text) == (expected, None)


@pytest.mark.parametrize("text", ["9999", "131.0", "abc", "13115"])
def test_code_problems(text):
    assert v.parse_industry_code(text) == (None, f"行业代码“{text}”不是有效的 GB/T 4754-2017 代码")


def test_code_2011_edition_goes_through_crosswalk():
    # 2011 had one class 1310 谷物磨制; 2017 split it (1311 稻谷加工 first).
    assert v.parse_industry_code("1310", "2011") == ("1311", None)
    assert v.parse_industry_code("1310")[1] is not None  # not a 2017 class
    assert v.parse_industry_code("9999", "2011")[1] == "行业代码“9999”不是有效的 GB/T 4754-2011 代码"


@pytest.mark.parametrize(
    "text, expected", [("610", ("0610", None)), ("6", ("06", None)), ("1311", ("1311", None)), ("29", ("29", None))]
)
def test_codes_from_excel_number_cells(text, expected):
    assert v.parse_industry_code(text, numeric=True) == expected


def test_excel_number_code_with_two_readings_is_a_problem():
    # 0711 陆地石油开采 typed as a number reads 711, which is also group 711 机械设备经营租赁.
    value, problem = v.parse_industry_code("711", numeric=True)
    assert value is None and "丢失了开头的0" in problem
    assert v.parse_industry_code("711") == ("711", None)  # typed as text: taken as written


def test_target_scope():
    assert v.parse_target_scope("规上") == ("规上口径", None)
    assert v.parse_target_scope("规模以上") == ("规上口径", None)
    assert v.parse_target_scope("全口径") == ("全口径", None)
    assert v.parse_target_scope("部分")[1].startswith("口径无法识别")


# -- reason kinds ----------------------------------------------------------------------------------
def test_reason_kind_and_counts():
    assert reason_kind("行业代码“X”不是有效的 GB/T 4754-2017 代码") == "行业代码不是有效的 GB/T 4754-2017 代码"
    assert reason_kind("统一社会信用代码长度应为18位（实际17位）") == "统一社会信用代码长度应为18位"
    assert reason_kind("登记状态为注销，不纳入统计") == "登记状态为注销"
    assert reason_kind("成立日期无法识别：“x”（请填写如 2015-03-02 的日期）") == "成立日期无法识别"
    counts = count_reasons(pd.Series(["经营范围为空；成立日期无法识别：“x”", "经营范围为空"]))
    assert counts == {"经营范围为空": 2, "成立日期无法识别": 1}
