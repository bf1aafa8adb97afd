"""What every run of an output folder shares: its Dagster home, its run lock and its report month.

Used by the district run (`pipelines.runner`), the city run (`pipelines.city`) and the CLI
commands that open a folder's run history, so none of them imports another's module.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from assets.partitions import report_months, report_partition_key
from industry_gap.errors import UserError
from industry_gap.settings import Settings

RUN_LOCK_NAME = ".industry-gap-run.lock"
RUN_LOCK_TIMEOUT = 3 * 3600  # a queued run waits this long for the one before it
# A new output's Dagster home: no telemetry; ticks pruned as in deploy/dagster.yaml (runs: prune-runs)
DEFAULT_INSTANCE_CONFIG = """telemetry:
  enabled: false
retention:
  schedule:
    purge_after_days: 365
  sensor:
    purge_after_days:
      skipped: 7
      failure: 90
      success: 365
"""


def instance_home(output_dir: str) -> Path:
    """DAGSTER_HOME when set (shared with `dagster dev`), else <output>/dagster_home."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path(output_dir).resolve() / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DEFAULT_INSTANCE_CONFIG, encoding="utf-8")
    return home


def report_month_of(settings: Settings, months: dg.MonthlyPartitionsDefinition | None = None) -> str:
    """The monthly partition of the 报送 assets this run writes: the run date's month, which must lie
    between the plan's issue month (of the run's policy) and the current month."""
    run_date = settings.resolved_run_date()
    months = months or report_months(settings.policy())
    key = report_partition_key(run_date)
    if not months.has_partition_key(key):
        first = months.get_first_partition_key()
        if first is None:  # the plan's issue month has not come yet
            raise UserError(f"政策文件中的规划发布日期晚于本月，尚无可报送的月份（运行日期 {run_date.isoformat()}）")
        raise UserError(f"运行日期 {run_date.isoformat()} 不在可报送的月份内（自 {first[:7]} 起至本月）")
    return key
