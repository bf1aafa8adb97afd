"""Ingestion and validation of the input tables (plain Python, no Dagster).

    from industry_gap.ingest import ingest_file
    result = ingest_file("sample_data/registry.csv", "registry")
    result.clean, result.quarantine, result.set_aside, result.accounting()
    result.notes   # Chinese remarks that are not row problems (repairs made while reading, renamed duplicates)

Modules: `reading` (files, encodings, header row), `aliases` (the one table of
Chinese header aliases), `values` (pure cell parsers), `datasets` (per-dataset
rules), `result` (IngestResult and the row-accounting check).

`tests/corpus/cases.py` is the bad-input corpus: each kind of broken file an office
sends (encodings, title rows, merged headers, formulas, NUL bytes, old 注册号, …)
with its expected outcome; `tests/test_bad_input_corpus.py` runs it through
`ingest_file` and `industry-gap check-registry`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from industry_gap.errors import UserError
from industry_gap.ingest.datasets import DATASETS, DatasetSpec, validate_table
from industry_gap.ingest.reading import RawTable, read_table
from industry_gap.ingest.result import IngestResult, accounting_problem, reason_kind
from industry_gap.schema import DATASET_LABELS

CODE_EDITIONS = ("2017", "2011")

__all__ = [
    "CODE_EDITIONS", "DATASETS", "DatasetSpec", "IngestResult", "RawTable",
    "accounting_problem", "ingest_file", "read_table", "reason_kind", "validate_table",
]


def ingest_file(path: str | Path, dataset: str, code_edition: str | int = "2017", *,
                today: dt.date | None = None) -> IngestResult:
    """Read and validate one input file.

    `dataset` is one of DATASETS ("registry", "above_scale", "targets",
    "projects"). `code_edition="2011"` reads industry codes as GB/T 4754-2011
    and maps them to 2017 (most likely target first). `today` only matters for
    rejecting future dates (tests pin it).

    Raises InputFileError (a UserError) when the file cannot be used at all:
    unreadable, no header, or a required column missing.
    """
    if dataset not in DATASETS:
        known = "、".join(f"{k}（{DATASET_LABELS[k]}）" for k in DATASETS)
        raise UserError(f"未知的数据集“{dataset}”，可选：{known}")
    edition = str(code_edition)
    if edition not in CODE_EDITIONS:
        raise UserError(f"行业代码版本“{code_edition}”不支持，可选：2017、2011")
    raw = read_table(path, dataset)
    return validate_table(raw, dataset, str(path), edition, today)
