"""Personal data in registries: mask ID and phone numbers in text, drop personal columns, mask logs.

Registries of 规下 firms carry personal data, especially for 个体工商户 whose
经营者 is a private person: 法定代表人, 身份证号 and 手机号 appear in their own
columns and, just as often, inside free text (经营范围, 企业名称 of a
个体户, evidence strings, error messages). Nothing personal may reach an
export, a log line or asset metadata: `mask_text` is the one function every
output path uses (`mask_series` and `mask_frame` are the same thing column at
a time, `MaskingFilter` applies it to log records).

Normalisation. Before anything is matched, a copy of the text is normalised
character for character (so positions stay the same and the masked output
keeps every character that is not hidden, full-width ones included):

* full-width ASCII (``０``–``９``, ``Ｘ``, ``＋``, ``（``, ``－``, ``．`` …) becomes ASCII;
* spaces (ASCII, tab, line breaks, no-break, ideographic U+3000, thin and
  zero-width spaces) become one kind of space; hyphens and dashes
  (``-``, ``－``, ``‐``, ``‒``, ``–``, ``—``, ``―``, ``−``) become ``-``; ``.`` and ``．`` become ``.``.

A number may then be written in *digit groups* joined by separators: one or
more spaces, or one hyphen or dot with optional spaces around it
(``138 1234 5678``, ``138-1234-5678``, ``110101 19900307 1233``,
``1381234-5678``). A personal number is made of whole groups; the groups may
be split anywhere. Group joins stop at any other character (``,`` ``:``
``/`` ``(`` letters, Chinese characters), so ``1,234,567.89`` is never read as
one number.

What is masked (the first 3 characters and the last 2 of an ID number, the
first 3 and the last 4 digits of a mobile stay; separators and prefixes stay):

* 居民身份证号码: 18 characters, 17 digits and a check character, whatever the
  check character is (a digit, ``X`` or ``x``; a wrong one is a typo, not a
  reason to publish the number), and the old 15-digit numbers
  (``110101199003071233`` → ``110*************33``). Three digits name the
  province and city only; the birth date and sequence number are hidden, yet
  an officer can still match the value against a paper record.
* mobile numbers ``1[3-9]`` + 9 digits, bare or with a prefix ``0``, ``86``,
  ``+86``, ``0086``, ``(+86)``, ``＋８６``: the first 3 and the last 4 digits stay
  (``13812345678`` → ``138****5678``, ``+86 139-1234-5678`` → ``+86 139-****-5678``).
* landlines written with an area code and a hyphen (``0477-8123456``): the
  area code and the last 4 digits stay (``0477-***3456``). Landlines without
  the hyphen are not recognised (too easily confused with amounts). Office
  numbers are masked too: the text cannot tell an office from a home.

Telling an ID number from a 统一社会信用代码 (USCC), by structure. Both are 18
characters and a USCC may be all digits (``911506021147236578``). A USCC is a
registration-authority code (1–9, A, N, Y), a category digit, a 6-digit region,
a 9-character organisation code and a check character; an ID number is a
6-digit region, a birth date ``YYYYMMDD`` and four more characters. An 18-character
candidate is an ID number when its first two digits are a province code
(11–65, 71, 81–83) and its characters 7–14 are a real date with a year from
1900 to 2099 (15-digit numbers: ``19YYMMDD`` in characters 7–12). The check
character is not required (see above). Consequences:

* every USCC with a letter is left alone, and so is every USCC of an
  enterprise or 个体户 (registered by 工商/市场监管, ``91``/``92``/``93``: never a
  province code), which is what this pipeline's registries hold;
* an all-digit USCC of a 机关/事业单位 (``11``, ``12``, ``13``), 社会组织
  (``51``, ``52``, ``53``) and a few more is masked when its county digits
  (characters 7–8) read ``19`` or ``20`` and the next six digits form a valid
  month and day: the price of masking IDs with a wrong check character is
  that such a code (well under one in a thousand of these kinds) is masked as well.
  That errs on the side of privacy; the ``uscc`` column itself is validated at
  ingestion and is kept exact by `safe_for_output` (see `is_identifier_column`).
* an old 15-digit 工商注册号 whose digits 7–12 form a ``19YYMMDD`` date is masked as well.

Numbers glued to other characters:

* to Chinese characters or punctuation: masked as usual (``电话13812345678``).
* preceded by ASCII letters: masked (``Tel13812345678``, ``ID110101199003071233``);
  followed by an ASCII letter (other than an ID's final ``X``): a code, left
  alone (``编号13812345678A``).
* to other digits (one unbroken run of digits longer than the number):
  a run that is exactly a concatenation of personal numbers (mobiles and ID
  numbers as defined above, e.g. an ID number and a mobile written with no space) is
  masked piece by piece; in a run longer than 18 digits, every 18-digit window
  that is an ID number *with the right check character* (about one window in
  40,000 of random digits passes) is masked, and the rest of the run is tried again
  as a concatenation; anything else stays (``订单号213812345678``,
  ``金额138123456789元``: a mobile-like run inside a longer number is an order
  number or an amount far more often than a phone).

What stays: amounts (``1,234,567.89``, ``12345678.00万元``), dates
(``2023-01-15``, ``20230115``), USCCs as above, GB/T 4754 codes (``C1311``),
注册资本, row numbers. Residual: an amount whose integer part is itself a
mobile-shaped 11-digit number (``13812345678.00``) is masked. Bank card
numbers and e-mail addresses are not handled here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import numpy as np
import pandas as pd

from industry_gap.ingest.uscc_structure import PROVINCES

# Columns that hold personal data: never exported, never shown in metadata.
# English names from `industry_gap.schema` and plausible raw Chinese headers,
# in case a frame is exported before header mapping.
PERSONAL_COLUMNS = frozenset(
    {
        "legal_representative",
        "legal_representative_id",
        "operator_name",
        "id_number",
        "id_card",
        "phone",
        "mobile",
        "telephone",
        "contact_person",
        "contact_phone",
        "email",
        "home_address",
        "法定代表人",
        "法定代表人姓名",
        "法人代表",
        "负责人",
        "经营者",
        "经营者姓名",
        "身份证号",
        "身份证号码",
        "法定代表人身份证号",
        "证件号码",
        "联系人",
        "联系电话",
        "手机号",
        "手机号码",
        "电子邮箱",
        "住所（个体户）",
    }
)

MASK_CHAR = "*"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# 省级行政区划代码 (GB/T 2260), plus 71 台湾, 81 香港, 82 澳门 and 83 (台湾居民居住证).
PROVINCE_CODES = PROVINCES | {"83"}
BIRTH_YEARS = (1900, 2099)

# -- normalisation ------------------------------------------------------------
# One character for one character, so a position in the normalised text is the same position
# in the original and the original characters around a masked digit are kept as they were.
_SPACE_CHARS = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)
_HYPHEN_CHARS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DOT_CHARS = ".\uff0e"
_NORMALISE: dict[int, int] = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  # full-width ASCII
_NORMALISE.update({ord(c): ord(" ") for c in _SPACE_CHARS})
_NORMALISE.update({ord(c): ord("-") for c in _HYPHEN_CHARS})
_NORMALISE.update({ord(c): ord(".") for c in _DOT_CHARS})
_NORMALISE[0xFE62] = ord("+")  # small plus sign
_NORMALISE = {k: v for k, v in _NORMALISE.items() if k != v}


def normalise(text: str) -> str:
    """`text` with full-width ASCII made ASCII and every space, hyphen/dash and dot made
    `` ``, ``-`` or ``.`` (the same length, character for character)."""
    return text.translate(_NORMALISE)


def _char_class(chars: str) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(set(chars))) + "]"


_RAW_DIGITS = "0123456789" + "".join(chr(0xFF10 + n) for n in range(10))
_RAW_SEPARATORS = "".join(chr(k) for k, v in _NORMALISE.items() if chr(v) in " -.") + " -."
# A text none of the patterns can match: every personal number (ID, mobile, the local part of a
# landline) has at least seven digits in a row with nothing but separators between them. Texts
# without such a run are returned unchanged, which lets a column skip almost all of its cells in
# one test. Raw characters (full-width digits, any space or dash), not the normalised ones.
_MAYBE_PERSONAL = re.compile(
    _char_class(_RAW_DIGITS) + "(?:" + _char_class(_RAW_SEPARATORS) + "*" + _char_class(_RAW_DIGITS) + "){6}"
)

# On normalised text: a digit group (an ID number's final X belongs to its group when no letter or
# digit follows it), what may join two groups, and a hyphenated landline.
_GROUP = re.compile(r"[0-9]+(?:[Xx](?![0-9A-Za-z]))?")
_JOIN = re.compile(r" *[-.] *| +")
_LETTER = re.compile(r"[A-Za-z]")
_MOBILE = re.compile(r"(?:0086|86|0)?(1[3-9][0-9]{9})")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z.])(0[0-9]{2,3}-)([0-9]{3,4})([0-9]{4})(?![0-9A-Za-z])")
_MAX_NUMBER = 18  # the longest personal number, in digits (an ID number; 0086 + mobile is 15)


# -- ID numbers -------------------------------------------------------------
def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def _plausible_birth(year: int, month: int, day: int) -> bool:
    if not BIRTH_YEARS[0] <= year <= BIRTH_YEARS[1]:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def looks_like_id_number(candidate: str) -> bool:
    """True for 18 characters (17 digits and a digit or X) with a province code and a birth
    date YYYYMMDD (1900–2099) where an ID number has them, whatever the check character; or
    15 digits with a province code and a 19YYMMDD birth date. This is what `mask_text` masks."""
    if candidate[:2] not in PROVINCE_CODES:
        return False
    if (
        len(candidate) == 18
        and candidate[:17].isascii()
        and candidate[:17].isdigit()
        and candidate[17] in "0123456789Xx"
    ):
        return _plausible_birth(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    if len(candidate) == 15 and candidate.isascii() and candidate.isdigit():
        return _plausible_birth(1900 + int(candidate[6:8]), int(candidate[8:10]), int(candidate[10:12]))
    return False


def is_id_number(candidate: str) -> bool:
    """True for a valid ID number: `looks_like_id_number` and, for 18 characters, the right
    GB 11643 check character. (`mask_text` masks wrong check characters too.)"""
    value = candidate.upper()
    if not looks_like_id_number(value):
        return False
    return len(value) == 15 or id_check_char(value[:17]) == value[17]


def mask_id_number(value: str) -> str:
    """Keep the first 3 and last 2 characters, star the rest (length is kept)."""
    return value[:3] + MASK_CHAR * (len(value) - 5) + value[-2:]


# -- finding numbers in digit runs -------------------------------------------
# A "hit" is (start, end) of the characters to star, as offsets into the digits of a candidate.
def _id_hits(start: int, length: int) -> list[tuple[int, int]]:
    return [(start + 3, start + length - 2)]


def _mobile_hits(start: int) -> list[tuple[int, int]]:
    return [(start + 3, start + 7)]


def _exact(number: str) -> list[tuple[int, int]] | None:
    """Hits when `number` (digits, maybe a final X) is one personal number, else None."""
    if len(number) in (15, 18) and looks_like_id_number(number):
        return _id_hits(0, len(number))
    match = _MOBILE.fullmatch(number)
    if match:
        return _mobile_hits(match.start(1))
    return None


def _piece_hits(piece: str, offset: int) -> list[tuple[int, int]] | None:
    """Hits for a bare mobile (11 digits) or an ID number (15, 18) at `offset`, else None."""
    if len(piece) == 11:
        return _mobile_hits(offset) if _MOBILE.fullmatch(piece) else None
    return _id_hits(offset, len(piece)) if looks_like_id_number(piece) else None


def _concatenation(digits: str, offset: int = 0) -> list[tuple[int, int]] | None:
    """Hits when `digits` is exactly bare mobiles and ID numbers written one after the other
    (longer pieces preferred), else None; "" gives []. Linear: a table over the end positions."""
    size = len(digits)
    rest: list[tuple[int, int] | None] = [None] * (size + 1)  # rest[k]: (piece length, hits) from k
    rest[size] = (0, 0)
    for k in range(size - 11, -1, -1):
        for length in (18, 15, 11):
            if (
                k + length <= size
                and rest[k + length] is not None
                and _piece_hits(digits[k : k + length], 0) is not None
            ):
                rest[k] = (length, 0)
                break
    if rest[0] is None:
        return None
    hits: list[tuple[int, int]] = []
    k = 0
    while k < size:
        entry = rest[k]
        assert entry is not None  # rest[0] is set, and each set entry leads to the next set one
        length = entry[0]
        piece = _piece_hits(digits[k : k + length], offset + k)
        assert piece is not None  # the table holds only pieces that hit
        hits += piece
        k += length
    return hits


def _glued(run: str) -> list[tuple[int, int]] | None:
    """Hits in one unbroken run of digits that is not a personal number by itself."""
    if len(run) <= _MAX_NUMBER or not run.isdigit():
        return None  # a run of up to 18 digits is a personal number by itself (`_exact`) or nothing
    whole = _concatenation(run)
    if whole:
        return whole
    hits: list[tuple[int, int]] = []
    rest_start = position = 0
    while position + 18 <= len(run):
        if is_id_number(run[position : position + 18]):
            hits += _concatenation(run[rest_start:position], rest_start) or []
            hits += _id_hits(position, 18)
            position = rest_start = position + 18
        else:
            position += 1
    if hits:
        hits += _concatenation(run[rest_start:], rest_start) or []
    return hits or None


def _number_hits(norm: str) -> list[int]:
    """Positions in `norm` (normalised text) of the ID and mobile digits to star."""
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(norm)]
    starred: list[int] = []
    i = 0
    while i < len(groups):
        # groups[i..last] joined by separators, at most _MAX_NUMBER characters in all
        last, size = i, groups[i][1] - groups[i][0]
        while last + 1 < len(groups) and _JOIN.fullmatch(norm, groups[last][1], groups[last + 1][0]):
            size += groups[last + 1][1] - groups[last + 1][0]
            if size > _MAX_NUMBER:
                break
            last += 1
        found = None
        for j in range(last, i - 1, -1):  # the longest candidate first
            end = groups[j][1]
            if end < len(norm) and _LETTER.match(norm, end):
                continue  # glued to a following letter: a code
            positions = [p for start, stop in groups[i : j + 1] for p in range(start, stop)]
            number = "".join(norm[p] for p in positions)
            hits = _exact(number) if len(number) <= _MAX_NUMBER else None
            if hits is None and j == i:
                hits = _glued(number)
            if hits:
                found = j
                starred += [positions[k] for start, stop in hits for k in range(start, stop)]
                break
        i = found + 1 if found is not None else i + 1
    return starred


def _mask_full(text: str) -> str:
    """`mask_text` without its fast path."""
    norm = normalise(text)
    starred = _number_hits(norm)
    if starred:
        work = list(norm)
        for position in starred:
            work[position] = MASK_CHAR
        norm = "".join(work)
    for match in _LANDLINE.finditer(norm):
        starred += range(match.start(2), match.end(2))
    if not starred:
        return text
    out = list(text)
    for position in starred:
        out[position] = MASK_CHAR
    return "".join(out)


# -- public API -------------------------------------------------------------
def mask_text(text: str) -> str:
    """`text` with ID numbers, mobile numbers and hyphenated landlines masked (see the module doc).

    The one masking function for every output: warehouse tables, workbooks,
    asset metadata, log records and CLI output. Non-text input (None, NaN,
    numbers) is returned unchanged so callers can map it over mixed columns.
    """
    if not isinstance(text, str) or not text:
        return text
    if _MAYBE_PERSONAL.search(text) is None:
        return text  # fast path: most 经营范围 and names carry no long run of digits at all
    return _mask_full(text)


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
    changed = [
        (position, masked)
        for position, value, masked in zip(candidates, values, (mask_text(value) for value in values))
        if masked != value
    ]
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
    return (
        column == "uscc"
        or column.endswith(("_uscc", "code", "_id", "_key"))
        or column.startswith("pred_code_")
        or column in {"code", "source_file", "file"}
    )


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
    "PERSONAL_COLUMNS",
    "MaskingFilter",
    "drop_personal_columns",
    "id_check_char",
    "is_id_number",
    "looks_like_id_number",
    "mask_frame",
    "mask_id_number",
    "mask_series",
    "mask_text",
    "normalise",
]
