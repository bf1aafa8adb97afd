"""Runs of `industry-gap run` in the Dagster UI: a named job, tags that say which district, date, registry
file and model, and the run's summary on the run itself (issue 26, item 2)."""

from __future__ import annotations

import dagster as dg
import pytest

from classifiers.model import MODEL_VERSION
from industry_gap import run_tags as tags
from industry_gap.settings import Settings
from pipelines.runner import run_pipeline
from tests.factories import REGISTRY_HEADER, registry_row, write_csv

RUN_DATE = "2026-11-20"


@pytest.mark.slow  # a whole (small) pipeline run
def test_a_cli_run_is_a_named_job_with_tags_and_its_summary(tmp_path):
    # a file named after a mobile number: the tag carries the name masked, as every output does
    registry = write_csv(
        tmp_path / "规下名录_13812345678.csv",
        REGISTRY_HEADER,
        [
            registry_row(1, "鄂尔多斯市甲羊绒制品有限公司", "羊绒制品加工；针纺织品销售。", revenue="1900"),
            registry_row(2, "鄂尔多斯市乙水泥制品有限公司", "水泥制品制造；建材销售。", revenue="2150"),
        ],
    )
    settings = Settings(output_dir=str(tmp_path / "out"), run_date=RUN_DATE, registry=str(registry))
    outcome = run_pipeline(settings)
    with dg.DagsterInstance.from_config(str(tmp_path / "out" / "dagster_home")) as instance:
        [run] = instance.get_runs()
        assert run.job_name == "full_refresh"  # the UI's job of the same assets, not __ephemeral_asset_job__
        assert run.tags[tags.DISTRICT] == settings.policy().district
        assert run.tags[tags.RUN_DATE] == RUN_DATE
        assert run.tags[tags.REGISTRY].startswith("规下名录_") and "13812345678" not in run.tags[tags.REGISTRY]
        assert run.tags[tags.MODEL_VERSION] == MODEL_VERSION
        assert run.tags[tags.MODEL] == outcome.values["scope_model"].training_hash
        assert run.tags[tags.TRIGGER] == "cli"
        assert run.tags["dagster/partition"] == "2026-11-01"
        [summary] = [
            e.dagster_event.engine_event_data.metadata
            for e in instance.all_logs(run.run_id)
            if e.dagster_event is not None and (e.message or "").startswith("运行汇总")
        ]
        assert summary["规下企业（行）"].value == outcome.summary["enterprises_read"] == 2
        assert summary["运行汇总"].value["run_date"] == RUN_DATE


def test_the_sample_data_is_named_as_such(tmp_path):
    assert tags.registry_label(Settings()).startswith("样例数据")
    assert tags.registry_label(Settings(targets="目标.xlsx")) == "未提供"  # named files are never mixed with samples
