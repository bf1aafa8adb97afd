"""Which 基期 (baseline) a run's coverage is measured against.

In order of preference:

1. the plan's 基期 file: the run's own (``industry-gap run --baseline``), else the
   policy's ``[baseline] file`` (categories present when the plan was issued);
2. earlier runs: the coverage snapshot of the policy's ``[baseline] date``, else
   the baseline the earlier runs kept;
3. nothing: `coverage.resolve_baseline` then takes this run's coverage and says so.

Plain values in, a stored-style baseline table (or None) out: no Dagster here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from industry_gap.coverage import baseline_from_table, choose_baseline_run
from industry_gap.coverage_files import read_city_coverage
from industry_gap.earlier_runs import EarlierRuns
from industry_gap.errors import UserError
from industry_gap.policy import Policy


def plan_baseline_file(run_file: str, policy: Policy, sample_file: str = "") -> str:
    """The plan's 基期 coverage table: the run's own (--baseline) first, then the policy's [baseline] file,
    then the sample district's (only when the run reads the sample data)."""
    return run_file or policy.baseline_file or sample_file


def plan_baseline(path: str, policy: Policy) -> pd.DataFrame:
    """The 基期 file as a stored-style baseline, dated by the policy's baseline date or the plan's issue date."""
    if not Path(path).is_file():
        raise UserError(f"找不到规划基期文件“{path}”（政策文件 [baseline] file 或 --baseline）")
    table = read_city_coverage(Path(path))
    return baseline_from_table(table, baseline_date=policy.baseline_date or policy.issued, source=Path(path).name)


def stored_baseline(earlier: EarlierRuns, configured: dt.date | None) -> pd.DataFrame | None:
    """The baseline from earlier runs: the configured date's coverage, else the kept baseline."""
    runs = earlier.dates("coverage")
    if not runs:
        return None
    if configured is not None:
        chosen = choose_baseline_run(runs, configured)
        if chosen is not None and chosen <= configured:
            snapshot = earlier.read("coverage", chosen)
            snapshot["baseline_date"] = chosen.isoformat()
            snapshot["note"] = f"以{chosen.isoformat()}的门类覆盖快照为基期（配置日期 {configured.isoformat()}）"
            return snapshot
    return earlier.latest("baseline")


def chosen_baseline(run_file: str, policy: Policy, earlier: EarlierRuns, sample_file: str = "") -> pd.DataFrame | None:
    """The baseline for `coverage.resolve_baseline`: the plan's file when there is one, else earlier runs'."""
    path = plan_baseline_file(run_file, policy, sample_file)
    return plan_baseline(path, policy) if path else stored_baseline(earlier, policy.baseline_date)
