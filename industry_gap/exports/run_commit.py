"""The end of a run in one place: its tables, gathered in one typed object, committed together.

A run ends in two steps (the assets ``office_workbooks`` and ``warehouse_tables`` call these):

1. `stage_workbooks`: the office's workbooks (附件4/附件5, the review workbook, the brief …) are
   written into a staging folder of the report month and sealed;
2. `commit_run`: every table of the run goes into the warehouse in one transaction, with the
   staged workbooks' manifest, and the staged folder is swapped in as exports/YYYY-MM/.

So the database rows and the workbooks change together: a run killed between the two leaves a
staged folder that the next run swaps in (or drops) from the committed manifest
(`industry_gap.exports.publishing.recover_exports`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from industry_gap.coverage import CoverageState
from industry_gap.exports.publishing import (
    month_of,
    open_staging,
    publish,
    published_folder,
    seal,
    staged_manifest,
    staging_folder,
)
from industry_gap.exports.workbooks import ExportPaths, write_exports
from industry_gap.ingest import IngestResult
from industry_gap.locking import exclusive_lock
from industry_gap.policy import Policy
from industry_gap.privacy import safe_for_output
from industry_gap.review import OverrideSet, write_review_workbook
from industry_gap.rewards import RewardEstimate
from industry_gap.warehouse import CLASSIFICATION_COLUMNS, Warehouse


@dataclass(frozen=True)
class ReportTables:
    """What the office's workbooks show."""

    targets: IngestResult
    coverage: CoverageState
    project_assessment: pd.DataFrame
    entry_candidates: pd.DataFrame
    reward_estimates: RewardEstimate
    review_list: pd.DataFrame
    report_changes: pd.DataFrame


@dataclass(frozen=True)
class RunTables:
    """Everything a run stores: the report's tables and the rows behind them."""

    report: ReportTables
    registry: IngestResult
    above_scale: IngestResult
    projects: IngestResult
    overrides: OverrideSet
    classified_registry: pd.DataFrame
    gap_flags: pd.DataFrame

    def ingest_results(self) -> list[IngestResult]:
        return [self.registry, self.above_scale, self.report.targets, self.projects]

    def frames(self) -> dict[str, pd.DataFrame]:
        """The warehouse's tables of this run (each safe for output), by table name."""
        results, report = self.ingest_results(), self.report
        frames = {
            "registry": self.registry.rows,
            "above_scale": self.above_scale.rows,
            "targets": report.targets.rows,
            "projects": self.projects.rows,
            "quarantine": pd.concat(
                [combined(results, "quarantine"), self.overrides.quarantine_rows()], ignore_index=True
            ),
            "overrides": self.overrides.accepted,
            "set_aside": combined(results, "set_aside"),
            "row_accounting": accounting_frame(results),
            "classifications": self.classified_registry[CLASSIFICATION_COLUMNS],
            "enterprise_codes": report.coverage.enterprise_codes,
            "coverage": report.coverage.coverage,
            "baseline": report.coverage.baseline,
            "progress": report.coverage.progress,
            "gaps": self.gap_flags,
            "project_assessment": report.project_assessment,
            "candidates": report.entry_candidates,
            "rewards": report.reward_estimates.rewards,
            "review_list": report.review_list,
            "changes": report.report_changes,
        }
        return {name: safe_for_output(frame) for name, frame in frames.items()}


def combined(results: list[IngestResult], part: str) -> pd.DataFrame:
    """Concatenate one part (quarantine / set_aside) of several results."""
    frames = [getattr(r, part) for r in results if len(getattr(r, part))]
    if not frames:
        return getattr(results[0], part).iloc[0:0]
    return pd.concat(frames, ignore_index=True)


def accounting_frame(results: list[IngestResult]) -> pd.DataFrame:
    """One row per input file: rows read = clean + quarantined + set aside."""
    rows = []
    for result in results:
        counts = result.accounting()
        rows.append(
            {
                "dataset": result.dataset,
                "file": result.file,
                "rows_in": counts["in"],
                "clean": counts["clean"],
                "quarantined": counts["quarantined"],
                "set_aside": counts["set_aside"],
            }
        )
    return pd.DataFrame(rows)


def review_workbook_name(run_date: dt.date) -> str:
    """复核清单_YYYY-MM.xlsx: fill it in and drop it in the inbox (or pass --overrides)."""
    return f"复核清单_{run_date:%Y-%m}.xlsx"


@dataclass(frozen=True)
class StagedWorkbooks:
    """The month's workbooks in their staging folder (`staged`) and where they will be once swapped in."""

    staged: ExportPaths
    staging: Path
    final: ExportPaths


def stage_workbooks(
    report: ReportTables, policy: Policy, run_date: dt.date, output_root: Path, run_id: str
) -> StagedWorkbooks:
    """Write the month's workbooks into a new staging folder and seal it (the caller holds the exports lock)."""
    month = month_of(run_date)
    token, staging = open_staging(output_root, month, run_id)
    review = safe_for_output(report.review_list)
    review_path = write_review_workbook(
        review, staging / review_workbook_name(run_date), run_date, district=policy.district
    )
    staged = write_exports(
        projects=safe_for_output(report.project_assessment),
        candidates=safe_for_output(report.entry_candidates),
        rewards=safe_for_output(report.reward_estimates.rewards),
        progress=report.coverage.progress,
        divisions=report.coverage.divisions,
        review=review,
        policy=policy,
        run_date=run_date,
        output_root=output_root,
        targets=report.targets.rows,
        reward_basis=report.reward_estimates.basis,
        changes=safe_for_output(report.report_changes),
        folder=staging,
        baseline=report.coverage.baseline,
        coverage=report.coverage.coverage,
    )
    seal(staging, month, token)
    staged = dataclasses.replace(staged, token=token, review=review_path)
    return StagedWorkbooks(staged, staging, staged.moved_to(published_folder(output_root, month)))


def commit_run(
    store: Warehouse, tables: RunTables, workbooks: ExportPaths, district: str, run_date: dt.date, output_root: Path
) -> dict[str, int]:
    """The run's rows and its staged workbooks' manifest in one transaction, then the workbooks swapped in.

    Under the exports lock, so commits and swaps happen in the same order. Returns rows written per table.
    """
    month = month_of(run_date)
    frames = tables.frames()
    frames["export_manifest"] = staged_manifest(staging_folder(output_root, month, workbooks.token))
    with exclusive_lock(output_root / "exports" / ".lock"):
        store.claim_district(district)  # runs launched from the UI are checked here
        written = store.replace_run(run_date, frames)
        publish(output_root, month, workbooks.token)
    return written
