"""The industry words of an enterprise name (企业名称).

A registered name is 行政区划 + 字号 + 行业 + 组织形式 ("鄂尔多斯市" + "恒通" + "印刷" + "厂").
Only the 行业 part says what the firm does; the region and the legal form say
nothing, and the 字号 (brand) is noise to a text model. `name_core` peels the
region prefix, bracketed parts, the legal form and industry-neutral words, and
says what the legal form implies ("厂" makes things, "店"/"经营部" sells). The
brand is cut by the model, which knows where an annotation term starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifiers.text import normalize_text, remove_brackets

# Provinces and province-level units (their short names start most names).
_PROVINCES = (
    "内蒙古",
    "黑龙江",
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "中国",
    "中华",
)
_PROVINCE = re.compile(rf"^(?:{'|'.join(_PROVINCES)})(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)?")
# City / prefecture / county units named with their suffix ("鄂尔多斯市", "东胜区", "伊金霍洛旗").
_UNIT = re.compile(r"^[\u4e00-\u9fff]{2,5}?(?:自治州|自治县|自治旗|地区|新区|市|州|盟|县|(?<![社小园景片校厂])区|旗)")
# Legal forms at the end, longest first; the value is the activity the form implies.
_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("股份有限公司", ()),
    ("有限责任公司", ()),
    ("集团有限公司", ()),
    ("有限公司", ()),
    ("分公司", ()),
    ("总公司", ()),
    ("公司", ()),
    ("个体工商户", ()),
    ("有限合伙", ()),
    ("普通合伙", ()),
    ("合伙企业", ()),
    ("个人独资企业", ()),
    ("独资企业", ()),
    ("分厂", ("make",)),
    ("工厂", ("make",)),
    ("厂", ("make",)),
    ("经营部", ("sell",)),
    ("门市部", ("sell",)),
    ("经销部", ("sell",)),
    ("营业部", ("sell",)),
    ("销售部", ("sell",)),
    ("商行", ("sell",)),
    ("商店", ("sell",)),
    ("超市", ("sell",)),
    ("专卖店", ("sell",)),
    ("店", ("sell",)),
    ("工作室", ()),
    ("有限", ()),
)
# Words that name no industry (科技 and 贸易 do, weakly, and stay).
_NEUTRAL = re.compile(r"(?:实业|发展|控股|集团|国际|股份|责任|有限)")


@dataclass(frozen=True)
class NameCore:
    """What is left of a name once region, brackets, legal form and neutral words are peeled."""

    name: str  # the name as given, normalised
    core: str  # brand + industry words ("恒通印刷")
    kinds: tuple[str, ...]  # activity the legal form implies (("make",) for 厂)
    legal: bool = False  # ended in a legal form: a registered name, whose 行业 part is there by rule


def name_core(name: object) -> NameCore:
    """Peel a registered enterprise name down to its brand and industry words."""
    text = normalize_text(name)
    if not text:
        return NameCore("", "", ())
    core = remove_brackets(text).strip(";,、。:()·-")
    for _ in range(3):
        match = _PROVINCE.match(core) or _UNIT.match(core)
        if not match or len(core) - match.end() < 3:
            break
        core = core[match.end() :]
    kinds: tuple[str, ...] = ()
    legal = False
    for _ in range(3):
        for form, implied in _FORMS:
            if core.endswith(form) and len(core) > len(form):
                core = core[: -len(form)]
                kinds = kinds or implied
                legal = True
                break
        else:
            break
    core = _NEUTRAL.sub("", core)
    if not re.search(r"[\u4e00-\u9fffa-z]", core):
        core = ""
    return NameCore(text, core, kinds, legal)


__all__ = ["NameCore", "name_core"]
