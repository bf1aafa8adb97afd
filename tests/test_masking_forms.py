"""Issue 14: every written form of a personal number is masked, and nothing that merely looks
like one is. One table of forms, checked through `mask_text`, `mask_series`, `safe_for_output`
and the logging filter."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from stdnum.cn import uscc as uscc_std

from industry_gap import privacy
from industry_gap.privacy import (
    id_check_char,
    mask_series,
    mask_text,
    normalise,
    safe_for_output,
)
from tests.factories import all_digit_usccs, make_uscc

ID = "110101199003071233"  # valid check character 3
ID_X = "15060219851120000X"  # valid, check character X
ID_WRONG_CHECK = ID[:-1] + "4"
OLD_ID = "150602850307123"  # 15 digits, born 1985-03-07
MOBILE = "13812345678"
MOBILE_2 = "13912345678"
FW = str.maketrans("0123456789Xx+-()", "０１２３４５６７８９Ｘｘ＋－（）")

# Digit strings that must not survive in a masked output (separators removed first): the
# birth dates and the middle digits of the numbers above.
SECRETS = ("19900307", "19851120", "850307", "1381234", "1391234", "04778123")


MUST_MASK = [
    # 18-digit ID numbers
    ID,
    f"身份证号{ID}。",
    f"经营者张三（{ID}）",
    ID_X,
    ID_X.lower(),
    ID_X[:-1] + "Ｘ",
    ID_WRONG_CHECK,
    f"身份证{ID_WRONG_CHECK}",
    ID[:-1] + "X",
    ID.translate(FW),
    f"身份证号：{ID.translate(FW)}",
    "110101 19900307 1233",
    "1101 0119 9003 0712 33",
    "110 101 199 003 071 233",
    "110101\u300019900307\u30001233",
    "110101-19900307-1233",
    "110101.19900307.1233",
    "110101\u00a019900307\u00a01233",
    "110101 - 19900307 - 1233",
    "１１０１０１　１９９００３０７　１２３３",
    "150602 19851120 000X",
    "ID110101199003071233",
    "id:110101199003071233",
    # 15-digit ID numbers
    OLD_ID,
    f"旧证{OLD_ID}",
    "150602 850307 123",
    OLD_ID.translate(FW),
    # mobiles, bare and grouped
    MOBILE,
    f"联系电话{MOBILE}",
    f"电话：{MOBILE}，",
    MOBILE.translate(FW),
    f"手机{MOBILE.translate(FW)}号",
    "138 1234 5678",
    "138-1234-5678",
    "138.1234.5678",
    "1381234-5678",
    "1381 234 5678",
    "138\u30001234\u30005678",
    "138–1234–5678",
    "138—1234—5678",
    "138－1234－5678",
    "138‐1234‐5678",
    "１３８－１２３４－５６７８",
    "１３８　１２３４　５６７８",
    "Tel13812345678",
    "TEL:138 1234 5678",
    # mobiles with a country or trunk prefix
    f"0{MOBILE}",
    f"86{MOBILE}",
    f"+86{MOBILE}",
    f"+86 {MOBILE}",
    f"+86-{MOBILE}",
    f"0086{MOBILE}",
    f"0086 {MOBILE}",
    f"(+86){MOBILE}",
    f"（+86）{MOBILE}",
    f"＋８６{MOBILE.translate(FW)}",
    f"＋８６ {MOBILE}",
    "+86 139-1234-5678",
    "+86 138 1234 5678",
    "＋８６　１３８－１２３４－５６７８",
    "0086-138-1234-5678",
    "86 138 1234 5678",
    # glued to other digits: exact concatenations, and valid IDs inside longer runs
    ID + MOBILE,
    MOBILE + ID,
    MOBILE + MOBILE_2,
    ID + ID_WRONG_CHECK,
    OLD_ID + MOBILE,
    f"1{ID}",
    f"12{ID}",
    f"{ID}1",
    f"第3{ID}号",
    f"{ID}{MOBILE}".translate(FW),
    # several numbers in one text
    f"身份证{ID}，电话{MOBILE}",
    f"{MOBILE} {MOBILE_2}",
    f"0477-8123456 {MOBILE}",
    # hyphenated landlines: masked today (the text cannot tell an office from a home)
    "0477-8123456",
    "座机0477－8123456",
    "0477—8123456",
    "０４７７－８１２３４５６",
]

MUST_NOT_MASK = [
    # amounts
    "1,234,567.89",
    "12345678.00万元",
    "营业收入1,234,567.89元",
    "注册资本 100万元",
    "注册资本1000.00万元人民币",
    "13,812,345,678元",
    "12345678901",
    "金额 123456789.12 元",
    # dates and times
    "2023-01-15",
    "20230115",
    "2023年1月15日",
    "2023.01.15",
    "2023/01/15",
    "2023-01-15 12:30:45",
    "2023-01-15至2043-01-14",
    "20230115-20430114",
    "成立日期：2016-01-06",
    # 统一社会信用代码
    "91150602MA0N2X4Y7K",
    "911506021147236578",
    "911506030969467487",
    "9115060339437627XC",
    "91150602000000006X",
    f"统一社会信用代码{make_uscc(7)}",
    *[make_uscc(n) for n in (1, 3, 1234)],
    *all_digit_usccs(),
    # industry codes, row numbers, short numbers
    "C1311",
    "1311",
    "行业代码C1311、C1312",
    "第1行",
    "序号 12345",
    "1234567",
    "192.168.1.138",
    # not quite an ID number: impossible birth date, no province, year out of range
    "110101199013071233",
    "990101199003071233",
    "110101299903071233",
    "110101000000000000",
    # not quite a mobile: too short, 12 in front, glued to a letter
    "1381234567",
    "138 1234 567",
    "12812345678",
    "编号13812345678A",
    "13812345678B",
    # glued to other digits: a mobile-shaped run inside a longer number (order numbers, amounts)
    "订单号213812345678",
    "金额138123456789元",
    "113812345678",
    "20230115000123456789",
    # a landline without the hyphen is not recognised
    "0477 8123456",
]

FORMS = [(text, True) for text in MUST_MASK] + [(text, False) for text in MUST_NOT_MASK]


def squash(text: str) -> str:
    """Normalised, separators removed: what a reader would piece together."""
    return re.sub(r"[ \-.]", "", normalise(text))


@pytest.mark.parametrize(("text", "must_mask"), FORMS, ids=[repr(t) for t, _ in FORMS])
def test_form(text: str, must_mask: bool):
    masked = mask_text(text)
    assert len(masked) == len(text)
    if must_mask:
        assert masked != text
        for secret in SECRETS:
            assert secret not in squash(masked), (secret, masked)
        assert privacy._MAYBE_PERSONAL.search(text)  # the prefilter lets it through
        assert mask_text(masked) == masked  # masking twice changes nothing
    else:
        assert masked == text


def test_tables_hold_no_duplicates_and_sample_codes_are_valid():
    assert len(set(MUST_MASK)) == len(MUST_MASK) and len(set(MUST_NOT_MASK)) == len(MUST_NOT_MASK)
    assert id_check_char(ID[:17]) == ID[-1] and id_check_char(ID_X[:17]) == "X"
    assert all(uscc_std.is_valid(code) for code in ("911506030969467487", *all_digit_usccs()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the display form is kept: first 3 / last 4 of a mobile, first 3 / last 2 of an ID number;
        # separators, prefixes and full-width characters stay as written
        ("13812345678", "138****5678"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("138 1234 5678", "138 **** 5678"),
        ("138-1234-5678", "138-****-5678"),
        ("+86 139-1234-5678", "+86 139-****-5678"),
        ("＋８６　１３８－１２３４－５６７８", "＋８６　１３８－****－５６７８"),
        ("8613912345678", "86139****5678"),
        (ID, "110*************33"),
        ("110101 19900307 1233", "110*** ******** **33"),
        (ID.translate(FW), "１１０*************３３"),
        (OLD_ID, "150**********23"),
        (ID + MOBILE, "110*************33138****5678"),
        (f"1{ID}", "1110*************33"),
        ("0477-8123456", "0477-***3456"),
    ],
)
def test_masked_display_form(text: str, expected: str):
    assert mask_text(text) == expected


@pytest.mark.parametrize("dtype", ["str", object])
def test_mask_series_equals_map_over_the_table(dtype):
    texts = [text for text, _ in FORMS]
    series = pd.Series(texts + [f"经营范围：羊绒制品加工。{t}" for t in texts] + [None], dtype=dtype)
    expected = [mask_text(v) if isinstance(v, str) else v for v in series.tolist()]
    got = mask_series(series)
    assert got.dtype == series.dtype and got.index.equals(series.index)
    assert got.tolist()[:-1] == expected[:-1]
    assert sum(a != b for a, b in zip(got.iloc[:-1], series.iloc[:-1])) == 2 * len(MUST_MASK)
    assert got.iloc[-1] is None or pd.isna(got.iloc[-1])


def test_safe_for_output_masks_name_and_scope_columns():
    frame = pd.DataFrame(
        {
            "uscc": [make_uscc(n) for n in range(1, len(MUST_MASK) + 1)],
            "name": [f"个体户（{text}）" for text in MUST_MASK],
            "scope": [f"零售；联系{text}" for text in MUST_MASK],
        }
    )
    out = safe_for_output(frame)
    assert out["uscc"].tolist() == frame["uscc"].tolist()
    for column in ("name", "scope"):
        for before, after in zip(frame[column], out[column]):
            assert after != before
            assert not any(secret in squash(after) for secret in SECRETS), after


def test_logging_filter_masks_every_form(captured_logger):
    logger, records = captured_logger
    for text, must_mask in FORMS:
        logger.info("行内容：%s", text)
        logger.info(f"消息：{text}")
        for line in records[-2:]:
            assert (text not in line) if must_mask else (text in line), line
            assert line.endswith(mask_text(text))


def test_sample_registry_is_left_unchanged():
    """No false positive in the sample registry (8,000 real-looking rows, all columns)."""
    path = Path(__file__).resolve().parents[1] / "sample_data" / "registry.csv"
    if not path.exists():
        pytest.skip("no sample data")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in frame.columns:
        series = frame[column]
        assert mask_series(series) is series, column
