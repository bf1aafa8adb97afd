"""The one `Definitions` of the project, loaded by workspace.yaml."""

import os

import dagster as dg

from assets.analysis import analysis_assets
from assets.changes import report_changes
from assets.city import city_assets
from assets.classification import classification_assets
from assets.ingestion import ingestion_assets
from assets.overrides import overrides
from assets.warehouse import office_workbooks, warehouse_tables
from pipelines.automation import full_refresh_job, inbox_sensor, nightly_schedule
from pipelines.city import city_district_job_def, city_summary_job_def
from assets.resources import default_resources

all_assets = [*ingestion_assets, overrides, *classification_assets, *analysis_assets, report_changes, warehouse_tables, office_workbooks]

defs = dg.Definitions(
    assets=[*all_assets, *city_assets],
    # INDUSTRY_GAP_CITY_EXECUTOR=celery sends the district steps launched from the UI to Celery workers
    jobs=[full_refresh_job, city_district_job_def(os.environ.get("INDUSTRY_GAP_CITY_EXECUTOR", "multiprocess")),
          city_summary_job_def],
    schedules=[nightly_schedule],
    sensors=[inbox_sensor],
    resources=default_resources(),
)
