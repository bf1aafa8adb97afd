"""The scope parser's fast paths give what the plain forms they replace give.

Each fast path rests on a property of its regex or table (a trie tries words longest first, a
heading starts with one of a few character pairs, a replaced character maps to no key of the
table); random and hand-made texts check the property against the plain form."""

from __future__ import annotations

import random
import re

import pytest

from classifiers import scope_clauses, scope_parser
from classifiers.scope_vocabulary import VERBS
from classifiers.text import _TABLE, _TRANS, _translate, normalize_text
from classifiers.word_pattern import word_alternation


def _random_texts(pieces: list[str], n: int, most: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, most))) for _ in range(n)]


def test_word_trie_matches_like_the_sorted_alternation():
    words = sorted(VERBS)
    plain = "|".join(sorted(words, key=len, reverse=True))
    trie = word_alternation(words)
    texts = _random_texts([*words[::3], "的", "和", "及", "设备", "a", "("], 3000, 6, seed=1)
    for template in ("^(?:{})", "{}", "(?:的)?(?:(?:和|及)?(?:{}))+(?:业务|等)?$"):
        old, new = re.compile(template.format(plain)), re.compile(template.format(trie))
        for text in texts:
            assert old.findall(text) == new.findall(text), (template, text)
            m_old, m_new = old.search(text), new.search(text)
            assert (m_old and m_old.span()) == (m_new and m_new.span()), (template, text)


def test_word_trie_prefers_the_longest_word_and_escapes():
    pattern = re.compile(word_alternation(["生产", "生产加工", "生", "a+b", "a"]))
    assert pattern.findall("生产加工生产生a+ba") == ["生产加工", "生产", "生", "a+b", "a"]
    with pytest.raises(ValueError):
        word_alternation(["", "生产"])


_HEADING_PIECES = [
    "许可项目:",
    "一般项目:",
    "前置许可经营项目:",
    "后置许可项目是:",
    "许可经营项目为",
    "一般经营项目是",
    "主要产品",
    "主要产品和服务包括:",
    "产品主要有",
    "主营业务为:",
    "主要业务为",
    "主要劳务",
    "产品/提供的劳务主要有:",
    "和提供的劳务主要包括",
    "经营范围:",
    "一、",
    "二.",
    "十二)",
    "3、",
    "12.",
    "123、",
    ";",
    "。",
    ",",
    "、",
    "销售",
    "生产",
    "a",
    "1",
    "二",
    "许可",
    "主要",
    "产品",
    "经营",
    "一般",
    "/",
    "和",
    "提供",
]


def test_headings_are_found_as_by_finditer():
    for text in _random_texts(_HEADING_PIECES, 20000, 12, seed=2):
        expected = [(m.span(), m.lastgroup) for m in scope_clauses._SECTION_RE.finditer(text)]
        assert [(m.span(), m.lastgroup) for m in scope_clauses._section_matches(text)] == expected, text


def test_numbered_headings_at_the_start_and_after_a_match():
    sections = scope_clauses._sections("一、生产:服装;二、一般项目:销售服装")
    assert sections == [("", "生产:服装;"), ("general", "销售服装")]


def test_translation_by_replacement_equals_the_table():
    chars = [chr(cp) for cp in _TABLE] + list("生产销售;,()abc。、") + ["\u2160", "\uff02", "\uff3b"]
    for text in _random_texts(chars, 20000, 20, seed=3):
        assert _translate(text) == text.translate(_TRANS), text
    # one pass, as `translate`: a full-width quote becomes '"' and stays (its target is a key)
    assert normalize_text("＂ＡＢ＂［１］") == '"ab"(1)'


@pytest.mark.parametrize(
    "text",
    ["本公司营业期限至2030年", "公司营业期限长期", "营业期限20年", "经营范围详见章程", "范围详见附件"],
)
def test_spelt_out_boilerplate_alternatives_are_removed(text):
    assert scope_clauses._BOILERPLATE_RE.sub("", normalize_text("服装销售;" + text)) == "服装销售;"


def test_a_clause_parses_the_same_under_any_heading_but_main():
    clause = "服装、鞋帽的生产;箱包"
    assert scope_parser.parse_clause(clause, "general") == scope_parser.parse_clause(clause, "")
    main = scope_parser.parse_clause("服装、鞋帽", "main")
    assert [kinds for _, _, _, kinds, _ in main] == [("product",), ("product",)]
    assert [kinds for _, _, _, kinds, _ in scope_parser.parse_clause("服装、鞋帽", "")] == [(), ()]


def test_segments_ending_in_a_newline_still_peel_their_verbs():
    assert scope_parser.analyse_segment("服装销售\n") == scope_parser._analyse_segment_uncached("服装销售\n")
    assert scope_parser.analyse_segment("服装销售\n")[2] == ["销售"]
