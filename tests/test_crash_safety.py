"""A run SIGKILLed in the middle of the database write or the export leaves the previous results intact.

Real subprocesses run `python -m industry_gap.cli run`; a failpoint pauses the
process at the exact moment (inside the open transaction, or after a workbook's
temporary file is written but before it is renamed) and the test kills it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from industry_gap.failpoints import EXPORT_BEFORE_RENAME, WAREHOUSE_BEFORE_COMMIT
from industry_gap.warehouse import Warehouse
from tests.factories import REGISTRY_HEADER, registry_row, small_registry, write_csv

RUN_DATE = "2026-11-20"
DAY = dt.date.fromisoformat(RUN_DATE)


def run_cli(registry: Path, output: Path, database_url: str, failpoint: str = "", marker: Path | None = None):
    env = {**os.environ, "INDUSTRY_GAP_FAILPOINT": failpoint,
           "INDUSTRY_GAP_FAILPOINT_MARKER": str(marker or "")}
    command = [sys.executable, "-m", "industry_gap.cli", "run", "--registry", str(registry),
               "--output", str(output), "--run-date", RUN_DATE, "--database", database_url]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_at_failpoint(process: subprocess.Popen, marker: Path, timeout: float = 600) -> None:
    deadline = time.time() + timeout
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"run ended before the failpoint: {process.communicate()}")
        if time.time() > deadline:
            process.kill()
            raise AssertionError("failpoint not reached")
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


def workbook_state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.xlsx"))}


def bigger_registry(path: Path) -> Path:
    rows = [registry_row(100 + i, f"鄂尔多斯市新增{i}号机械制造有限公司", "矿山机械制造；机械零部件加工。")
            for i in range(6)]
    return write_csv(path, REGISTRY_HEADER, rows)


@pytest.mark.slow
def test_kill_during_database_write_and_export(tmp_path, database_url):
    output = tmp_path / "out"
    first = small_registry(tmp_path / "registry_v1.csv")
    second = bigger_registry(tmp_path / "registry_v2.csv")
    exports = output / "exports" / RUN_DATE[:7]

    done = run_cli(first, output, database_url)
    assert done.wait(timeout=900) == 0, done.communicate()
    store = Warehouse(database_url)
    assert store.count("registry", DAY) == 5
    workbooks_before = workbook_state(exports)
    assert workbooks_before

    # 1. killed inside the warehouse transaction: the earlier rows stay, no workbook changes
    marker = tmp_path / "at_db.marker"
    kill_at_failpoint(run_cli(second, output, database_url, WAREHOUSE_BEFORE_COMMIT, marker), marker)
    assert store.count("registry", DAY) == 5
    assert set(store.read("registry", DAY)["name"]) == set(Warehouse(database_url).read("registry", DAY)["name"])
    assert workbook_state(exports) == workbooks_before

    # 2. killed after a workbook's temporary is written, before it replaces the old one
    marker = tmp_path / "at_export.marker"
    kill_at_failpoint(run_cli(second, output, database_url, EXPORT_BEFORE_RENAME, marker), marker)
    assert workbook_state(exports) == workbooks_before  # the visible workbooks are the old ones, whole

    # 3. the next run completes and cleans up the killed run's temporary file
    done = run_cli(second, output, database_url)
    assert done.wait(timeout=900) == 0, done.communicate()
    assert store.count("registry", DAY) == 6
    assert not list(exports.glob(".*.tmp"))
    assert workbook_state(exports) != workbooks_before
    store.dispose()
