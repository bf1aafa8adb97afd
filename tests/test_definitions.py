"""The one Definitions loads, validates through workspace.yaml, and holds the expected graph."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.definitions import defs as load_defs

defs = load_defs()  # the definitions Dagster loads (built by a function, not at import)

REPO_ROOT = Path(__file__).resolve().parents[1]

EXPECTED_GROUPS = {
    "ingest": {"registry", "above_scale", "targets", "projects", "overrides"},
    "classify": {"scope_model", "classified_registry", "classified_projects"},
    "analyse": {"coverage", "gap_flags", "project_assessment", "entry_candidates", "reward_estimates", "review_list"},
    "report": {"report_changes", "warehouse_tables", "office_workbooks"},
    "city": {
        "district_inputs",
        "district_labels",
        "city_office_model",
        "district_classified",
        "district_coverage",
        "city_coverage",
    },
}


def test_assets_are_grouped_and_described() -> None:
    graph = defs.resolve_asset_graph()
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        groups.setdefault(node.group_name, set()).add(key.to_user_string())
        assert node.description and any("\u4e00" <= ch <= "\u9fff" for ch in node.description), key
    assert groups == EXPECTED_GROUPS


def test_row_accounting_checks_are_blocking():
    graph = defs.resolve_asset_graph()
    specs = {key.to_user_string(): graph.get_check_spec(key) for key in graph.asset_check_keys}
    accounting = {name: spec for name, spec in specs.items() if name.endswith("row_accounting")}
    assert len(accounting) == 5  # four district inputs and the city's district_inputs
    assert all(spec.blocking for spec in accounting.values())


def test_city_jobs_are_partitioned_by_district_and_kept_apart_from_the_district_graph():
    districts = defs.resolve_job_def("city_districts")
    assert districts.partitions_def.name == "city_district"
    assert districts.executor_def.name == "multiprocess"
    assert {k.to_user_string() for k in defs.resolve_job_def("city_summary").asset_layer.executable_asset_keys} == {
        "city_coverage"
    }
    full = {k.to_user_string() for k in defs.resolve_job_def("full_refresh").asset_layer.executable_asset_keys}
    assert not full & EXPECTED_GROUPS["city"] and EXPECTED_GROUPS["analyse"] <= full


def test_schedule_and_sensor_are_defined():
    assert defs.resolve_schedule_def("nightly_schedule").execution_timezone == "Asia/Shanghai"
    assert defs.resolve_schedule_def("nightly_schedule").cron_schedule == "0 2 * * *"
    assert defs.resolve_sensor_def("inbox_sensor") is not None


@pytest.mark.slow
def test_dagster_definitions_validate_through_workspace(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    dagster = Path(sys.executable).with_name("dagster")
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Validation successful" in completed.stdout + completed.stderr
