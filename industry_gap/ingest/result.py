"""The outcome of ingesting one file, and the row-accounting check.

Every data row of a file ends in exactly one of `clean`, `quarantine` (needs a
person to fix it) or `set_aside` (valid but deliberately left out: closed
firms, older duplicates). `accounting_problem` verifies that, so a bug that
drops rows blocks the pipeline instead of silently shrinking the statistics.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from industry_gap.schema import DATASET_LABELS, QUARANTINE_COLUMNS, SET_ASIDE_COLUMNS

# Problems of one row are joined with this in `reason`.
REASON_SEPARATOR = "；"
_QUOTED_RE = re.compile(r"“[^”]*”")
_KIND_END_RE = re.compile(r"[：（，(]")


def reason_kind(problem: str) -> str:
    """Short kind of one problem: quoted values removed, details after "：（，" cut.

    "行业代码“X”不是有效的 GB/T 4754-2017 代码" -> "行业代码不是有效的 GB/T 4754-2017 代码";
    "统一社会信用代码长度应为18位（实际17位）" -> "统一社会信用代码长度应为18位";
    "登记状态为注销，不纳入统计" -> "登记状态为注销".
    """
    text = _QUOTED_RE.sub("", problem).strip()
    return _KIND_END_RE.split(text, maxsplit=1)[0].strip() or problem


def count_reasons(reasons: pd.Series) -> dict[str, int]:
    """Rows per reason kind; a row with several problems counts once under each kind."""
    counts: Counter[str] = Counter()
    for reason in reasons:
        kinds = {reason_kind(p) for p in str(reason).split(REASON_SEPARATOR) if p.strip()}
        counts.update(kinds)
    return dict(counts.most_common())


def empty_quarantine() -> pd.DataFrame:
    return _frame([], QUARANTINE_COLUMNS)


def empty_set_aside() -> pd.DataFrame:
    return _frame([], SET_ASIDE_COLUMNS)


def _frame(records: list[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=columns)
    text = [c for c in columns if c != "row"]
    frame[text] = frame[text].astype(str)
    frame["row"] = frame["row"].astype("int64")
    return frame


def quarantine_frame(records: list[tuple]) -> pd.DataFrame:
    """Records are (dataset, file, row, column, value, reason)."""
    return _frame(records, QUARANTINE_COLUMNS)


def set_aside_frame(records: list[tuple]) -> pd.DataFrame:
    """Records are (dataset, file, row, uscc, name, reason)."""
    return _frame(records, SET_ASIDE_COLUMNS)


@dataclass
class IngestResult:
    dataset: str  # registry / above_scale / targets / projects
    file: str  # the path as given
    clean: pd.DataFrame | None  # exactly the dataset's schema columns, in order; None if not kept
    quarantine: pd.DataFrame  # QUARANTINE_COLUMNS, one row per bad input row
    set_aside: pd.DataFrame  # SET_ASIDE_COLUMNS
    rows_in: int  # data rows with any non-blank cell
    ignored_columns: list[str] = field(default_factory=list)
    header_row: int = 1  # sheet row of the header (title rows above it)
    sheet: str | None = None  # worksheet used, for XLSX
    column_headers: dict[str, str] = field(default_factory=dict)  # schema column -> original header
    # Things the user should know that are not row problems: repairs made while reading
    # (control characters removed, two header rows joined), renamed duplicates, very long cells.
    notes: list[str] = field(default_factory=list)
    # Sheet rows of the clean rows when `clean` was not kept (ingest_file(..., keep_clean=False)).
    clean_rows: np.ndarray | None = None

    @property
    def label(self) -> str:
        return DATASET_LABELS.get(self.dataset, self.dataset)

    @property
    def rows(self) -> pd.DataFrame:
        """The clean rows; every pipeline step keeps them (only `check-registry` does not)."""
        if self.clean is None:
            raise ValueError(f"{self.dataset}: the clean rows were not kept (keep_clean=False)")
        return self.clean

    def accounting(self) -> dict[str, int]:
        quarantined, set_aside = len(self.quarantine), len(self.set_aside)
        if self.clean is not None:
            clean = len(self.clean)
        else:
            assert self.clean_rows is not None  # set whenever `clean` is not kept
            clean = len(self.clean_rows)
        return {
            "in": int(self.rows_in),
            "clean": clean,
            "quarantined": quarantined,
            "set_aside": set_aside,
            "missing": int(self.rows_in) - clean - quarantined - set_aside,
        }

    def reasons_summary(self, table: str = "all") -> dict[str, int]:
        """Rows per short reason kind, most frequent first.

        `table` is "quarantine", "set_aside" or "all" (the kinds of the two never overlap).
        """
        parts = []
        if table in ("all", "quarantine"):
            parts.append(self.quarantine["reason"])
        if table in ("all", "set_aside"):
            parts.append(self.set_aside["reason"])
        if not parts:
            raise ValueError(f"unknown table {table!r}")
        return count_reasons(pd.concat(parts, ignore_index=True))


def accounting_problem(result: IngestResult) -> str | None:
    """A Chinese message when rows were lost or counted twice; None when the books balance."""
    counts = result.accounting()
    label = f"{result.label}“{result.file}”"
    if counts["missing"] != 0:
        lost = "丢失" if counts["missing"] > 0 else "多出"
        return (
            f"{label}的行数对不上：读入 {counts['in']} 行，合格 {counts['clean']} 行、"
            f"隔离 {counts['quarantined']} 行、暂不纳入 {counts['set_aside']} 行，"
            f"{lost}了 {abs(counts['missing'])} 行。这是程序错误，请反馈给维护人员。"
        )
    if result.clean is None:
        clean_rows = pd.Series(result.clean_rows, dtype="int64")
    else:
        clean_rows = result.clean["source_row"] if "source_row" in result.clean else pd.Series(dtype="int64")
    rows = pd.concat([clean_rows, result.quarantine["row"], result.set_aside["row"]], ignore_index=True)
    repeated = sorted(set(rows[rows.duplicated()].astype(int)))
    if repeated:
        shown = "、".join(str(r) for r in repeated[:10]) + ("等" if len(repeated) > 10 else "")
        return (
            f"{label}中第 {shown} 行被重复计入（同一行同时出现在多个结果表中或出现多次）。"
            "这是程序错误，请反馈给维护人员。"
        )
    return None
