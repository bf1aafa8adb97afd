"""Read a filled review workbook (or any table with 统一社会信用代码 + 核定行业代码) into overrides.

A reviewer's line pins a firm's industry code in every output and becomes a
training label, so a line is applied only when it is complete and checks out:

* 核定行业代码 must be a 4-digit 小类 of GB/T 4754-2017. A 大类/中类 is refused
  (with the 小类 beneath it as suggestions): coverage is counted down to 小类,
  附件5 names a 小类, and the model learns 小类, so a 2- or 3-digit code would
  either be lost or have to be guessed.
* 核定人 and 核定日期 are required: an override is stored with who and when,
  and "the newest wins" needs the date. A date after today, or after the run
  date when a past date is run again, is refused, since a typo such as 2052
  would win every later review.
* A used cell that is a formula without a saved result (a file written by a
  program) is refused: formulas are never evaluated, and "=A1" is no reviewer.
* The firm must be in this run's registry (USCC), a project in this run's
  project list (记录编号); for a firm, 记录编号 and USCC must agree, which
  catches a sheet sorted with only some of its columns selected.

Rows without a code are not reviews and are only counted (``unfilled``).
Several lines for one firm: the newest 核定日期 wins, on a tie the lower row;
a losing line with a different code is listed in ``rejected`` naming the
winner. Every refusal is a row of ``rejected`` (file, row, column, value,
Chinese reason) and every decision a message: nothing is applied silently.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from industry_gap.coverage import text
from industry_gap.errors import InputFileError
from industry_gap.ingest.aliases import normalize_header
from industry_gap.ingest.reading import RawTable, read_table
from industry_gap.ingest.values import is_blank, parse_date, parse_uscc, quote
from industry_gap.review.columns import (
    OVERRIDE_COLUMNS,
    READ_ALIASES,
    READ_LABELS,
    REJECTED_COLUMNS,
    SHEET_NAME,
)
from reference import normalize_code, standard
from reference.gbt4754 import Node

# The review list itself is found by its registry-like headers (统一社会信用代码, 名称).
HEADER_DATASET = "registry"
VALUE_LIMIT = 200
_SPACES = " \t\r\n\u3000\xa0"
SUGGESTIONS = 3
# "3511 矿山机械制造", "C3511矿山机械制造", "【3511】矿山机械制造": a code followed by its name.
_CODE_WITH_NAME_RE = re.compile(r"^[\[【(（]?([A-Ta-t]?\d{2,4})[\]】)）]?\s*([\u4e00-\u9fff].*)$")
KIND_WORDS = {"enterprise": "企业", "project": "项目"}


@dataclass
class OverrideResult:
    """What one filled file gave: overrides to apply, lines refused, and what was decided."""

    accepted: pd.DataFrame  # OVERRIDE_COLUMNS, one row per firm/project
    rejected: pd.DataFrame  # REJECTED_COLUMNS, one row per problem
    messages: list[str] = field(default_factory=list)  # Chinese, in row order
    unfilled: int = 0  # rows whose 核定行业代码 was left blank
    source_file: str = ""

    @property
    def rejected_rows(self) -> int:
        return int(self.rejected["source_row"].nunique()) if not self.rejected.empty else 0

    @property
    def summary(self) -> str:
        """One Chinese line for the CLI and the run metadata."""
        return (
            f"复核文件“{self.source_file}”：采纳人工核定{len(self.accepted)}条，退回{self.rejected_rows}行，"
            f"未填核定行业代码{self.unfilled}行"
        )


@dataclass
class _Line:
    """One filled row on its way through the checks."""

    row: int
    cells: dict[str, str]
    headers: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (column, value, reason)
    identified: bool = False

    def cell(self, name: str) -> str:
        return self.cells.get(name, "")

    def refuse(self, name: str, reason: str, value: str | None = None) -> None:
        shown = self.cell(name) if value is None else value
        self.problems.append((self.headers.get(name, READ_LABELS[name]), shown[:VALUE_LIMIT], reason))

    @property
    def key(self) -> tuple[str, str]:
        return self.values["entity_kind"], self.values["entity_id"]


def read_overrides(
    path: Path,
    known_usccs: set[str],
    known_entity_ids: set[str] | None = None,
    *,
    today: dt.date | None = None,
    run_date: dt.date | None = None,
) -> OverrideResult:
    """Overrides from a filled review file (XLSX, CSV in any common encoding, WPS "xls").

    ``known_usccs``: the registry of this run; ``known_entity_ids``: the
    review list's project ids (`industry_gap.gaps.project_ids`), without which
    project lines are refused. A 核定日期 after ``today`` or after ``run_date``
    (the run's date, when it is earlier) is refused. Raises InputFileError
    (Chinese) when the file cannot be read or has no 核定行业代码 column.
    """
    file = Path(path)
    raw = read_table(file, HEADER_DATASET, prefer_sheet=SHEET_NAME)
    columns = _map_columns(raw, file)
    headers = {name: header for name, (_, header) in columns.items()}
    usccs = {text(u).upper() for u in known_usccs}
    entity_ids = {text(e) for e in known_entity_ids} if known_entity_ids is not None else None
    latest = _latest_review_date(today or dt.date.today(), run_date)
    messages = list(raw.notes) + _missing_column_notes(columns)
    formulas = {name: raw.formula_cells.get(index, set()) for name, (index, _) in columns.items()}
    lines, unfilled = [], 0
    for values, row in zip(raw.rows, raw.row_numbers):
        cells = {name: _cell(values, index) for name, (index, _) in columns.items()}
        if is_blank(cells.get("code", "")):
            unfilled += _count_unfilled(cells, row, messages)
            continue
        line = _Line(row=row, cells=cells, headers=headers)
        _check_formulas(line, formulas)
        _check_identity(line, usccs, entity_ids)
        _check_review(line, latest, raw.date1904)
        lines.append(line)
    if raw.formula_cells:
        messages.append(_formula_note(lines))
    accepted, losers, conflict_notes = _resolve_conflicts([line for line in lines if not line.problems])
    rejected = [_problem_row(file.name, line, *p) for line in lines for p in line.problems] + [
        _problem_row(file.name, *loser) for loser in losers
    ]
    messages += conflict_notes + _refused_but_applied_notes(lines, accepted)
    rejected.sort(key=lambda r: r["source_row"])
    return OverrideResult(
        accepted=_override_frame(accepted, file.name),
        rejected=pd.DataFrame(rejected, columns=REJECTED_COLUMNS),
        messages=messages,
        unfilled=unfilled,
        source_file=file.name,
    )


# -- columns ----------------------------------------------------------------
def _map_columns(raw: RawTable, file: Path) -> dict[str, tuple[int, str]]:
    """{field: (column index, header as written)}; the first column claiming a field wins."""
    lookup = {normalize_header(alias): name for name, aliases in READ_ALIASES.items() for alias in aliases}
    columns: dict[str, tuple[int, str]] = {}
    for index, header in enumerate(raw.headers):
        name = lookup.get(normalize_header(header))
        if name and name not in columns:
            columns[name] = (index, text(header))
    if "code" not in columns:
        raise InputFileError(
            file,
            "缺少“核定行业代码”列：请在导出的复核清单中填写，或在表中增加“核定行业代码”列"
            "（只有“行业代码”列的表格是名录，不是复核结果）",
        )
    if "uscc" not in columns and "entity_id" not in columns:
        raise InputFileError(file, "缺少“统一社会信用代码”列（或复核清单的“记录编号”列），无法对应到企业")
    return columns


def _missing_column_notes(columns: dict) -> list[str]:
    return [
        f"文件中没有“{READ_LABELS[name]}”列，所有填写了代码的行都将因缺少{READ_LABELS[name]}而退回"
        for name in ("reviewer", "reviewed_on")
        if name not in columns
    ]


def _cell(values: list[str], index: int) -> str:
    """The cell as written (names and notes keep their full-width punctuation; parsers normalise codes)."""
    return values[index].strip(_SPACES) if index < len(values) else ""


def _count_unfilled(cells: dict[str, str], row: int, messages: list[str]) -> int:
    """1 for a row that names a firm/project but has no code; notes a row filled half-way."""
    if is_blank(cells.get("uscc", "")) and is_blank(cells.get("entity_id", "")):
        return 0  # not a record (a note line, 本次无待复核记录)
    written = [READ_LABELS[n] for n in ("reviewer", "reviewed_on", "note") if not is_blank(cells.get(n, ""))]
    if written:
        messages.append(f"第{row}行填写了{'、'.join(written)}但未填核定行业代码，该行未作处理")
    return 1


# -- checks -----------------------------------------------------------------
@dataclass(frozen=True)
class _Latest:
    """The latest 核定日期 accepted, and what it is (今天, or the run date of a past date run again)."""

    day: dt.date
    what: str


def _latest_review_date(today: dt.date, run_date: dt.date | None) -> _Latest:
    if run_date is not None and run_date < today:
        return _Latest(run_date, "本次运行日期")
    return _Latest(today, "今天")


def _check_formulas(line: _Line, formulas: dict[str, set[int]]) -> None:
    """A used cell that is a formula without a saved result: refused (nothing is evaluated here)."""
    for name, rows in formulas.items():
        if line.row in rows:
            line.refuse(
                name,
                f"{READ_LABELS[name]}是公式“{quote(line.cell(name))}”，文件中没有保存它的计算结果"
                "（本程序不计算公式，请在 Excel/WPS 中打开并保存后再读入，或填写数值）",
            )


def _formula_note(lines: list[_Line]) -> str:
    """What the formula cells the reader found did to this file's lines (the reader only counts them)."""
    rows = sorted({line.row for line in lines for _, _, reason in line.problems if "是公式“" in reason})
    if not rows:
        return "这些公式单元格不在复核用到的列中（或所在行未填核定行业代码），没有行因此退回"
    shown = "、".join(str(r) for r in rows[:10]) + (f"等共{len(rows)}行" if len(rows) > 10 else "行")
    return f"第{shown}用到了没有计算结果的公式单元格，已退回"


def _check_identity(line: _Line, usccs: set[str], entity_ids: set[str] | None) -> None:
    """Which firm or project the line is about, and whether this run knows it."""
    record_id = line.cell("entity_id")
    kind = "project" if "项目" in line.cell("kind") else "enterprise"
    problems_before = len(line.problems)
    if kind == "project":
        uscc, _ = parse_uscc(line.cell("uscc")) if not is_blank(line.cell("uscc")) else (None, None)
        if not record_id:
            line.refuse("entity_id", "项目行缺少记录编号，无法对应到项目清单")
        elif entity_ids is None or record_id not in entity_ids:
            line.refuse("entity_id", f"记录编号“{quote(record_id)}”不在本次项目清单中")
        entity_id = record_id
    else:
        written = line.cell("uscc")
        source = written if not is_blank(written) else (record_id if len(record_id) == 18 else "")
        uscc, problem = parse_uscc(source)
        if problem:
            line.refuse("uscc", problem, source)
        elif uscc not in usccs:
            line.refuse("uscc", f"统一社会信用代码“{uscc}”不在本次名录中", source)
        if uscc and record_id and not is_blank(written) and record_id.upper() != uscc:
            line.refuse(
                "entity_id",
                f"记录编号“{quote(record_id)}”与统一社会信用代码“{uscc}”不一致"
                "（可能排序或粘贴时只移动了部分列），请核对后重新填写",
            )
        entity_id = str(uscc or record_id)
    line.values.update(entity_kind=kind, entity_id=entity_id, uscc=str(uscc or ""), name=line.cell("name"))
    line.identified = len(line.problems) == problems_before


def _check_review(line: _Line, latest: _Latest, date1904: bool = False) -> None:
    """The code, who and when."""
    node, problem = check_class_code(line.cell("code"))
    if problem:
        line.refuse("code", problem)
    reviewer = line.cell("reviewer")
    if is_blank(reviewer):
        line.refuse("reviewer", "缺少核定人（未写明核定人的核定不生效）")
    reviewed_on = _check_date(line, latest, date1904)
    line.values.update(
        code=node.code if node else "",
        code_name=node.name if node else "",
        reviewer=reviewer,
        reviewed_on=reviewed_on or "",
        note="" if is_blank(line.cell("note")) else line.cell("note"),
    )


def _check_date(line: _Line, latest: _Latest, date1904: bool = False) -> str | None:
    value = line.cell("reviewed_on")
    if is_blank(value):
        line.refuse("reviewed_on", "缺少核定日期（未写明核定日期的核定不生效）")
        return None
    parsed, problem = parse_date(value, "核定日期", date1904)
    if problem:
        line.refuse("reviewed_on", problem)
        return None
    assert isinstance(parsed, str)  # parse_date gives an ISO date when it reports no problem
    if parsed > latest.day.isoformat():
        line.refuse("reviewed_on", f"核定日期“{parsed}”晚于{latest.what}（{latest.day.isoformat()}），请核对")
        return None
    return parsed


def check_class_code(value: str) -> tuple[Node | None, str | None]:
    """(小类 node, None) or (None, Chinese reason) for a reviewer's 核定行业代码.

    Accepts "3511", "C3511", full-width digits and "3511 矿山机械制造" (the name
    must then be the code's own). Never pads or guesses: "610" may be 0610 with
    its zero lost in Excel, and the reason says so instead of assuming it.
    """
    raw = unicodedata.normalize("NFKC", text(value))
    canonical, written_name = normalize_code(raw), ""
    if canonical is None:
        match = _CODE_WITH_NAME_RE.match(raw)
        if match:
            canonical, written_name = normalize_code(match.group(1)), re.sub(r"\s+", "", match.group(2))
    node = standard().find(canonical) if canonical else None
    shown = quote(value)
    if node is None:
        return None, f"核定行业代码“{shown}”不是有效的 GB/T 4754-2017 小类代码{_lost_zero_hint(canonical)}"
    if written_name and written_name != node.name:
        return None, f"核定行业代码“{shown}”中代码与名称不符（{node.code} 是“{node.name}”），请核对后只填写4位代码"
    if node.level != "class":
        return None, _not_class_reason(shown, node) + _lost_zero_hint(canonical)
    return node, None


def _lost_zero_hint(canonical: str | None) -> str:
    """Excel turns a typed 0610 into the number 610: name the class the reviewer probably meant."""
    if not canonical or not canonical.isdigit() or len(canonical) != 3:
        return ""
    padded = standard().find("0" + canonical)
    if padded is None or padded.level != "class":
        return ""
    return f"；若指 {padded.code} {padded.name}，请填写完整的4位代码（把单元格设为文本格式以保留开头的0）"


def _not_class_reason(shown: str, node: Node) -> str:
    suggestions = standard().descendants(node.code, "class")[:SUGGESTIONS]
    listed = "、".join(f"{c.code} {c.name}" for c in suggestions)
    more = f"，可选小类如 {listed} 等" if suggestions else ""
    return (
        f"核定行业代码“{shown}”是{node.level_name}（{node.code} {node.name}），不是小类：人工核定须填写4位小类代码，"
        f"才能计入小类覆盖、列入附件并用作训练标签{more}"
    )


# -- conflicts ----------------------------------------------------------------
def _resolve_conflicts(lines: Iterable[_Line]) -> tuple[list[_Line], list[tuple], list[str]]:
    """(one winner per firm/project, losing lines as problem-row arguments, Chinese messages).

    Newest 核定日期 wins; on the same date the lower row (filled later, as a
    rule) wins. A loser with the same code is only mentioned; with another
    code it is refused, naming the winner.
    """
    groups: dict[tuple[str, str], list[_Line]] = defaultdict(list)
    for line in lines:
        groups[line.key].append(line)
    winners, losers, messages = [], [], []
    for group in groups.values():
        winner = max(group, key=lambda line: (line.values["reviewed_on"], line.row))
        winners.append(winner)
        for other in sorted(group, key=lambda line: line.row):
            if other is winner:
                continue
            note, reason = _conflict_texts(other, winner)
            messages.append(note)
            if reason:
                losers.append((other, "code", other.cell("code"), reason))
    return sorted(winners, key=lambda line: line.row), losers, messages


def _conflict_texts(loser: _Line, winner: _Line) -> tuple[str, str | None]:
    first, second = sorted((loser, winner), key=lambda line: line.row)
    kind = KIND_WORDS[winner.values["entity_kind"]]
    label = entity_label(winner.values)
    if loser.values["code"] == winner.values["code"]:
        return (
            f"第{first.row}行与第{second.row}行对同一{kind}（{label}）给出相同代码{winner.values['code']}，"
            f"按第{winner.row}行记录核定人和日期"
        ), None
    rule = "核定日期较新" if winner.values["reviewed_on"] > loser.values["reviewed_on"] else "核定日期相同、位置靠后"
    note = (
        f"第{first.row}行与第{second.row}行对同一{kind}（{label}）给出不同代码"
        f"（{first.values['code']} / {second.values['code']}），按{rule}的第{winner.row}行为准"
    )
    reason = (
        f"与第{winner.row}行对同一{kind}给出不同代码（{loser.values['code']} / {winner.values['code']}），"
        f"按{rule}的第{winner.row}行（{winner.values['code']}）为准"
    )
    return note, reason


def _refused_but_applied_notes(lines: list[_Line], accepted: list[_Line]) -> list[str]:
    """A refused line for a firm that still gets another line's code: say which code applies."""
    applied = {line.key: line for line in accepted}
    notes = []
    for line in lines:
        if line.problems and line.identified and line.key in applied:
            winner = applied[line.key]
            kind = KIND_WORDS[winner.values["entity_kind"]]
            notes.append(
                f"第{line.row}行对{kind}（{entity_label(winner.values)}）的核定已退回，"
                f"该{kind}按第{winner.row}行的{winner.values['code']}核定"
            )
    return notes


def entity_label(values: dict) -> str:
    """ "名称，统一社会信用代码" for a firm, "名称，记录编号…" for a project, for messages."""
    name = text(values.get("name"))
    if values.get("entity_kind") == "project":
        ident = f"记录编号{text(values.get('entity_id'))}"
    else:
        ident = text(values.get("uscc")) or text(values.get("entity_id"))
    return "，".join(part for part in (name, ident) if part)


# -- frames -----------------------------------------------------------------
def _problem_row(source_file: str, line: _Line, column: str, value: str, reason: str) -> dict[str, Any]:
    if column in READ_LABELS:  # a field name (conflict losers) rather than a header as written
        column = line.headers.get(column, READ_LABELS[column])
    return dict(
        source_file=source_file,
        source_row=line.row,
        column=column,
        value=value,
        reason=reason,
        uscc=line.values.get("uscc", "") or line.cell("uscc"),
        name=line.cell("name"),
    )


def _override_frame(lines: list[_Line], source_file: str) -> pd.DataFrame:
    rows = [
        {**{c: line.values.get(c, "") for c in OVERRIDE_COLUMNS}, "source_file": source_file, "source_row": line.row}
        for line in lines
    ]
    return pd.DataFrame(rows, columns=OVERRIDE_COLUMNS).astype({"source_row": "int64"})
