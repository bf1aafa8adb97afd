"""Pure parsers for single cell values: USCC, dates, amounts, counts, status, codes.

Each parser takes the cell text and returns `(value, problem)`: `value` is the
parsed value (None when empty or bad), `problem` a Chinese reason (None when
fine). An empty cell is not a problem here; whether a value is required is
decided per dataset. Parsers never guess: a value that could mean two things
("约300万", "3/2/2015", "壹佰万") is a problem, so a person looks at it.

Reason texts follow one shape so they can be grouped: the kind comes first,
details follow after "：", "（" or "，", and quoted values sit in “”
(see `result.reason_kind`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from stdnum.cn import uscc as _uscc

from industry_gap.ingest.uscc_structure import structure_problem
from reference.gbt4754 import UnknownCodeError, normalize_code, standard

Parsed = tuple[object, "str | None"]

# Placeholders people type into cells that mean "no value".
BLANK_MARKERS = frozenset(
    {"-", "--", "---", "—", "——", "/", "\\", "无", "暂无", "空", "n/a", "na", "nan", "null", "none", "#n/a"}
)

_SPACE_RE = re.compile(r"[\s\u200b\ufeff]+")


def _nfkc(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


# Values quoted in a reason are cut to this many characters: a 5,000-digit "number" or a
# runaway cell must not turn its reason into a wall of text.
QUOTE_LIMIT = 40


def quote(value: object) -> str:
    """A cell value for a reason, cut when long: "1234…（共5000字）"."""
    text = str(value)
    if len(text) <= QUOTE_LIMIT:
        return text
    return f"{text[:QUOTE_LIMIT]}…（共{len(text)}字）"


# Of those, the ones a program writes for a missing number (pandas' "nan", SQL's "NULL", Excel's
# "#N/A"): in a number column they are not a person's "nothing to report" but a broken export, so
# the amount and count parsers quarantine them with a reason instead of storing an empty value.
NOT_A_NUMBER_MARKERS = frozenset({"n/a", "na", "nan", "null", "none", "#n/a"})


def not_a_number(value: object) -> bool:
    """A program's missing-number marker ("NaN", "nan", "NULL", "#N/A", …)."""
    text = str(value or "").strip()
    return len(text) <= 8 and _SPACE_RE.sub("", _nfkc(text)).lower() in NOT_A_NUMBER_MARKERS


def _not_a_number_problem(value: object, label: str) -> str:
    return f"{label}不是数字：“{quote(value)}”（常见于程序导出的缺失值，请填写数值，没有数值请留空）"


def is_blank(value: object) -> bool:
    """Empty, whitespace (incl. full-width) or a "no value" placeholder."""
    text = str(value or "").strip()
    if len(text) > 8:  # longer than any placeholder: skip the costly normalisation (经营范围 texts)
        return False
    text = _SPACE_RE.sub("", _nfkc(text))
    return not text or text.lower() in BLANK_MARKERS


# -- traditional characters -------------------------------------------------------------
@lru_cache(maxsize=1)
def _t2s():
    import opencc  # bundles its dictionaries: nothing is downloaded

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """`text` with traditional characters as simplified ones (OpenCC's t2s, characters and phrases).

    Simplified text comes back unchanged. Used on the texts the classifier reads (经营范围, 主要业务活动,
    项目内容), so that "電子產品銷售" is classified as its twin "电子产品销售" is; names are left as written.
    """
    return _t2s().convert(text) if text and not text.isascii() else text


# -- USCC -----------------------------------------------------------------------
_SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$")
# Codes that came before the USCC (2015): the 15-digit 工商注册号 and the 组织机构代码 "12345678-9".
_OLD_REGISTRATION_RE = re.compile(r"^\d{15}$")
_ORG_CODE_RE = re.compile(r"^[0-9A-Z]{8}-[0-9X]$")


# Fast path for the common valid case: 200,000-row registries spend most of their time here.
# The alphabet and weights are GB 32100-2015's (as in stdnum.cn.uscc); a test checks both agree.
# Positions 1-2 may be letters (A 军队, N 农业, Y 其他): stdnum wants digits there, so it only
# explains a wrong check digit. The parts' meaning is checked by `uscc_structure`.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def _check_digit(text: str) -> str:
    total = sum(_USCC_VALUES[c] * w for c, w in zip(text, _USCC_WEIGHTS))
    return _USCC_ALPHABET[(31 - total) % 31]


def parse_uscc(value: object) -> Parsed:
    """统一社会信用代码: NFKC, no spaces, upper case; length, charset, check digit (as python-stdnum
    computes it), then the structure (登记管理部门, 机构类别, 行政区划, 主体标识码; GB 32100-2015)."""
    spaced = _SPACE_RE.sub("", _nfkc(value)).upper()
    text = spaced.replace("-", "")
    if not text or text.lower() in BLANK_MARKERS:
        return None, "统一社会信用代码为空"
    if _OLD_REGISTRATION_RE.match(text):
        return None, (
            f"统一社会信用代码填的是15位旧工商注册号“{text}”，请向企业或市场监管部门查询并填写18位统一社会信用代码"
        )
    if _ORG_CODE_RE.match(spaced):
        return None, (
            f"统一社会信用代码填的是9位组织机构代码“{spaced}”，请向企业或市场监管部门查询并填写18位统一社会信用代码"
        )
    if _SCIENTIFIC_RE.match(text):
        return None, "统一社会信用代码被转成了科学计数法（原值已丢失，请把该列设为文本格式后重新导出）"
    if len(text) != 18:
        return None, f"统一社会信用代码长度应为18位（实际{len(text)}位）"
    if not _USCC_SHAPE_RE.match(text):
        return None, "统一社会信用代码含有不允许的字符（第3-8位应为数字，其余位不能是 I、O、Z、S、V）"
    if _check_digit(text) != text[17] and _uscc.calc_check_digit(text[:17]) != text[17]:
        return None, "统一社会信用代码校验位错误"  # stdnum has the last word (the fast table agrees with it)
    problem = structure_problem(text)
    return (None, problem) if problem else (text, None)


# -- dates ----------------------------------------------------------------------
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_YMD_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?" + _TIME + "$")
_YM_RE = re.compile(r"^(\d{4})(?:[-/.]|年)(\d{1,2})月?$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Excel serial day numbers: 5 digits only (1927-2173), so a bare year "2015" is never read as a serial.
_SERIAL_RE = re.compile(r"^(\d{5})(?:\.\d+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_EPOCH_1904 = dt.date(1904, 1, 1)  # workbooks saved with the 1904 date system (old Mac Excel)
_MIN_YEAR, _MAX_YEAR = 1900, 2100


@lru_cache(maxsize=8192)
def parse_date(value: object, label: str = "日期", date1904: bool = False) -> Parsed:
    """ISO "YYYY-MM-DD" from 2015-03-02, 2015/3/2, 2015.3.2, 2015年3月2日, 20150302,
    Excel serials (42065) and "2015-03-02 00:00:00"; "2025年6月" means its first day.
    `date1904`: the workbook counts serials from 1904-01-01 (its 1904 date system).
    """
    if is_blank(value):
        return None, None
    text = _SPACE_RE.sub("", _nfkc(value)) if "年" in str(value) else _nfkc(value)
    parts: tuple[int, int, int] | None = None
    for pattern in (_YMD_RE, _COMPACT_RE):
        match = pattern.match(text)
        if match:
            parts = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
            break
    else:
        match = _YM_RE.match(text)
        if match:
            parts = (int(match.group(1)), int(match.group(2)), 1)
        else:
            match = _SERIAL_RE.match(text)
            if match:
                epoch = _EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH
                day = epoch + dt.timedelta(days=int(match.group(1)))
                parts = (day.year, day.month, day.day)
    if parts is not None and _MIN_YEAR <= parts[0] <= _MAX_YEAR:
        try:
            return dt.date(*parts).isoformat(), None
        except ValueError:
            pass
    return None, f"{label}无法识别：“{quote(value)}”（请填写如 2015-03-02 的日期）"


# -- amounts and counts ------------------------------------------------------------
# Specific marks before generic ones: "HK$" is 港元, a bare "$" is 美元.
_FOREIGN = (
    ("美元", "美元"),
    ("usd", "美元"),
    ("us$", "美元"),
    ("港元", "港元"),
    ("港币", "港元"),
    ("hkd", "港元"),
    ("hk$", "港元"),
    ("$", "美元"),
    ("欧元", "欧元"),
    ("eur", "欧元"),
    ("€", "欧元"),
    ("日元", "日元"),
    ("jpy", "日元"),
    ("英镑", "英镑"),
    ("gbp", "英镑"),
    ("£", "英镑"),
    ("澳元", "澳元"),
    ("台币", "新台币"),
    ("韩元", "韩元"),
    ("加元", "加元"),
    ("瑞士法郎", "瑞士法郎"),
    ("新加坡元", "新加坡元"),
)
# Sanity limit, not policy: no single firm's revenue, capital or project reaches 10 万亿元
# (the world's largest firms report about 4-5 万亿元 a year). A value above it is a unit or
# typing error (元 in a 万元 column of a large firm, digits pasted twice, "1e12"), never data.
AMOUNT_SANITY_LIMIT_WAN = 1e9  # 万元, = 10 万亿元
# Sanity limit, not policy: no employer has 10 million staff (the largest have about 2 million).
EMPLOYEES_SANITY_LIMIT = 10_000_000

_CURRENCY_NOISE_RE = re.compile(r"人民币|rmb|cny|[¥]|整$")
_UNIT = r"(亿元|亿|万元|万|千元|元)?"
# Digits with or without well-formed thousands groups ("1,234,567.5"); "1,2,3" is no number.
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_AMOUNT_RE = re.compile(rf"^([+-]?(?:{_NUMBER})){_UNIT}$")
# Accounting notation: "(100)" or "（1,234.5）万元" is a negative number.
_ACCOUNTING_NEGATIVE_RE = re.compile(rf"^[(（](?:{_NUMBER})[)）]{_UNIT}$")
_PARENTHESES_RE = re.compile(r"[()（）]")  # "500(万元)": brackets around a unit
_UNIT_SCALE = {
    "亿元": ("mul", 10000),
    "亿": ("mul", 10000),
    "万元": None,
    "万": None,
    "千元": ("div", 10),
    "元": ("div", 10000),
}


def _to_wan(number: float, unit: str | None) -> float:
    scale = _UNIT_SCALE.get(unit or "万元")
    if scale is None:
        return number
    op, factor = scale
    # Divide rather than multiply by 1e-4 so 1234500元 gives exactly 123.45.
    return round(number * factor if op == "mul" else number / factor, 6)


@lru_cache(maxsize=65536)
def parse_amount(value: object, header_unit: str | None = None, label: str = "金额") -> Parsed:
    """Money in 万元. A unit in the cell ("3亿元", "1234500元") overrides the header's unit;
    without either, the number is already 万元. Foreign currency, words and approximations are problems.
    """
    if not_a_number(value):
        return None, _not_a_number_problem(value, label)
    if is_blank(value):
        return None, None
    text = _SPACE_RE.sub("", _nfkc(value)).lower()
    for mark, currency in _FOREIGN:
        if mark in text:
            return None, f"{label}为外币（{currency}）：“{quote(value)}”，请换算为人民币万元后填写"
    text = _CURRENCY_NOISE_RE.sub("", text)
    if _ACCOUNTING_NEGATIVE_RE.match(text):
        return None, f"{label}为负数：“{quote(value)}”（括号括起的数是会计记法的负数）"
    match = _AMOUNT_RE.match(_PARENTHESES_RE.sub("", text))
    if not match:
        hint = "，千分位逗号应每三位一个，如 1,234,567" if "," in text else ""
        return None, f"{label}无法识别：“{quote(value)}”（请填写阿拉伯数字{hint}）"
    number = float(match.group(1).replace(",", ""))
    if number < 0:
        return None, f"{label}为负数：“{quote(value)}”"
    wan = _to_wan(number, match.group(2) or header_unit)
    if not wan <= AMOUNT_SANITY_LIMIT_WAN:  # also catches inf from "1e999" or 400 digits
        return None, (
            f"{label}数额不合理：“{quote(value)}”（超过{AMOUNT_SANITY_LIMIT_WAN / 1e8:g}万亿元的合理上限，"
            "请检查单位是否应为元、是否多输了数字）"
        )
    return wan, None


_COUNT_RE = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+))(?:\.0+)?(?:人|名)?$")
_DECIMAL_RE = re.compile(r"^[+-]?\d+\.\d+(?:人|名)?$")


@lru_cache(maxsize=8192)
def parse_count(value: object, label: str = "人数") -> Parsed:
    """A head count (从业人员) as float: whole, non-negative Arabic numbers ("35", "35人")."""
    if not_a_number(value):
        return None, _not_a_number_problem(value, label)
    if is_blank(value):
        return None, None
    text = _SPACE_RE.sub("", _nfkc(value))
    match = _COUNT_RE.match(text)
    if not match:
        if _DECIMAL_RE.match(text):
            return None, f"{label}不是整数：“{quote(value)}”"
        return None, f"{label}无法识别：“{quote(value)}”（请填写阿拉伯数字）"
    whole = match.group(1).replace(",", "")
    digits = whole.lstrip("+-").lstrip("0")
    if len(digits) > len(str(EMPLOYEES_SANITY_LIMIT)):
        # Checked before int(): Python refuses to convert strings of more than 4,300 digits.
        number = EMPLOYEES_SANITY_LIMIT + 1 if not whole.startswith("-") else -1
    else:
        number = int(whole)
    if number < 0:
        return None, f"{label}为负数：“{quote(value)}”"
    if number > EMPLOYEES_SANITY_LIMIT:
        return None, f"{label}数额不合理：“{quote(value)}”（超过{EMPLOYEES_SANITY_LIMIT:,}人的合理上限）"
    return float(number), None


_YEAR_RE = re.compile(r"^(\d{4})(?:\.0+)?年?度?$")


@lru_cache(maxsize=1024)
def parse_year(value: object, label: str = "年份") -> Parsed:
    """A calendar year such as "2025", "2025年" or "2025.0" (2000-2100)."""
    if is_blank(value):
        return None, None
    match = _YEAR_RE.match(_SPACE_RE.sub("", _nfkc(value)))
    if match and 2000 <= int(match.group(1)) <= _MAX_YEAR:
        return int(match.group(1)), None
    return None, f"{label}无法识别：“{quote(value)}”（请填写四位年份，如 2025）"


# -- registration status ---------------------------------------------------------------
ACTIVE_STATUSES = frozenset(
    {
        "存续",
        "在业",
        "在营",
        "开业",
        "正常",
        "登记成立",
        "在册",
        "确立",
        "成立",
        "有效",
        "营业",
        "迁入",
        "正常经营",
        "登记",
    }
)
# Order matters: "吊销，未注销" is reported as 吊销.
CLOSED_STATUSES = ("吊销", "注销", "撤销", "迁出", "停业", "歇业", "清算", "责令关闭", "关闭", "破产", "除名", "废止")
_STATUS_SPLIT_RE = re.compile(r"[（(，,、；;/]")
_STATUS_FOREIGN_RE = re.compile(r"[0-9A-Za-z]")


@lru_cache(maxsize=1024)
def parse_status(value: object) -> tuple[str, str | None]:
    """Classify a 登记状态: ("empty"|"active"|"closed"|"unknown", the closed word or None).

    "存续（在营、开业、在册）" is active; "吊销，未注销" and "已注销" are closed;
    "非正常" is unknown (it is not an active registration state).
    """
    text = _SPACE_RE.sub("", _nfkc(value))
    if not text:
        return "empty", None
    head = _STATUS_SPLIT_RE.split(text, maxsplit=1)[0].removeprefix("已")
    if head in ACTIVE_STATUSES:
        return "active", None
    for word in CLOSED_STATUSES:
        if word in text:
            return "closed", word
    # Active words inside longer text ("存续（在营、开业、在册）") count only in words alone: digits or
    # Latin letters glued on ("存续15940000000", a phone number pasted in) are not a status.
    if (
        not text.startswith(("非", "未", "不"))
        and not _STATUS_FOREIGN_RE.search(text)
        and any(w in text for w in ("存续", "在业", "在营", "开业"))
    ):
        return "active", None
    return "unknown", None


# -- industry codes ------------------------------------------------------------------------
# "C1311 稻谷加工", "1311稻谷加工", "[1311]稻谷加工": a code followed by its name.
_CODE_WITH_NAME_RE = re.compile(r"^[\[【(]?([A-Ta-t]?\d{2,4})[\]】)]?\s*[\u4e00-\u9fff]")


def _resolve_code(canonical: str | None, edition: str) -> str | None:
    """The 2017 code for a canonical code of `edition`, or None when it does not exist."""
    if canonical is None:
        return None
    if str(edition) == "2011":
        try:
            mapped = standard().map_2011(canonical)
        except UnknownCodeError:
            return None
        return mapped[0] if mapped else None
    node = standard().find(canonical)
    return node.code if node else None


@lru_cache(maxsize=8192)
def parse_industry_code(value: object, edition: str = "2017", label: str = "行业代码", numeric: bool = False) -> Parsed:
    """Canonical GB/T 4754-2017 code; a 2011-edition code goes through the crosswalk (most likely first).

    `numeric=True` says the cell was a number in Excel, so a leading zero may be gone: 610 can
    only be 0610 and is read so, but 711 may be group 711 or class 0711 and is a problem.
    """
    if is_blank(value):
        return None, None
    text = _nfkc(value)
    if numeric and text.isdigit() and len(text) in (1, 3):
        plain, padded = _resolve_code(normalize_code(text), edition), _resolve_code("0" + text, edition)
        if plain and padded:
            return None, (
                f"{label}“{quote(value)}”有歧义：单元格是数字格式，可能丢失了开头的0（是“{text}”还是“0{text}”？），"
                "请把该列设为文本格式后填写完整代码"
            )
        if padded:
            return padded, None
    canonical = normalize_code(text)
    if canonical is None:
        match = _CODE_WITH_NAME_RE.match(text)
        canonical = normalize_code(match.group(1)) if match else None
    code = _resolve_code(canonical, edition)
    if code is None:
        return None, f"{label}“{quote(value)}”不是有效的 GB/T 4754-{edition} 代码"
    return code, None


# -- 口径 of a target list ----------------------------------------------------------------
_SCOPE_ALIASES = {
    "全口径": "全口径",
    "全部": "全口径",
    "全部口径": "全口径",
    "全部企业": "全口径",
    "规上口径": "规上口径",
    "规上": "规上口径",
    "规模以上": "规上口径",
    "规模以上口径": "规上口径",
    "规上工业": "规上口径",
    "规模以上工业": "规上口径",
}


def parse_target_scope(value: object) -> Parsed:
    """口径: 全口径 or 规上口径 (规上/规模以上 accepted)."""
    if is_blank(value):
        return None, None
    scope = _SCOPE_ALIASES.get(_SPACE_RE.sub("", _nfkc(value)))
    if scope is None:
        return None, f"口径无法识别：“{quote(value)}”（应为全口径或规上口径）"
    return scope, None
