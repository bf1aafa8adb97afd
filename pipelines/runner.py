"""Run the whole asset graph in-process (what `industry-gap run` does)."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, TypeVar

import dagster as dg

# No public equivalent: an engine event with metadata is how a run's own page shows figures that are
# known only after its last step (the 运行汇总 event). Used by `attach_summary` alone.
from dagster._core.events import EngineEventData

from assets.partitions import shown_report_months, with_report_months
from assets.resources import InputFiles, WarehouseResource, default_resources, lend_warehouse
from industry_gap import run_tags as run_tag_names
from industry_gap.environment import check_not_locked_by_office, check_writable_folder
from industry_gap.errors import UserError
from industry_gap.exports.publishing import published_folder
from industry_gap.exports.workbooks import ExportPaths
from industry_gap.locking import exclusive_lock
from industry_gap.run_tags import run_tags
from industry_gap.settings import Settings
from industry_gap.summary import AnalysisResult, run_summary
from pipelines.automation import full_refresh_job
from pipelines.definitions import all_assets
from pipelines.instance import (
    RUN_LOCK_NAME,
    RUN_LOCK_TIMEOUT,
    instance_home,
    report_month_of,
)

# A failing step's own stack trace is for the maintainer (the run's event log has it); the user gets one
# Chinese message from the error that caused it.
QUIET_LOGGING = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
RUN_RESOURCES = ("input_files", "settings", "model_settings", "warehouse")  # what the district's graph uses


@dataclass
class RunOutcome:
    values: dict[str, object] = field(default_factory=dict)
    inputs: InputFiles | None = None
    settings: Settings | None = None
    database: str = ""
    summary: dict = field(default_factory=dict)  # industry_gap.summary.run_summary numbers
    stage_seconds: dict[str, float] = field(default_factory=dict)  # asset -> seconds its step took
    recovered: list[str] = field(default_factory=list)  # what was repaired of a killed earlier run


def run_pipeline(
    settings: Settings, instance: dg.DagsterInstance | None = None, on_stage: Callable[[Stage], None] | None = None
) -> RunOutcome:
    """Materialise every asset for `settings`; user errors inside a step come back as UserError.

    `on_stage` is told as each stage starts and finishes.
    """
    settings.check_files_exist()
    settings.resolved_run_date()  # a badly written --run-date, or a broken policy file, is said before
    policy = settings.policy()  # the output folder or the database is created (parsed once: load_policy)
    check_writable_folder(settings.output_dir)
    defaults = default_resources(settings)
    warehouse, inputs = defaults["warehouse"], defaults["input_files"]
    assert isinstance(warehouse, WarehouseResource) and isinstance(inputs, InputFiles)
    with lend_warehouse(warehouse) as store:  # the run's one engine: its steps use it too
        store.ensure_schema()  # an unreachable database is reported now, not after the inputs are read
        store.claim_district(policy.district)  # another district's database: refused now
        month = report_month_of(settings)
        months = shown_report_months(settings, also=month)  # the UI's months, and this run's
        # values stay in this process: two runs at once never read each other's pickles
        resources: dict[str, object] = {name: defaults[name] for name in RUN_RESOURCES}
        resources["io_manager"] = dg.IOManagerDefinition.hardcoded_io_manager(counter := CountingIOManager())
        for workbook in published_folder(settings.output_dir, month[:7]).glob("*.xlsx"):
            check_not_locked_by_office(workbook)  # this month's lists open in Excel/WPS: say so before working
        # One run per output folder at a time: the schedule and a manual run queue here, so they
        # never share a half-created Dagster home or interleave their files.
        tracker = StageTracker(counter, on_stage)
        assets = with_report_months(all_assets, months)
        tags = run_tags(settings, "cli")
        with (
            exclusive_lock(Path(settings.output_dir) / RUN_LOCK_NAME, timeout_seconds=RUN_LOCK_TIMEOUT),
            contextlib.ExitStack() as stack,
        ):
            if instance is None:
                instance = stack.enter_context(dg.DagsterInstance.from_config(str(instance_home(settings.output_dir))))
            recovered = recover_on_start(settings.output_dir, warehouse, instance)
            values, seconds = _materialize(assets, resources, instance, month, tracker, tags)
            summary = analysis_summary(values, settings)
            attach_summary(instance, tracker.run_id, summary, values.get("scope_model"))
        database = store.display_url
    return RunOutcome(
        values=values,
        inputs=inputs,
        settings=settings,
        database=database,
        summary=summary,
        stage_seconds=seconds,
        recovered=recovered,
    )


def attach_summary(instance: dg.DagsterInstance, run_id: str, summary: dict, model: object) -> None:
    """The run's summary on the run itself: a 运行汇总 event with its figures as metadata (the run page's
    event log), and the classifying model's hash as a tag (the runs list)."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        return
    training_hash = str(getattr(model, "training_hash", "") or "")
    if training_hash:
        instance.add_run_tags(run_id, {run_tag_names.MODEL: training_hash[:200]})
    instance.report_engine_event(
        "运行汇总：读入、分类、缺口、入规培育、奖励测算与门类覆盖（同 industry-gap run 的汇总）",
        run,
        engine_event_data=EngineEventData(metadata=summary_metadata(summary)),
    )


def summary_metadata(summary: dict) -> dict[str, dg.MetadataValue]:
    """Headline figures as numbers, the whole summary as JSON."""
    figures = {
        "规下企业（行）": summary.get("enterprises_read"),
        "规上企业（家）": summary.get("above_scale_read"),
        "项目（个）": summary.get("projects_read"),
        "计入全口径（家）": summary.get("counted_in_all"),
        "可填补缺口的企业（家）": summary.get("flagged_total"),
        "可填补缺口的项目（个）": summary.get("projects_flagged"),
        "入规培育清单（家）": summary.get("pipeline_total"),
    }
    metadata: dict[str, dg.MetadataValue] = {
        name: dg.MetadataValue.int(int(value)) for name, value in figures.items() if isinstance(value, int)
    }
    metadata["运行日期"] = dg.MetadataValue.text(str(summary.get("run_date", "")))
    metadata["运行汇总"] = dg.MetadataValue.json(json.loads(json.dumps(summary, ensure_ascii=False, default=str)))
    return metadata


def recover_on_start(output_dir: str, warehouse: WarehouseResource, instance: dg.DagsterInstance) -> list[str]:
    """A run killed after its warehouse commit gets its workbooks swapped in before anything else happens."""
    from assets.warehouse import recover_exports_of_killed_runs
    from industry_gap.exports.publishing import STAGING

    if not (Path(output_dir) / "exports" / STAGING).is_dir():
        return []
    with exclusive_lock(Path(output_dir) / "exports" / ".lock"):
        return recover_exports_of_killed_runs(output_dir, warehouse, instance).messages()


def _materialize(
    assets: list[dg.AssetsDefinition],
    resources: dict,
    instance: dg.DagsterInstance,
    month: str,
    tracker: StageTracker | None = None,
    tags: dict[str, str] | None = None,
) -> tuple[dict[str, object], dict[str, float]]:
    """Run every asset (the 报送 ones for `month`), load each value while the instance is open, and
    say how long each step took (a slow step is visible to the user).

    `dg.materialize` without its wrapper: the run id is chosen here so that `tracker` can listen to
    the run's events as they happen (materialize only returns them at the end).
    """
    run_id = str(uuid.uuid4())  # as Dagster makes its own run ids
    tracker = tracker or StageTracker(CountingIOManager(), None)
    tracker.instance = instance
    tracker.run_id = run_id
    instance.add_event_listener(run_id, tracker)
    # The UI's full_refresh job of the same assets: a run from the command line is listed under it
    job = dg.Definitions(jobs=[full_refresh_job], assets=assets, resources=resources).resolve_job_def(RUN_JOB_NAME)
    try:
        result = job.execute_in_process(
            run_config=QUIET_LOGGING,
            instance=instance,
            partition_key=month,
            raise_on_error=True,
            run_id=run_id,
            tags=tags,
        )
    except Exception as error:  # unwrap the user's error from Dagster's step failure
        user_error = _find_user_error(error)
        if user_error is not None:
            raise user_error from None
        raise
    if not result.success:
        raise UserError("流水线运行失败，请查看 Dagster 日志")
    values = {asset.key.to_user_string(): result.output_for_node(asset.node_def.name) for asset in all_assets}
    seconds = step_seconds(result.get_step_success_events())
    record_stage_seconds(instance, seconds, month)
    return values, seconds


def step_seconds(events: Sequence[dg.DagsterEvent]) -> dict[str, float]:
    """Each succeeded step's time, to a tenth of a second."""
    seconds: dict[str, float] = {}
    for event in events:
        assert event.step_key is not None  # a step's own event
        seconds[event.step_key] = round(event.step_success_data.duration_ms / 1000.0, 1)
    return seconds


# -- progress ---------------------------------------------------------------
RUN_JOB_NAME = full_refresh_job.name  # runs of `industry-gap run` are listed under this job
STEP_NAMES = [asset.node_def.name for asset in all_assets]  # one step per asset, in graph order
SECONDS_KEY = "用时（秒）"


def row_count(value: object) -> tuple[int, str] | None:
    """How many rows an asset value holds, and the unit, for the stage line; None when it has no rows."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return len(value), "行"
    coverage = getattr(value, "coverage", None)
    if isinstance(coverage, pd.DataFrame):  # CoverageState: categories, not firms
        return len(coverage), "个门类"
    clean = getattr(value, "clean", None)  # an IngestResult: rows read
    if isinstance(clean, pd.DataFrame) and hasattr(value, "accounting"):
        return int(value.accounting()["in"]), "行"
    if hasattr(value, "all") and callable(value.all) and hasattr(value, "folder"):  # the office workbooks
        return len(list(value.all())), "个文件"
    frames = [v for v in getattr(value, "__dict__", {}).values() if isinstance(v, pd.DataFrame)]
    return (len(frames[0]), "行") if frames else None


class CountingIOManager(dg.InMemoryIOManager):
    """mem_io_manager that also notes each step's row count for the progress line."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, tuple[int, str] | None] = {}

    def handle_output(self, context, obj):
        super().handle_output(context, obj)
        try:
            self.counts[context.step_key] = row_count(obj)
        except Exception:  # noqa: BLE001 - a count is a courtesy, never a failure
            self.counts[context.step_key] = None


@dataclass
class Stage:
    """One step of the run: started (seconds None) or finished."""

    index: int
    total: int
    step: str
    label: str
    seconds: float | None = None
    rows: tuple[int, str] | None = None

    def line(self) -> str:
        """ "[3/17] 规下企业经营范围分类：8,008 行，2.1 秒"."""
        if self.seconds is None:
            return f"[{self.index}/{self.total}] {self.label}……"
        count = f"{self.rows[0]:,} {self.rows[1]}，" if self.rows else ""
        return f"[{self.index}/{self.total}] {self.label}：{count}{self.seconds:.1f} 秒"


class StageTracker:
    """Event listener on the run: tells `on_stage` when a step starts and finishes, and writes the
    finished line into the run's Dagster log as well."""

    def __init__(self, counter: CountingIOManager, on_stage: Callable[[Stage], None] | None):
        self.counter, self.on_stage = counter, on_stage
        self.instance: dg.DagsterInstance | None = None
        self.run_id = ""
        self.started: dict[str, float] = {}
        self.done = 0

    def __call__(self, entry) -> None:
        event = entry.dagster_event
        if event is None or not event.step_key:
            return
        step = event.step_key
        if event.event_type == dg.DagsterEventType.STEP_START:
            self.started[step] = time.perf_counter()
            self._tell(Stage(self.done + 1, len(STEP_NAMES), step, stage_label(step)))
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            self.done += 1
            seconds = event.event_specific_data.duration_ms / 1000.0
            stage = Stage(self.done, len(STEP_NAMES), step, stage_label(step), seconds, self.counter.counts.get(step))
            if self.instance is not None:
                self.instance.report_engine_event(
                    stage.line(), run_id=entry.run_id, step_key=step, job_name=entry.job_name
                )
            self._tell(stage)

    def _tell(self, stage: Stage) -> None:
        if self.on_stage is not None:
            self.on_stage(stage)


class StagePrinter:
    """Stage lines for the CLI: on a terminal the running stage shows and is replaced by its result;
    elsewhere (a log file, a pipe) only the finished lines, with no control characters."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, stage: Stage) -> None:
        if stage.seconds is None:
            if self.tty:
                self.stream.write(f"\r\x1b[K{stage.line()}")
                self.stream.flush()
            return
        self.stream.write(("\r\x1b[K" if self.tty else "") + stage.line() + "\n")
        self.stream.flush()


def record_stage_seconds(instance: dg.DagsterInstance, seconds: dict[str, float], month: str) -> None:
    """Each asset's step time as an observation ("用时（秒）"), beside its materialization in the UI."""
    for asset in all_assets:
        step = asset.node_def.name
        if step not in seconds:
            continue
        for key in asset.keys:
            instance.report_runless_asset_event(
                dg.AssetObservation(
                    key,
                    partition=month if asset.partitions_def is not None else None,
                    metadata={SECONDS_KEY: dg.MetadataValue.float(seconds[step])},
                )
            )


STAGE_LABELS = {"warehouse_tables": "写入数据库"}  # where the description's head reads badly


def stage_label(asset_name: str) -> str:
    """The Chinese name of an asset: the head of its description ("报送工作簿（按月分区…" → 报送工作簿)."""
    if asset_name in STAGE_LABELS:
        return STAGE_LABELS[asset_name]
    for asset in all_assets:
        for spec in asset.specs:
            if spec.key.to_user_string() == asset_name and spec.description:
                text = re.sub(r"^（[^）]*）", "", spec.description)
                head = re.split(r"[：；，。（]", text, maxsplit=1)[0]
                return head[:20] or asset_name
    return asset_name


T = TypeVar("T")


def asset_value(values: dict[str, object], name: str, kind: type[T]) -> T:
    """The materialised value of asset `name`, which is a `kind`."""
    value = values[name]
    assert isinstance(value, kind), f"{name}: {type(value).__name__}"
    return value


def analysis_summary(values: dict[str, object], settings: Settings) -> dict:
    """The numbers `industry-gap run` prints, from the materialised asset values."""
    import pandas as pd

    result = AnalysisResult.from_assets(values, settings.resolved_run_date())
    exports = asset_value(values, "office_workbooks", ExportPaths)
    registry_rows = len(asset_value(values, "classified_registry", pd.DataFrame))
    return run_summary(result, settings.policy(), exports.all(), registry_rows=registry_rows)


def _find_user_error(error: BaseException) -> UserError | None:
    seen: set[int] = set()
    stack: list[BaseException | None] = [error]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, UserError):
            return current
        stack.extend([getattr(current, "user_exception", None), current.__cause__, current.__context__])
    return None
