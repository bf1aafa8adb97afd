"""From a raw business scope to its clauses: the part of parsing done once per scope text.

`clean_scope` normalises the text (`classifiers.text`) and drops the registry boilerplate
("依法须经批准的项目…") and bracketed legal qualifiers ("（不含危险化学品）"); `split_clauses` cuts it
at the 许可项目 / 一般项目 / 主要产品 headings and at "；。" outside brackets into (section, clause)
pairs, without clauses that only restate licensing rules. Clauses recur across scopes, so
`classifiers.scope_parser` parses and caches them one by one; this module's work is paid by every
new scope and is written to scan each text a few times in C (see the notes on the regexes).
"""

from __future__ import annotations

import re
from functools import lru_cache

from classifiers.text import normalize_text, remove_brackets, split_top_level

# ---------------------------------------------------------------------------
# Boilerplate and headings
# ---------------------------------------------------------------------------

_BOILERPLATE = [
    r"依法须经批准的项目[,]?经相关部门批准后(?:方可|依批准的内容|按批准的内容|凭许可证件)?开展(?:相应|相关)?经营活动",
    r"依法需经批准的项目[,]?需经相关部门批准后方可开展经营活动",
    r"除依法须经批准的项目外[,]?凭营业执照依法自主开展经营活动",
    r"除许可业务外[,]?可自主依法经营法律法规非禁止或限制的项目",
    r"具体经营项目以[^;。)]{0,40}?为准",
    r"市场主体依法自主选择经营项目[,]?开展经营活动",
    r"不得从事[^;。)]{0,30}?禁止和限制类项目的经营活动",
    r"涉及[^;。)]{0,20}?许可[^;。)]{0,20}?(?:方可经营|后经营)",
    r"法律[、,]?(?:行政)?法规[^;。)]{0,40}?(?:禁止|限制)[^;。)]{0,30}?(?:除外|不得经营|取得许可后方可经营|方可经营)",
    r"经营范围中(?:属于|涉及)[^;。)]{0,40}?(?:方可经营|后方可经营|为准)",
    r"以上(?:经营)?(?:项目|范围)[^;。()]{0,50}",
    r"上述(?:经营)?(?:项目|范围)[^;。()]{0,50}",
    r"法律[、,]?法规[、,]?国务院决定规定[^;。]{0,60}",
    r"市场主体(?:依法)?自主选择经营[^;。]{0,30}",
    r"本公司营业期限[^;。]{0,40}",
    r"公司营业期限[^;。]{0,40}",
    r"营业期限[^;。]{0,40}",
    r"业务范围详见[^;。]{0,30}",
    r"经营范围详见[^;。]{0,30}",
    r"范围详见[^;。]{0,30}",
    r"详见[^;。]{0,30}许可证",
]
# Every pattern starts with a literal character and none has a top-level "|": joined bare, they let
# `re` skip to the next position holding one of those first characters instead of trying all the
# patterns at every position (optional leading words are spelt out as patterns of their own, in the
# order the optional group would try them).
_BOILERPLATE_RE = re.compile("|".join(_BOILERPLATE))
_QUALIFIER_RE = re.compile(
    r"依法|批准|许可|除外|不含|不得|禁止|须经|需经|凭|仅限|限分|审批|以上|不涉及|不从事|"
    r"国家|分支机构|有效期|未取得|经营期限|另设|专项|资质|不包括|持证|备案|涉及"
)
_EMPTY_BRACKETS_RE = re.compile(r"\([;,、。:]*\)")

_SECTION_RE = re.compile(
    r"(?P<lic>(?:前置|后置)?许可(?:经营)?项目(?:是|为|包括)?[:]|许可经营项目(?:是|为)|许可项目[:])|"
    r"(?P<gen>一般(?:经营)?项目(?:是|为|包括)?[:]|一般经营项目(?:是|为))|"
    r"(?P<main>主要产品(?:和服务|及服务|或提供的劳务|和劳务|或服务|及劳务)?(?:主要)?(?:包括|有|为|是|类型包括|涵盖)?[:]?|"
    r"产品主要(?:有|包括|为|是)[:]?|主营业务(?:为|是|包括|有)?[:]|主要业务(?:为|是|包括|有)[:]?|"
    r"主要劳务(?:为|是|包括|有)?[:]?|(?:产品)?[/或和]?提供的劳务主要(?:有|包括|为|是)[:]?)|"
    r"(?P<head>经营范围(?:是|为|包括)?[:]|(?<![^;。,])(?:[一二三四五六七八九十]+|\d{1,2})[、.)](?=\D))"
)
_SECTION_NAMES = {"lic": "licensed", "gen": "general", "main": "main"}


def strip_boilerplate(text: str) -> str:
    """Remove registry boilerplate and bracketed qualifiers from normalised text."""
    if "经营活动" in text or "为准" in text or "许可" in text or "禁止" in text or "以上" in text or "上述" in text:
        text = _BOILERPLATE_RE.sub("", text)
    if "(" in text or ")" in text:
        text = remove_brackets(text, keep=_keep_bracket)
        if "()" in text or "(;" in text:
            text = _EMPTY_BRACKETS_RE.sub("", text)
    return text


def _keep_bracket(inner: str) -> bool:
    """Keep a bracketed part unless it is a legal qualifier or empty."""
    stripped = inner.strip(";,、。:")
    if not stripped:
        return False
    return not _QUALIFIER_RE.search(stripped)


def _sections(text: str) -> list[tuple[str, str]]:
    """Split normalised text into (section, text) runs at 许可项目/一般项目/主要产品 headings."""
    matches = _section_matches(text)
    if not matches:
        return [("", text)]
    out: list[tuple[str, str]] = []
    pos = 0
    current = ""
    for m in matches:
        if m.start() > pos:
            out.append((current, text[pos : m.start()]))
        kind = m.lastgroup
        assert kind is not None  # every alternative of _SECTION_RE is a named group
        if kind != "head":
            current = _SECTION_NAMES[kind]
        pos = m.end()
    out.append((current, text[pos:]))
    return out


# Where a heading may start: the first two characters of every heading of _SECTION_RE, or the
# separator before a numbered heading ("；二、"). Every alternative starts with a literal, so `re`
# jumps between candidate characters instead of trying all of _SECTION_RE at every position.
_SECTION_HINT_RE = re.compile(
    r"前置|后置|许可|一般|主要|主营|产品|提供|/提|或提|和提|经营范围|"
    r";[一二三四五六七八九十\d]|。[一二三四五六七八九十\d]|,[一二三四五六七八九十\d]"
)


def _section_matches(text: str) -> list[re.Match]:
    """`list(_SECTION_RE.finditer(text))`, trying _SECTION_RE only where a heading may start.

    No heading ends in ";。,", so a numbered heading right after a match still has its hint ahead."""
    found: list[re.Match] = []
    pos = 0
    m = _SECTION_RE.match(text)  # a numbered heading at the very start has no separator before it
    if m:
        found.append(m)
        pos = m.end()
    search, match = _SECTION_HINT_RE.search, _SECTION_RE.match
    while (hint := search(text, pos)) is not None:
        at = hint.start()
        m = match(text, at + 1 if text[at] in ";。," else at)
        if m:
            found.append(m)
            pos = m.end()
        else:
            pos = at + 1
    return found


HAS_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_DROP_CLAUSE_RE = re.compile(
    r"不得经营|批准后|凭许可|审批机关|须经批准|需经批准|方可经营|许可证件|自主选择经营|依法自主开展"
)


@lru_cache(maxsize=262144)
def _usable_clause(clause: str) -> bool:
    """Cached: the same clauses recur across scopes."""
    return bool(clause) and bool(HAS_CJK_RE.search(clause)) and not _DROP_CLAUSE_RE.search(clause)


def clean_scope(text: object) -> str:
    """Normalised scope text without boilerplate."""
    return strip_boilerplate(normalize_text(text))


def split_clauses(cleaned: str) -> list[tuple[str, str]]:
    """(section, clause) pairs of cleaned text, in order: the unit the model caches on."""
    out: list[tuple[str, str]] = []
    for section, chunk in _sections(cleaned):
        for clause in split_top_level(chunk, ";。"):
            if _usable_clause(clause):
                out.append((section, clause))
    return out
