"""Pruning Dagster's run history: runs older than N months go, with their event logs (issue 26).

Dagster keeps every run's events until someone deletes them; a nightly schedule and a sensor every
minute make that grow without bound. `industry-gap prune-runs` deletes finished runs older than the
cut-off (24 months by default) and keeps, for every month the warehouse has published lists for (its
`export_manifest`), the latest successful run of that month: the run whose workbooks and metadata the
asset page shows for the month, so the monthly partitions stay materialised. Runs still queued or in
progress are never touched. Schedule and sensor ticks are pruned by Dagster itself (`retention:` in
dagster.yaml).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import dagster as dg

DEFAULT_MONTHS = 24
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


@dataclass
class PruneReport:
    cutoff: dt.datetime
    deleted: list[str] = field(default_factory=list)  # run ids (to delete, with dry_run)
    kept_named: list[str] = field(default_factory=list)  # old runs kept: the warehouse's months name them
    kept_unfinished: list[str] = field(default_factory=list)

    def message(self, dry_run: bool) -> str:
        cutoff = f"{self.cutoff:%Y-%m-%d}"
        if not self.deleted:
            return f"没有早于 {cutoff} 的可清理运行记录。"
        verb = "将删除" if dry_run else "已删除"
        kept = f"；保留 {len(self.kept_named)} 条数据库中已报送月份对应的运行" if self.kept_named else ""
        running = f"，{len(self.kept_unfinished)} 条尚未结束的运行" if self.kept_unfinished else ""
        tail = "（--dry-run，未删除任何记录）" if dry_run else ""
        return f"{verb} {len(self.deleted)} 条早于 {cutoff} 的运行记录及其事件日志{kept}{running}{tail}。"


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day `months` calendar months earlier (the month's last day when it has fewer days)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    following = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last = (following - dt.timedelta(days=1)).day
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last))


def run_month(run: dg.DagsterRun) -> str:
    """YYYY-MM a run reported for: its monthly partition, else its run-date tag; '' when neither."""
    partition = run.tags.get("dagster/partition", "")
    if len(partition) == 10 and partition[4] == "-" and partition.endswith("-01"):
        return partition[:7]
    return run.tags.get("industry_gap/run_date", "")[:7]


def published_months(store) -> set[str]:
    """Months the warehouse holds published lists for (its export manifest)."""
    manifest = store.read_all("export_manifest")
    return {str(m) for m in manifest["month"].dropna()} if "month" in manifest.columns else set()


def prune_run_history(
    instance: dg.DagsterInstance,
    months_named: set[str],
    months: int = DEFAULT_MONTHS,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> PruneReport:
    if months < 1:
        raise ValueError("months must be at least 1")
    now = now or dt.datetime.now(dt.UTC)
    report = PruneReport(cutoff=months_before(now, months))
    records = instance.get_run_records()
    named: dict[str, tuple[float, str]] = {}  # month -> (create time, run id) of its latest successful run
    for record in records:
        month = run_month(record.dagster_run)
        if month in months_named and record.dagster_run.status == dg.DagsterRunStatus.SUCCESS:
            stamp = record.create_timestamp.timestamp()
            if month not in named or stamp > named[month][0]:
                named[month] = (stamp, record.dagster_run.run_id)
    keep = {run_id for _, run_id in named.values()}
    for record in records:
        run = record.dagster_run
        if record.create_timestamp >= report.cutoff:
            continue
        if run.status not in FINISHED:
            report.kept_unfinished.append(run.run_id)
        elif run.run_id in keep:
            report.kept_named.append(run.run_id)
        else:
            report.deleted.append(run.run_id)
    if not dry_run:
        for run_id in report.deleted:
            instance.delete_run(run_id)
    return report
