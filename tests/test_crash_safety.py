"""A run SIGKILLed anywhere in the report switch leaves the warehouse and the workbooks consistent.

Real subprocesses run `python -m pipelines.cli run`; a failpoint pauses the
process at the exact moment (a workbook half-staged, inside the open
transaction, or after the commit but before the staged folder is swapped in)
and the test kills it. Runs on SQLite and on PostgreSQL.
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

from industry_gap.failpoints import EXPORT_BEFORE_PUBLISH, EXPORT_BEFORE_RENAME, WAREHOUSE_BEFORE_COMMIT
from industry_gap.warehouse import Warehouse
from tests.factories import REGISTRY_HEADER, registry_row, small_registry, write_csv

RUN_DATE = "2026-11-20"
DAY = dt.date.fromisoformat(RUN_DATE)


def run_cli(registry: Path, output: Path, database_url: str, failpoint: str = "", marker: Path | None = None):
    env = {**os.environ, "INDUSTRY_GAP_FAILPOINT": failpoint, "INDUSTRY_GAP_FAILPOINT_MARKER": str(marker or "")}
    command = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "run",
        "--registry",
        str(registry),
        "--output",
        str(output),
        "--run-date",
        RUN_DATE,
        "--database",
        database_url,
    ]
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
    """Every published file of a month (the workbooks and the Word brief) by its hash."""
    files = sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith("."))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def bigger_registry(path: Path) -> Path:
    rows = [
        registry_row(100 + i, f"鄂尔多斯市新增{i}号机械制造有限公司", "矿山机械制造；机械零部件加工。")
        for i in range(6)
    ]
    return write_csv(path, REGISTRY_HEADER, rows)


def published_state(output: Path, database_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """(published workbooks, the workbooks the warehouse's newest commit for the month names)."""
    store = Warehouse(database_url)
    try:
        manifest = store.read_all("export_manifest")
    finally:
        store.dispose()
    committed: dict[str, str] = {}
    if len(manifest):
        month = manifest[manifest["month"] == RUN_DATE[:7]]
        newest = month[month["token"] == month.sort_values("committed_at")["token"].iloc[-1]]
        committed = dict(zip(newest["file"], newest["sha256"]))
    return workbook_state(output / "exports" / RUN_DATE[:7]), committed


def assert_consistent(output: Path, database_url: str) -> None:
    """What a reader sees: the published workbooks are exactly those the warehouse's newest commit names."""
    published, committed = published_state(output, database_url)
    assert published == committed


@pytest.mark.slow
def test_kill_at_every_step_of_the_report_switch(tmp_path, database_url):
    """Stage workbooks → commit tables with their manifest → swap the folder: a SIGKILL at each step
    leaves the old complete state, or a committed one the next start completes."""
    from industry_gap.exports.publishing import STAGING, recover_exports

    output = tmp_path / "out"
    first = small_registry(tmp_path / "registry_v1.csv")
    second = bigger_registry(tmp_path / "registry_v2.csv")
    exports = output / "exports" / RUN_DATE[:7]
    staging = output / "exports" / STAGING

    done = run_cli(first, output, database_url)
    assert done.wait(timeout=900) == 0, done.communicate()
    store = Warehouse(database_url)
    assert store.count("registry", DAY) == 5
    workbooks_before = workbook_state(exports)
    assert workbooks_before
    assert_consistent(output, database_url)

    # 1. killed while a workbook is being staged: nothing visible changes
    marker = tmp_path / "at_export.marker"
    kill_at_failpoint(run_cli(second, output, database_url, EXPORT_BEFORE_RENAME, marker), marker)
    assert store.count("registry", DAY) == 5
    assert workbook_state(exports) == workbooks_before
    assert_consistent(output, database_url)

    # 2. killed inside the warehouse transaction (workbooks fully staged): the old rows and workbooks stay
    marker = tmp_path / "at_db.marker"
    kill_at_failpoint(run_cli(second, output, database_url, WAREHOUSE_BEFORE_COMMIT, marker), marker)
    assert store.count("registry", DAY) == 5
    assert workbook_state(exports) == workbooks_before
    assert_consistent(output, database_url)
    assert len([p for p in staging.iterdir()]) == 2  # the two killed runs' uncommitted staging folders

    # 3. killed after the commit, before the swap: the next start swaps the committed workbooks in
    marker = tmp_path / "at_publish.marker"
    kill_at_failpoint(run_cli(second, output, database_url, EXPORT_BEFORE_PUBLISH, marker), marker)
    assert store.count("registry", DAY) == 6
    published, committed = published_state(output, database_url)
    assert published == workbooks_before and committed != workbooks_before  # the window a start repairs
    recovery = recover_exports(output, store.read_all("export_manifest"))
    assert recovery.completed == [RUN_DATE[:7]] and len(recovery.discarded) == 2
    assert_consistent(output, database_url)
    assert workbook_state(exports) != workbooks_before
    assert not staging.exists() or not list(staging.iterdir())

    # 4. a whole run afterwards is consistent again and leaves nothing staged
    done = run_cli(second, output, database_url)
    assert done.wait(timeout=900) == 0, done.communicate()
    assert store.count("registry", DAY) == 6
    assert_consistent(output, database_url)
    assert not staging.exists() or not list(staging.iterdir())
    assert not list(exports.glob(".*.tmp"))
    store.dispose()


@pytest.mark.slow
def test_a_start_finishes_a_committed_swap_before_running(tmp_path, database_url):
    """`industry-gap run` recovers at start: a run killed after its commit is completed by the next one."""
    output = tmp_path / "out"
    registry = small_registry(tmp_path / "registry.csv")
    marker = tmp_path / "at_publish.marker"
    kill_at_failpoint(run_cli(registry, output, database_url, EXPORT_BEFORE_PUBLISH, marker), marker)
    assert not (output / "exports" / RUN_DATE[:7]).exists()  # first month: nothing published yet
    done = run_cli(registry, output, database_url, "nonexistent")
    stdout, stderr = done.communicate(timeout=900)
    assert done.returncode == 0, stderr
    assert "已补完 2026-11 报送工作簿的替换" in stdout
    assert_consistent(output, database_url)
