"""Personal data in registries: mask ID and phone numbers in text, drop personal columns, mask logs.

Registries of 规下 firms carry personal data, especially for 个体工商户 whose
经营者 is a private person: 法定代表人, 身份证号 and 手机号 appear in their own
columns and, just as often, inside free text (经营范围, 企业名称 of a
个体户, evidence strings, error messages). Nothing personal may reach an
export, a log line or asset metadata.

What `mask_text` masks, wherever it appears in a string:

* 居民身份证号码, 18 digits with the GB 11643 check character (``X`` allowed),
  and the old 15-digit numbers: the first 3 and the last 2 characters stay,
  the rest become ``*`` (``110101199003071233`` → ``110*************33``).
  Three digits name the province and city only; the birth date and the
  sequence number are hidden, yet an officer can still match the masked
  value against a paper record.
* mobile numbers ``1[3-9]xxxxxxxxx`` (with an optional +86/86 prefix and
  ``-``/space separators): the first 3 and last 4 digits stay
  (``13812345678`` → ``138****5678``), the usual Chinese display form.
* landlines written with an area code and a hyphen (``0477-8123456``): the
  area code and the last 4 digits stay (``0477-***3456``). Landlines without
  the hyphen are not recognised (too easily confused with amounts).

Telling an ID number from a 统一社会信用代码 (USCC): both are 18 characters
and a USCC may be all digits (``911506020000000018``). A candidate is masked
only when it is a plausible ID number: the first two digits are a province
code (11–82, 83), positions 7–14 are a real birth date between 1900 and
today, and the check character is right (weights 7,9,10,5,8,4,2,1,6,3,7,9,
10,5,8,4,2 mod 11, mapped through ``10X98765432``). Enterprise USCCs start
with 9 (工商) and never pass the province test. Residual risk: a USCC of a
机关/事业单位 (11, 12, 13…) or 社会组织 (51, 52, 53) that is all digits,
whose county digits (positions 7–8) read 19 or 20, whose next six characters
form a valid month and day, and whose last digit happens to pass the mod-11
check (1 in 11) is masked too, roughly one such code in tens of thousands.
That errs on the side of privacy; the ``uscc`` column itself is validated at
ingestion and should not be passed through `mask_text` when it must stay
exact (see `mask_frame`'s ``columns``).

For 15-digit numbers (no check digit) the test is the province code and a
valid ``19YYMMDD`` birth date; an old 15-digit 工商注册号 whose digits 7–12
happen to form a date is masked as well (about 4 % of them). Bank card
numbers and e-mail addresses are not handled here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import numpy as np
import pandas as pd

# Columns that hold personal data: never exported, never shown in metadata.
# English names from `industry_gap.schema` and plausible raw Chinese headers,
# in case a frame is exported before header mapping.
PERSONAL_COLUMNS = frozenset({
    "legal_representative", "legal_representative_id", "operator_name", "id_number", "id_card",
    "phone", "mobile", "telephone", "contact_person", "contact_phone", "email", "home_address",
    "法定代表人", "法定代表人姓名", "法人代表", "负责人", "经营者", "经营者姓名", "身份证号", "身份证号码",
    "法定代表人身份证号", "证件号码", "联系人", "联系电话", "手机号", "手机号码", "电子邮箱", "住所（个体户）",
})

MASK_CHAR = "*"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# 省级行政区划代码 (GB/T 2260), plus 71 台湾, 81 香港, 82 澳门 and 83 (台湾居民居住证).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})

# "Not glued to another ASCII letter or digit": Python's \b treats Chinese characters as word
# characters, so "电话13812345678" would have no boundary; these lookarounds do.
_START = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"
_ID_18 = re.compile(_START + r"\d{17}[\dXx]" + _END)
_ID_15 = re.compile(_START + r"\d{15}" + _END)
_MOBILE = re.compile(_START + r"((?:\+|00)?86[-\s]?)?(1[3-9]\d)([-\s]?)(\d{4})([-\s]?)(\d{4})" + _END)
_LANDLINE = re.compile(r"(?<![0-9A-Za-z.])(0\d{2,3}[-－])(\d{3,4})(\d{4})" + _END)
# A text none of the four patterns can match: every one of them needs four digits, an optional
# separator and three more digits in a row (ID numbers 15 or 18 digits; mobiles end in
# \d{4}[-\s]?\d{4}; landlines end in at least seven digits). Texts without such a run are
# returned unchanged, which lets a column skip almost all of its cells in one test.
_MAYBE_PERSONAL = re.compile(r"\d{4}[-\s]?\d{3}")


# -- ID numbers -------------------------------------------------------------
def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def _plausible_birth(year: int, month: int, day: int, today: dt.date | None = None) -> bool:
    today = today or dt.date.today()
    if not 1900 <= year <= today.year:
        return False
    try:
        return dt.date(year, month, day) <= today
    except ValueError:
        return False


def is_id_number(candidate: str) -> bool:
    """True for an 18-digit ID number with a real province, birth date and check character,
    or a 15-digit one with a real province and 19YYMMDD birth date."""
    value = candidate.upper()
    if value[:2] not in PROVINCE_CODES:
        return False
    if len(value) == 18 and value[:17].isdigit():
        return (_plausible_birth(int(value[6:10]), int(value[10:12]), int(value[12:14]))
                and id_check_char(value[:17]) == value[17])
    if len(value) == 15 and value.isdigit():
        return _plausible_birth(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return False


def mask_id_number(value: str) -> str:
    """Keep the first 3 and last 2 characters, star the rest (length is kept)."""
    return value[:3] + MASK_CHAR * (len(value) - 5) + value[-2:]


def _replace_id(match: re.Match) -> str:
    value = match.group(0)
    return mask_id_number(value) if is_id_number(value) else value


# -- phone numbers ----------------------------------------------------------
def _replace_mobile(match: re.Match) -> str:
    prefix, head, sep1, _middle, sep2, tail = match.groups()
    return f"{prefix or ''}{head}{sep1}{MASK_CHAR * 4}{sep2}{tail}"


def _replace_landline(match: re.Match) -> str:
    area, local_head, local_tail = match.groups()
    return f"{area}{MASK_CHAR * len(local_head)}{local_tail}"


# -- public API -------------------------------------------------------------
def mask_text(text: str) -> str:
    """`text` with ID numbers, mobile numbers and hyphenated landlines masked (see the module doc).

    IDs are handled first so a mobile-like run of digits inside an ID number
    is never half-masked. Non-text input (None, NaN, numbers) is returned
    unchanged so callers can map it over mixed columns.
    """
    if not isinstance(text, str) or not text:
        return text
    if _MAYBE_PERSONAL.search(text) is None:
        return text  # fast path: most 经营范围 and names carry no long run of digits at all
    masked = _ID_18.sub(_replace_id, text)
    masked = _ID_15.sub(_replace_id, masked)
    masked = _MOBILE.sub(_replace_mobile, masked)
    return _LANDLINE.sub(_replace_landline, masked)


def _is_text_column(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)


def mask_frame(df: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """A copy of `df` with `mask_text` applied to text cells of `columns` (default: every text column).

    Shape, index, column order and dtypes are kept; non-text cells are left
    alone. Pass ``columns`` to leave identifier columns (``uscc``) exact.
    """
    out = df.copy()
    chosen = [c for c in (columns if columns is not None else out.columns) if c in out.columns]
    for column in chosen:
        series = out[column]
        if not _is_text_column(series):
            continue
        masked = mask_series(series)
        if masked is not series:
            out[column] = masked
    return out


def mask_series(series: pd.Series) -> pd.Series:
    """`mask_text` over the text cells of one column; other cells and the dtype are kept.

    The same values as ``series.map(mask_text)``, column at a time: one
    vectorised regex test finds the few cells that hold a run of digits long
    enough for an ID or phone number, and only those go through `mask_text`.
    Returns `series` itself when nothing is masked.
    """
    if series.empty or not _is_text_column(series):
        return series
    candidates = _candidate_positions(series)
    if not len(candidates):
        return series
    values = series.iloc[candidates].tolist()
    changed = [(position, masked) for position, value, masked
               in zip(candidates, values, (mask_text(value) for value in values)) if masked != value]
    if not changed:
        return series
    out = series.copy()
    out.iloc[[position for position, _ in changed]] = [masked for _, masked in changed]
    return out


def _candidate_positions(series: pd.Series) -> np.ndarray:
    """Positions of the string cells `_MAYBE_PERSONAL` finds something in."""
    try:
        hits = series.str.contains(_MAYBE_PERSONAL.pattern, regex=True, na=False)
    except (AttributeError, TypeError):  # an object column whose values are not (all) text
        hits = series.map(lambda value: isinstance(value, str) and _MAYBE_PERSONAL.search(value) is not None)
    return np.flatnonzero(hits.to_numpy(dtype=bool))


def is_identifier_column(column: str) -> bool:
    """Columns holding codes that must stay exact (USCC, industry codes, ids)."""
    return column == "uscc" or column.endswith(("_uscc", "code", "_id", "_key")) or \
        column.startswith("pred_code_") or column in {"code", "source_file", "file"}


def safe_for_output(df: pd.DataFrame) -> pd.DataFrame:
    """What leaves the pipeline (warehouse, workbooks, metadata): no personal columns, numbers masked.

    Identifier columns are kept exact so joins and the office's look-ups still work.
    """
    kept = drop_personal_columns(df)
    return mask_frame(kept, [c for c in kept.columns if not is_identifier_column(c)])


def drop_personal_columns(df: pd.DataFrame) -> pd.DataFrame:
    """`df` without the columns listed in PERSONAL_COLUMNS (a copy; other columns keep their order)."""
    return df.drop(columns=[c for c in df.columns if c in PERSONAL_COLUMNS])


class MaskingFilter(logging.Filter):
    """Masks ID and phone numbers in log records before any handler writes them.

    The message is formatted with its arguments first (``record.getMessage()``)
    so a number passed as an argument is masked too; the record then carries
    the masked text and no arguments. Exception and stack text are masked as
    well. Attach it to handlers (``handler.addFilter(MaskingFilter())``): a
    filter on a logger does not see records propagated from its child loggers.
    The filter never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


__all__ = [
    "PERSONAL_COLUMNS", "MaskingFilter", "drop_personal_columns", "id_check_char", "is_id_number",
    "mask_frame", "mask_id_number", "mask_series", "mask_text",
]
