"""The one `Definitions` of the project, loaded by workspace.yaml.

`build_definitions(settings)` makes it for a settings object: `defs` below is
the one `dagster dev`, the schedule and the sensor use, built when Dagster loads
the code location (not at import) from the settings of the code server's
environment. `industry-gap run` (`pipelines.runner`) materialises `all_assets`
with the months of its own `--policy` the same way.
"""

import dagster as dg

from assets.analysis import analysis_assets
from assets.changes import report_changes
from assets.city import city_assets
from assets.classification import classification_assets
from assets.ingestion import ingestion_assets
from assets.overrides import overrides
from assets.partitions import shown_report_months, with_report_months
from assets.resources import default_resources
from assets.warehouse import office_workbooks, warehouse_tables
from industry_gap.errors import UserError
from industry_gap.settings import Settings, environment_settings
from pipelines.automation import full_refresh_job, inbox_sensor, nightly_schedule
from pipelines.city import city_district_job_def, city_inputs_job_def, city_model_job_def, city_summary_job_def
from pipelines.code_versions import with_derived_code_versions

# The district's graph in step order; the 报送 assets carry placeholder months until `report_assets`.
# Code versions are hashes of the source each asset runs (`pipelines.code_versions`).
all_assets = with_derived_code_versions(
    [
        *ingestion_assets,
        overrides,
        *classification_assets,
        *analysis_assets,
        report_changes,
        warehouse_tables,
        office_workbooks,
    ]
)


def report_assets(settings: Settings) -> list[dg.AssetsDefinition]:
    """The district's graph with the monthly partitions the output shows: from its first reported month
    (INDUSTRY_GAP_REPORT_FROM for a backfill), never before the policy's issue month."""
    return with_report_months(all_assets, shown_report_months(settings))


def _loadable(settings: Settings) -> list[dg.AssetsDefinition]:
    """The UI's graph: an unreadable policy file is reported by the run that reads it, not at load."""
    try:
        return report_assets(settings)
    except UserError:
        return all_assets


def build_definitions(settings: Settings) -> dg.Definitions:
    return dg.Definitions(
        assets=[*_loadable(settings), *with_derived_code_versions(city_assets)],
        # INDUSTRY_GAP_CITY_EXECUTOR=celery sends the district steps launched from the UI to Celery workers
        jobs=[
            full_refresh_job,
            city_inputs_job_def(settings.city_executor),
            city_model_job_def(settings.city_executor),
            city_district_job_def(settings.city_executor),
            city_summary_job_def,
        ],
        schedules=[nightly_schedule],
        sensors=[inbox_sensor],
        resources=default_resources(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What `dagster dev` and `dg` load: the definitions of this process's environment settings."""
    return build_definitions(environment_settings())
