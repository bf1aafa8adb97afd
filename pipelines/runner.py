"""Run the whole asset graph in-process (what `industry-gap run` does)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from industry_gap.environment import check_not_locked_by_office, check_writable_folder
from industry_gap.errors import UserError
from industry_gap.exports.publishing import published_folder
from industry_gap.locking import exclusive_lock
from industry_gap.summary import AnalysisResult, run_summary
from pipelines.definitions import all_assets
from pipelines.partitions import REPORT_MONTHS, report_partition_key
from pipelines.resources import (
    SAMPLE_FILES, InputFiles, ModelSettings, PipelineSettings, WarehouseResource,
)

# A failing step's own stack trace is for the maintainer (the run's event log has it); the user gets one
# Chinese message from the error that caused it.
QUIET_LOGGING = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
RUN_LOCK_NAME = ".industry-gap-run.lock"
RUN_LOCK_TIMEOUT = 3 * 3600  # a queued run waits this long for the one before it
DEFAULT_INSTANCE_CONFIG = "telemetry:\n  enabled: false\n"


def instance_home(output_dir: str) -> Path:
    """DAGSTER_HOME when set (shared with `dagster dev`), else <output>/dagster_home."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path(output_dir).resolve() / "dagster_home")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DEFAULT_INSTANCE_CONFIG, encoding="utf-8")
    return home


@dataclass
class RunOptions:
    registry: str | None = None
    above_scale: str | None = None
    targets: str | None = None
    projects: str | None = None
    output_dir: str = "output"
    database_url: str = ""
    run_date: str = ""
    code_edition: str = "2017"
    policy_file: str = ""
    city_coverage_file: str = ""
    model_dir: str = ""
    overrides: str = ""

    def input_files(self) -> InputFiles:
        """Sample data when no file is named; otherwise only what the user named."""
        given = {name: getattr(self, name) for name in SAMPLE_FILES}
        if not any(given.values()):
            paths = {name: str(path) for name, path in SAMPLE_FILES.items()}
        else:
            paths = {name: value or "" for name, value in given.items()}
        for name, value in paths.items():
            if value and not Path(value).exists():
                raise UserError(f"找不到输入文件“{value}”")
        if self.overrides and not Path(self.overrides).exists():
            raise UserError(f"找不到人工核定文件“{self.overrides}”")
        return InputFiles(**paths, overrides=self.overrides or "", code_edition=self.code_edition)


@dataclass
class RunOutcome:
    values: dict[str, object] = field(default_factory=dict)
    inputs: InputFiles | None = None
    database: str = ""
    summary: dict = field(default_factory=dict)   # industry_gap.summary.run_summary numbers
    stage_seconds: dict[str, float] = field(default_factory=dict)   # asset -> seconds its step took
    recovered: list[str] = field(default_factory=list)   # what was repaired of a killed earlier run


def run_pipeline(options: RunOptions, instance: dg.DagsterInstance | None = None) -> RunOutcome:
    """Materialise every asset; user errors inside a step come back as UserError."""
    files = options.input_files()
    check_writable_folder(options.output_dir)
    warehouse = WarehouseResource(database_url=options.database_url, output_dir=options.output_dir)
    store = warehouse.open()
    try:
        store.ensure_schema()   # an unreachable database is reported now, not after the inputs are read
    finally:
        store.dispose()
    resources = {
        "input_files": files,
        "settings": PipelineSettings(output_dir=options.output_dir, run_date=options.run_date,
                                     policy_file=options.policy_file,
                                     city_coverage_file=options.city_coverage_file),
        "model_settings": ModelSettings(model_dir=options.model_dir),
        "warehouse": warehouse,
        # values stay in this process: two runs at once never read each other's pickles
        "io_manager": dg.mem_io_manager,
    }
    month = report_month_of(resources["settings"])
    for workbook in published_folder(options.output_dir, month[:7]).glob("*.xlsx"):
        check_not_locked_by_office(workbook)   # this month's lists open in Excel/WPS: say so before working
    # One run per output folder at a time: the schedule and a manual run queue here, so they
    # never share a half-created Dagster home or interleave their files.
    with exclusive_lock(Path(options.output_dir) / RUN_LOCK_NAME, timeout_seconds=RUN_LOCK_TIMEOUT):
        if instance is None:
            with dg.DagsterInstance.from_config(str(instance_home(options.output_dir))) as local:
                recovered = recover_on_start(options.output_dir, warehouse, local)
                values, seconds = _materialize(resources, local, month)
        else:
            recovered = recover_on_start(options.output_dir, warehouse, instance)
            values, seconds = _materialize(resources, instance, month)
    settings = resources["settings"]
    return RunOutcome(values=values, inputs=files, database=warehouse.open().display_url,
                      summary=analysis_summary(values, settings), stage_seconds=seconds, recovered=recovered)


def recover_on_start(output_dir: str, warehouse: WarehouseResource, instance: dg.DagsterInstance) -> list[str]:
    """A run killed after its warehouse commit gets its workbooks swapped in before anything else happens."""
    from assets.warehouse import recover_exports_of_killed_runs
    from industry_gap.exports.publishing import STAGING

    if not (Path(output_dir) / "exports" / STAGING).is_dir():
        return []
    with exclusive_lock(Path(output_dir) / "exports" / ".lock"):
        return recover_exports_of_killed_runs(output_dir, warehouse, instance).messages()


def report_month_of(settings: PipelineSettings) -> str:
    """The monthly partition of the 报送 assets this run writes: the run date's month."""
    try:
        run_date = settings.resolved_run_date()
    except ValueError:
        raise UserError(f"运行日期“{settings.run_date}”无法识别，请写作 YYYY-MM-DD") from None
    key = report_partition_key(run_date)
    if not REPORT_MONTHS.has_partition_key(key):
        first = REPORT_MONTHS.get_first_partition_key()
        raise UserError(f"运行日期 {run_date.isoformat()} 不在可报送的月份内（自 {first[:7]} 起至本月）")
    return key


def _materialize(resources: dict, instance: dg.DagsterInstance,
                 month: str) -> tuple[dict[str, object], dict[str, float]]:
    """Run every asset (the 报送 ones for `month`), load each value while the instance is open, and
    say how long each step took (a slow step is visible to the user)."""
    try:
        result = dg.materialize(all_assets, resources=resources, run_config=QUIET_LOGGING,
                                instance=instance, raise_on_error=True, partition_key=month)
    except Exception as error:  # unwrap the user's error from Dagster's step failure
        user_error = _find_user_error(error)
        if user_error is not None:
            raise user_error from None
        raise
    if not result.success:
        raise UserError("流水线运行失败，请查看 Dagster 日志")
    values = {asset.key.to_user_string(): result.output_for_node(asset.node_def.name) for asset in all_assets}
    seconds = {event.step_key: round(event.event_specific_data.duration_ms / 1000.0, 1)
               for event in result.get_step_success_events()}
    return values, seconds


def stage_label(asset_name: str) -> str:
    """The Chinese name of an asset: the head of its description ("报送工作簿（按月分区…" → 报送工作簿)."""
    for asset in all_assets:
        for spec in asset.specs:
            if spec.key.to_user_string() == asset_name and spec.description:
                text = re.sub(r"^（[^）]*）", "", spec.description)
                head = re.split(r"[：；，。（]", text, maxsplit=1)[0]
                return head[:20] or asset_name
    return asset_name


def analysis_summary(values: dict[str, object], settings: PipelineSettings) -> dict:
    """The numbers `industry-gap run` prints, from the materialised asset values."""
    coverage, rewards = values["coverage"], values["reward_estimates"]
    result = AnalysisResult(
        run_date=settings.resolved_run_date(), enterprise_codes=coverage.enterprise_codes,
        coverage=coverage.coverage, baseline=coverage.baseline, progress=coverage.progress,
        divisions=coverage.divisions, gaps=values["gap_flags"], projects=values["project_assessment"],
        review=values["review_list"], candidates=values["entry_candidates"], rewards=rewards.rewards,
        reward_basis=rewards.basis,
    )
    exports = values["office_workbooks"]
    return run_summary(result, settings.policy(), exports.all(),
                       registry_rows=len(values["classified_registry"]))


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
