"""Monthly partitions of the 报送 assets: each month's lists are kept and visible in the UI.

The months run from the policy's issue month (plan.issued) to the current one
(end_offset=1: the month in progress has its partition, it is the one being
reported). The policy is the run's (`--policy`, INDUSTRY_GAP_POLICY), so the
partitions are built per run: `pipelines.definitions.build_definitions` gives the
monthly assets `report_months(settings.policy())`. The asset decorators carry
`REPORT_MONTHS`, the shipped policy's months, until then.
"""

import datetime as dt
from collections.abc import Sequence

import dagster as dg

from assets.resources import PipelineSettings
from industry_gap.policy import Policy, load_policy
from industry_gap.report_month import first_report_month, first_shown_month, month_key, resolve_report_date
from industry_gap.settings import DISTRICT_TIMEZONE, Settings, configured_run_date


def report_months(policy: Policy, start: str | None = None) -> dg.MonthlyPartitionsDefinition:
    """From `start` (a month key; default and earliest: the month `policy` was issued) to the current month."""
    first = first_report_month(policy)
    return dg.MonthlyPartitionsDefinition(
        start_date=max(start, first) if start else first, end_offset=1, timezone=DISTRICT_TIMEZONE.key
    )


def shown_report_months(settings: Settings, also: str | None = None) -> dg.MonthlyPartitionsDefinition:
    """The months a district's output shows: from its first reported month (or INDUSTRY_GAP_REPORT_FROM), so the
    months before the office began using the tool are not listed as missing; `also` (a run's own month) is
    always included."""
    policy = settings.policy()
    start = first_shown_month(
        policy, settings.output_dir, settings.report_from, dt.datetime.now(DISTRICT_TIMEZONE).date()
    )
    return report_months(policy, min(start, also) if also else start)


REPORT_MONTHS = report_months(load_policy(None))


def is_monthly(asset: dg.AssetsDefinition) -> bool:
    return isinstance(asset.partitions_def, dg.MonthlyPartitionsDefinition)


def with_report_months(
    assets: Sequence[dg.AssetsDefinition], months: dg.MonthlyPartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """`assets` with the monthly ones partitioned by `months` (the run's policy)."""
    return [
        asset.map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=months))
        if is_monthly(asset)
        else asset
        for asset in assets
    ]


def report_partition_key(day: dt.date) -> str:
    """The month partition a run on `day` reports for."""
    return month_key(day)


def report_run_date(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dt.date:
    """The run date of this month's report, checked against the chosen partition."""
    key = context.partition_key if context.has_partition_key else None
    configured = configured_run_date(settings.run_date)
    return resolve_report_date(key, configured, dt.datetime.now(DISTRICT_TIMEZONE).date(), settings.report_from)
