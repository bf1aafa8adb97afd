"""The nightly schedule and the inbox sensor, evaluated with Dagster's test contexts."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.automation import inbox_sensor, nightly_schedule
from tests.factories import REGISTRY_HEADER, small_registry, write_csv


def settle(path: Path) -> Path:
    """Make a file look like it finished copying a minute ago."""
    past = time.time() - 60
    os.utime(path, (past, past))
    return path


@pytest.fixture
def inbox(tmp_path, monkeypatch):
    folder = tmp_path / "inbox"
    folder.mkdir()
    monkeypatch.setenv("INDUSTRY_GAP_INBOX", str(folder))
    return folder


def evaluate(cursor=None):
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor)
        return inbox_sensor(context)


def test_schedule_runs_nightly_in_beijing_time(inbox):
    scheduled = dt.datetime(2026, 11, 21, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    context = dg.build_schedule_context(scheduled_execution_time=scheduled)
    request = nightly_schedule(context)
    assert request.run_key == "nightly-2026-11-21"
    assert request.partition_key == "2026-11-01"  # the month being reported
    assert request.run_config["resources"]["settings"]["config"]["run_date"] == "2026-11-21"
    assert request.run_config["resources"]["input_files"]["config"]["registry"].endswith("registry.csv")


def test_schedule_reports_the_district_month_across_a_utc_boundary(inbox):
    scheduled = dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC)  # 12-01 02:00 in Beijing
    request = nightly_schedule(dg.build_schedule_context(scheduled_execution_time=scheduled))
    assert request.partition_key == "2026-12-01"
    assert request.run_config["resources"]["settings"]["config"]["run_date"] == "2026-12-01"


def test_sensor_runs_for_a_new_file_and_moves_it(inbox):
    settle(small_registry(inbox / "规下名录_11月.csv"))
    result = evaluate()
    assert isinstance(result, dg.RunRequest)
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert result.partition_key == f"{today:%Y-%m}-01"
    assert result.run_config["resources"]["settings"]["config"]["run_date"] == today.isoformat()
    processed = list((inbox / "processed").iterdir())
    assert len(processed) == 1 and processed[0].name.endswith("registry__规下名录_11月.csv")
    config = result.run_config["resources"]["input_files"]["config"]
    assert config["registry"] == str(processed[0])
    assert config["above_scale"] == config["targets"] == config["projects"] == ""  # never the sample district's
    assert not list(inbox.glob("*.csv"))


def test_sensor_never_processes_the_same_content_twice(inbox):
    settle(small_registry(inbox / "名录.csv"))
    first = evaluate()
    assert isinstance(first, dg.RunRequest)
    settle(small_registry(inbox / "名录.csv"))  # the same file dropped again
    second = evaluate()
    assert isinstance(second, dg.SkipReason)
    assert len(list((inbox / "processed").iterdir())) == 2  # kept, not lost


def test_sensor_moves_a_broken_file_to_failed_with_a_reason(inbox):
    broken = inbox / "名录.csv"
    write_csv(broken, [h for h in REGISTRY_HEADER if h != "经营范围"], [["x"] * 12])
    settle(broken)
    (inbox / "说明.docx").write_bytes(b"PK\x03\x04 not a table")
    settle(inbox / "说明.docx")
    result = evaluate()
    assert isinstance(result, dg.SkipReason)
    failed = sorted(p.name for p in (inbox / "failed").iterdir())
    assert "名录.csv" in failed and "名录.csv.原因.txt" in failed
    assert "说明.docx.原因.txt" in failed
    reason = (inbox / "failed" / "名录.csv.原因.txt").read_text(encoding="utf-8")
    assert "经营范围" in reason


def test_sensor_waits_for_a_file_still_being_copied(inbox):
    small_registry(inbox / "名录.csv")  # mtime is now: may still be growing
    result = evaluate()
    assert isinstance(result, dg.SkipReason)
    assert (inbox / "名录.csv").exists()
