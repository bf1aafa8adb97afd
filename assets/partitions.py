"""Monthly partitions of the 报送 assets: each month's lists are kept and visible in the UI."""

import datetime as dt
import os

import dagster as dg

from industry_gap.errors import UserError
from industry_gap.policy import load_policy
from industry_gap.report_month import FALLBACK_FIRST_MONTH, first_report_month, month_key, resolve_report_date
from assets.resources import DISTRICT_TIMEZONE, PipelineSettings



def _first_month() -> str:
    """The plan's issue month; an unreadable policy file is reported by the run, not at load."""
    try:
        return first_report_month(load_policy(os.environ.get("INDUSTRY_GAP_POLICY") or None))
    except UserError:
        return month_key(FALLBACK_FIRST_MONTH)


# From the month the plan was issued (the policy file's plan.issued) to the current month
# (end_offset=1: the month in progress has its partition, it is the one being reported).
REPORT_MONTHS = dg.MonthlyPartitionsDefinition(
    start_date=_first_month(), end_offset=1, timezone=DISTRICT_TIMEZONE.key,
)


def report_partition_key(day: dt.date) -> str:
    """The month partition a run on `day` reports for."""
    return month_key(day)


def report_run_date(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dt.date:
    """The run date of this month's report, checked against the chosen partition."""
    key = context.partition_key if context.has_partition_key else None
    configured = dt.date.fromisoformat(settings.run_date) if settings.run_date else None
    return resolve_report_date(key, configured, dt.datetime.now(DISTRICT_TIMEZONE).date())
