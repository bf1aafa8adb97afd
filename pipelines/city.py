"""The city run: one Dagster run per district partition, then the city-wide coverage.

`industry-gap city FOLDER` calls `run_city`. Districts are registered as the
dynamic partitions of `CITY_DISTRICTS`; each district's run executes its
steps on the chosen Dagster executor:

* ``multiprocess`` (default): every step in its own process on this machine;
* ``celery``: every step sent to `dagster-celery` workers through a broker
  (RabbitMQ or Redis), so districts are spread over the machines that run
  workers (see README.md, "A city: districts as partitions");
* ``in_process``: one process, for debugging.

Nothing here schedules work itself: the executor runs the steps, and the
Dagster UI's backfill of the ``city_districts`` job does the same as this loop.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from assets.city import CITY_DISTRICTS, city_coverage, district_assets
from assets.resources import city_storage_dir, default_resources
from industry_gap.city import discover_districts
from industry_gap.environment import check_writable_folder
from industry_gap.errors import UserError
from industry_gap.locking import exclusive_lock
from industry_gap.run_tags import run_tags
from industry_gap.settings import Settings, absolute_path
from pipelines.code_versions import with_derived_code_versions

EXECUTORS = ("multiprocess", "celery", "in_process")
DISTRICT_JOB = "city_districts"
SUMMARY_JOB = "city_summary"
DEFAULT_BROKER = "pyamqp://guest:guest@127.0.0.1:5672//"
QUIET_LOGGING = {"console": {"config": {"log_level": "WARNING"}}}


def _executor(kind: str) -> dg.ExecutorDefinition:
    if kind == "multiprocess":
        return dg.multiprocess_executor
    if kind == "in_process":
        return dg.in_process_executor
    if kind == "celery":
        try:
            from dagster_celery import celery_executor
        except ImportError:
            raise UserError(
                "使用 Celery 执行需要安装 dagster-celery：pip install 'industry-gap[distributed]'"
            ) from None
        return celery_executor
    if kind == "k8s":  # a cluster: one pod per step (see README, "A city"); not installed by default
        try:
            from dagster_k8s import k8s_job_executor
        except ImportError:
            raise UserError("使用 Kubernetes 执行需要安装 dagster-k8s：pip install dagster-k8s") from None
        return k8s_job_executor
    raise UserError(f"未知的执行方式“{kind}”，可选：{'、'.join(EXECUTORS)}、k8s")


def city_district_job_def(executor: str = "multiprocess") -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        DISTRICT_JOB,
        selection=dg.AssetSelection.assets(*district_assets),
        executor_def=_executor(executor),
        description="全市按区县分区运行：每个分区读取、分类并计算一个区县的门类覆盖。",
    )


city_summary_job_def = dg.define_asset_job(
    SUMMARY_JOB,
    selection=dg.AssetSelection.assets(city_coverage),
    description="全市门类覆盖：汇总全部区县分区，写出全市门类覆盖工作簿和全市门类表。",
)


def district_job(executor: str = "multiprocess") -> dg.JobDefinition:
    """The district job bound to the resources; reconstructed by name in step processes and workers."""
    defs = dg.Definitions(
        assets=with_derived_code_versions([*district_assets, city_coverage]),
        jobs=[city_district_job_def(executor)],
        resources=default_resources(Settings.load()),
    )
    return defs.resolve_job_def(DISTRICT_JOB)


def summary_job() -> dg.JobDefinition:
    defs = dg.Definitions(
        assets=with_derived_code_versions([*district_assets, city_coverage]),
        jobs=[city_summary_job_def],
        resources=default_resources(Settings.load()),
    )
    return defs.resolve_job_def(SUMMARY_JOB)


@dataclass
class CityOptions:
    """What `industry-gap city` is told: the run's settings, and how its steps are executed."""

    city_dir: str
    output_dir: str = ""  # empty = INDUSTRY_GAP_OUTPUT, else ./output
    run_date: str = ""
    policy_file: str = ""
    code_edition: str = "2017"
    model_dir: str = ""
    executor: str = "multiprocess"
    max_concurrent: int = 2  # multiprocess: steps at once
    workers: int | None = None  # processes classifying one district's registry; None = the settings'
    broker: str = DEFAULT_BROKER  # celery
    backend: str = "rpc://"  # celery
    queue: str = "dagster"  # celery: the queue the workers listen on (-Q)

    def settings(self) -> Settings:
        """The run's settings (options, then environment, then defaults), as for `industry-gap run`."""
        return Settings.load(
            {
                "city_dir": self.city_dir,
                "output_dir": self.output_dir,
                "run_date": self.run_date,
                "policy_file": self.policy_file,
                "code_edition": self.code_edition,
                "model_dir": self.model_dir,
                "workers": self.workers,
            }
        )


@dataclass
class CityOutcome:
    metadata: dict[str, object]  # what city_coverage reported (counts, the workbook's path …)
    district_seconds: dict[str, float] = field(default_factory=dict)
    run_ids: dict[str, str] = field(default_factory=dict)


def run_config(settings: Settings) -> dict:
    """The settings as run config: step processes and workers rebuild the job from the environment
    (and may run in another folder: every path is absolute)."""
    output = absolute_path(settings.output_dir)
    config: dict = {
        "loggers": QUIET_LOGGING,
        "resources": {
            "city_inputs": {
                "config": {"city_dir": absolute_path(settings.city_dir), "code_edition": settings.code_edition}
            },
            "settings": {
                "config": {
                    "output_dir": output,
                    "run_date": settings.run_date,
                    "policy_file": absolute_path(settings.policy_file),
                }
            },
            "model_settings": {"config": {"model_dir": absolute_path(settings.model_dir), "workers": settings.workers}},
            "city_io_manager": {"config": {"base_dir": city_storage_dir(output)}},
        },
    }
    return config


def _execution_config(options: CityOptions) -> dict:
    if options.executor == "multiprocess":
        return {"execution": {"config": {"max_concurrent": options.max_concurrent}}}
    if options.executor == "celery":
        return {
            "execution": {
                "config": {
                    "broker": options.broker,
                    "backend": options.backend,
                    "config_source": {"task_default_queue": options.queue},
                }
            }
        }
    return {}


def run_city(options: CityOptions, progress: Callable[[str], None] = print) -> CityOutcome:
    """Register the districts, run each district partition, then the city-wide coverage."""
    from pipelines.runner import RUN_LOCK_NAME, RUN_LOCK_TIMEOUT, instance_home, report_month_of

    _executor(options.executor)  # a missing dagster-celery is reported before anything runs
    settings = options.settings()
    districts = discover_districts(settings.city_dir)
    check_writable_folder(settings.output_dir)
    report_month_of(settings)  # a bad date, or one before the plan, stops here
    names = [d.district for d in districts]
    district_tags = {
        d.district: run_tags(settings.with_changes(registry=str(d.registry)), "city", district=d.district)
        for d in districts
    }
    log_dir = Path(settings.output_dir) / "city" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    config = run_config(settings)
    outcome_seconds: dict[str, float] = {}
    run_ids: dict[str, str] = {}
    partitions = CITY_DISTRICTS.name
    assert partitions is not None  # a dynamic partitions definition made with its name
    with (
        exclusive_lock(Path(settings.output_dir) / RUN_LOCK_NAME, timeout_seconds=RUN_LOCK_TIMEOUT),
        dg.DagsterInstance.from_config(str(instance_home(settings.output_dir))) as instance,
    ):
        known = set(instance.get_dynamic_partitions(partitions))
        for stale in sorted(known - set(names)):
            instance.delete_dynamic_partition(partitions, stale)
        instance.add_dynamic_partitions(partitions, [n for n in names if n not in known])
        district_recon = dg.build_reconstructable_job(
            "pipelines.city", "district_job", reconstructable_args=(options.executor,)
        )
        for number, district in enumerate(names, start=1):
            progress(f"[{number}/{len(names)}] 区县“{district}”：读取名录、分类、计算门类覆盖……")
            start = time.perf_counter()
            with (
                _stderr_to(log_dir / f"{district}.log"),
                dg.execute_job(
                    district_recon,
                    instance,
                    run_config=config | _execution_config(options),
                    tags={"dagster/partition": district, **district_tags[district]},
                ) as result,
            ):
                run_ids[district] = result.run_id
            _raise_for_failure(result, f"区县“{district}”", log_dir / f"{district}.log")
            outcome_seconds[district] = round(time.perf_counter() - start, 1)
            progress(f"      完成，用时 {outcome_seconds[district]:.1f} 秒")
        progress("汇总全市门类覆盖……")
        summary_recon = dg.build_reconstructable_job("pipelines.city", "summary_job")
        with (
            _stderr_to(log_dir / "全市汇总.log"),
            dg.execute_job(
                summary_recon,
                instance,
                run_config=config,
                tags=run_tags(settings, "city", district="全市", registry=f"{len(names)} 个区县的名录"),
            ) as result,
        ):
            _raise_for_failure(result, "全市汇总", log_dir / "全市汇总.log")
            materialized = result.asset_materializations_for_node("city_coverage")[-1]
            metadata: dict[str, object] = {key: value.value for key, value in materialized.metadata.items()}
    return CityOutcome(metadata=metadata, district_seconds=outcome_seconds, run_ids=run_ids)


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send this process's and its step processes' console output (Dagster's English engine
    notices, library warnings) to a log file for the maintainer; the office sees our progress lines."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _raise_for_failure(result, what: str, log: Path) -> None:
    """A user's error inside a step (possibly in another process or on a worker) comes back in Chinese."""
    if result.success:
        return
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        error = event.event_specific_data.error
        while error is not None:
            if error.cls_name in ("UserError", "InputFileError"):
                message = error.message.split(": ", 1)[-1].strip()
                raise UserError(f"{what}：{message}")
            error = error.cause or error.context
    raise UserError(f"{what}运行失败，详细信息见 {log}，或在 Dagster 界面（dagster dev）中查看该次运行的日志")
