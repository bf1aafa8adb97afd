"""The overrides (人工核定) in force for one run: the kept ones merged with this run's filled file.

The classification steps pin these codes; the warehouse keeps ``accepted`` for
the next run and puts ``rejected`` in the quarantine table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from industry_gap.gaps import project_ids
from industry_gap.review.columns import REJECTED_COLUMNS
from industry_gap.review.merging import conform_overrides, merge_overrides
from industry_gap.review.overrides import read_overrides
from industry_gap.review.pinning import unmatched_overrides


@dataclass
class OverrideSet:
    """All overrides in force this run, and what was refused or noted on the way."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))
    messages: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> pd.DataFrame:
        return self.accepted[self.accepted["entity_kind"] == kind]

    def quarantine_rows(self) -> pd.DataFrame:
        """Refused lines in the shape of the quarantine table."""
        frame = self.rejected
        return pd.DataFrame(
            {
                "dataset": "overrides",
                "file": frame["source_file"],
                "row": frame["source_row"],
                "column": frame["column"],
                "value": frame["value"],
                "reason": frame["reason"],
            }
        )


def overrides_in_force(
    stored: pd.DataFrame | None,
    filled: Path | None,
    registry: pd.DataFrame,
    projects: pd.DataFrame,
    run_date: dt.date | None = None,
) -> OverrideSet:
    """`stored` (those kept so far) merged with the `filled` review file, newest 核定日期 winning.

    A line dated after `run_date` (or after today) is refused.

    Overrides for firms or projects not in this run's `registry`/`projects` are
    kept (a firm may come back) and said in the messages.
    """
    usccs = set(registry["uscc"])
    entity_ids = set(project_ids(projects)) if len(projects) else set()
    result = OverrideSet(accepted=conform_overrides(stored))
    if filled:
        read = read_overrides(filled, usccs, entity_ids, run_date=run_date)
        merged, merge_notes = merge_overrides(stored, read.accepted)
        result = OverrideSet(
            accepted=merged, rejected=read.rejected, messages=[read.summary, *read.messages, *merge_notes]
        )
    result.messages += unmatched_overrides(result.accepted, usccs, entity_ids)
    return result
