"""Chunked ingestion gives exactly the whole-file result; check-registry only counts clean rows.

`ingest_file(..., chunk_rows=0)` reads and validates the whole table at once (the way it was
done before chunking) and is the reference. Chunk sizes as small as 1 make every
cross-chunk rule visible: duplicates whose older record is chunks earlier, repeated header
rows, notes that must appear once, row numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pipelines.cli as cli
from industry_gap.errors import UserError
from industry_gap.ingest import accounting_problem, ingest_file
from tests.corpus.cases import (
    BIG_CLOSED,
    BIG_DUPLICATES,
    BIG_QUARANTINED,
    BIG_ROWS,
    CORPUS,
    REGISTRY_HEADER,
    _big_registry,
    csv_text,
    reg,
)

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def outcome(path: Path, dataset: str = "registry", **options):
    """Everything a caller sees: the three tables, counts, notes and header facts (or the error)."""
    try:
        result = ingest_file(path, dataset, **options)
    except UserError as error:
        return ("error", error.message)
    return ("ok", result)


def assert_same(path: Path, dataset: str, chunk_rows: int) -> None:
    kind, whole = outcome(path, dataset, chunk_rows=0)
    for keep_clean in (True, False):
        got_kind, chunked = outcome(path, dataset, chunk_rows=chunk_rows, keep_clean=keep_clean)
        assert got_kind == kind, (got_kind, kind, chunked if got_kind == "error" else whole)
        if kind == "error":
            assert chunked == whole
            continue
        if keep_clean:
            pd.testing.assert_frame_equal(chunked.clean, whole.clean)
        else:
            assert chunked.clean is None
            assert list(chunked.clean_rows) == list(whole.clean["source_row"])
        pd.testing.assert_frame_equal(chunked.quarantine, whole.quarantine)
        pd.testing.assert_frame_equal(chunked.set_aside, whole.set_aside)
        assert chunked.accounting() == whole.accounting()
        assert accounting_problem(chunked) is None
        for attribute in ("rows_in", "notes", "header_row", "sheet", "ignored_columns", "column_headers"):
            assert getattr(chunked, attribute) == getattr(whole, attribute), attribute


def _corpus_params():
    # The 200,000-row case crosses chunk boundaries in test_bad_input_corpus already (and below).
    for case in CORPUS:
        if not case.slow:
            for size in (1, 7, 1000):
                yield pytest.param(case, size, id=f"{case.id}-{size}")


@pytest.mark.parametrize("case, chunk_rows", list(_corpus_params()))
def test_corpus_chunked_equals_whole(case, chunk_rows, tmp_path):
    assert_same(case.write(tmp_path), case.dataset, chunk_rows)


@pytest.mark.parametrize("chunk_rows", [333, 1000])
@pytest.mark.parametrize(
    "name, dataset", [("registry.csv", "registry"), ("above_scale.csv", "above_scale"), ("targets.csv", "targets")]
)
def test_sample_data_chunked_equals_whole(name, dataset, chunk_rows):
    assert_same(SAMPLE / name, dataset, chunk_rows)


def _cross_chunk_file(path: Path) -> Path:
    """Duplicates whose older record lies chunks earlier (clean, quarantined, closed, renamed),
    a repeated header row far down the file, a control character, blank lines in between.
    Sheet rows: firms 1-20 on rows 2-21, a blank row 22, firms 21-40 on rows 23-42, the header
    again on row 43, newer records of firms 3, 1, 5 on rows 44-46, a blank row, firm 7 on row 48."""
    rows = [reg(i) for i in range(1, 41)]
    rows[2] = reg(3, established="2015-13-45")  # quarantined, superseded by row 36
    rows[4] = reg(5, status="注销")  # closed, superseded by row 38
    rows[6][1] = "鄂尔多斯市旧名称有限公司"  # renamed: superseded by row 40 under the usual name
    rows[9][1] = "带\x1b控制字符的公司"
    rows += [list(REGISTRY_HEADER), reg(3), reg(1), reg(5), [""] * len(REGISTRY_HEADER), reg(7)]
    rows.insert(20, [""] * len(REGISTRY_HEADER))
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("chunk_rows", [1, 3, 7, 1000])
def test_duplicates_and_repeated_header_across_chunks(tmp_path, chunk_rows):
    path = _cross_chunk_file(tmp_path / "名录.csv")
    assert_same(path, "registry", chunk_rows)
    result = ingest_file(path, "registry", chunk_rows=chunk_rows)
    aside = result.set_aside.set_index("row")["reason"]
    assert aside[4] == "统一社会信用代码重复，保留第44行的较新记录"  # was quarantined in its own chunk
    assert aside[2] == "统一社会信用代码重复，保留第45行的较新记录"  # was clean
    assert aside[6] == "统一社会信用代码重复，保留第46行的较新记录"  # was closed
    assert aside[8] == "统一社会信用代码重复，保留第48行的较新记录"
    assert aside[43].startswith("重复的表头行")
    assert 4 not in set(result.quarantine["row"])
    assert not {2, 4, 6, 8} & set(result.clean["source_row"])
    assert sum("企业名称不同" in note for note in result.notes) == 1
    assert sum("控制字符" in note for note in result.notes) == 1
    assert result.accounting()["missing"] == 0


def test_keep_clean_false_counts_without_frame(tmp_path):
    path = _cross_chunk_file(tmp_path / "名录.csv")
    kept = ingest_file(path, "registry")
    counted = ingest_file(path, "registry", keep_clean=False, chunk_rows=5)
    assert counted.clean is None
    assert counted.accounting() == kept.accounting()
    assert np.array_equal(counted.clean_rows, kept.clean["source_row"].to_numpy())
    assert accounting_problem(counted) is None


def test_whole_file_path_honours_keep_clean(tmp_path):
    path = _cross_chunk_file(tmp_path / "名录.csv")
    result = ingest_file(path, "registry", chunk_rows=0, keep_clean=False)
    assert result.clean is None and len(result.clean_rows) == ingest_file(path, "registry").accounting()["clean"]


@pytest.mark.slow
def test_check_registry_200000_rows_in_chunks(tmp_path, capsys, monkeypatch):
    """check-registry on 200,000 rows in chunks of 30,000: the newer records in the last chunk
    supersede rows of the first chunk, and the counts come out right."""
    if not _cli_commands_available():
        monkeypatch.setattr(cli, "COMMANDS", ["check_registry"])
    path = tmp_path / "名录.csv"
    _big_registry(path)
    code = cli.main(["check-registry", str(path), "--chunk-rows", "30000"])
    out = capsys.readouterr().out
    assert code == 1, out
    clean = BIG_ROWS - BIG_QUARANTINED - BIG_CLOSED - BIG_DUPLICATES
    assert f"读入数据行：{BIG_ROWS}\n" in out
    assert f"合格：{clean}\n" in out
    assert f"隔离（需修正）：{BIG_QUARANTINED}\n" in out
    assert f"暂不纳入：{BIG_CLOSED + BIG_DUPLICATES}\n" in out
    assert f"统一社会信用代码重复：{BIG_DUPLICATES}\n" in out
    assert f"等{BIG_DUPLICATES}处" in out


def _cli_commands_available() -> bool:
    try:
        cli.build_parser()
    except Exception:
        return False
    return True
