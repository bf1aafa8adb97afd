"""The one table of Chinese header aliases, per dataset, and header matching.

Offices export the same registry from different systems (市场监管 exports,
企查查/天眼查 downloads, hand-made WPS sheets), so one column goes by many
names. Every alias for every dataset lives in `ALIASES`; nothing else in the
package knows a Chinese header. The first alias of a column is its canonical
Chinese name, used in messages ("缺少必需的列“经营范围”").

Matching works on a normalised form of the header (NFKC, no whitespace, no
brackets, no unit mark), so "营业收入（万元）", "营业收入(万元)" and
" 营业收入 " are the same header; the unit found in the header is returned
separately because it changes how money cells are read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# -- shared alias groups (reused by several datasets) -----------------------
_USCC = ("统一社会信用代码", "信用代码", "社会信用代码", "统一代码", "社会统一信用代码", "统一社会信用代码证号", "uscc")
_NAME = ("企业名称", "单位名称", "名称", "市场主体名称", "单位详细名称", "公司名称", "主体名称", "企业机构名称")
_INDUSTRY_CODE = (
    "行业代码",
    "国民经济行业代码",
    "行业分类代码",
    "国民经济行业分类代码",
    "所属行业代码",
    "行业小类代码",
)
_REVENUE = ("营业收入", "主营业务收入", "本年营业收入", "当年营业收入", "年营业收入", "本年主营业务收入", "营收")
_TOWN = ("乡镇街道", "所属镇街", "所属街道", "镇街", "所属乡镇", "所属乡镇街道", "所在镇街", "镇街道", "街道")
_DEPARTMENT = ("责任单位", "牵头单位", "责任部门", "牵头部门")

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "registry": {
        "uscc": _USCC,
        "name": _NAME,
        "scope": ("经营范围", "经营范围描述", "业务范围"),
        "main_activity": ("主要业务活动", "主营业务活动", "主要经济活动", "主要产品"),
        "status": ("登记状态", "经营状态", "企业状态", "企业登记状态", "存续状态", "状态"),
        "enterprise_type": ("企业类型", "市场主体类型", "公司类型", "类型", "主体类型", "企业类别"),
        "established": ("成立日期", "注册日期", "成立时间", "设立日期", "开业日期"),
        "registered_capital_wan": ("注册资本", "注册资金", "注册资本金"),
        "revenue_wan": _REVENUE,
        "revenue_prev_wan": ("上年营业收入", "上年主营业务收入", "去年营业收入", "上一年营业收入", "上年度营业收入"),
        "employees": (
            "从业人员",
            "从业人数",
            "职工人数",
            "从业人员数",
            "从业人员期末人数",
            "从业人员平均人数",
            "员工人数",
        ),
        "town": _TOWN,
        "industry_code": _INDUSTRY_CODE,
        "legal_representative": ("法定代表人", "负责人", "法人代表", "法定代表人姓名", "法人", "经营者"),
    },
    "above_scale": {
        "uscc": _USCC,
        "name": ("单位名称",) + tuple(a for a in _NAME if a != "单位名称"),
        "industry_code": _INDUSTRY_CODE,
        "revenue_wan": _REVENUE,
        "town": _TOWN,
    },
    "targets": {
        "scope": ("口径", "目标口径", "统计口径", "清单口径"),
        "code": ("行业代码", "门类代码", "行业小类代码", "国民经济行业代码", "扩增门类代码", "代码"),
        "name": ("行业名称", "门类名称", "行业小类名称", "名称"),
        "department": _DEPARTMENT,
        "target_year": ("目标年份", "计划年份", "目标年度", "完成年份", "年份"),
    },
    "projects": {
        "project_name": ("项目名称", "项目"),
        "builder": ("建设单位", "项目单位", "实施单位", "业主单位", "建设主体", "投资主体"),
        "uscc": _USCC + ("建设单位统一社会信用代码", "建设单位信用代码"),
        "investment_wan": ("总投资", "投资额", "计划总投资", "项目总投资", "总投资额"),
        "stage": ("建设阶段", "项目阶段", "项目进度", "进展阶段", "项目状态"),
        "signed_date": ("签约日期", "签约时间"),
        "planned_production": ("计划投产时间", "投产时间", "预计投产时间", "计划投产日期", "投产日期"),
        "intended_code": ("拟扩增门类代码", "拟扩增行业代码", "扩增门类代码", "拟扩增门类", "行业代码"),
        "content": ("建设内容", "项目内容", "主要建设内容", "建设规模及内容", "项目简介"),
        "department": _DEPARTMENT,
    },
    # A table of scopes to classify, or of labelled scopes to train or evaluate on (`industry-gap
    # classify / train / evaluate`). Not validated like the datasets above: the commands take any
    # other columns through, and the user may name these columns on the command line. Within a
    # column, the order of the aliases is the order in which they are looked for.
    "scopes": {
        "scope": (
            "经营范围",
            "business_scope",
            "scope",
            "经营范围（一般项目）",
            "主营业务",
            "经营范围及方式",
            "经营范围描述",
            "业务范围",
        ),
        # The statistical register's 主要业务活动: what the firm actually does, shorter and truer than its scope.
        "main_activity": ("主要业务活动", "main_activity", "主营业务活动", "主要经济活动"),
        "code": (
            "行业代码",
            "division_code",
            "industry_code",
            "code",
            "国民经济行业代码",
            "行业门类代码",
            "所属行业代码",
            "行业分类代码",
            "国民经济行业分类代码",
            "行业类别代码",
            "label",
            "行业小类代码",
        ),
        "code_system": ("code_system", "分类体系", "行业分类体系", "行业分类标准"),
        "name": ("企业名称", "name", "单位名称", "名称", "企业(机构)名称", "单位详细名称")
        + tuple(a for a in _NAME if a not in ("企业名称", "单位名称", "名称", "单位详细名称", "企业机构名称")),
    },
}

# Columns holding money: a unit in their header ("（元）") changes the scale.
MONEY_COLUMNS = frozenset({"registered_capital_wan", "revenue_wan", "revenue_prev_wan", "investment_wan"})

# Columns holding GB/T 4754 codes: Excel number cells there may have lost a leading zero.
CODE_COLUMNS = frozenset({"industry_code", "code", "intended_code"})

# "2023年营业收入": systems that export several years name columns by year;
# the latest year is revenue_wan and the one before it revenue_prev_wan.
_YEAR_REVENUE_RE = re.compile(r"^(\d{4})年?度?(营业收入|主营业务收入|营收)$")

# A unit at the end of a header: "(万元)", "（元）", "单位：万元", "万元人民币".
_UNIT_RE = re.compile(r"[(\[]?(?:单位[:：]?)?(?:人民币)?(亿元|万元|千元|元)(?:人民币)?[)\]]?$")
_TRAILING_GROUP_RE = re.compile(r"\([^()]{1,6}\)$")
_BRACKETS_RE = re.compile(r"[()\[\]【】〔〕<>《》]")
_SPACE_RE = re.compile(r"[\s\u200b\ufeff]+")


def display_header(text: object) -> str:
    """The header as the user typed it, minus whitespace (incl. full-width spaces and line breaks)."""
    return _SPACE_RE.sub("", str(text or ""))


def _base(text: object) -> str:
    value = unicodedata.normalize("NFKC", str(text or ""))
    value = _SPACE_RE.sub("", value).replace("*", "").rstrip(":：").lower()
    return value.replace("【", "[").replace("】", "]")


def header_unit(text: object) -> str | None:
    """The money unit named in a header ("元", "万元", "千元", "亿元"), or None."""
    match = _UNIT_RE.search(_base(text))
    return match.group(1) if match else None


def normalize_header(text: object) -> str:
    """Lookup key of a header: NFKC, no spaces, no unit mark, brackets removed (contents kept)."""
    value = _UNIT_RE.sub("", _base(text))
    return _BRACKETS_RE.sub("", value)


def _key_without_group(text: object) -> str:
    """Second-chance key: drop a short trailing bracket group ("从业人员（人）", "名称（全称）")."""
    value = _UNIT_RE.sub("", _base(text))
    return _BRACKETS_RE.sub("", _TRAILING_GROUP_RE.sub("", value))


def _build_lookup() -> dict[str, dict[str, str]]:
    lookup: dict[str, dict[str, str]] = {}
    for dataset, columns in ALIASES.items():
        table: dict[str, str] = {}
        for column, aliases in columns.items():
            for alias in aliases:
                key = normalize_header(alias)
                if table.get(key, column) != column:
                    raise ValueError(f"alias {alias!r} maps to two columns in {dataset}")
                table[key] = column
        lookup[dataset] = table
    return lookup


_LOOKUP = _build_lookup()


def label(dataset: str, column: str) -> str:
    """Canonical Chinese name of a schema column."""
    return ALIASES[dataset][column][0]


def match_header(dataset: str, header: object) -> str | None:
    """The schema column a header stands for in `dataset`, or None."""
    table = _LOOKUP[dataset]
    column = table.get(normalize_header(header))
    if column is None:
        column = table.get(_key_without_group(header))
    return column


def score_header(dataset: str, cells: list[str]) -> int:
    """How many distinct schema columns a candidate header row names (header-row detection)."""
    found = {match_header(dataset, cell) for cell in cells if cell}
    found.discard(None)
    if "revenue_wan" in ALIASES[dataset] and any(_YEAR_REVENUE_RE.match(normalize_header(c)) for c in cells if c):
        found.add("revenue_wan")
    return len(found)


@dataclass
class ColumnMatch:
    index: int  # 0-based position in the sheet row
    header: str  # the original header (whitespace removed)
    unit: str | None  # money unit from the header, None when absent


@dataclass
class HeaderMap:
    columns: dict[str, ColumnMatch] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # original headers not used


def map_headers(dataset: str, headers: list[str]) -> HeaderMap:
    """Map a header row to schema columns; the first column claiming a name wins, the rest are ignored."""
    result = HeaderMap()
    by_year: list[tuple[int, int]] = []
    for index, raw in enumerate(headers):
        header = display_header(raw)
        if not header:
            continue
        column = match_header(dataset, header)
        if column is None:
            year = _YEAR_REVENUE_RE.match(normalize_header(header))
            if year and "revenue_wan" in ALIASES[dataset]:
                by_year.append((int(year.group(1)), index))
                continue
        if column is None or column in result.columns:
            result.ignored.append(header)
            continue
        unit = header_unit(header) if column in MONEY_COLUMNS else None
        result.columns[column] = ColumnMatch(index, header, unit)
    # Year-named revenue columns fill revenue_wan / revenue_prev_wan when no plain alias did.
    targets = [c for c in ("revenue_wan", "revenue_prev_wan") if c in ALIASES[dataset]]
    for _year, index in sorted(by_year, reverse=True):
        header = display_header(headers[index])
        free = [c for c in targets if c not in result.columns]
        if free:
            result.columns[free[0]] = ColumnMatch(index, header, header_unit(header))
        else:
            result.ignored.append(header)
    return result
