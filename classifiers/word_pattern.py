"""Word lists compiled into regex alternations that Python's `re` matches fast.

`re` tries the alternatives of "生产加工|生产|销售|…" one by one at a position: with the parser's
≈ 300 verbs, ≈ 300 attempts. The same words as a trie ("生产(?:加工)?|销售") cost one attempt per
distinct first character (≈ 120), then one per further character; and as every alternative starts
with a literal, `re.search` still skips straight to positions holding one of those first characters.

The trie tries the words that match at a position longest first, as "|".join(sorted(words,
key=len, reverse=True)) does: the words matching at one position are prefixes of one another, so
they lie on one path of the trie, and a greedy optional group tries the longer one first. Matches,
backtracking included, are therefore the same as with the sorted alternation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_END = ""  # trie key marking the end of a word


def word_alternation(words: Iterable[str]) -> str:
    """A regex (no capturing groups) matching any of `words`, the longest first; words must be non-empty."""
    trie: dict = {}
    for word in words:
        if not word:
            raise ValueError("empty word")
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = {}
    if not trie:
        raise ValueError("no words")
    return _node_pattern(trie)


def _node_pattern(node: dict) -> str:
    """Alternatives of the children of `node` (which must have children)."""
    parts = []
    for ch in sorted(k for k in node if k != _END):
        child = node[ch]
        rest = {k: v for k, v in child.items() if k != _END}
        if not rest:
            parts.append(re.escape(ch))
        elif _END in child:
            parts.append(f"{re.escape(ch)}(?:{_node_pattern(child)})?")
        else:
            parts.append(
                f"{re.escape(ch)}{_node_pattern(child)}"
                if len(rest) == 1
                else f"{re.escape(ch)}(?:{_node_pattern(child)})"
            )
    return parts[0] if len(parts) == 1 else "|".join(parts)
