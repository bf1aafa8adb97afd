"""The shipped sample files (skipped when sample_data/ is not there yet).

`sample_data/bad_rows.csv` lists the rows the sample generator spoiled on
purpose (file,row,column,kind,note); each must end in quarantine or set_aside.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from industry_gap.ingest import accounting_problem, ingest_file

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
SAMPLES = {
    "registry.csv": "registry",
    "above_scale.csv": "above_scale",
    "targets.csv": "targets",
    "projects.xlsx": "projects",
}


def _sample(name: str) -> Path:
    path = SAMPLE_DIR / name
    if not path.exists():
        pytest.skip(f"{path} not generated yet")
    return path


@pytest.mark.parametrize("name, dataset", list(SAMPLES.items()))
def test_sample_file_ingests_and_balances(name, dataset):
    result = ingest_file(_sample(name), dataset)
    assert accounting_problem(result) is None
    assert result.rows_in > 0 and len(result.clean) > 0


def _manifest() -> dict[str, dict[int, dict]]:
    with _sample("bad_rows.csv").open(encoding="utf-8-sig", newline="") as handle:
        entries = list(csv.DictReader(handle))
    by_file: dict[str, dict[int, dict]] = {}
    for entry in entries:
        by_file.setdefault(Path(entry["file"]).name, {})[int(entry["row"])] = entry
    return by_file


# Valid rows deliberately left out; every other defect must be quarantined.
SET_ASIDE_KINDS = {"closed_status", "duplicate"}


@pytest.mark.parametrize("name, dataset", list(SAMPLES.items()))
def test_spoiled_rows_caught_and_nothing_else(name, dataset):
    """Every manifest row lands in the right table, and no other row is rejected."""
    expected = _manifest().get(name, {})
    result = ingest_file(_sample(name), dataset)
    quarantined, set_aside = set(result.quarantine["row"]), set(result.set_aside["row"])
    assert quarantined | set_aside == set(expected)
    wrong = [e for row, e in expected.items() if (e["kind"] in SET_ASIDE_KINDS) != (row in set_aside)]
    assert not wrong, wrong


def test_clean_registry_matches_truth_file():
    """Lower-case / space-padded USCCs are accepted: clean rows are exactly the truth file's firms."""
    result = ingest_file(_sample("registry.csv"), "registry")
    with _sample("truth/registry_true_codes.csv").open(encoding="utf-8-sig", newline="") as handle:
        truth = {row["统一社会信用代码"] for row in csv.DictReader(handle)}
    assert set(result.clean["uscc"]) == truth
    assert result.clean["uscc"].is_unique
