"""Materialise the ingestion assets and the warehouse write on small real files."""

from __future__ import annotations

import dataclasses
import datetime as dt

import dagster as dg
import pandas as pd
import pytest

from assets.ingestion import empty_result, row_accounting_result
from industry_gap.ingest import ingest_file
from industry_gap.warehouse import Warehouse
from pipelines.definitions import all_assets
from tests.factories import pipeline_resources, small_registry


def materialize(registry_path, database_url, tmp_path, run_date="2026-11-20"):
    resources = pipeline_resources(tmp_path / "out", database_url, registry=registry_path, run_date=run_date)
    return dg.materialize(all_assets, resources=resources, raise_on_error=False, partition_key=f"{run_date[:7]}-01")


@pytest.mark.slow
def test_the_whole_graph_writes_every_row_somewhere(tmp_path, database_url):
    path = small_registry(tmp_path / "registry.csv")
    result = materialize(path, database_url, tmp_path)
    assert result.success
    checks = {c.check_name: c for c in result.get_asset_check_evaluations() if c.asset_key.path == ["registry"]}
    assert checks["row_accounting"].passed
    assert not checks["valid_uscc_share"].passed  # 1 of 9 rows has a bad USCC: below the 95% floor

    store = Warehouse(database_url)
    day = dt.date(2026, 11, 20)
    accounting = store.read("row_accounting", day).set_index("dataset")
    assert accounting.loc["registry", "rows_in"] == 9
    assert accounting.loc["registry", "clean"] == 5
    assert accounting.loc["registry", "quarantined"] == 2
    assert accounting.loc["registry", "set_aside"] == 2
    quarantine = store.read("quarantine", day)
    assert set(quarantine["column"]) == {"统一社会信用代码", "经营范围"}
    assert quarantine["reason"].str.len().min() > 0
    assert store.count("registry", day) == 5

    # running the same date again replaces, never doubles
    assert materialize(path, database_url, tmp_path).success
    assert store.count("registry", day) == 5
    assert store.count("quarantine", day) == 2
    store.dispose()


def test_row_accounting_check_fails_when_a_row_goes_missing(tmp_path):
    result = ingest_file(small_registry(tmp_path / "registry.csv"), "registry")
    assert row_accounting_result(result).passed
    result.clean = result.clean.iloc[1:]  # a bug that drops one clean row
    evaluation = row_accounting_result(result)
    assert not evaluation.passed
    assert "1" in evaluation.description


def test_a_blocking_failure_stops_the_warehouse_write(tmp_path):
    """The blocking check is wired: downstream never runs on a failed accounting."""

    @dg.asset(name="registry", check_specs=[dg.AssetCheckSpec("row_accounting", asset="registry", blocking=True)])
    def leaky_registry():
        result = ingest_file(small_registry(tmp_path / "registry.csv"), "registry")
        result.clean = result.clean.iloc[1:]
        yield dg.Output(result)
        yield row_accounting_result(result)

    stubs = [a for a in all_assets if a.key.to_user_string() not in {"registry"}]
    outcome = dg.materialize(
        [leaky_registry, *stubs],
        resources=pipeline_resources(tmp_path / "out", f"sqlite:///{tmp_path / 'w.sqlite'}", run_date="2026-11-20"),
        raise_on_error=False,
        partition_key="2026-11-01",
    )
    assert not outcome.success
    assert [event.step_key for event in outcome.get_step_failure_events()] == ["registry"]
    assert Warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}").count("registry") == 0


def test_empty_result_for_inputs_not_provided():
    result = empty_result("projects")
    assert result.accounting()["in"] == 0
    assert isinstance(result.clean, pd.DataFrame) and result.clean.empty


def test_registry_main_activity_is_read_and_classified_with_the_scope(tmp_path):
    """The statistical register's 主要业务活动 is optional; when filled it joins the scope for classifying."""
    from assets.classification import classified_registry
    from assets.resources import ModelSettings
    from classifiers import load_default_model
    from industry_gap.review import OverrideSet
    from industry_gap.review.columns import OVERRIDE_COLUMNS
    from tests.factories import REGISTRY_HEADER, registry_row, write_csv

    rows = [
        registry_row(1, "鄂尔多斯市甲有限公司", "技术服务；货物进出口。") + ["汽车座椅制造"],
        registry_row(2, "鄂尔多斯市乙有限公司", "软件开发；信息技术咨询服务。") + [""],
    ]
    path = write_csv(tmp_path / "registry.csv", REGISTRY_HEADER + ["主营业务活动"], rows)
    registry = ingest_file(path, "registry")
    assert registry.clean["main_activity"].tolist() == ["汽车座椅制造", ""]
    assert ingest_file(small_registry(tmp_path / "plain.csv"), "registry").clean["main_activity"].eq("").all()

    def classify(result):
        return classified_registry(
            dg.build_asset_context(),
            scope_model=load_default_model(),
            registry=result,
            overrides=OverrideSet(accepted=pd.DataFrame(columns=OVERRIDE_COLUMNS)),
            model_settings=ModelSettings(workers=1),
        )

    classified = classify(registry)
    assert list(classified.columns[: len(registry.clean.columns)]) == list(registry.clean.columns)
    assert "_classified_text" not in classified.columns
    assert classified["pred_division"].tolist() == ["36", "65"]
    without = classify(dataclasses.replace(registry, clean=registry.clean.assign(main_activity="")))
    assert without.loc[0, "pred_division"] != "36"  # the scope alone says nothing about the industry
