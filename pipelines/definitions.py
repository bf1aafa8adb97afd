"""The one `Definitions` of the project, loaded by workspace.yaml."""

from __future__ import annotations

import dagster as dg

from assets.ingestion import ingestion_assets
from assets.warehouse import warehouse_tables
from pipelines.resources import default_resources

all_assets = [*ingestion_assets, warehouse_tables]

defs = dg.Definitions(
    assets=all_assets,
    resources=default_resources(),
)
