"""Two runs at once (the schedule and a manual run): neither corrupts the warehouse nor the exports."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from industry_gap.warehouse import Warehouse
from tests.factories import small_registry
from tests.test_crash_safety import RUN_DATE, run_cli

DAY = dt.date.fromisoformat(RUN_DATE)


@pytest.mark.slow
def test_two_simultaneous_runs(tmp_path, database_url):
    registry = small_registry(tmp_path / "registry.csv")
    output = tmp_path / "out"
    runs = [run_cli(registry, output, database_url) for _ in range(2)]
    outcomes = [run.communicate(timeout=900) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outcomes
    store = Warehouse(database_url)
    assert store.count("registry", DAY) == 5  # replaced, never doubled
    assert store.count("row_accounting", DAY) == 4
    store.dispose()
    folder = output / "exports" / RUN_DATE[:7]
    workbooks = list(folder.glob("*.xlsx"))
    assert workbooks and not list(folder.glob(".*.tmp"))
    for path in workbooks:
        openpyxl.load_workbook(path)  # whole, readable files


@pytest.mark.slow
def test_two_districts_at_once_into_one_output_folder(tmp_path):
    """Issue 23 #3: two real CLI runs of different districts into one output folder and database at
    the same moment: one finishes, the other is refused with exit 2 naming the district that holds it."""
    import subprocess
    import sys

    from tests.factories import TEST_POLICY_PATH

    registry = small_registry(tmp_path / "registry.csv")
    other = tmp_path / "policy_other.toml"
    other.write_text(
        TEST_POLICY_PATH.read_text(encoding="utf-8").replace('district = "测试区"', 'district = "另一区"'),
        encoding="utf-8",
    )
    output = tmp_path / "out"
    command = [sys.executable, "-m", "pipelines.cli", "run", "--registry", str(registry), "--output", str(output)]
    command += ["--run-date", RUN_DATE, "--quiet", "--policy"]
    runs = [
        subprocess.Popen(command + [str(policy)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for policy in (TEST_POLICY_PATH, other)
    ]
    outcomes = [run.communicate(timeout=900) for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 2], outcomes
    refused = outcomes[[run.returncode for run in runs].index(2)][1]
    assert "Traceback" not in refused and "的运行结果" in refused and str(output) in refused
    winner = "测试区" if runs[0].returncode == 0 else "另一区"
    assert f"保存的是“{winner}”的运行结果" in refused
