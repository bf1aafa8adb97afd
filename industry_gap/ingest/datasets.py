"""Per-dataset specs and row validation: RawTable -> clean / quarantine / set_aside.

Rules every dataset shares:

* A row goes to exactly one place. Precedence: a repeated header row or an
  older duplicate is set aside; a row with more cells than the header is
  quarantined (its columns cannot be trusted); a closed firm is set aside;
  any cell problem quarantines the row once, listing all its problems.
* Duplicates (same USCC; for targets same 口径+代码): the LAST row in the file
  wins, because registries are appended chronologically. A superseded row is
  set aside even if it had problems: nobody needs to fix an outdated record.
* Closed firms (注销/吊销/…) are set aside before cell problems are looked at,
  for the same reason.
* An XLSX formula without a saved result is a problem in any used column
  (formulas are never evaluated here; Excel's saved result is used when present).

Facts that are not row problems go to `IngestResult.notes`: repairs made while
reading, two columns with the same meaning, older duplicates under a different
name (a renamed firm, or two firms sharing a code), cells longer than Excel
can hold (kept whole).

Parsing is done once per distinct cell value (registries repeat dates,
statuses and codes a lot), which keeps 200,000 rows to a few seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from industry_gap.errors import InputFileError
from industry_gap.ingest import values as v
from industry_gap.ingest.aliases import ALIASES, ColumnMatch, display_header, label, map_headers, match_header
from industry_gap.ingest.decoding import rows_text
from industry_gap.ingest.reading import RawTable, TableStream
from industry_gap.ingest.result import (
    REASON_SEPARATOR,
    IngestResult,
    quarantine_frame,
    set_aside_frame,
)
from industry_gap.schema import (
    ABOVE_SCALE_COLUMNS,
    PROJECT_COLUMNS,
    REGISTRY_COLUMNS,
    TARGET_COLUMNS,
)
from reference.gbt4754 import standard

WHOLE_ROW = "（整行）"
REPLACEMENT_CHARACTER = "\ufffd"  # what a byte sequence that is not valid in the file's encoding decodes to
# The quarantine list shows at most this much of a cell (it is for finding the cell, and Excel
# cells hold at most 32,767 characters).
QUARANTINE_VALUE_LIMIT = 1000
EXCEL_CELL_LIMIT = 32767


@dataclass(frozen=True)
class FieldSpec:
    column: str  # schema column
    kind: str  # text scope uscc status date amount count code year target_scope
    required_column: bool = False
    required_value: bool = False
    no_future: bool = False  # dates that cannot lie ahead (成立日期, 签约日期)
    industrial_only: bool = False  # codes that must be in sections B/C/D
    simplified: bool = False  # text the classifier reads: traditional characters become simplified (OpenCC)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    columns: list[str]
    fields: tuple[FieldSpec, ...]
    dedup: str | None = None  # "uscc", "target" or None
    status_filter: bool = False  # set aside closed firms

    def field(self, column: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.column == column), None)


F = FieldSpec
DATASETS: dict[str, DatasetSpec] = {
    "registry": DatasetSpec(
        "registry",
        REGISTRY_COLUMNS,
        (
            F("uscc", "uscc", True, True),
            F("name", "text", True, True),
            F("scope", "scope", True, True, simplified=True),
            F("main_activity", "text", simplified=True),
            F("status", "status"),
            F("enterprise_type", "text"),
            F("established", "date", no_future=True),
            F("registered_capital_wan", "amount"),
            F("revenue_wan", "amount"),
            F("revenue_prev_wan", "amount"),
            F("employees", "count"),
            F("town", "text"),
            F("industry_code", "code"),
            F("legal_representative", "text"),
        ),
        dedup="uscc",
        status_filter=True,
    ),
    "above_scale": DatasetSpec(
        "above_scale",
        ABOVE_SCALE_COLUMNS,
        (
            F("uscc", "uscc", True, True),
            F("name", "text", True, True),
            F("industry_code", "code", True, True),
            F("revenue_wan", "amount"),
            F("town", "text"),
        ),
        dedup="uscc",
    ),
    "targets": DatasetSpec(
        "targets",
        TARGET_COLUMNS,
        (
            F("scope", "target_scope", True, True),
            F("code", "code", True, True, industrial_only=True),
            F("name", "text"),
            F("department", "text", True, True),
            F("target_year", "year", True, True),
        ),
        dedup="target",
    ),
    "projects": DatasetSpec(
        "projects",
        PROJECT_COLUMNS,
        (
            F("project_name", "text", True, True),
            F("builder", "text"),
            F("uscc", "uscc"),
            F("investment_wan", "amount", True, True),
            F("stage", "text"),
            F("signed_date", "date", no_future=True),
            F("planned_production", "date"),
            F("intended_code", "code"),
            F("content", "text", simplified=True),
            F("department", "text"),
        ),
    ),
}
del F

_FLOAT_KINDS = {"amount", "count"}


@dataclass
class _Column:
    """Parsed values and problems of one input column, aligned with the data rows."""

    spec: FieldSpec
    match: ColumnMatch
    raw: np.ndarray  # object array of cell text
    values: np.ndarray  # object array of parsed values (None when empty/bad)
    problems: np.ndarray  # object array of problem text or None
    parse: Callable[..., Any] | None = None  # the cell parser (codes are re-read for Excel number cells)


def _parser(spec: FieldSpec, dataset: str, match: ColumnMatch, edition: str, today: str, date1904: bool = False):
    name = label(dataset, spec.column)
    if spec.kind == "uscc":
        return v.parse_uscc
    if spec.kind == "date":

        def parse_date(value):
            parsed, problem = v.parse_date(value, name, date1904)
            if parsed and spec.no_future and parsed > today:
                return None, f"{name}晚于今天：“{v.quote(value)}”"
            return parsed, problem

        return parse_date
    if spec.kind == "amount":
        return partial(v.parse_amount, header_unit=match.unit, label=name)
    if spec.kind == "count":
        return partial(v.parse_count, label=name)
    if spec.kind == "year":
        return partial(v.parse_year, label=name)
    if spec.kind == "target_scope":
        return v.parse_target_scope
    if spec.kind == "code":

        def parse_code(value, numeric=False):
            code, problem = v.parse_industry_code(value, edition, name, numeric)
            if code and spec.industrial_only and not standard().is_industrial(code):
                return (
                    None,
                    f"{name}“{v.quote(value)}”不属于工业（应为采矿业、制造业或电力、热力、燃气及水生产和供应业，即B、C、D门类）",
                )
            return code, problem

        return parse_code
    if spec.kind == "status":
        return v.parse_status
    return None  # text / scope: kept as typed (blank scope handled by the caller)


def _parse_column(
    spec: FieldSpec,
    dataset: str,
    match: ColumnMatch,
    raw: np.ndarray,
    edition: str,
    today: str,
    date1904: bool = False,
) -> _Column:
    name = label(dataset, spec.column)
    parse = _parser(spec, dataset, match, edition, today, date1904)

    def evaluate(cell: str):
        if REPLACEMENT_CHARACTER in cell:  # bytes the file's encoding could not decode (see decoding)
            return (("empty", None) if spec.kind == "status" else None), (
                f"{name}中有无法识别的字符“{REPLACEMENT_CHARACTER}”（文件此处的字节编码已损坏）：“{v.quote(cell)}”"
            )
        # Empty cells and placeholders ("-", "无") are a problem only where a value is required.
        if v.is_blank(cell) and not (spec.kind in _FLOAT_KINDS and v.not_a_number(cell)):
            if spec.required_value:
                return None, f"{name}为空"
            if spec.kind == "status":
                return ("empty", None), None
            return (cell if spec.kind == "text" else None), None
        if spec.kind == "status":
            return parse(cell), None  # the state is decided later, with the set-aside rules
        if spec.simplified:
            cell = v.to_simplified(cell)
        return parse(cell) if parse else (cell, None)

    # Parse each distinct cell text once: registries repeat dates, statuses and codes a lot.
    codes, uniques = pd.factorize(raw)
    unique_values = np.empty(len(uniques), dtype=object)
    unique_problems = np.empty(len(uniques), dtype=object)
    for i, cell in enumerate(uniques):
        unique_values[i], unique_problems[i] = evaluate(cell)
    if len(raw):
        values, problems = unique_values[codes], unique_problems[codes]
    else:
        values, problems = np.empty(0, dtype=object), np.empty(0, dtype=object)
    return _Column(spec, match, raw, values, problems, parse)


def _missing_columns_error(
    file: str, dataset: str, missing: list[FieldSpec], raw: RawTable | TableStream
) -> InputFileError:
    names = "、".join(f"“{label(dataset, f.column)}”" for f in missing)
    aliases = "；".join(
        f"{label(dataset, f.column)}可写作：{'/'.join(ALIASES[dataset][f.column][:5])}" for f in missing
    )
    found = "、".join(h for h in raw.headers if h) or "（无）"
    return InputFileError(file, f"缺少必需的列{names}（{aliases}）。在第{raw.header_row}行找到的列：{found}")


def validate_table(
    raw: RawTable, dataset: str, file: str, edition: str = "2017", today: dt.date | None = None
) -> IngestResult:
    """Validate a whole table (a file read in chunks goes through `Validator` chunk by chunk)."""
    validator = Validator(raw, dataset, file, edition, today)
    validator.add(raw)
    return validator.finish(raw.notes)


class Validator:
    """Validates a table chunk by chunk, keeping only what spans chunks.

    Each chunk is settled on its own except for duplicates: a row can be superseded by a row
    any number of chunks later. So the key, row and name of every row that may take part in
    deduplication are kept compactly (about 100 bytes a row) and `finish` sets aside each row
    whose key comes again later, taking it out of clean or quarantine if it was put there.
    The clean rows themselves are kept only with `keep_clean` (check-registry just counts them).
    """

    def __init__(
        self,
        table: RawTable | TableStream,
        dataset: str,
        file: str,
        edition: str = "2017",
        today: dt.date | None = None,
        *,
        keep_clean: bool = True,
    ):
        self.spec = spec = DATASETS[dataset]
        self.dataset, self.file, self.edition, self.keep_clean = dataset, file, edition, keep_clean
        self.header_map = map_headers(dataset, table.headers)
        missing = [f for f in spec.fields if f.required_column and f.column not in self.header_map.columns]
        if missing:
            raise _missing_columns_error(file, dataset, missing, table)
        self.headers, self.header_row, self.sheet = table.headers, table.header_row, table.sheet
        self.today_iso = (today or dt.date.today()).isoformat()
        self.rows_in = 0
        self.quarantine: list[tuple] = []
        self.set_aside: list[tuple] = []
        self.clean_frames: list[pd.DataFrame] = []
        self.clean_rows: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []  # dedup keys as UTF-8 bytes, per chunk
        self.key_rows: list[np.ndarray] = []
        self.names = _Texts()  # the set-aside record's name for each key
        self.long_cells: dict[str, list] = {}  # column -> [first five rows, count, longest]
        self.unnamed_with_data: set[int] = set()
        self.simplified: dict[str, list] = {}  # column -> [first ten rows, count] converted to simplified
        self.formula_cells = False  # the reader found formula cells without a saved result
        self.formula_quarantined: list[int] = []  # sheet rows quarantined for one

    def add(self, raw: RawTable) -> None:
        spec, dataset, file = self.spec, self.dataset, self.file
        n = len(raw.rows)
        self.rows_in += n
        columns_raw = list(zip(*raw.rows)) if n else [() for _ in raw.headers]
        parsed: dict[str, _Column] = {}
        for field_spec in spec.fields:
            match = self.header_map.columns.get(field_spec.column)
            if match is None:
                continue
            cells = np.array(columns_raw[match.index], dtype=object) if n else np.empty(0, dtype=object)
            parsed[field_spec.column] = _parse_column(
                field_spec, dataset, match, cells, self.edition, self.today_iso, raw.date1904
            )
        ordered = sorted(parsed.values(), key=lambda c: c.match.index)  # problems in sheet order

        rows = np.asarray(raw.row_numbers, dtype=np.int64)
        _reread_numeric_codes(parsed, raw, rows)
        formula_rows = _mark_formulas(parsed, raw, rows, dataset)
        self.formula_cells = self.formula_cells or bool(raw.formula_cells)
        overflow = np.array(raw.overflow if raw.overflow else [""] * n, dtype=object)
        has_overflow = overflow != ""
        repeated_header = _repeated_header_rows(raw, self.header_map, columns_raw)
        has_problem = np.zeros(n, dtype=bool)
        for column in ordered:
            has_problem |= np.not_equal(column.problems, None)  # type: ignore[call-overload]  # numpy's stubs reject a None operand
        names = _set_aside_names(parsed, dataset)
        self._remember_keys(parsed, ~repeated_header & ~has_overflow, rows, names)
        self._note_long_cells(parsed, rows)
        self._note_simplified(parsed, rows)
        self._note_unnamed_columns(raw, columns_raw)

        # Set-aside decisions (older duplicates are settled in `finish`).
        aside_reason = np.full(n, None, dtype=object)
        aside_reason[repeated_header] = "重复的表头行（多份导出拼接时常见），不是数据"
        status = parsed.get("status") if spec.status_filter else None
        if status is not None:
            for i in np.flatnonzero(np.equal(aside_reason, None) & ~has_overflow):  # type: ignore[call-overload]  # numpy's stubs reject a None operand
                state, word = status.values[i]
                if state == "closed":
                    aside_reason[i] = f"登记状态为{word}，不纳入统计"
                elif state == "unknown":
                    status.problems[i] = f"登记状态无法识别：“{v.quote(status.raw[i])}”（应为存续、在业、注销、吊销等）"
                    has_problem[i] = True

        is_aside = np.not_equal(aside_reason, None)  # type: ignore[call-overload]  # numpy's stubs reject a None operand
        is_quarantined = ~is_aside & (has_overflow | has_problem)
        is_clean = ~is_aside & ~is_quarantined

        self.formula_quarantined += [int(rows[i]) for i in sorted(formula_rows) if is_quarantined[i]]
        for i in np.flatnonzero(is_quarantined):
            items = []
            if has_overflow[i]:
                items.append(
                    (
                        WHOLE_ROW,
                        overflow[i],
                        f"该行的单元格比表头多（多出“{overflow[i][:50]}”），可能是某个单元格中有未加引号的英文逗号",
                    )
                )
            items.extend((c.match.header, c.raw[i], c.problems[i]) for c in ordered if c.problems[i] is not None)
            reason = REASON_SEPARATOR.join(dict.fromkeys(p for _, _, p in items))
            self.quarantine.append((dataset, file, int(rows[i]), items[0][0], _shown_value(items[0][1]), reason))

        uscc = parsed.get("uscc")
        for i in np.flatnonzero(is_aside):
            uscc_text = (uscc.values[i] or uscc.raw[i]) if uscc is not None else ""
            self.set_aside.append((dataset, file, int(rows[i]), str(uscc_text or ""), str(names[i]), aside_reason[i]))

        self.clean_rows.append(rows[is_clean])
        if self.keep_clean:
            self.clean_frames.append(_clean_frame(spec, parsed, is_clean, rows, file))

    def _remember_keys(
        self, parsed: dict[str, _Column], candidates: np.ndarray, rows: np.ndarray, names: np.ndarray
    ) -> None:
        """Keys of the rows that take part in deduplication (not repeated headers, not overflowing)."""
        if self.spec.dedup == "uscc":
            keys = parsed["uscc"].values
        elif self.spec.dedup == "target":
            scope, code = parsed["scope"].values, parsed["code"].values
            keys = np.array([f"{s}|{c}" if s and c else None for s, c in zip(scope, code)], dtype=object)
        else:
            return
        usable = np.flatnonzero(candidates & np.not_equal(keys, None))  # type: ignore[call-overload]  # numpy's stubs reject a None operand
        self.keys.append(np.array([keys[i].encode() for i in usable], dtype=bytes))
        self.key_rows.append(rows[usable])
        self.names.extend([str(x) for x in names[usable]])

    def _note_simplified(self, parsed: dict[str, _Column], rows: np.ndarray) -> None:
        for column in parsed.values():
            if not column.spec.simplified or not len(column.raw):
                continue
            changed = [
                int(row)
                for row, raw, value, problem in zip(rows, column.raw, column.values, column.problems)
                if problem is None and value is not None and value != raw
            ]
            if changed:
                seen = self.simplified.setdefault(column.spec.column, [[], 0])
                seen[0] = (seen[0] + changed[:10])[:10]
                seen[1] += len(changed)

    def _simplified_notes(self) -> list[str]:
        return [
            f"{rows_text(first, count)}的{label(self.dataset, column)}含繁体字，已转换为简体后读入（便于分类）"
            for column, (first, count) in self.simplified.items()
        ]

    def _note_long_cells(self, parsed: dict[str, _Column], rows: np.ndarray) -> None:
        for column in parsed.values():
            if column.spec.kind not in ("text", "scope") or not len(column.raw):
                continue
            lengths = pd.Series(column.raw, dtype=object).str.len().to_numpy()
            long_rows = rows[lengths > EXCEL_CELL_LIMIT]
            if len(long_rows):
                seen = self.long_cells.setdefault(column.spec.column, [[], 0, 0])
                seen[0] = (seen[0] + [int(r) for r in long_rows[:5]])[:5]
                seen[1] += len(long_rows)
                seen[2] = max(seen[2], int(lengths.max()))

    def _note_unnamed_columns(self, raw: RawTable, columns_raw) -> None:
        used = {m.index for m in self.header_map.columns.values()}
        for index, header in enumerate(raw.headers):
            if not (header or index in used or index in self.unnamed_with_data) and any(columns_raw[index]):
                self.unnamed_with_data.add(index)

    def finish(self, notes: list[str]) -> IngestResult:
        """The result, once every chunk was added; `notes` are the reading notes (complete by now)."""
        spec, dataset, file = self.spec, self.dataset, self.file
        aside, kept_row, kept = self._superseded()
        notes = list(notes) + _duplicate_column_notes(self.headers, self.header_map, dataset)
        notes += self._renamed_duplicate_notes(aside, kept)
        notes += self._long_cell_notes()
        notes += self._formula_notes()
        notes += self._simplified_notes()
        quarantine, set_aside = self.quarantine, self.set_aside
        clean_rows = np.concatenate(self.clean_rows) if self.clean_rows else np.empty(0, dtype=np.int64)
        superseded_clean = np.zeros(len(clean_rows), dtype=bool)
        if len(aside):
            rows = np.concatenate(self.key_rows)
            gone = set(rows[aside].tolist())
            quarantine = [r for r in quarantine if r[2] not in gone]
            set_aside = [r for r in set_aside if r[2] not in gone]
            what = "统一社会信用代码重复" if spec.dedup == "uscc" else "口径和行业代码重复"
            keys = np.concatenate(self.keys)[aside]
            for row, key, name, kept_at in zip(rows[aside], keys, self.names.get(aside), kept_row[aside]):
                uscc_text = key.decode() if spec.dedup == "uscc" else ""
                set_aside.append((dataset, file, int(row), uscc_text, name, f"{what}，保留第{kept_at}行的较新记录"))
            set_aside.sort(key=lambda r: r[2])
            superseded_clean = np.isin(clean_rows, rows[aside])
        clean = None
        if self.keep_clean:
            frames = [f for f in self.clean_frames if len(f)] or self.clean_frames[:1]
            clean = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
            if superseded_clean.any():
                clean = clean[~superseded_clean].reset_index(drop=True)
        return IngestResult(
            dataset=dataset,
            file=file,
            clean=clean,
            quarantine=quarantine_frame(quarantine),
            set_aside=set_aside_frame(set_aside),
            rows_in=self.rows_in,
            ignored_columns=self.header_map.ignored
            + [f"（第{i + 1}列，无表头）" for i in sorted(self.unnamed_with_data)],
            header_row=self.header_row,
            sheet=self.sheet,
            column_headers={c: m.header for c, m in self.header_map.columns.items()},
            notes=notes,
            clean_rows=None if self.keep_clean else clean_rows[~superseded_clean],
        )

    def _superseded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indexes of the remembered rows whose key comes again later, sheet row of each key's last
        row, index of that row): the LAST row in the file wins."""
        keys = np.concatenate(self.keys) if self.keys else np.empty(0, dtype=bytes)
        if not len(keys):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        rows = np.concatenate(self.key_rows)
        _, group = np.unique(keys, return_inverse=True)
        last = np.zeros(int(group.max()) + 1, dtype=np.int64)
        np.maximum.at(last, group.ravel(), rows)
        kept_row = last[group.ravel()]
        return np.flatnonzero(rows < kept_row), kept_row, np.searchsorted(rows, kept_row)

    def _renamed_duplicate_notes(self, aside: np.ndarray, kept: np.ndarray) -> list[str]:
        """Older duplicates whose 企业名称 differs from the kept record (a rename, or a wrong code)."""
        if self.spec.dedup != "uscc" or "name" not in self.header_map.columns or not len(aside):
            return []
        rows = np.concatenate(self.key_rows)
        differing = []
        for i, old, new in zip(aside, self.names.get(aside), self.names.get(kept[aside])):
            old, new = display_header(old), display_header(new)
            if old and new and old != new:
                differing.append((int(rows[i]), old, int(rows[kept[i]]), new))
        if not differing:
            return []
        row, old, kept_at, new = differing[0]
        more = f"等{len(differing)}处" if len(differing) > 1 else ""
        return [
            f"同一统一社会信用代码下企业名称不同：第{row}行“{v.quote(old)}”与第{kept_at}行“{v.quote(new)}”{more}，"
            "已保留较新的记录（多为企业更名；若是不同企业，请核对统一社会信用代码）"
        ]

    def _formula_notes(self) -> list[str]:
        """What the formula cells the reader counted did to the rows (the reader cannot know)."""
        if not self.formula_cells:
            return []
        rows = self.formula_quarantined
        if not rows:
            return ["这些公式单元格不在本程序用到的列中（或所在行已因其他原因剔除），没有行因此隔离"]
        shown = "、".join(str(r) for r in rows[:10]) + (f"等共{len(rows)}行" if len(rows) > 10 else "行")
        return [f"第{shown}用到了没有计算结果的公式单元格，已隔离"]

    def _long_cell_notes(self) -> list[str]:
        """Cells longer than Excel allows are kept whole; exports to Excel may cut them."""
        notes = []
        for column, (first, count, longest) in self.long_cells.items():
            shown = "、".join(str(r) for r in first) + (f"等{count}行" if count > 5 else "行")
            notes.append(
                f"第{shown}的{label(self.dataset, column)}超过{EXCEL_CELL_LIMIT}字"
                f"（最长{longest}字，Excel 单元格放不下），已完整保留"
            )
        return notes


def _set_aside_names(parsed: dict[str, _Column], dataset: str) -> np.ndarray:
    """The name shown for each row in the set-aside table (targets: the standard's name of the code)."""
    if dataset == "targets":
        return np.array([standard().get(c).name if c else "" for c in parsed["code"].values], dtype=object)
    names = parsed.get("name")
    if names is None:
        n = len(next(iter(parsed.values())).raw) if parsed else 0
        return np.full(n, "", dtype=object)
    return names.raw


class _Texts:
    """Many short strings in one UTF-8 buffer: a 3,000,000-row registry's names take ~150 MB, not ~400 MB."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._ends: list[np.ndarray] = []

    def extend(self, texts: list[str]) -> None:
        encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
        self._ends.append(len(self._buffer) + np.cumsum([len(e) for e in encoded], dtype=np.int64))
        self._buffer += b"".join(encoded)

    def get(self, indexes: np.ndarray) -> list[str]:
        ends = np.concatenate(self._ends) if self._ends else np.empty(0, dtype=np.int64)
        starts = np.concatenate([[0], ends[:-1]])
        return [self._buffer[starts[i] : ends[i]].decode("utf-8", "surrogatepass") for i in indexes]


def _shown_value(value: object) -> str:
    text = str(value)
    if len(text) <= QUARANTINE_VALUE_LIMIT:
        return text
    return f"{text[:QUARANTINE_VALUE_LIMIT]}…（共{len(text)}字，以下省略）"


def _mark_formulas(parsed: dict[str, _Column], raw: RawTable, rows: np.ndarray, dataset: str) -> set[int]:
    """XLSX formula cells without a saved result: the cell's problem, whatever it parsed to; the row indexes."""
    marked: set[int] = set()
    for column in parsed.values():
        sheet_rows = raw.formula_cells.get(column.match.index)
        if not sheet_rows:
            continue
        name = label(dataset, column.spec.column)
        for i in np.flatnonzero(np.isin(rows, list(sheet_rows))):
            column.problems[i] = (
                f"{name}是公式“{v.quote(column.raw[i])}”，文件中没有保存它的计算结果"
                "（本程序不计算公式，请在 Excel/WPS 中打开并保存后再导出，或复制该列后“选择性粘贴”为数值）"
            )
            if column.spec.kind == "status":
                column.values[i] = ("empty", None)  # the formula is the problem, not an unknown state
            marked.add(int(i))
    return marked


def _duplicate_column_notes(headers: list[str], header_map, dataset: str) -> list[str]:
    """Two headers naming the same column: the first is used, which the user should know."""
    notes = []
    for index, header in enumerate(headers):
        column = match_header(dataset, header) if header else None
        used = header_map.columns.get(column) if column else None
        if column and used is not None and used.index != index:
            notes.append(
                f"第{used.index + 1}列“{used.header}”和第{index + 1}列“{display_header(header)}”"
                f"都表示{label(dataset, column)}，只使用了第{used.index + 1}列"
            )
    return notes


def _reread_numeric_codes(parsed: dict[str, _Column], raw: RawTable, rows: np.ndarray) -> None:
    """Code cells that were Excel numbers lost any leading zero ("0610" -> 610): read them again knowing that."""
    for column in parsed.values():
        sheet_rows = raw.numeric_codes.get(column.match.index) if column.spec.kind == "code" else None
        if not sheet_rows:
            continue
        parse = column.parse
        assert parse is not None  # a code column always has its parser
        for i in np.flatnonzero(np.isin(rows, list(sheet_rows))):
            if not v.is_blank(column.raw[i]):
                column.values[i], column.problems[i] = parse(column.raw[i], numeric=True)


def _repeated_header_rows(raw: RawTable, header_map, columns_raw) -> np.ndarray:
    """Rows that repeat the header in most named columns (several exports pasted together)."""
    n = len(raw.rows)
    matches = np.zeros(n, dtype=np.int64)
    indexes = [m.index for m in header_map.columns.values()]
    for index in indexes:
        if n:
            matches += np.asarray(columns_raw[index], dtype=object) == raw.headers[index]
    return matches * 2 > len(indexes)


def _is_float_field(field_spec: FieldSpec | None) -> bool:
    return field_spec is not None and field_spec.kind in _FLOAT_KINDS


def _clean_frame(
    spec: DatasetSpec, parsed: dict[str, _Column], mask: np.ndarray, rows: np.ndarray, file: str
) -> pd.DataFrame:
    data: dict[str, object] = {}
    count = int(mask.sum())
    for column in spec.columns:
        if column == "source_file":
            data[column] = [file] * count
        elif column == "source_row":
            data[column] = rows[mask].astype("int64")
        elif spec.name == "targets" and column in ("level", "name"):
            codes = parsed["code"].values[mask]
            nodes = [standard().get(c) for c in codes]
            # The standard's name wins over what the file says (typos, old names).
            data[column] = [getattr(node, column) for node in nodes]
        elif column in parsed:
            column_data = parsed[column]
            field_spec = column_data.spec
            values = column_data.values[mask]
            if field_spec.kind in _FLOAT_KINDS:
                data[column] = np.array([np.nan if x is None else x for x in values], dtype=float)
            elif field_spec.kind == "year":
                data[column] = np.array(list(values), dtype="int64")
            elif field_spec.kind == "status":
                data[column] = list(column_data.raw[mask])
            else:
                data[column] = ["" if x is None else str(x) for x in values]
        else:
            unparsed_spec = spec.field(column)
            if unparsed_spec is not None and unparsed_spec.kind in _FLOAT_KINDS:
                data[column] = np.full(count, np.nan)
            else:
                data[column] = [""] * count
    frame = pd.DataFrame(data, columns=spec.columns)
    text = [c for c in spec.columns if c not in ("source_row", "target_year") and not _is_float_field(spec.field(c))]
    frame[text] = frame[text].astype(str)
    return frame.reset_index(drop=True)
