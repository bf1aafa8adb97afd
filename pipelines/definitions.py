"""The one `Definitions` of the project, loaded by workspace.yaml."""

import dagster as dg

from assets.ingestion import ingestion_assets
from assets.warehouse import warehouse_tables
from pipelines.automation import full_refresh_job, inbox_sensor, nightly_schedule
from pipelines.resources import default_resources

all_assets = [*ingestion_assets, warehouse_tables]

defs = dg.Definitions(
    assets=all_assets,
    jobs=[full_refresh_job],
    schedules=[nightly_schedule],
    sensors=[inbox_sensor],
    resources=default_resources(),
)
