"""Monthly partitions that mean something (issue 26, item 3): the months before an office's first run are
not listed as missing, and an office with the past months' files backfills them from the UI."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from industry_gap.errors import UserError
from industry_gap.report_month import (
    first_report_month,
    first_shown_month,
    last_day_of,
    month_key,
    resolve_report_date,
)
from industry_gap.settings import DISTRICT_TIMEZONE, Settings
from industry_gap.warehouse import Warehouse
from pipelines.definitions import build_definitions
from tests.factories import REGISTRY_HEADER, registry_row, write_csv

TODAY = dt.date(2026, 12, 7)


def first_key(defs: dg.Definitions) -> str | None:
    months = defs.resolve_job_def("full_refresh").partitions_def
    assert months is not None
    return months.get_first_partition_key()


def test_a_fresh_output_shows_only_the_current_month(tmp_path, policy):
    assert first_report_month(policy) < "2025-01-01"  # the plan is years old
    assert first_shown_month(policy, tmp_path, "", TODAY) == "2026-12-01"
    now = dt.datetime.now(DISTRICT_TIMEZONE).date()
    assert first_key(build_definitions(Settings(output_dir=str(tmp_path)))) == month_key(now)


def test_partitions_start_at_the_first_reported_month(tmp_path, policy):
    for month in ("2026-11", "2026-10", "not-a-month"):
        (tmp_path / "exports" / month).mkdir(parents=True)
    assert first_shown_month(policy, tmp_path, "", TODAY) == "2026-10-01"
    assert first_key(build_definitions(Settings(output_dir=str(tmp_path)))) == "2026-10-01"


def test_report_from_opens_past_months_but_never_before_the_plan(tmp_path, policy):
    assert first_shown_month(policy, tmp_path, "2025-03", TODAY) == "2025-03-01"
    assert first_shown_month(policy, tmp_path, "1999-01", TODAY) == first_report_month(policy)
    with pytest.raises(UserError, match="YYYY-MM"):
        first_shown_month(policy, tmp_path, "March", TODAY)
    assert last_day_of("2026-02-01") == dt.date(2026, 2, 28) and last_day_of("2026-12-01") == dt.date(2026, 12, 31)


@pytest.mark.slow  # a whole (small) pipeline run, as the UI's backfill launches it
def test_a_backfilled_past_month_reads_its_own_files_and_is_dated_in_its_month(tmp_path):
    month = dt.datetime.now(DISTRICT_TIMEZONE).date().replace(day=1) - dt.timedelta(days=1)  # last month
    folder = tmp_path / "data" / f"{month:%Y-%m}"
    folder.mkdir(parents=True)
    write_csv(
        folder / "规下名录.csv",
        REGISTRY_HEADER,
        [registry_row(1, "鄂尔多斯市甲羊绒制品有限公司", "羊绒制品加工；针纺织品销售。", revenue="1900")],
    )
    settings = Settings(
        output_dir=str(tmp_path / "out"),
        registry=str(tmp_path / "data" / "{month}" / "规下名录.csv"),
        report_from=f"{month:%Y-%m}",
    )
    defs = build_definitions(settings)
    assert first_key(defs) == month_key(month)
    job = defs.resolve_job_def("full_refresh")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, partition_key=month_key(month))  # no run date given
        assert result.success
        assert instance.get_materialized_partitions(dg.AssetKey("office_workbooks")) == {month_key(month)}
    store = Warehouse(f"sqlite:///{tmp_path / 'out' / 'industry_gap.sqlite'}")
    try:
        assert store.run_dates("candidates") == [last_day_of(month_key(month))]  # dated in its own month
    finally:
        store.dispose()


def test_without_report_from_a_past_month_is_refused_not_overwritten():
    with pytest.raises(UserError, match="INDUSTRY_GAP_REPORT_FROM"):
        resolve_report_date("2026-10-01", None, TODAY)
    assert resolve_report_date("2026-10-01", None, TODAY, "2026-09") == dt.date(2026, 10, 31)
    assert resolve_report_date("2026-12-01", None, TODAY, "2026-09") == TODAY  # the current month: today
