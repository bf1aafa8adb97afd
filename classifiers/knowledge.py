"""Knowledge base built from the GB/T 4754-2017 reference: terms per 小类.

For every class the base holds its name, the standard's note (说明), the
annotation's definition and its 包括 lists, split into terms ("— 液压阀：方向阀、
压力阀…" gives 液压阀, 方向阀, 压力阀, …). Each 不包括 line is redirected to
the code it names ("— 新能源汽车电动机，列入3812（电动机制造）" gives the term
新能源汽车电动机 to 3812). Terms of groups and divisions go to the classes
beneath. Activity words are peeled off terms with the same code as the scope
parser ("锅炉专业修理" → 锅炉 + repair), so item objects and class terms meet
on products and services, and the activity is judged separately
(`CLASS_KINDS`, `classifiers.reference_scorer`).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from classifiers.scope_parser import analyse_segment
from classifiers.text import normalize_text, split_top_level
from reference import standard
from reference.gbt4754 import DATA_DIR

# Kind of economic activity of each division (2017 numbering).
_DIVISION_KIND: dict[str, str] = {}
for _kind, _divs in {
    "agri": "01 02 03 04",
    "agri_svc": "05",
    "mining": "06 07 08 09 10 12",
    "mining_svc": "11",
    "make": " ".join(str(d) for d in range(13, 43)),
    "repair_ind": "43",
    "utility": "44 45 46",
    "construct": "47 48 49 50",
    "wholesale": "51",
    "retail": "52",
    "transport": "53 54 55 56 57 58 59 60",
    "hospitality": "61 62",
    "telecom": "63",
    "internet": "64",
    "software": "65",
    "finance": "66 67 68 69",
    "realestate": "70",
    "lease": "71",
    "bizsvc": "72",
    "rnd": "73",
    "techsvc": "74",
    "techpromo": "75",
    "env": "76 77 78 79",
    "resident": "80 82",
    "repair_home": "81",
    "edu": "83",
    "health": "84 85",
    "culture": "86 87 88 89 90",
    "public": "91 92 93 94 95 96",
    "intl": "97",
}.items():
    for _d in _divs.split():
        _DIVISION_KIND[_d] = _kind
CLASS_KINDS = tuple(dict.fromkeys(_DIVISION_KIND.values()))

_LINE_CATEGORY_RE = re.compile(r"包括(?:对)?(?:下列|以下)?(.+?)(?:的)?(?:活动|服务|产品)?[:：]?$")
_REDIRECT_RE = re.compile(r"[，,]?\s*(?:分别)?列入\s*([A-Z]?\d{2,4}|[A-T])")
_REDIRECT_ALL_RE = re.compile(r"(?<![\d])([A-T]|\d{4}|\d{3}|\d{2})(?:（|\()")
_TERM_JUNK_RE = re.compile(
    r"^(?:其他未列明的?|其他|未列明的?|各种|各类|部分|相关|一般|以及|及|和|与|下列|以下|含|包括)+"
)
_TERM_SPLIT = "、,;，；"
REGISTRY_TERMS_FILE = "registry_terms.csv"
REGISTRY_TERM_WEIGHT = 1.5  # between a 包括 item (0.8) and a class name (3.0)


@dataclass
class ClassEntry:
    code: str
    name: str
    index: int
    kind: str
    division: str
    group: str
    section: str
    name_object: str
    terms: dict[str, float] = field(default_factory=dict)  # term object -> weight
    text: list[str] = field(default_factory=list)  # free text (notes, definitions)


def _clean_term(raw: str) -> tuple[str, tuple[str, ...]]:
    """(object, verbs) of an annotation term; '' when nothing is left."""
    term = normalize_text(raw).strip(";,、。:-—· ")
    term = re.sub(r"\((?:部分|其他)\)", "", term)
    term = _TERM_JUNK_RE.sub("", term)
    if not term:
        return "", ()
    pv, obj, sv = analyse_segment(term)
    obj = _TERM_JUNK_RE.sub("", obj)
    obj = re.sub(r"(?:专业|的)$", "", obj)
    if obj.count("(") != obj.count(")"):
        obj = obj.replace("(", "").replace(")", "")
    obj = obj.strip("()")
    if obj.startswith("其他") or obj.startswith("未列明"):
        obj = _TERM_JUNK_RE.sub("", obj)
    return obj, tuple(pv + sv)


def _terms_of_line(line: str) -> list[tuple[str, float]]:
    """Terms of one '— head：a、b（c、d）' line with weights (head 1.0, items 0.8, bracketed 0.6)."""
    line = line.strip().lstrip("—-－ ").rstrip("；;。.")
    if not line:
        return []
    out: list[tuple[str, float]] = []
    head, sep, rest = line.partition("：")
    if not sep:
        head, sep, rest = line.partition(":")
    pieces = [(head, 1.0)]
    if sep:
        pieces = [(head, 1.0)] + [(p, 0.8) for p in split_top_level(normalize_text(rest), _TERM_SPLIT)]
    for piece, weight in pieces:
        piece = normalize_text(piece)
        if "(" in piece:
            inner = re.findall(r"\(([^()]*)\)", piece)
            outer = re.sub(r"\([^()]*\)", "", piece)
            out.append((outer, weight))
            for group in inner:
                for sub in split_top_level(group, _TERM_SPLIT):
                    out.append((sub, weight * 0.75))
        else:
            out.append((piece, weight))
    return out


def _redirect_codes(line: str) -> list[str]:
    """Codes named by a 不包括 line ("列入3620（…）", "分别列入7715（…）和7713（…）")."""
    if "列入" not in line:
        return []
    tail = line[line.index("列入") :]
    codes = _REDIRECT_ALL_RE.findall(tail)
    if not codes:
        m = _REDIRECT_RE.search(line)
        codes = [m.group(1)] if m else []
    return codes


class KnowledgeBase:
    """Terms and texts per class, plus the hierarchy arrays the model needs."""

    def __init__(self) -> None:
        s = standard()
        self.standard = s
        classes = s.classes()
        self.classes: list[ClassEntry] = []
        self.index: dict[str, int] = {}
        for i, node in enumerate(classes):
            obj, _ = _clean_term(node.name)
            entry = ClassEntry(
                code=node.code,
                name=node.name,
                index=i,
                kind=_DIVISION_KIND[node.division],
                division=node.division,
                group=node.group,
                section=node.section,
                name_object=obj or node.name,
            )
            self.classes.append(entry)
            self.index[node.code] = i
        self.negatives: dict[int, set[str]] = defaultdict(set)
        for node in s.nodes.values():
            targets = (
                [self.index[c.code] for c in s.descendants(node.code, "class")]
                if node.level != "class"
                else [self.index[node.code]]
            )
            if node.level == "section":
                continue
            share = 1.0 if node.level == "class" else (0.6 if node.level == "group" else 0.35)
            self._add_node_text(node, targets, share)
        self._add_registry_terms()
        for entry in self.classes:
            entry.terms.pop("", None)

    # -- building ------------------------------------------------------------
    def _add_term(self, targets: list[int], raw: str, weight: float) -> None:
        obj, verbs = _clean_term(raw)
        forms = [(obj, weight)]
        if verbs:
            # the full form too ("火力发电" besides "火力"), so that items whose
            # object is empty or a bare modifier ("发电", "普通货运") still match
            full = _TERM_JUNK_RE.sub("", normalize_text(raw).strip(";,、。:-—· "))
            full = re.sub(r"(?:活动|服务|业务)$", "", full)
            if full != obj:
                forms.append((full, weight * 0.6))
        for form, w in forms:
            if len(form) < 2 or len(form) > 30:
                continue
            for t in targets:
                terms = self.classes[t].terms
                if terms.get(form, 0.0) < w:
                    terms[form] = w

    def _add_node_text(self, node, targets: list[int], share: float) -> None:
        # the name itself
        self._add_term(targets, node.name, 3.0 * share)
        for part in split_top_level(normalize_text(node.name), "、,和及与"):
            if len(part) >= 2 and part != normalize_text(node.name):
                self._add_term(targets, part, 1.2 * share)
        text = node.notes or node.definition
        if text:
            for t in targets:
                self.classes[t].text.append(text if share == 1.0 else text[:200])
            m = re.search(r"包括(.+?)(?:等|的|。|$)", normalize_text(text))
            if m:
                for piece in split_top_level(m.group(1), "、,;"):
                    self._add_term(targets, piece, 0.8 * share)
        if node.includes:
            for line in node.includes.splitlines():
                line = line.strip()
                if not line:
                    continue
                if line.startswith("◇"):
                    m = _LINE_CATEGORY_RE.search(line.lstrip("◇"))
                    if m:
                        self._add_term(targets, m.group(1), 1.5 * share)
                    continue
                if line.startswith("下列") or line.startswith("以下"):
                    continue
                if not line.startswith(("—", "-", "－")):
                    self._add_term(targets, line, 1.0 * share)  # sub-heading ("建井设备")
                    continue
                for term, weight in _terms_of_line(line):
                    self._add_term(targets, term, weight * share)
        if node.excludes:
            for line in node.excludes.splitlines():
                line = line.strip()
                if not line.startswith(("—", "-", "－")):
                    continue
                codes = _redirect_codes(line)
                what = re.split(r"[，,]\s*(?:分别)?列入", line.lstrip("—-－ "))[0]
                what = re.sub(r"^(?:专门|单纯|独立的?|以[^，,]*为主的?)", "", what)
                pieces = [p for p in split_top_level(normalize_text(what), "、,;") if p]
                for t in targets:
                    for p in pieces:
                        obj, _ = _clean_term(p)
                        if obj:
                            self.negatives[t].add(obj)
                if len(pieces) > 6 or re.search(r"为主|兼营|企业|公司|单位|实体|机构|活动一体|商店|学校|医院", what):
                    continue  # a statement about kinds of units, not a list of products
                for code in codes:
                    ref = self.standard.find(code)
                    if ref is None or ref.level in ("section", "division"):
                        continue
                    ref_targets = [self.index[c.code] for c in self.standard.descendants(ref.code, "class")]
                    if len(ref_targets) > 8:
                        continue
                    w = 0.9 if len(ref_targets) == 1 else 0.5
                    for p in pieces:
                        self._add_term(ref_targets, p, w)

    def _add_registry_terms(self) -> None:
        """Everyday registry words the annotations do not use ("化工原料", "锂电池", "吸收公众存款"),
        each given to the classes whose definition covers it (reference/data/registry_terms.csv)."""
        path = DATA_DIR / REGISTRY_TERMS_FILE
        if not path.exists():
            return
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                targets = [self.index[c] for c in (row.get("codes") or "").split() if c in self.index]
                if targets and row.get("term"):
                    self._add_term(targets, row["term"], REGISTRY_TERM_WEIGHT)

    # -- views ----------------------------------------------------------------
    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.classes]

    def class_document(self, i: int, with_text: bool = True) -> str:
        """Space-separated term objects (weighted by repetition) for the vectoriser."""
        entry = self.classes[i]
        parts: list[str] = []
        for term, weight in entry.terms.items():
            parts.extend([term] * max(1, int(round(weight))))
        if with_text:
            parts.extend(entry.text)
        return " ".join(parts)

    def all_terms(self) -> dict[str, dict[int, float]]:
        """term -> {class index: weight}."""
        out: dict[str, dict[int, float]] = defaultdict(dict)
        for entry in self.classes:
            for term, weight in entry.terms.items():
                out[term][entry.index] = max(weight, out[term].get(entry.index, 0.0))
        return out


def reference_hash() -> str:
    """SHA-256 (first 16 hex) of the reference data files the knowledge base is built from."""
    digest = hashlib.sha256()
    for name in ("gbt4754_2017.csv", "gbt4754_2011_to_2017.csv", REGISTRY_TERMS_FILE):
        path = DATA_DIR / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
