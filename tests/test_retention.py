"""Run history does not grow without bound (issue 26, item 4): old runs are pruned with their events, the
runs of the months the warehouse published are kept, and schedule/sensor ticks have a retention."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.scheduler.instigation import TickStatus

from industry_gap.settings import Settings
from pipelines.cli import main
from pipelines.instance import DEFAULT_INSTANCE_CONFIG
from pipelines.retention import months_before, prune_run_history, published_months
from pipelines.runner import run_pipeline
from tests.factories import REGISTRY_HEADER, registry_row, write_csv

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_months_before_is_calendar_months():
    moment = dt.datetime(2026, 3, 31, 8, tzinfo=dt.UTC)
    assert months_before(moment, 24) == dt.datetime(2024, 3, 31, 8, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2026, 2, 28, 8, tzinfo=dt.UTC)
    assert months_before(moment, 15) == dt.datetime(2024, 12, 31, 8, tzinfo=dt.UTC)


@pytest.mark.parametrize("config", ["deploy", "default"])
def test_ticks_have_a_retention_in_the_shipped_instance_config(tmp_path, config):
    deploy = (REPO_ROOT / "deploy" / "dagster.yaml").read_text(encoding="utf-8")
    # production storage is PostgreSQL: the deploy file's retention block (its end) on a local instance
    text = deploy[deploy.index("\nretention:") :] if config == "deploy" else DEFAULT_INSTANCE_CONFIG
    (tmp_path / "dagster.yaml").write_text(text, encoding="utf-8")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        sensor = instance.get_tick_retention_settings(InstigatorType.SENSOR)
        schedule = instance.get_tick_retention_settings(InstigatorType.SCHEDULE)
    assert sensor[TickStatus.SKIPPED] == 7 and 0 < sensor[TickStatus.SUCCESS] <= 366
    assert 0 < schedule[TickStatus.SUCCESS] <= 366  # Dagster keeps schedule ticks forever by default


def run_on(tmp_path: Path, run_date: str) -> None:
    registry = write_csv(
        tmp_path / f"名录_{run_date}.csv",
        REGISTRY_HEADER,
        [registry_row(1, "鄂尔多斯市甲羊绒制品有限公司", "羊绒制品加工；针纺织品销售。", revenue="1900")],
    )
    run_pipeline(Settings(output_dir=str(tmp_path / "out"), run_date=run_date, registry=str(registry)))


@pytest.mark.slow  # three small pipeline runs
def test_old_runs_are_pruned_but_the_published_months_keep_theirs(tmp_path, capsys):
    for day in ("2026-10-15", "2026-10-20", "2026-11-20"):
        run_on(tmp_path, day)
    output = tmp_path / "out"
    assert main(["prune-runs", "--output", str(output)]) == 0  # nothing is 24 months old yet
    assert "没有早于" in capsys.readouterr().out
    from industry_gap.warehouse import Warehouse

    store = Warehouse(f"sqlite:///{output / 'industry_gap.sqlite'}")
    try:
        months = published_months(store)
    finally:
        store.dispose()
    assert months == {"2026-10", "2026-11"}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=25 * 31)  # every run is now older than 24 months
    with dg.DagsterInstance.from_config(str(output / "dagster_home")) as instance:
        runs = {r.tags["industry_gap/run_date"]: r.run_id for r in instance.get_runs()}
        assert len(runs) == 3
        dry = prune_run_history(instance, months, now=later, dry_run=True)
        assert dry.deleted == [runs["2026-10-15"]] and len(instance.get_runs()) == 3
        assert "将删除 1 条" in dry.message(True)
        done = prune_run_history(instance, months, now=later)
        assert done.deleted == [runs["2026-10-15"]]
        assert sorted(done.kept_named) == sorted([runs["2026-10-20"], runs["2026-11-20"]])
        assert instance.get_run_by_id(runs["2026-10-15"]) is None
        assert not instance.all_logs(runs["2026-10-15"])  # its events went with it
        # both months keep their materialisation on the asset page
        assert instance.get_materialized_partitions(dg.AssetKey("office_workbooks")) == {"2026-10-01", "2026-11-01"}
        # without the warehouse's months, nothing protects them
        assert len(prune_run_history(instance, set(), now=later, dry_run=True).deleted) == 2
