"""Ingestion and validation of the input tables (plain Python, no Dagster).

    from industry_gap.ingest import ingest_file
    result = ingest_file("sample_data/registry.csv", "registry")
    result.clean, result.quarantine, result.set_aside, result.accounting()
    result.notes   # Chinese remarks that are not row problems (repairs made while reading, renamed duplicates)

Modules: `reading` (files, header row, rows in chunks), `decoding` (text
encodings, decided over the whole file without holding it), `aliases` (the one
table of Chinese header aliases), `values` (pure cell parsers), `datasets`
(per-dataset rules, validated chunk by chunk), `result` (IngestResult and the
row-accounting check).

A CSV is read and validated `chunk_rows` data rows at a time, so memory does not
grow with the file beyond what the result holds; with `keep_clean=False` (used by
check-registry) the clean rows are only counted, and a 3,000,000-row registry is
checked in about 1 GB instead of 6.

`tests/corpus/cases.py` is the bad-input corpus: each kind of broken file an office
sends (encodings, title rows, merged headers, formulas, NUL bytes, old 注册号, …)
with its expected outcome; `tests/test_bad_input_corpus.py` runs it through
`ingest_file` and `industry-gap check-registry`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from industry_gap.errors import InputFileError, UserError
from industry_gap.ingest.datasets import DATASETS, DatasetSpec, Validator, validate_table
from industry_gap.ingest.limits import InputLimits
from industry_gap.ingest.reading import RawTable, TableStream, open_table, read_table
from industry_gap.ingest.result import IngestResult, accounting_problem, reason_kind
from industry_gap.schema import DATASET_LABELS

CODE_EDITIONS = ("2017", "2011")
CHUNK_ROWS = 100_000  # data rows read and validated at a time

__all__ = [
    "CHUNK_ROWS",
    "CODE_EDITIONS",
    "DATASETS",
    "DatasetSpec",
    "IngestResult",
    "InputLimits",
    "RawTable",
    "TableStream",
    "Validator",
    "accounting_problem",
    "ingest_file",
    "open_table",
    "read_table",
    "reason_kind",
    "validate_table",
]


def ingest_file(
    path: str | Path,
    dataset: str,
    code_edition: str | int = "2017",
    *,
    today: dt.date | None = None,
    chunk_rows: int = CHUNK_ROWS,
    keep_clean: bool = True,
    limits: InputLimits | None = None,
) -> IngestResult:
    """Read and validate one input file.

    `dataset` is one of DATASETS ("registry", "above_scale", "targets",
    "projects"). `code_edition="2011"` reads industry codes as GB/T 4754-2011
    and maps them to 2017 (most likely target first). `today` only matters for
    rejecting future dates (tests pin it).

    The file is read and validated `chunk_rows` data rows at a time (0: the whole
    table at once, as before chunking); the result does not depend on it.
    `keep_clean=False` counts the clean rows without keeping them: `result.clean`
    is None and `result.clean_rows` holds their sheet rows (check-registry).

    Raises InputFileError (a UserError) when the file cannot be used at all:
    unreadable, no header, or a required column missing.
    """
    if dataset not in DATASETS:
        known = "、".join(f"{k}（{DATASET_LABELS[k]}）" for k in DATASETS)
        raise UserError(f"未知的数据集“{dataset}”，可选：{known}")
    edition = str(code_edition)
    if edition not in CODE_EDITIONS:
        raise UserError(f"行业代码版本“{code_edition}”不支持，可选：2017、2011")
    if chunk_rows <= 0:
        result = validate_table(read_table(path, dataset, limits), dataset, str(path), edition, today)
        if not keep_clean:
            assert result.clean is not None  # validate_table keeps the clean rows
            result.clean_rows, result.clean = result.clean["source_row"].to_numpy(), None
        return result
    stream = open_table(path, dataset, limits)
    try:
        try:
            validator = Validator(stream, dataset, str(path), edition, today, keep_clean=keep_clean)
        except InputFileError:
            stream.drain()  # a reading error further down the file wins, as when the file was read first
            raise
        for chunk in stream.chunks(chunk_rows):
            validator.add(chunk)
        return validator.finish(stream.notes)
    finally:
        stream.close()
