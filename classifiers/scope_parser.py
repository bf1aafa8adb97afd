"""Parse a business-scope string (经营范围) into ordered items with object and activity.

    >>> scope = parse_scope(
    ...     "许可项目：食品生产。一般项目：环保设备的研发、生产和销售；货物进出口。"
    ...     "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
    ... )
    >>> [(i.object, i.activities, i.section) for i in scope.items]
    [('食品', ('make',), 'licensed'), ('环保设备', ('rnd', 'make', 'sell'), 'general'), ('', ('sell',), 'general')]

Steps: normalise widths and brackets (`classifiers.text`); drop the registry
boilerplate ("依法须经批准的项目…", "具体经营项目以…为准", …) and bracketed
qualifiers ("（不含危险化学品）"); split the 许可项目 / 一般项目 / 主要产品 sections;
split clauses on "；;。" and items on "，,、" outside brackets (brackets nest);
peel activity verbs off each item, in front ("销售计算机"), behind
("计算机销售", "…的研发、生产和销售") or alone ("生产、销售：A、B"), and share them
with the neighbouring objects they govern ("A、B的生产" → A and B are both
produced). "及/和/与" split verbs ("生产和销售") but not objects ("软件及辅助设备").
Order is kept: registry practice lists the main business first.

Modules: `classifiers.scope_clauses` cleans a scope and cuts it into (section, clause) pairs, once
per scope text; this module parses a clause into items, cached per clause (clauses recur across
scopes); the word lists (verbs, head nouns, generic objects) are in `classifiers.scope_vocabulary`.

Activity kinds (`ACTIVITY_KINDS`): make (生产/制造/加工/冶炼…), farm (种植/养殖…),
mine (开采/洗选…), supply (发电/供电/供热/供水…), sell (销售/批发/零售/进出口…),
rnd (研发/技术开发/设计…), service (咨询/服务/检测/管理…), repair (安装/维修/修理…),
lease (租赁), transport (运输/仓储/物流…), construct (施工/工程承包/装修…),
invest (投资/资产管理), product (listed under 主要产品 with no verb).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from classifiers.scope_clauses import HAS_CJK_RE, clean_scope, split_clauses, strip_boilerplate
from classifiers.scope_vocabulary import (
    ACTIVITY_KINDS,
    ACTIVITY_NAMES,
    ALWAYS_GENERIC,
    AMBIGUOUS_SELL_VERBS,
    CONNECTORS,
    GENERIC_OBJECTS,
    HEAD_NOUNS,
    MADE_AS_SERVICE,
    MODIFIER_OBJECTS,
    MODIFIER_VERBS,
    RETAIL_VERBS,
    VERBS,
    WEAK_VERBS,
    WHOLESALE_VERBS,
)
from classifiers.text import normalize_text, split_top_level
from classifiers.word_pattern import word_alternation

__all__ = [
    "ACTIVITY_KINDS",
    "ACTIVITY_NAMES",
    "VERBS",
    "ParsedScope",
    "ScopeItem",
    "analyse_segment",
    "clean_scope",
    "parse_clause",
    "parse_scope",
    "sell_channel",
    "split_clauses",
    "strip_boilerplate",
]

# ---------------------------------------------------------------------------
# Verbs (the word lists are in `classifiers.scope_vocabulary`)
# ---------------------------------------------------------------------------


def sell_channel(verbs) -> str:
    """ "retail" / "wholesale" when the selling verbs name only one channel, else ""."""
    retail = any(v in RETAIL_VERBS for v in verbs)
    wholesale = any(v in WHOLESALE_VERBS for v in verbs)
    if retail == wholesale or any(v in AMBIGUOUS_SELL_VERBS for v in verbs):
        return ""
    return "retail" if retail else "wholesale"


_VERB_ALT = word_alternation(VERBS)  # as "|".join(sorted(VERBS, key=len, reverse=True)), faster
_CONN_ALT = "|".join(re.escape(c) for c in CONNECTORS)
_PREFIX_RE = re.compile(rf"^(?:{_VERB_ALT})")
_SUFFIX_RE = re.compile(rf"(?:的)?(?:(?:{_CONN_ALT})?(?:{_VERB_ALT}))+(?:业务|活动|等|等业务|工作)?$")
_VERB_TOKEN_RE = re.compile(rf"{_VERB_ALT}")
# A match of _SUFFIX_RE ends with one of these characters ("$" also matches before a final "\n"):
# other segments skip the regex, which would try every position.
_SUFFIX_LAST = frozenset({word[-1] for word in VERBS} | set("务动等作\n"))
_CONN_LEAD_RE = re.compile(rf"^(?:{_CONN_ALT})")

_LEAD_FILLER_RE = re.compile(
    r"^(?:以下|其他|其它|另外|此外|还|并|以及|及|和|且|同时|从事|专业从事|主要从事|主营|兼营|自营|经营|提供|承接|承揽|开展|负责|"
    r"为|包括|涉及|各类|各种|一般|相关|有关|上述|所述|公司|本公司|及其|其|的)+"
)
_TRAIL_FILLER_RE = re.compile(
    r"(?:(?:及|和|与|等|以及)?(?:相关|其他|其它|有关|配套)(?:产品|服务|技术|业务|配套产品|设备)|"
    r"的|之|等|等等|业务|活动|工作|项目|系列产品|系列|类|相关|及相关|和相关|"
    r"及其他|等相关|及有关|的相关|所需|事宜|及|和|与|或)+$"
)
_TRAIL_FILLER_LAST = frozenset("与之他作关列务动及和品备宜或术的目等类需\n")  # as _SUFFIX_LAST

_GENERIC_RE = re.compile(
    r"本企业|本公司|自有|三来一补|进料加工|所需的|国家限定|自营和代理|代理各类|各类商品|"
    r"法律法规|非许可|许可类|一般项目|许可项目|成员企业|自产产品|除外|禁止|不得|审批|许可证|方可|"
    r"凭营业执照|依法自主"
)


@dataclass(slots=True)
class ScopeItem:
    """One business item of a scope, in registry order.

    text: the item as written (normalised); object: the product or service it
    is about (verbs stripped, may be ""); verbs: the activity words, in order;
    activities: their kinds (see module docstring), de-duplicated in order;
    section: "licensed" (许可项目), "general" (一般项目), "main" (主要产品/主营业务) or "";
    position: 0-based order among all items; generic: True for items that say
    nothing about the industry (货物进出口, 技术开发/咨询/服务, 自有房屋租赁 …).
    """

    text: str
    object: str
    verbs: tuple[str, ...]
    activities: tuple[str, ...]
    section: str = ""
    position: int = 0
    generic: bool = False
    clause: int = 0

    @property
    def key(self) -> str:
        """Cache key: what the model needs to score the item."""
        return self.object + "|" + ",".join(self.activities) + ("|g" if self.generic else "")


@dataclass(slots=True)
class ParsedScope:
    text: str  # normalised text after boilerplate removal
    items: list[ScopeItem] = field(default_factory=list)
    reason: str = ""  # why there are no items (Chinese), "" otherwise


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def _verb_kinds(verbs: Iterable[str]) -> tuple[str, ...]:
    kinds: list[str] = []
    for verb in verbs:
        kind = VERBS.get(verb)
        if kind and kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


def _peel_prefix(seg: str) -> tuple[list[str], str]:
    verbs: list[str] = []
    rest = seg
    while rest:
        m = _PREFIX_RE.match(rest)
        if not m:
            break
        verb = m.group(0)
        after = rest[m.end() :]
        if after:
            if verb in MODIFIER_VERBS and after.startswith(HEAD_NOUNS):
                break
            if len(_SUFFIX_RE.sub("", after)) == 1 and not _PREFIX_RE.match(after):
                break  # "出版物批发": the verb is part of the product name
            if verb in WEAK_VERBS and not _PREFIX_RE.match(after) and not _CONN_LEAD_RE.match(after):
                # "经营本企业…", "技术转让" handled by longer words; "业务" never leads
                if verb != "经营":
                    break
                rest = after
                continue
        verbs.append(verb)
        rest = after
        c = _CONN_LEAD_RE.match(rest)
        if c and verbs:
            nxt = rest[c.end() :]
            if _PREFIX_RE.match(nxt):
                rest = nxt
            else:
                # "销售及安装X" handled above; "生产及X" -> connector then object
                rest = nxt
                break
    return verbs, rest


def _peel_suffix(seg: str) -> tuple[str, list[str]]:
    m = _SUFFIX_RE.search(seg) if seg and seg[-1] in _SUFFIX_LAST else None
    if not m:
        return seg, []
    start = m.start()
    tail = seg[start:]
    head = seg[:start]
    verbs = _VERB_TOKEN_RE.findall(tail)
    if head and verbs and all(v in WEAK_VERBS for v in verbs) and verbs != ["经营"]:
        # "…业务", "…技术" at the end are part of the object
        return seg, []
    return head, verbs


def _balance(obj: str) -> str:
    """Drop brackets left unbalanced at the ends of an object."""
    if "(" not in obj and ")" not in obj:
        return obj
    if obj.startswith(")"):
        obj = obj.lstrip(")")
    if obj.endswith("("):
        obj = obj.rstrip("(")
    if obj.count("(") != obj.count(")"):
        if obj.startswith("(") and obj.count("(") > obj.count(")"):
            obj = obj[1:]
        elif obj.endswith(")") and obj.count(")") > obj.count("("):
            obj = obj[:-1]
        if obj.count("(") != obj.count(")"):
            obj = obj.replace("(", "").replace(")", "")
    return obj


# "生产Ⅱ类、Ⅲ类医疗器械" (after normalisation "ii类", "iii类医疗器械"), "第一类、第二类医疗器械"
_ORDINAL_CLASS_RE = re.compile(r"^(第?(?:[一二三四五六]|i{1,3}|iv|[1-6]))(?:类(.*))?$")
# "电子类产品", "仪表系列元件": the category word hides the product name ("电子产品")
_CATEGORY_WORD_RE = re.compile(r"(?<=..)(?:类|系列)(?=(?:产品|设备|器材|用品|制品|材料|器件|元件)$)")


def _clean_object(obj: str) -> str:
    if not obj:
        return obj
    obj = _LEAD_FILLER_RE.sub("", obj)
    if obj and obj[-1] in _TRAIL_FILLER_LAST:
        obj = _TRAIL_FILLER_RE.sub("", obj)
    if "类" in obj or "系列" in obj:
        obj = _CATEGORY_WORD_RE.sub("", obj)
    obj = _balance(obj)
    obj = obj.strip(":;,、。-·./ ")
    return obj


_TRAILING_BRACKET_RE = re.compile(r"\((?:[^()]|\([^()]*\))*\)$")


def analyse_segment(seg: str) -> tuple[list[str], str, list[str]]:
    """(prefix verbs, object, suffix verbs) of one "、"-separated segment (new lists each call)."""
    prefix, obj, suffix = _analyse_segment(seg)
    return list(prefix), obj, list(suffix)


@lru_cache(maxsize=262144)
def _analyse_segment(seg: str) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """Cached: segments ("技术服务", "货物进出口") recur across clauses."""
    prefix, obj, suffix = _analyse_segment_uncached(seg)
    return tuple(prefix), obj, tuple(suffix)


def _analyse_segment_uncached(seg: str) -> tuple[list[str], str, list[str]]:
    seg = _LEAD_FILLER_RE.sub("", seg) if seg else seg
    if not seg:
        return [], "", []
    bracket = ""
    if seg.endswith(")"):
        m = _TRAILING_BRACKET_RE.search(seg)
        if m and m.start() > 0:
            seg, bracket = seg[: m.start()], m.group(0)  # "防护用品生产(i类医疗器械)"
    prefix, rest = _peel_prefix(seg)
    obj, suffix = _peel_suffix(rest)
    if bracket and obj:
        obj = obj + bracket
    if prefix and not obj and not suffix:
        # the whole segment was verbs: report them as suffix ("研发、生产和销售")
        return [], "", prefix
    obj = _clean_object(obj)
    if not obj and not prefix and not suffix:
        return [], "", []
    return prefix, obj, suffix


_CONTINUING_KINDS = {"make", "sell", "repair", "rnd", "supply", "farm", "mine"}


def _continues(group: list[_Item], verbs: Iterable[str]) -> bool:
    """Does a verbs-only segment continue the verb list of the previous items?

    "A生产、安装和销售" yes; "工程监理、设计咨询" no (a new service item).
    """
    kinds = set(_verb_kinds(verbs))
    if not kinds:
        return False
    last = set(_verb_kinds(group[-1].verbs))
    return bool(last & _CONTINUING_KINDS)


def _is_generic(obj: str, kinds: tuple[str, ...], text: str) -> bool:
    if _GENERIC_RE.search(text):
        return True
    if not obj:
        return not (set(kinds) & {"make", "farm", "mine", "supply", "transport", "construct", "repair"}) or set(
            kinds
        ) <= {"make", "rnd", "service", "sell"}
    if obj in ALWAYS_GENERIC:
        return True
    return obj in GENERIC_OBJECTS and not (set(kinds) & {"make", "farm", "mine", "supply", "product", "construct"})


class _Item:
    __slots__ = ("text", "obj", "verbs")

    def __init__(self, text: str, obj: str, verbs: Iterable[str]):
        self.text = text
        self.obj = obj
        self.verbs = list(verbs)


ClauseItems = tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], bool], ...]


@lru_cache(maxsize=262144)
def parse_clause(clause: str, section: str = "") -> ClauseItems:
    """Items of one clause (text between "；" or "。") as (text, object, verbs, kinds, generic) tuples.

    The section only matters under 主要产品/主营业务, where an item without a verb is a product: the
    parse itself is cached per clause whatever heading it stands under (a recombined or a new scope
    repeats clauses under other headings)."""
    items = _parse_clause(clause)
    if section != "main" or all(kinds for _, _, _, kinds, _ in items):
        return items
    product = ("product",)
    return tuple(
        item if item[3] else (item[0], item[1], item[2], product, _is_generic(item[1], product, item[0]))
        for item in items
    )


@lru_cache(maxsize=262144)
def _parse_clause(clause: str) -> ClauseItems:
    """`parse_clause` outside the 主要产品 section."""
    items: list[_Item] = []
    pieces = split_top_level(clause, ",")
    verb_buffer: list[str] = []  # verbs waiting for the objects that follow ("生产、销售：…")
    prefix: Sequence[str] = []  # verbs governing the bare objects that follow ("销售A、B")
    pending: list[_Item] = []  # bare objects waiting for a verb ("A、B的生产")
    group: list[_Item] = []  # items that took the latest verbs ("A的研发、生产和销售")
    verb_only_texts: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        # "生产、销售：A、B" -> the head before ":" is all verbs
        head_verbs: list[str] = []
        if ":" in piece:
            head, _, tail = piece.partition(":")
            hv = [_analyse_segment(s) for s in split_top_level(head, "、")]
            if hv and all(not o for _, o, _ in hv) and any(p or s for p, _, s in hv):
                head_verbs = [v for p, _, s in hv for v in p + s]
                piece = tail
            elif head and len(head) <= 12 and not any(p or s for p, _, s in hv):
                piece = tail  # a label such as "生产经营范围" or a product-line heading
        segments = split_top_level(piece, "、")
        if head_verbs:
            prefix = head_verbs[:]
        group = []
        group_de = False  # "A的研发、生产…": every verb after 的 belongs to A
        piece_has_object = False
        for seg in segments:
            if not seg:
                continue
            pv, obj, sv = _analyse_segment(seg)  # tuples: never mutated below
            if not obj and not pv and not sv:
                continue
            if not obj:  # verbs only
                verbs = pv + sv
                if pending:
                    for it in pending:
                        it.verbs.extend(verbs)
                    group = pending
                    pending = []
                elif group and not verb_buffer and (group_de or _continues(group, verbs)):
                    for it in group:
                        it.verbs.extend(verbs)
                else:
                    verb_buffer.extend(verbs)
                    verb_only_texts.append(seg)
                continue
            piece_has_object = True
            if verb_buffer and sv and not pv:
                # "设计咨询、试验检测" : the verbs before stand alone
                for text in verb_only_texts:
                    items.append(_Item(text, "", [v for v in _VERB_TOKEN_RE.findall(text)]))
                verb_buffer = []
                verb_only_texts = []
            if verb_buffer:
                pv = (*verb_buffer, *pv)
                verb_buffer = []
                verb_only_texts = []
            if pv and not sv:
                it = _Item(seg, obj, pv)
                items.append(it)
                prefix = pv
                group = [it]
                group_de = False
            elif sv:
                it = _Item(seg, obj, pv + sv)
                items.append(it)
                for p in pending:
                    p.verbs.extend(sv)
                group = pending + [it]
                group_de = "的" in seg
                pending = []
                prefix = []
            else:
                if prefix:
                    it = _Item(seg, obj, prefix)
                    items.append(it)
                    group.append(it)
                else:
                    it = _Item(seg, obj, [])
                    items.append(it)
                    pending.append(it)
        if verb_buffer and (not piece_has_object or not prefix):
            # verbs with no object after them in this piece: standalone items ("技术开发、技术咨询")
            for text in verb_only_texts:
                items.append(_Item(text, "", [v for v in _VERB_TOKEN_RE.findall(text)]))
            if not verb_only_texts:
                items.append(_Item("".join(verb_buffer), "", verb_buffer))
            verb_buffer = []
            verb_only_texts = []
            prefix = []
    _share_ordinal_heads(items)
    out = []
    for it in items:
        item_verbs = tuple(dict.fromkeys(it.verbs))
        strong = tuple(v for v in item_verbs if v not in WEAK_VERBS) or item_verbs
        kinds = _verb_kinds(strong)
        obj = _balance(it.obj)
        if obj in MODIFIER_OBJECTS:
            obj = it.text  # the verb carries the meaning: "普通货运", "专业设计服务"
        if (
            "make" in kinds
            and obj.endswith(MADE_AS_SERVICE)
            and not any(VERBS.get(v) == "make" and v != "制作" for v in strong)
        ):
            # "广告制作", "影视节目制作": making an advert or a programme is a service (72, 87), not a factory
            kinds = tuple("service" if k == "make" else k for k in kinds)
            obj = it.text
        out.append((it.text, obj, strong, kinds, _is_generic(obj, kinds, it.text)))
    return tuple(out)


def _share_ordinal_heads(items: list[_Item]) -> None:
    """ "生产Ⅱ类、Ⅲ类医疗器械": the bare "ii类" shares the head noun of the next ordinal class."""
    head = ""
    for it in reversed(items):
        m = _ORDINAL_CLASS_RE.match(it.obj)
        if not m:
            head = ""
            continue
        if m.group(2):
            head = m.group(2)
        elif head and it.text.endswith("类"):
            it.obj = m.group(1) + "类" + head


def parse_scope(text: object) -> ParsedScope:
    """Parse a raw scope string; never raises. See the module docstring."""
    cleaned = clean_scope(text)
    parsed = ParsedScope(text=cleaned)
    if not cleaned or not HAS_CJK_RE.search(cleaned):
        parsed.reason = "经营范围为空" if not normalize_text(text).strip(";,、。:()") else "经营范围无可识别的中文内容"
        return parsed
    position = 0
    for clause_no, (section, clause) in enumerate(split_clauses(cleaned)):
        for text_, obj, verbs, kinds, generic in parse_clause(clause, section):
            parsed.items.append(ScopeItem(text_, obj, verbs, kinds, section, position, generic, clause_no))
            position += 1
    if not parsed.items:
        parsed.reason = "经营范围中没有可识别的经营项目"
    return parsed
