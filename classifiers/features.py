"""Text features shared by the reference and supervised models.

* character 1–3-grams (TF-IDF) of an item's object;
* jieba words of the object, cut with a custom dictionary made from the
  annotation terms so that product names ("液压泵", "光伏组件") stay whole.
"""

from __future__ import annotations

import logging
import threading

import jieba

jieba.setLogLevel(logging.WARNING)

_LOCK = threading.Lock()


class TermTokenizer:
    """jieba cut with the knowledge-base terms as a user dictionary (HMM off: no invented words)."""

    def __init__(self, terms):
        self._terms = sorted({t for t in terms if 2 <= len(t) <= 12})
        self._tokenizer = None

    def _get(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with _LOCK:
                if self._tokenizer is None:
                    tk = jieba.Tokenizer()
                    tk.initialize()
                    for term in self._terms:
                        tk.add_word(term, 2000)
                    self._tokenizer = tk
        return self._tokenizer

    def cut(self, text: str) -> list[str]:
        return [w for w in self._get().lcut(text, HMM=False) if w.strip()]

    def __getstate__(self):
        return {"_terms": self._terms, "_tokenizer": None}

    def __setstate__(self, state):
        self.__dict__.update(state)


class CharWordAnalyzer:
    """Callable analyzer for scikit-learn vectorisers: char 1–3-grams plus 'w:'-prefixed jieba words."""

    def __init__(self, tokenizer: TermTokenizer | None, ngram=(1, 3)):
        self.tokenizer = tokenizer
        self.ngram = ngram

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        n = len(text)
        lo, hi = self.ngram
        for k in range(lo, hi + 1):
            out.extend(text[i:i + k] for i in range(n - k + 1))
        if self.tokenizer is not None and n > 1:
            out.extend("w:" + w for w in self.tokenizer.cut(text) if len(w) > 1)
        return out
