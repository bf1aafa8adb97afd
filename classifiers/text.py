"""Text normalisation for business-scope (经营范围) strings.

Everything downstream sees the same canonical form: half-width ASCII, round
brackets "()" for every bracket style, ";" "," ":" as the separators (the
Chinese "、" and "。" are kept), no whitespace, no quotation marks, lower-case
Latin letters.
"""

from __future__ import annotations

import re
import unicodedata

# Full-width ASCII (U+FF01..U+FF5E) -> ASCII, then our own extra mappings.
_TABLE: dict[int, str | None] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
_TABLE.update(
    {
        0x3000: None,  # ideographic space
        ord(" "): None,
        ord("\t"): None,
        ord("\r"): ";",
        ord("\n"): ";",
        0xA0: None,
        0x200B: None,
        0xFEFF: None,
        ord("【"): "(",
        ord("】"): ")",
        ord("〔"): "(",
        ord("〕"): ")",
        ord("["): "(",
        ord("]"): ")",
        ord("［"): "(",
        ord("］"): ")",
        ord("{"): "(",
        ord("}"): ")",
        ord("｛"): "(",
        ord("｝"): ")",
        ord("〖"): "(",
        ord("〗"): ")",
        ord("﹙"): "(",
        ord("﹚"): ")",
        ord("⑴"): None,
        ord("“"): None,
        ord("”"): None,
        ord("‘"): None,
        ord("’"): None,
        ord('"'): None,
        ord("'"): None,
        ord("《"): None,
        ord("》"): None,
        ord("〈"): None,
        ord("〉"): None,
        ord("「"): None,
        ord("」"): None,
        ord("『"): None,
        ord("』"): None,
        ord("﹔"): ";",
        ord("﹐"): ",",
        ord("﹑"): "、",
        ord("︰"): ":",
        ord("﹕"): ":",
        ord("｡"): "。",
        ord("．"): ".",
        ord("｜"): "|",
        ord("／"): "/",
        ord("—"): "-",
        ord("–"): "-",
        ord("－"): "-",
        ord("~"): "-",
        ord("～"): "-",
        ord("・"): "·",
        ord("•"): "·",
    }
)
_TABLE_UPPER = {cp: chr(cp + 32) for cp in range(ord("A"), ord("Z") + 1)}
_TABLE.update(_TABLE_UPPER)
for _cp in range(0xFF21, 0xFF3B):  # full-width upper-case letters straight to lower case
    _TABLE[_cp] = chr(_cp - 0xFEE0 + 32)
_TRANS = str.maketrans(_TABLE)
# `str.translate` looks every character up in a dict (≈ 0.2 µs a character). A scope needs it for a
# few distinct characters ("；", "，", "（", an upper-case letter): `str.replace` maps each of those at
# memory speed. Only characters whose replacement holds no key of the table are mapped that way, so
# the order of the replacements cannot matter and the result is the one `translate` gives.
_NEEDS_TRANSLATE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_TABLE)) + "]")
_REPLACE_SAFE = {
    chr(cp): out or "" for cp, out in _TABLE.items() if out is None or all(ord(c) not in _TABLE for c in out)
}
_REPLACE_SAFE_KEYS = frozenset(_REPLACE_SAFE)


def _translate(text: str) -> str:
    """`text.translate(_TRANS)`, by `str.replace` when few distinct characters need mapping."""
    found = set(_NEEDS_TRANSLATE.findall(text))
    if not found:
        return text
    if len(found) > 12 or not found <= _REPLACE_SAFE_KEYS:
        return text.translate(_TRANS)
    for ch in found:
        text = text.replace(ch, _REPLACE_SAFE[ch])
    return text


_MULTI_SEP = re.compile(r"([;,、。:])[;,、。:]+")
_NEEDS_NFKC = re.compile(
    r"[\u2160-\u217f\u2460-\u24ff\u3200-\u33ff\uf900-\ufaff\ufe30-\ufe4f\u00bc-\u00be\u2150-\u215f]"
)


def normalize_text(text: object) -> str:
    """Canonical form of a scope string (see module docstring); '' for None/NaN."""
    if text is None:
        return ""
    if not isinstance(text, str):
        if isinstance(text, float) and text != text:  # NaN
            return ""
        text = str(text)
    if _NEEDS_NFKC.search(text):
        text = unicodedata.normalize("NFKC", text)
    text = _translate(text)
    if ";;" in text or ",," in text or "。。" in text or ";。" in text:
        text = _MULTI_SEP.sub(r"\1", text)
    return text


_BRACKET_RE = re.compile(r"[()]")
_MARK_RES: dict[str, re.Pattern] = {}  # separators -> pattern of brackets and separators


def _marks(separators: str) -> re.Pattern:
    pattern = _MARK_RES.get(separators)
    if pattern is None:
        pattern = _MARK_RES[separators] = re.compile("[()" + re.escape(separators) + "]")
    return pattern


def split_top_level(text: str, separators: str) -> list[str]:
    """Split on any of `separators` outside brackets; brackets may nest.

    Only brackets and separators are visited (a regex finds them), not every character."""
    if "(" not in text:
        if len(separators) == 1:
            return text.split(separators)
        return re.split("[" + re.escape(separators) + "]", text)
    parts: list[str] = []
    depth = 0
    start = 0
    for m in _marks(separators).finditer(text):
        ch = m.group()
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth:
                depth -= 1
        elif depth == 0:
            i = m.start()
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def bracket_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every top-level bracket group, end exclusive; unclosed runs to the end."""
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for m in _BRACKET_RE.finditer(text):
        if m.group() == "(":
            if depth == 0:
                start = m.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                spans.append((start, m.end()))
    if depth:
        spans.append((start, len(text)))
    return spans


def remove_brackets(text: str, keep=None) -> str:
    """Remove top-level bracket groups; `keep(inner) -> bool` keeps the inner text instead."""
    if "(" not in text and ")" not in text:
        return text
    out: list[str] = []
    pos = 0
    for start, end in bracket_spans(text):
        out.append(text[pos:start])
        inner = text[start + 1 : end - 1] if text[end - 1 : end] == ")" else text[start + 1 : end]
        if keep is not None and keep(inner):
            out.append("(" + inner + ")")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def combine_activity_and_scope(main_activity: object, scope: object) -> str:
    """The register's 主要业务活动 ahead of the scope, under the "主营业务：" heading the parser
    weighs most; either one alone when the other is empty."""
    main, text = _cell(main_activity), _cell(scope)
    if not main:
        return text
    if not text:
        return main
    return f"主营业务：{main}；{text}"


def _cell(value: object) -> str:
    """A table cell as stripped text; '' for None/NaN."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()
