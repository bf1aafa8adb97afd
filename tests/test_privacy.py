"""Masking personal data: ID and phone numbers in free text, personal columns, log records."""

from __future__ import annotations

import logging
import math

import pandas as pd
from stdnum.cn import uscc as uscc_std

from industry_gap.privacy import (
    PERSONAL_COLUMNS,
    MaskingFilter,
    drop_personal_columns,
    id_check_char,
    is_id_number,
    looks_like_id_number,
    mask_frame,
    mask_text,
)
from tests.factories import all_digit_usccs, make_uscc


def make_id(first17: str) -> str:
    """A valid 18-digit ID number (GB 11643 check character)."""
    return first17 + id_check_char(first17)


ID_BEIJING = make_id("11010119900307123")  # ends in 3
ID_WITH_X = next(
    make_id(f"15060219851120{n:03d}") for n in range(1000) if id_check_char(f"15060219851120{n:03d}") == "X"
)
OLD_ID = "150602850307123"  # 15 digits: 1985-03-07


def test_check_character_examples():
    assert ID_BEIJING == "110101199003071233"
    assert ID_WITH_X.endswith("X") and is_id_number(ID_WITH_X) and is_id_number(ID_WITH_X.lower())
    assert is_id_number(OLD_ID)


def test_ids_and_phones_masked_in_chinese_text():
    text = (
        f"个体工商户经营者：张三，身份证号{ID_BEIJING}；联系电话13812345678，"
        f"备用+86 139-1234-5678，座机0477-8123456；旧证{OLD_ID}。"
    )
    masked = mask_text(text)
    assert "110*************33" in masked
    assert "138****5678" in masked
    assert "+86 139-****-5678" in masked
    assert "0477-***3456" in masked
    assert "150**********23" in masked
    for secret in (ID_BEIJING, "13812345678", "1234-5678", "8123456", OLD_ID, "19900307"):
        assert secret not in masked
    assert masked.startswith("个体工商户经营者：张三，身份证号")
    assert len(masked) == len(text)


def test_id_with_x_check_character():
    masked = mask_text(f"身份证：{ID_WITH_X}")
    assert masked == f"身份证：{ID_WITH_X[:3]}{'*' * 13}{ID_WITH_X[-2:]}"


def test_valid_usccs_are_left_untouched():
    codes = [make_uscc(n) for n in range(1, 30)] + all_digit_usccs() + ["91150602MA0000000001"]
    assert any(code.isdigit() for code in codes)
    for code in codes:
        text = f"企业统一社会信用代码{code}，经营范围：羊绒制品加工。"
        assert mask_text(text) == text, code
        assert mask_text(code) == code


def test_invalid_birth_date_or_province_is_not_an_id():
    bad_month = make_id("11010119901307123")
    future = make_id("11010129990307123")  # year 2999: outside 1900–2099
    not_a_province = make_id("99010119900307123")
    for value in (bad_month, future, not_a_province):
        assert not is_id_number(value) and not looks_like_id_number(value)
        assert mask_text(value) == value


def test_wrong_check_character_is_still_masked():
    # Issue 14: a typo in the check character is no reason to publish the number.
    wrong_check = ID_BEIJING[:-1] + ("4" if ID_BEIJING[-1] != "4" else "5")
    assert not is_id_number(wrong_check) and looks_like_id_number(wrong_check)
    assert mask_text(wrong_check) == "110*************34"


def test_residual_risk_documented_all_digit_uscc_that_is_also_a_valid_id_is_masked():
    # A 事业单位 USCC (12…) whose digits also read as a Beijing-style ID with a real birth
    # date and a passing check digit: privacy wins, the module docstring says so.
    code = "121501198503070878"
    assert uscc_std.is_valid(code) and is_id_number(code)
    assert mask_text(code) != code


def test_numbers_glued_to_other_digits_or_letters_are_not_phones():
    for text in ("订单号213812345678", "编号13812345678A", "金额138123456789元", "日期2018-05-06"):
        assert mask_text(text) == text


def test_non_text_values_pass_through():
    assert mask_text(None) is None
    assert mask_text("") == ""
    assert math.isnan(mask_text(math.nan))
    assert mask_text("没有数字的经营范围") == "没有数字的经营范围"


def test_mask_frame_keeps_shape_and_masks_text_columns():
    frame = pd.DataFrame(
        {
            "uscc": [make_uscc(1), make_uscc(2), make_uscc(3)],
            "name": ["鄂尔多斯市甲羊绒制品有限公司", f"王五（{ID_BEIJING}）个体户", None],
            "scope": ["羊绒制品加工", "联系13812345678", "水泥制品制造"],
            "revenue_wan": [1900.0, math.nan, 300.0],
            "employees": [25, 3, 8],
        }
    )
    masked = mask_frame(frame)
    assert masked.shape == frame.shape
    assert list(masked.columns) == list(frame.columns)
    assert list(masked.dtypes) == list(frame.dtypes)
    assert masked["uscc"].tolist() == frame["uscc"].tolist()
    assert masked.loc[1, "name"] == "王五（110*************33）个体户"
    assert masked.loc[1, "scope"] == "联系138****5678"
    assert pd.isna(masked.loc[2, "name"])
    assert masked["revenue_wan"].equals(frame["revenue_wan"])
    assert frame.loc[1, "scope"] == "联系13812345678"  # the input is not modified


def test_mask_frame_selected_columns_only():
    frame = pd.DataFrame({"a": ["13812345678"], "b": ["13812345678"]})
    masked = mask_frame(frame, columns=["b", "missing"])
    assert masked.loc[0, "a"] == "13812345678"
    assert masked.loc[0, "b"] == "138****5678"


def test_drop_personal_columns():
    frame = pd.DataFrame({"uscc": ["x"], "name": ["n"], "legal_representative": ["张三"], "联系电话": ["1"]})
    kept = drop_personal_columns(frame)
    assert list(kept.columns) == ["uscc", "name"]
    assert "legal_representative" in PERSONAL_COLUMNS
    assert "legal_representative" in frame.columns  # the input keeps its columns


def test_filter_masks_logged_message_and_arguments(captured_logger):
    logger, records = captured_logger
    logger.info("隔离行：法定代表人身份证号 %s，手机 %s，企业 %s", ID_BEIJING, "13812345678", make_uscc(7))
    assert records == [f"隔离行：法定代表人身份证号 110*************33，手机 138****5678，企业 {make_uscc(7)}"]


def test_filter_masks_exception_text(captured_logger):
    logger, records = captured_logger
    try:
        raise ValueError("无法解析的手机号 13812345678")
    except ValueError:
        logger.exception("读取失败")
    assert "138****5678" in records[0]
    assert "13812345678" not in records[0]


def test_filter_leaves_clean_records_alone():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "共%d行", (5,), None)
    assert MaskingFilter().filter(record) is True
    assert record.msg == "共%d行" and record.args == (5,)


def test_safe_for_output_drops_personal_columns_masks_text_and_keeps_identifiers():
    from industry_gap.privacy import safe_for_output

    frame = pd.DataFrame(
        {
            "uscc": ["121501198503070878"],
            "name": ["张三（身份证110101199003071233）"],
            "legal_representative": ["张三"],
            "scope": ["联系电话13812345678"],
            "industry_code": ["1311"],
        }
    )
    out = safe_for_output(frame)
    assert "legal_representative" not in out.columns
    assert out.loc[0, "uscc"] == "121501198503070878"
    assert "110101199003071233" not in out.loc[0, "name"]
    assert "13812345678" not in out.loc[0, "scope"]
    assert out.loc[0, "industry_code"] == "1311"
