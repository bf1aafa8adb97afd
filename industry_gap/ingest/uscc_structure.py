"""Structure of the 统一社会信用代码 (GB 32100-2015), beyond its check digit.

A code with a valid check digit can still be impossible: "000000000000000000" passes the
check digit, as does any code a program made up. `structure_problem` looks at the parts:

    position 1     登记管理部门代码  one of DEPARTMENTS
    position 2     机构类别代码      one of that department's categories
    positions 3-8  登记管理机关行政区划码 (GB/T 2260): a province-level code, or 100000 (national)
    positions 9-17 主体标识码 (GB 11714 组织机构代码): not the placeholder 999999999
    position 18    校验码 (checked by the caller)

The table is GB 32100-2015 附录 with its 2016 修改单 (A 中央军委改革和编制办公室, N 农业),
as published with the standard. LATER_CATEGORIES are codes issuing authorities have used since
(村/居民委员会, 境外非政府组织代表机构, ...), taken from a third-party list: they are accepted
because quarantining a real code costs more than letting an odd one through.

Only the province part of the region is checked: prefecture and county codes change every
year (GB/T 2260 is revised), and a code keeps the region of its registration for life.
An all-zero 主体标识码 is accepted: "00000000-0" is consistent under GB 11714's own check
digit, and synthetic test codes use it; "999999999" is not (its check character would be 8).
"""

from __future__ import annotations

# 登记管理部门代码 -> (name, {机构类别代码: name})
DEPARTMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

# Assigned after the standard (not in its text); accepted, see the module docstring.
LATER_CATEGORIES: dict[str, dict[str, str]] = {
    "3": {"6": "商事调解组织"},
    "5": {"4": "村民委员会", "5": "居民委员会"},
    "8": {"2": "非法人工会组织"},
    "G": {"1": "境外非政府组织代表机构", "9": "其他"},
    "J": {"1": "业主大会", "9": "其他"},
    "Q": {"1": "区县级侨联组织", "2": "乡镇级侨联组织", "3": "村级侨联组织", "9": "其他"},
}
LATER_DEPARTMENTS = {"G": "公安", "J": "住房城乡建设", "Q": "侨联"}

# GB/T 2260 province-level codes (incl. 71 台湾, 81 香港, 82 澳门).
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
NATIONAL_REGION = "100000"  # codes issued by national registration authorities
PLACEHOLDER_BODIES = frozenset({"999999999"})

_CATEGORIES = {dept: {**cats, **LATER_CATEGORIES.get(dept, {})} for dept, (_, cats) in DEPARTMENTS.items()}
_CATEGORIES.update({dept: cats for dept, cats in LATER_CATEGORIES.items() if dept not in _CATEGORIES})
# Characters that may stand in position 1 (the shape check lets them through to this module).
DEPARTMENT_CHARS = "".join(sorted(_CATEGORIES))


def department_name(code: str) -> str | None:
    if code in DEPARTMENTS:
        return DEPARTMENTS[code][0]
    return LATER_DEPARTMENTS.get(code)


def structure_problem(code: str) -> str | None:
    """Why an 18-character code (charset and check digit already fine) cannot exist, or None."""
    department, category, region, body = code[0], code[1], code[2:8], code[8:17]
    categories = _CATEGORIES.get(department)
    if categories is None:
        return f"统一社会信用代码第1位登记管理部门代码“{department}”不存在"
    if category not in categories:
        return (
            f"统一社会信用代码第2位机构类别代码“{category}”不存在"
            f"（登记管理部门“{department}”（{department_name(department)}）下没有这一类别）"
        )
    if not (region[:2] in PROVINCES or region == NATIONAL_REGION):
        return f"统一社会信用代码第3-8位行政区划码“{region}”无效（前两位不是省级行政区划代码）"
    if body in PLACEHOLDER_BODIES:
        return f"统一社会信用代码第9-17位主体标识码“{body}”无效（是占位数字，不是真实的组织机构代码）"
    return None
