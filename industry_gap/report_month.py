"""Report months: the office reports monthly (by the 20th), so each run belongs to one month.

A month is written as its first day, ``YYYY-MM-01`` (Dagster's monthly
partition keys). A run for a month uses the configured run date when it
lies in that month, else today when that month is the current one. A past
month cannot be redone with today's files by accident: it needs a run date
inside that month (and the files the office had then).
"""

from __future__ import annotations

import datetime as dt

from industry_gap.errors import UserError
from industry_gap.policy import Policy

FALLBACK_FIRST_MONTH = dt.date(2020, 1, 1)  # a policy without an issue date


def month_key(day: dt.date) -> str:
    """'2026-11-01' for any day in November 2026."""
    return f"{day:%Y-%m}-01"


def month_name(key: str) -> str:
    day = dt.date.fromisoformat(key)
    return f"{day.year}年{day.month}月"


def first_report_month(policy: Policy) -> str:
    """The month the plan was issued: the first month anyone reports for."""
    return month_key(policy.issued or FALLBACK_FIRST_MONTH)


def resolve_report_date(partition_key: str | None, configured: dt.date | None, today: dt.date) -> dt.date:
    """The run date of the report for month `partition_key`."""
    if partition_key is None:
        raise UserError("报送资产按月分区：请选择报送月份分区（例如本月）后再运行。")
    month = dt.date.fromisoformat(partition_key)
    if configured is not None:
        if (configured.year, configured.month) != (month.year, month.month):
            raise UserError(
                f"运行日期 {configured.isoformat()} 不在所选报送月份（{month_name(partition_key)}）内："
                f"请选择 {month_name(month_key(configured))} 分区，或把运行日期设为该月内的日期。"
            )
        return configured
    if (today.year, today.month) == (month.year, month.month):
        return today
    raise UserError(
        f"{month_name(partition_key)} 不是当前月份：补做往月报送会覆盖该月已报送的清单，"
        f"须在运行配置中指定该月内的运行日期（settings.run_date），并使用该月的输入文件。"
    )
