"""The one `Definitions` of the project, loaded by workspace.yaml."""

import dagster as dg

from assets.analysis import analysis_assets
from assets.changes import report_changes
from assets.classification import classification_assets
from assets.ingestion import ingestion_assets
from assets.overrides import overrides
from assets.warehouse import office_workbooks, warehouse_tables
from pipelines.automation import full_refresh_job, inbox_sensor, nightly_schedule
from pipelines.resources import default_resources

all_assets = [*ingestion_assets, overrides, *classification_assets, *analysis_assets, report_changes, warehouse_tables, office_workbooks]

defs = dg.Definitions(
    assets=all_assets,
    jobs=[full_refresh_job],
    schedules=[nightly_schedule],
    sensors=[inbox_sensor],
    resources=default_resources(),
)
