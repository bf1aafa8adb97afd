"""The documented production instance (deploy/dagster.yaml) against the real PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import all_assets
from tests.conftest import _drop_schema, _postgres_schema_url
from tests.factories import pipeline_resources, small_registry

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.postgres
def test_ingestion_runs_with_postgres_instance_storage(tmp_path, monkeypatch):
    url, schema = _postgres_schema_url()
    try:
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
        monkeypatch.setenv("DAGSTER_PG_URL", url.replace("postgresql+psycopg://", "postgresql+psycopg2://"))
        registry = small_registry(tmp_path / "registry.csv")
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert "Postgres" in type(instance.run_storage).__name__
            result = dg.materialize(
                all_assets,
                instance=instance,
                selection=dg.AssetSelection.groups("ingest"),
                resources=pipeline_resources(tmp_path / "out", f"sqlite:///{tmp_path / 'w.sqlite'}", registry=registry),
            )
            assert result.success
            runs = instance.get_runs()
            assert len(runs) == 1 and runs[0].status == dg.DagsterRunStatus.SUCCESS
            evaluations = result.get_asset_check_evaluations()
            assert evaluations and all(e.passed for e in evaluations if e.check_name == "row_accounting")
    finally:
        _drop_schema(schema)
