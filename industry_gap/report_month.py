"""Report months: the office reports monthly (by the 20th), so each run belongs to one month.

A month is written as its first day, ``YYYY-MM-01`` (Dagster's monthly
partition keys). A run for a month uses the configured run date when it
lies in that month, else today when that month is the current one. A past
month cannot be redone with today's files by accident: it needs a run date
inside that month (and the files the office had then).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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


def parse_report_from(text: str) -> str | None:
    """The month a backfill starts from ('2024-03' or '2024-03-15' → '2024-03-01'); None when empty."""
    if not text:
        return None
    try:
        return month_key(dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01"))
    except ValueError:
        raise UserError(f"补报起始月份“{text}”无法识别，请写作 YYYY-MM（INDUSTRY_GAP_REPORT_FROM）") from None


def last_day_of(partition_key: str) -> dt.date:
    month = dt.date.fromisoformat(partition_key)
    following = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    return following - dt.timedelta(days=1)


def first_shown_month(policy: Policy, output_dir: str | Path, report_from: str, today: dt.date) -> str:
    """The first monthly partition the UI shows: months before it are not "missing", they were never due.

    `report_from` (an office with the past months' files, backfilling them) wins; else the first month
    this output folder reported for (its oldest exports/YYYY-MM folder); else the current month. Never
    before the plan's issue month."""
    issued = first_report_month(policy)
    start = parse_report_from(report_from)
    if start is None:
        reported = sorted(
            f"{p.name}-01" for p in (Path(output_dir) / "exports").glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]") if p.is_dir()
        )
        start = reported[0] if reported else month_key(today)
    return max(start, issued)


def resolve_report_date(
    partition_key: str | None, configured: dt.date | None, today: dt.date, report_from: str = ""
) -> dt.date:
    """The run date of the report for month `partition_key`.

    A past month without a configured run date is a backfill: allowed from the month `report_from` names
    (the office has those months' files, e.g. input paths with {month}), run as of the month's last day."""
    if partition_key is None:
        raise UserError("报送资产按月分区：请选择报送月份分区（例如本月）后再运行。")
    month = dt.date.fromisoformat(partition_key)
    start = parse_report_from(report_from)
    if configured is None and start is not None and start <= partition_key < month_key(today):
        return last_day_of(partition_key)
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
        f"须在运行配置中指定该月内的运行日期（settings.run_date），并使用该月的输入文件；"
        f"有往月输入文件的单位可设 INDUSTRY_GAP_REPORT_FROM=YYYY-MM 后在界面中批量补报（backfill）。"
    )
