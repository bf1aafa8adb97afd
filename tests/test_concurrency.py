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
