"""Monthly partitions of the 报送 assets, and the changes asset over two successive runs."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from openpyxl import load_workbook

from assets.partitions import REPORT_MONTHS
from industry_gap.errors import UserError
from industry_gap.policy import load_policy
from industry_gap.report_month import first_report_month, month_key, resolve_report_date
from industry_gap.settings import Settings
from industry_gap.warehouse import Warehouse
from pipelines.definitions import all_assets
from pipelines.definitions import defs as load_defs
from pipelines.runner import run_pipeline
from tests.factories import REGISTRY_HEADER, make_uscc, pipeline_resources, registry_row, write_csv

OCTOBER, NOVEMBER = "2026-10-01", "2026-11-01"
REPORT_ASSETS = {"report_changes", "warehouse_tables", "office_workbooks"}


def test_month_keys_and_the_first_month_come_from_the_policy():
    assert month_key(dt.date(2026, 11, 24)) == NOVEMBER
    policy = load_policy(None)
    assert first_report_month(policy) == f"{policy.issued:%Y-%m}-01"
    assert REPORT_MONTHS.get_first_partition_key() == first_report_month(policy)


def test_a_report_date_must_lie_in_its_month():
    today = dt.date(2026, 11, 24)
    with pytest.raises(UserError, match="请选择报送月份分区"):
        resolve_report_date(None, None, today)
    assert resolve_report_date(NOVEMBER, None, today) == today
    assert resolve_report_date(OCTOBER, dt.date(2026, 10, 15), today) == dt.date(2026, 10, 15)
    with pytest.raises(UserError, match="不在所选报送月份"):
        resolve_report_date(OCTOBER, dt.date(2026, 11, 20), today)
    with pytest.raises(UserError, match="2026年10月 不是当前月份"):
        resolve_report_date(OCTOBER, None, today)


def test_only_the_report_assets_are_partitioned_by_month():
    defs = load_defs()  # what Dagster loads: built by a function from the environment's settings
    months = defs.resolve_job_def("full_refresh").partitions_def
    assert isinstance(months, dg.MonthlyPartitionsDefinition)  # from the output's first month (issue 26)
    by_month = {
        node.key.to_user_string() for node in defs.resolve_asset_graph().asset_nodes if node.partitions_def == months
    }
    by_district = {
        node.key.to_user_string()
        for node in defs.resolve_asset_graph().asset_nodes
        if node.partitions_def is not None and node.partitions_def != months
    }
    assert by_month == REPORT_ASSETS
    assert by_district == {
        "district_inputs",
        "district_labels",
        "district_classified",
        "district_coverage",
    }  # the city run


def registry_file(path, *, month: str):
    """Three industrial firms; in November one more appears and one crosses the threshold."""
    rows = [
        registry_row(1, "鄂尔多斯市甲羊绒制品有限公司", "羊绒制品加工；针纺织品销售。", revenue="1900"),
        registry_row(
            2,
            "鄂尔多斯市乙水泥制品有限公司",
            "水泥制品制造；建材销售。",
            revenue="1700" if month == OCTOBER else "2150",
        ),
        registry_row(3, "鄂尔多斯市丙商贸有限公司", "日用百货、五金交电销售。", revenue="300"),
    ]
    if month == NOVEMBER:
        rows.append(
            registry_row(4, "鄂尔多斯市丁铸件有限公司", "铸铁管件、阀门铸件制造；五金产品销售。", revenue="1800")
        )
    return write_csv(path, REGISTRY_HEADER, rows)


def run_month(instance, tmp_path, database_url, month: str, run_date: str):
    registry = registry_file(tmp_path / f"registry_{month[:7]}.csv", month=month)
    resources = pipeline_resources(tmp_path / "out", database_url, registry=registry, run_date=run_date)
    return dg.materialize(all_assets, resources=resources, instance=instance, partition_key=month)


@pytest.mark.slow
def test_two_months_are_kept_and_the_second_lists_what_changed(tmp_path, database_url):
    with dg.instance_for_test() as instance:
        october = run_month(instance, tmp_path, database_url, OCTOBER, "2026-10-15")
        assert october.success
        assert october.output_for_node("report_changes").empty  # the first run has nothing to compare
        november = run_month(instance, tmp_path, database_url, NOVEMBER, "2026-11-20")
        assert november.success

        for name in ("office_workbooks", "warehouse_tables", "report_changes"):
            assert instance.get_materialized_partitions(dg.AssetKey(name)) == {OCTOBER, NOVEMBER}
        unpartitioned = instance.get_latest_materialization_event(dg.AssetKey("coverage"))
        assert unpartitioned.asset_materialization.partition is None

    exports = tmp_path / "out" / "exports"
    assert (exports / "2026-10" / "扩增工业门类清单_汇总_2026-10.xlsx").stat().st_size > 0
    assert (exports / "2026-11" / "扩增工业门类清单_汇总_2026-11.xlsx").stat().st_size > 0
    store = Warehouse(database_url)
    try:
        assert store.run_dates("candidates") == [dt.date(2026, 10, 15), dt.date(2026, 11, 20)]
        assert len(store.read("candidates", dt.date(2026, 10, 15))) == 3  # October's list is kept
    finally:
        store.dispose()

    changes = november.output_for_node("report_changes")
    new_firm, crossed = make_uscc(4), make_uscc(2)
    kinds = {(row.change_kind, row.uscc) for row in changes.itertuples()}
    assert ("new_candidate", new_firm) in kinds
    assert ("stage_up", crossed) in kinds
    assert not any(uscc == make_uscc(3) for _, uscc in kinds)  # a shop: never a candidate

    # 本月变化 is in the working book (工作底稿), with the other lists the office works on
    workbook = load_workbook(exports / "2026-11" / "扩增工业门类工作底稿_2026-11.xlsx", read_only=True)
    sheet_text = [str(cell) for row in workbook["本月变化"].iter_rows(values_only=True) for cell in row if cell]
    workbook.close()
    assert new_firm in sheet_text and "新增候选企业" in sheet_text and "阶段提升" in sheet_text


@pytest.mark.slow
def test_a_run_date_outside_the_chosen_month_fails_the_report(tmp_path):
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            all_assets,
            instance=instance,
            partition_key=OCTOBER,
            raise_on_error=False,
            resources=pipeline_resources(
                tmp_path / "out",
                f"sqlite:///{tmp_path / 'w.sqlite'}",
                registry=registry_file(tmp_path / "r.csv", month=OCTOBER),
                run_date="2026-11-20",
            ),
        )
    assert not result.success
    failures = [event.step_key for event in result.get_step_failure_events()]
    assert failures == ["report_changes"]
    message = result.get_step_failure_events()[0].event_specific_data.error.to_string()
    assert "不在所选报送月份" in message
    assert not (tmp_path / "out" / "exports").exists()


def test_the_command_refuses_a_month_before_the_plan(tmp_path):
    with pytest.raises(UserError, match="不在可报送的月份内"):
        run_pipeline(Settings(output_dir=str(tmp_path), run_date="2019-05-01"))
    with pytest.raises(UserError, match="无法识别"):
        run_pipeline(Settings(output_dir=str(tmp_path), run_date="2026-13-01"))


def policy_issued_in_march_2022(tmp_path):
    """The shipped policy file with plan.issued set to 2022-03-08 (a district whose plan is older)."""
    from industry_gap.policy import DEFAULT_POLICY_PATH

    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert "issued = 2023-01-12" in text
    path = tmp_path / "plan_2022.toml"
    path.write_text(text.replace("issued = 2023-01-12", "issued = 2022-03-08"), encoding="utf-8")
    return path


def test_the_partitions_come_from_the_runs_policy(tmp_path):
    from pipelines.definitions import build_definitions

    policy = policy_issued_in_march_2022(tmp_path)
    built = build_definitions(Settings(policy_file=str(policy), report_from="2020-01"))  # backfill from the start
    months = built.resolve_job_def("full_refresh").partitions_def
    assert months.get_first_partition_key() == "2022-03-01"  # never before the plan's issue month
    assert {
        node.key.to_user_string() for node in built.resolve_asset_graph().asset_nodes if node.partitions_def == months
    } == REPORT_ASSETS
    with pytest.raises(UserError, match="自 2022-03 起"):
        run_pipeline(Settings(output_dir=str(tmp_path / "out"), run_date="2022-02-28", policy_file=str(policy)))


@pytest.mark.slow
def test_a_plan_issued_in_march_2022_reports_for_june_2022(tmp_path):
    """`--policy` reaches the monthly partitions: the run date is checked against that plan, not the shipped one."""
    from pipelines.cli import main

    policy = policy_issued_in_march_2022(tmp_path)
    output = tmp_path / "out"
    assert main(["run", "--policy", str(policy), "--run-date", "2022-06-15", "--output", str(output), "--quiet"]) == 0
    assert sorted(p.name for p in (output / "exports").iterdir() if not p.name.startswith(".")) == ["2022-06"]
    store = Warehouse(f"sqlite:///{output / 'industry_gap.sqlite'}")
    try:
        assert store.run_dates("candidates") == [dt.date(2022, 6, 15)]
    finally:
        store.dispose()


def test_a_plan_issued_in_a_future_month_is_said_in_chinese(tmp_path):
    from industry_gap.policy import DEFAULT_POLICY_PATH
    from pipelines.instance import report_month_of

    future = dt.date.today() + dt.timedelta(days=70)
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8").replace("issued = 2023-01-12", f"issued = {future}")
    text = text.replace("deadline = 2025-12-31", f"deadline = {future.year + 3}-12-31")  # after the issue date
    policy = tmp_path / "future.toml"
    policy.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match="规划发布日期晚于本月"):
        report_month_of(Settings(policy_file=str(policy)))
