"""Property-based tests (Hypothesis) of the cell parsers, the masking function and the reader.

Each property runs twice: a bounded number of examples in the fast tier and many more in the
slow tier (`-m slow`). What they claim:

* every parser takes any text without raising and returns exactly one of: nothing (an empty
  cell), a clean value, or a Chinese problem; a clean value round-trips (a number written with
  or without thousands groups and units, a date in each accepted spelling, a valid USCC however
  it is spaced or cased, every 小类 code with or without its section letter);
* masking never raises, is idempotent, and leaves no mobile number it was given readable;
* for any generated registry, every data row ends in exactly one of clean / quarantined / set
  aside, and the clean rows carry the values that were written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import string
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from industry_gap.ingest import ingest_file
from industry_gap.ingest.values import (
    AMOUNT_SANITY_LIMIT_WAN,
    parse_amount,
    parse_count,
    parse_date,
    parse_industry_code,
    parse_uscc,
)
from industry_gap.privacy import mask_text
from reference import standard
from tests.factories import REGISTRY_HEADER, make_uscc

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def both_tiers(*strategies: st.SearchStrategy) -> Callable:
    """Two tests from one property: `<name>` (fast tier) and `<name>_many` (marked slow)."""

    def decorate(check: Callable) -> tuple[Callable, Callable]:
        fast = FAST(given(*strategies)(check))
        many = pytest.mark.slow(SLOW(given(*strategies)(check)))
        return fast, many

    return decorate


# Cells as offices type them: digits, separators, units, Chinese words, full-width forms, junk.
CELL_ALPHABET = (
    string.digits
    + string.ascii_letters
    + " ,.-+()/:;%$#@=\"'"
    + "年月日万元亿千人（），。：、０１２３４５６７８９－　存续注销吊销有限公司制造销售"
)
cells = st.text(alphabet=CELL_ALPHABET, max_size=30)


def _one_outcome(value: object, problem: object) -> None:
    assert problem is None or (isinstance(problem, str) and problem), problem
    assert not (value is not None and problem is not None), (value, problem)


# -- amounts and counts ------------------------------------------------------------------------------
def _amount_any_text(text: str) -> None:
    value, problem = parse_amount(text, label="营业收入")
    _one_outcome(value, problem)
    if value is not None:
        assert isinstance(value, float) and 0 <= value <= AMOUNT_SANITY_LIMIT_WAN and not math.isnan(value)
    if problem is not None:
        assert problem.startswith("营业收入"), problem


test_amount_any_text, test_amount_any_text_many = both_tiers(cells)(_amount_any_text)


def _written_number(cents: int, grouped: bool, unit: str) -> tuple[str, float]:
    number = cents / 100
    text = f"{number:,.2f}" if grouped else f"{number:.2f}"
    scale = {"": 1, "万元": 1, "元": 1e-4, "亿元": 1e4}[unit]
    return text + unit, number * scale


def _amount_round_trip(cents: int, grouped: bool, unit: str) -> None:
    text, expected = _written_number(cents, grouped, unit)
    value, problem = parse_amount(text, label="营业收入")
    if expected > AMOUNT_SANITY_LIMIT_WAN:
        assert value is None and problem is not None
        return
    assert problem is None, (text, problem)
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-6), text


test_amount_round_trip, test_amount_round_trip_many = both_tiers(
    st.integers(min_value=0, max_value=10**13), st.booleans(), st.sampled_from(["", "万元", "元", "亿元"])
)(_amount_round_trip)


def _count_any_text(text: str) -> None:
    value, problem = parse_count(text, label="从业人员")
    _one_outcome(value, problem)
    if value is not None:
        assert isinstance(value, float) and value.is_integer() and value >= 0


test_count_any_text, test_count_any_text_many = both_tiers(cells)(_count_any_text)


# -- dates --------------------------------------------------------------------------------------------
def _date_any_text(text: str) -> None:
    value, problem = parse_date(text, "成立日期")
    _one_outcome(value, problem)
    if value is not None:
        assert isinstance(value, str) and 1900 <= dt.date.fromisoformat(value).year <= 2100


test_date_any_text, test_date_any_text_many = both_tiers(cells)(_date_any_text)


def _date_round_trip(day: dt.date, spelling: str, date1904: bool) -> None:
    if spelling == "serial":
        epoch = dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)
        serial = (day - epoch).days
        if not 10000 <= serial <= 99999:
            return  # serials are 5 digits only (a bare year is never one)
        text = str(serial)
    else:
        text = day.strftime(spelling).replace("年0", "年").replace("月0", "月")
    assert parse_date(text, "成立日期", date1904) == (day.isoformat(), None), text


test_date_round_trip, test_date_round_trip_many = both_tiers(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d 00:00:00", "serial"]),
    st.booleans(),
)(_date_round_trip)


# -- USCC ---------------------------------------------------------------------------------------------
def _uscc_any_text(text: str) -> None:
    value, problem = parse_uscc(text)
    _one_outcome(value, problem)
    assert value is not None or problem is not None  # an empty code is itself a problem
    if value is not None:
        assert isinstance(value, str) and len(value) == 18 and parse_uscc(value) == (value, None)


test_uscc_any_text, test_uscc_any_text_many = both_tiers(cells)(_uscc_any_text)


def _uscc_round_trip(sequence: int, lower: bool, space_at: int) -> None:
    code = make_uscc(sequence)
    written = code.lower() if lower else code
    written = f" {written[:space_at]} {written[space_at:]}\u3000"
    assert parse_uscc(written) == (code, None), written


test_uscc_round_trip, test_uscc_round_trip_many = both_tiers(
    st.integers(min_value=0, max_value=10**6), st.booleans(), st.integers(min_value=0, max_value=18)
)(_uscc_round_trip)


# -- industry codes ------------------------------------------------------------------------------------
CLASS_CODES = sorted(node.code for node in standard().nodes.values() if node.level == "class")


def _code_round_trip(code: str, with_section: bool) -> None:
    written = (standard().get(code).section + code) if with_section else code
    assert parse_industry_code(written) == (code, None), written


test_code_round_trip, test_code_round_trip_many = both_tiers(st.sampled_from(CLASS_CODES), st.booleans())(
    _code_round_trip
)


def _code_any_text(text: str) -> None:
    value, problem = parse_industry_code(text)
    _one_outcome(value, problem)
    if value is not None:
        assert standard().find(value) is not None


test_code_any_text, test_code_any_text_many = both_tiers(cells)(_code_any_text)


# -- masking --------------------------------------------------------------------------------------------
mobiles = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1))


def _masking(before: str, mobile: str, after: str) -> None:
    text = f"{before}{mobile}{after}"
    masked = mask_text(text)
    assert len(masked) == len(text)
    assert mask_text(masked) == masked  # idempotent
    assert mobile not in masked, masked  # the number never survives whole, whatever surrounds it


test_masking, test_masking_many = both_tiers(
    st.text(alphabet="联系电话：公司 ,（）", max_size=8), mobiles, st.text(alphabet="号 ，。", max_size=8)
)(_masking)


def _masking_any_text(text: str) -> None:
    masked = mask_text(text)
    assert len(masked) == len(text) and mask_text(masked) == masked


test_masking_any_text, test_masking_any_text_many = both_tiers(cells)(_masking_any_text)


# -- the reader: every row ends in exactly one place ------------------------------------------------------
def _row(draw_sequence: int, revenue: str, status: str, established: str, uscc: str | None) -> list[str]:
    row = dict.fromkeys(REGISTRY_HEADER, "")
    row.update(
        {
            "统一社会信用代码": uscc if uscc is not None else make_uscc(draw_sequence),
            "企业名称": f"鄂尔多斯市测试{draw_sequence}号有限公司",
            "经营范围": "塑料制品制造；塑料制品销售",
            "登记状态": status,
            "成立日期": established,
            "营业收入（万元）": revenue,
        }
    )
    return [row[h] for h in REGISTRY_HEADER]


registry_rows = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=40),  # firms repeat: duplicates are set aside
        st.one_of(st.integers(0, 10**7).map(str), cells),
        st.sampled_from(["存续", "在业", "注销", "吊销，未注销", "", "待定", "存续1594"]),
        st.one_of(st.dates(dt.date(1990, 1, 1), dt.date(2020, 12, 31)).map(dt.date.isoformat), cells),
        st.one_of(st.none(), cells),
    ),
    min_size=1,
    max_size=25,
)


def _reader_accounts_for_every_row(tmp_path_factory, rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REGISTRY_HEADER)
    written = [_row(*r) for r in rows]
    writer.writerows(written)
    path = tmp_path_factory.mktemp("reader") / "名录.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    result = ingest_file(path, "registry")
    assert result.clean is not None
    places = [set(result.clean["source_row"]), set(result.quarantine["row"]), set(result.set_aside["row"])]
    counts = result.accounting()
    assert counts["in"] == counts["clean"] + counts["quarantined"] + counts["set_aside"]
    assert sum(len(p) for p in places) == counts["in"], counts  # no row in two places
    assert set().union(*places) == set(range(2, 2 + counts["in"]))  # the data rows, as numbered in the sheet
    for _, row in result.clean.iterrows():  # a clean value round-trips
        source = written[int(row["source_row"]) - 2]
        assert row["uscc"] == parse_uscc(source[0])[0]
        expected, problem = parse_amount(source[REGISTRY_HEADER.index("营业收入（万元）")], label="营业收入")
        assert problem is None
        assert (math.isnan(row["revenue_wan"]) and expected is None) or row["revenue_wan"] == expected


def test_reader_accounts_for_every_row(tmp_path_factory):
    FAST(given(registry_rows)(lambda rows: _reader_accounts_for_every_row(tmp_path_factory, rows)))()


@pytest.mark.slow
def test_reader_accounts_for_every_row_many(tmp_path_factory):
    settings(SLOW, max_examples=200)(
        given(registry_rows)(lambda rows: _reader_accounts_for_every_row(tmp_path_factory, rows))
    )()
