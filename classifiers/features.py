"""Text features shared by the reference and supervised models.

* character 1–3-grams (TF-IDF) of an item's object;
* jieba words of the object, cut with a custom dictionary made from the
  annotation terms so that product names ("液压泵", "光伏组件") stay whole.
"""

from __future__ import annotations

import logging
import threading
from math import log

import jieba

jieba.setLogLevel(logging.WARNING)

_LOCK = threading.Lock()


def _cut_block(block: str, freq: dict, logtotal: float) -> list[str]:
    """jieba's `__cut_DAG_NO_HMM` on one block of Chinese/alphanumeric text, same words.

    The same dictionary walk and route scores (log frequency, ties to the longer word), in one
    loop with plain lists instead of jieba's DAG dict, route dict and tuple generator: the cut
    is the costliest part of scoring a new item object."""
    n = len(block)
    score = [0.0] * (n + 1)
    end = [0] * (n + 1)
    for start in range(n - 1, -1, -1):
        best = None
        best_end = start
        stop = start
        frag = block[start]
        while stop < n and frag in freq:
            f = freq[frag]
            if f:
                value = log(f) - logtotal + score[stop + 1]
                if best is None or value >= best:  # ascending ends: a tie goes to the longer word
                    best = value
                    best_end = stop
            stop += 1
            frag = block[start : stop + 1]
        if best is None:  # no dictionary word starts here: the single character, frequency 1
            best = log(freq.get(block[start]) or 1) - logtotal + score[start + 1]
        score[start] = best
        end[start] = best_end
    words: list[str] = []
    buf = ""
    x = 0
    while x < n:
        y = end[x] + 1
        word = block[x:y]
        if len(word) == 1 and _RE_ENG.match(word):
            buf += word
        else:
            if buf:
                words.append(buf)
                buf = ""
            words.append(word)
        x = y
    if buf:
        words.append(buf)
    return words


_RE_HAN = jieba.re_han_default
_RE_SKIP = jieba.re_skip_default
_RE_ENG = jieba.re_eng


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
                    self._logtotal = log(tk.total)
                    self._tokenizer = tk
        return self._tokenizer

    def cut(self, text: str) -> list[str]:
        """Words of `text`: jieba's `lcut(text, HMM=False)` (see `_cut_block`), blanks dropped."""
        freq = self._get().FREQ
        logtotal = self._logtotal
        out: list[str] = []
        for block in _RE_HAN.split(text):
            if not block:
                continue
            if _RE_HAN.match(block):
                out.extend(_cut_block(block, freq, logtotal))
            else:
                for piece in _RE_SKIP.split(block):
                    if _RE_SKIP.match(piece):
                        out.append(piece)
                    else:
                        out.extend(piece)
        return [w for w in out if w.strip()]

    def jieba_cut(self, text: str) -> list[str]:
        """The same words from jieba itself (the reference for `cut`)."""
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
            out.extend(text[i : i + k] for i in range(n - k + 1))
        if self.tokenizer is not None and n > 1:
            out.extend("w:" + w for w in self.tokenizer.cut(text) if len(w) > 1)
        return out


class NgramIndex:
    """Column lookup of character 1–3-grams, for many texts at once with numpy.

    A vectoriser's Python loop cuts every n-gram of every text and looks it up in a dict; here
    each n-gram is a 63-bit integer (three 21-bit code points) searched in a sorted array, so a
    block of item objects costs a few array passes. `vocabulary` maps n-grams (other features
    are ignored) to columns.
    """

    def __init__(self, vocabulary: dict[str, int] | PackedVocabulary):
        import numpy as np

        packed = vocabulary if isinstance(vocabulary, PackedVocabulary) else PackedVocabulary(vocabulary)
        self.keys: list = []
        self.cols: list = []
        columns, lengths = packed.columns, packed.lengths.astype(np.int64)
        points = packed.points.astype(np.uint64)
        starts = np.cumsum(lengths) - lengths
        for n in (1, 2, 3):
            which = np.flatnonzero(lengths == n)
            keys = np.zeros(len(which), dtype=np.uint64)
            for j in range(n):
                keys = (keys << np.uint64(21)) | points[starts[which] + j]
            order = np.argsort(keys, kind="stable")
            self.keys.append(keys[order])
            self.cols.append(columns[which][order])

    def lookup(self, texts) -> tuple:
        """(row, column) of every n-gram occurrence found, n = 1, 2, 3 (repeats kept: counts)."""
        import numpy as np

        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        cp = _code_points("".join(texts))
        ends = np.cumsum(lengths)
        row_of = np.repeat(np.arange(len(texts)), lengths)
        rows, cols = [], []
        for n in (1, 2, 3):
            m = len(cp) - n + 1
            if m <= 0:
                continue
            start = np.arange(m)
            start = start[start + n <= ends[row_of[:m]]]  # the n-gram stays inside its text
            key = cp[start]
            for j in range(1, n):
                key = (key << np.uint64(21)) | cp[start + j]
            keys = self.keys[n - 1]
            if not len(keys):
                continue
            pos = np.searchsorted(keys, key)
            pos[pos == len(keys)] = 0
            hit = keys[pos] == key
            rows.append(row_of[start[hit]])
            cols.append(self.cols[n - 1][pos[hit]])
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(rows), np.concatenate(cols)


def _code_points(text: str):
    """The code points of `text` as uint64 (< 2**21 each: three fit in one key)."""
    import numpy as np

    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)


class PackedVocabulary:
    """A vectoriser's vocabulary (feature → column) as three arrays instead of a dict of strings:
    the features' code points joined, their lengths, their columns.

    Saved and loaded as plain arrays (a dict of 220,000 n-grams was most of a model's load time);
    `to_dict()` rebuilds the mapping in one pass when something needs it."""

    def __init__(self, vocabulary: dict[str, int]):
        import numpy as np

        features = list(vocabulary)
        self.points = np.frombuffer("".join(features).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        self.lengths = np.fromiter(map(len, features), dtype=np.int32, count=len(features))
        self.columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(features))

    def __len__(self) -> int:
        return len(self.columns)

    def to_dict(self) -> dict[str, int]:
        import numpy as np

        joined = np.ascontiguousarray(self.points).tobytes().decode("utf-32-le", "surrogatepass")
        ends = np.cumsum(self.lengths, dtype=np.int64).tolist()
        starts = [0, *ends[:-1]]
        return dict(zip(map(joined.__getitem__, map(slice, starts, ends)), self.columns.tolist()))
