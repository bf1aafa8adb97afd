"""What earlier runs left in the warehouse: the one way a run reads the runs before it.

A run's own tables are written once, at the end (`Warehouse.replace_run`); a
few steps also depend on what *earlier* runs stored, and they read it only
through `EarlierRuns`, so that dependency shows in one place:

* ``coverage``: the baseline when the plan gives no 基期 file (`baseline.stored_baseline`),
  and the previous run's coverage and 规上 list for the no_silent_decrease check;
* ``overrides``: the reviewed codes (人工核定) kept so far (`kept_overrides`): the latest
  earlier run's, and also this date's own, since reviews accumulate across reruns of one
  date as across dates (a second review file on the same day must not drop the first's);
* ``report_changes``: the previous run and last month's final run (sheet 本月变化).

Otherwise only dates strictly before the run's own are visible: rerunning a date replaces
that date's rows, so it must compare with the runs before it, never with itself.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from industry_gap.changes import RunSnapshot, choose_comparison_dates
from industry_gap.review.merging import merge_overrides
from industry_gap.warehouse import Warehouse


class EarlierRuns:
    """The warehouse's runs dated before `run_date`. The store is the run's (the warehouse resource
    opens and disposes it), so leaving the context does not close it."""

    def __init__(self, store: Warehouse, run_date: dt.date):
        self.store = store
        self.run_date = run_date

    def __enter__(self) -> EarlierRuns:
        return self

    def __exit__(self, *_exc) -> None:
        return None

    def dates(self, table: str) -> list[dt.date]:
        """Run dates before this run's that stored `table`, oldest first."""
        return [day for day in self.store.run_dates(table) if day < self.run_date]

    def read(self, table: str, run_date: dt.date) -> pd.DataFrame:
        """`table` as the earlier run of `run_date` stored it."""
        if run_date >= self.run_date:
            raise ValueError(f"{run_date} is not before this run ({self.run_date})")
        return self.store.read(table, run_date)

    def latest(self, table: str) -> pd.DataFrame | None:
        """`table` of the latest earlier run that stored it; None on the first run."""
        dates = self.dates(table)
        return self.read(table, dates[-1]) if dates else None

    def kept_overrides(self) -> pd.DataFrame | None:
        """The overrides (人工核定) in force before this run reads its review file: the latest earlier
        run's, merged with those an earlier run of this same date stored (newest 核定日期 wins, ties
        to the same date's). None when no run stored any."""
        earlier = self.latest("overrides")
        if self.run_date not in self.store.run_dates("overrides"):
            return earlier
        own = self.store.read("overrides", self.run_date)
        merged, _ = merge_overrides(earlier, own)  # both were reported when they were read
        return merged

    def previous_coverage(self) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """Coverage and 规上 list of the latest earlier run, or None on the first run."""
        dates = self.dates("coverage")
        if not dates:
            return None
        return self.read("coverage", dates[-1]), self.read("above_scale", dates[-1])

    def snapshot(self, run_date: dt.date | None) -> RunSnapshot | None:
        """One earlier run as `changes.monthly_changes` compares with it; None when there is no such run."""
        if run_date is None:
            return None
        return RunSnapshot(
            run_date=run_date,
            candidates=self.read("candidates", run_date),
            coverage=self.read("coverage", run_date),
            above_scale=self.read("above_scale", run_date),
        )

    def comparison_snapshots(self) -> tuple[RunSnapshot | None, RunSnapshot | None]:
        """(the previous run, last month's final run), as `changes.choose_comparison_dates` picks them."""
        previous, month = choose_comparison_dates(self.dates("candidates"), self.run_date)
        return self.snapshot(previous), self.snapshot(month)
