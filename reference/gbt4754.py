"""GB/T 4754-2017 (with Amendment No. 1): the code tree, its annotations and the 2011 crosswalk.

Everything downstream speaks in 2017 codes without a section letter for
divisions, groups and classes ("13", "131", "1311") and with the letter alone
for sections ("C"). `normalize_code` turns what offices actually type
("C1311", "１３１１", " c13 ") into that form.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

LEVELS = ("section", "division", "group", "class")
LEVEL_NAMES = {"section": "门类", "division": "大类", "group": "中类", "class": "小类"}
INDUSTRIAL_SECTIONS = frozenset({"B", "C", "D"})

_CODE_RE = re.compile(r"^([A-T])?(\d{2}|\d{3}|\d{4})?$")


class UnknownCodeError(ValueError):
    """A code that is not in the standard (or cannot be read as a code at all)."""


@dataclass(frozen=True)
class Node:
    code: str
    level: str
    section: str
    division: str
    group: str
    name: str
    parent: str
    notes: str
    definition: str
    includes: str
    excludes: str
    excludes_ref_codes: tuple[str, ...]

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    @property
    def is_industrial(self) -> bool:
        return self.section in INDUSTRIAL_SECTIONS

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


def _clean_code_text(text: object) -> str:
    value = unicodedata.normalize("NFKC", str(text or "")).strip().upper()
    value = re.sub(r"[\s\-_·]", "", value)
    return value


def normalize_code(text: object) -> str | None:
    """Return the canonical code for `text`, or None when it is not code-shaped.

    Accepts "1311", "C1311", "C13", "13", "c", full-width digits and stray
    spaces. Does not check that the code exists: see `Standard.get`.
    A float read from a spreadsheet ("131.0") is not accepted on purpose:
    it would silently drop a leading zero.
    """
    value = _clean_code_text(text)
    if not value:
        return None
    match = _CODE_RE.match(value)
    if not match:
        return None
    letter, digits = match.groups()
    if digits:
        return digits
    return letter


class Standard:
    """The loaded tree with lookups; get one with `standard()`."""

    def __init__(self, data_dir: Path = DATA_DIR):
        self.nodes: dict[str, Node] = {}
        self._children: dict[str, list[str]] = defaultdict(list)
        with (data_dir / "gbt4754_2017.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                refs = tuple(c for c in row["excludes_ref_codes"].split(";") if c)
                node = Node(
                    code=row["code"],
                    level=row["level"],
                    section=row["section"],
                    division=row["division"],
                    group=row["group"],
                    name=row["name"],
                    parent=row["parent"],
                    notes=row["notes"],
                    definition=row["definition"],
                    includes=row["includes"],
                    excludes=row["excludes"],
                    excludes_ref_codes=refs,
                )
                self.nodes[node.code] = node
                if node.parent:
                    self._children[node.parent].append(node.code)
        self._crosswalk: dict[str, list[str]] = defaultdict(list)
        with (data_dir / "gbt4754_2011_to_2017.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                self._crosswalk[row["code_2011"]].append(row["code_2017"])

    # -- lookup -------------------------------------------------------------
    def get(self, code: object) -> Node:
        """The node for a code in any accepted spelling; UnknownCodeError otherwise."""
        canonical = normalize_code(code)
        if canonical is None or canonical not in self.nodes:
            raise UnknownCodeError(f"代码“{code}”不是 GB/T 4754-2017 中的有效行业代码")
        return self.nodes[canonical]

    def find(self, code: object) -> Node | None:
        try:
            return self.get(code)
        except UnknownCodeError:
            return None

    def by_level(self, level: str, industrial_only: bool = False) -> list[Node]:
        return [n for n in self.nodes.values() if n.level == level and (n.is_industrial or not industrial_only)]

    def classes(self, industrial_only: bool = False) -> list[Node]:
        return self.by_level("class", industrial_only)

    def children(self, code: object) -> list[Node]:
        return [self.nodes[c] for c in self._children.get(self.get(code).code, [])]

    def parent(self, code: object) -> Node | None:
        node = self.get(code)
        return self.nodes[node.parent] if node.parent else None

    def lineage(self, code: object) -> list[Node]:
        """From the section down to the node itself."""
        node = self.get(code)
        chain = [node]
        while chain[-1].parent:
            chain.append(self.nodes[chain[-1].parent])
        return list(reversed(chain))

    def path_text(self, code: object) -> str:
        """E.g. "C 制造业 > 13 农副食品加工业 > 131 谷物磨制 > 1311 稻谷加工"."""
        return " > ".join(n.label for n in self.lineage(code))

    def ancestor(self, code: object, level: str) -> Node | None:
        """The node's ancestor (or itself) at `level`; None when the node is above it."""
        for node in self.lineage(code):
            if node.level == level:
                return node
        return None

    def descendants(self, code: object, level: str = "class") -> list[Node]:
        """All nodes at `level` beneath (or equal to) the node."""
        node = self.get(code)
        out: list[Node] = []
        stack = [node.code]
        while stack:
            current = self.nodes[stack.pop()]
            if current.level == level:
                out.append(current)
                continue
            stack.extend(reversed(self._children.get(current.code, [])))
        return out

    def is_industrial(self, code: object) -> bool:
        """Sections B, C, D (divisions 06-46); False for unknown codes."""
        node = self.find(code)
        return bool(node and node.is_industrial)

    # -- editions -----------------------------------------------------------
    def map_2011(self, code: object) -> list[str]:
        """2017 codes for a 2011-edition code, most likely first.

        Classes go through the crosswalk (one-to-many where the 2017 edition
        split a class). Groups and divisions map to the 2017 nodes at the same
        level that the crosswalk sends their classes to, ordered by how many
        classes go there. Sections keep their letter.
        """
        canonical = normalize_code(code)
        if canonical is None:
            raise UnknownCodeError(f"代码“{code}”不是行业代码")
        if canonical.isalpha():
            return [canonical] if canonical in self.nodes else []
        width = len(canonical)
        counts: Counter[str] = Counter()
        for code_2011, targets in self._crosswalk.items():
            if code_2011.startswith(canonical):
                for target in targets:
                    counts[target[:width]] += 1
        if not counts:
            raise UnknownCodeError(f"代码“{code}”不在 GB/T 4754-2011 到 2017 的对照表中")
        return [c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c in self.nodes]

    def to_2017(self, code: object, edition: str | int = 2017) -> list[str]:
        """Codes in the 2017 edition for a code given in `edition`."""
        if str(edition) == "2011":
            return self.map_2011(code)
        return [self.get(code).code]


@lru_cache(maxsize=1)
def standard() -> Standard:
    """The shared, loaded standard (read once per process)."""
    return Standard()
