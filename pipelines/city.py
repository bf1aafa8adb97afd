"""The city run: Dagster runs per district partition, one office model for the city, the city coverage.

`industry-gap city FOLDER` calls `run_city`. Districts are registered as the
dynamic partitions of `CITY_DISTRICTS`. The run goes in four steps: every
district's files are read (`city_district_inputs`, one run per district);
one office model is trained from all districts' labels together
(`city_office_model`: training once instead of once per district is most of
a cold city's time); every district is classified with it and its coverage
computed (`city_districts`, one run per district, showing its rows classified
as it goes); then the city coverage (`city_summary`). District runs go
`max_concurrent` at once, each executing its steps on the chosen executor:

* ``multiprocess`` (default): every step in its own process on this machine;
* ``celery``: every step sent to `dagster-celery` workers through a broker
  (RabbitMQ or Redis), so districts are spread over the machines that run
  workers (see README.md, "A city: districts as partitions");
* ``in_process``: one process, for debugging.

Nothing here schedules work itself beyond starting the runs: the executor runs
the steps, and in the Dagster UI a backfill of the four jobs in this order does
the same as `run_city`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from assets.city import (
    CITY_DISTRICTS,
    city_assets,
    city_coverage,
    city_office_model,
    district_classified,
    district_coverage,
    district_inputs,
)
from assets.resources import city_storage_dir, default_resources
from industry_gap.city import clear_progress, discover_districts, read_progress
from industry_gap.environment import check_writable_folder
from industry_gap.errors import UserError
from industry_gap.locking import exclusive_lock
from industry_gap.run_tags import run_tags
from industry_gap.settings import Settings, absolute_path, environment_settings
from pipelines.code_versions import with_derived_code_versions

EXECUTORS = ("multiprocess", "celery", "in_process")
INPUTS_JOB = "city_district_inputs"
MODEL_JOB = "city_model"
DISTRICT_JOB = "city_districts"
SUMMARY_JOB = "city_summary"
_NODES = {  # the steps of each job whose materializations the city run reads
    INPUTS_JOB: ["district_inputs"],
    MODEL_JOB: ["city_office_model"],
    DISTRICT_JOB: ["district_classified", "district_coverage"],
    SUMMARY_JOB: ["city_coverage"],
}
POLL_SECONDS = 1.0  # how often the city run looks at the districts' progress
PROGRESS_EVERY = 10.0  # seconds between two progress lines of one district
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


def city_inputs_job_def(executor: str = "multiprocess") -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        INPUTS_JOB,
        selection=dg.AssetSelection.assets(district_inputs),
        executor_def=_executor(executor),
        description="全市按区县分区读取：每个分区读取并校验一个区县的名录，取出其标注样本。",
    )


def city_model_job_def(executor: str = "multiprocess") -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        MODEL_JOB,
        selection=dg.AssetSelection.assets(city_office_model),
        executor_def=_executor(executor),
        description="全市统一分类模型：汇总全部区县的标注样本训练一次（未变化时复用），各区县共用。",
    )


def city_district_job_def(executor: str = "multiprocess") -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        DISTRICT_JOB,
        selection=dg.AssetSelection.assets(district_classified, district_coverage),
        executor_def=_executor(executor),
        description="全市按区县分区分类：每个分区用全市统一模型分类一个区县的名录并计算其门类覆盖。",
    )


city_summary_job_def = dg.define_asset_job(
    SUMMARY_JOB,
    selection=dg.AssetSelection.assets(city_coverage),
    description="全市门类覆盖：汇总全部区县分区，写出全市门类覆盖工作簿和全市门类表。",
)


def city_job(name: str, executor: str = "multiprocess") -> dg.JobDefinition:
    """A city job bound to the resources; reconstructed by name in step processes and workers."""
    defs = dg.Definitions(
        assets=with_derived_code_versions(city_assets),
        jobs=[
            city_inputs_job_def(executor),
            city_model_job_def(executor),
            city_district_job_def(executor),
            city_summary_job_def,
        ],
        resources=default_resources(environment_settings()),
    )
    return defs.resolve_job_def(name)


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
    max_concurrent: int = 2  # districts running at once (in_process: always one)
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
    district_seconds: dict[str, float] = field(default_factory=dict)  # a district's runs, summed
    run_ids: dict[str, str] = field(default_factory=dict)  # the district's classification run
    model_mode: str = ""  # how the city's one office model was made


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


@dataclass
class _Finished:
    """One Dagster run of the city, as the thread that ran it saw it."""

    run_id: str
    seconds: float
    metadata: dict[str, dict[str, object]]  # asset name -> its materialization's metadata values
    failure: UserError | None = None


def _execute(options: CityOptions, job: str, tags: dict[str, str], what: str, log: Path) -> _Finished:
    """One run of a city job on its own instance connection: called in this process, or in a process of
    the pool that runs districts side by side (Dagster's run start configures logging process-wide,
    so two runs may not start in two threads of one process)."""
    from pipelines.instance import instance_home

    settings = options.settings()
    executor = options.executor if job != SUMMARY_JOB else "multiprocess"
    recon = dg.build_reconstructable_job(
        "pipelines.city", "city_job", reconstructable_kwargs={"name": job, "executor": executor}
    )
    config = run_config(settings) | (_execution_config(options) if job != SUMMARY_JOB else {})
    start = time.perf_counter()
    with (
        dg.DagsterInstance.from_config(str(instance_home(settings.output_dir))) as instance,
        dg.execute_job(recon, instance, run_config=config, tags=tags) as result,
    ):
        try:
            _raise_for_failure(result, what, log)
        except UserError as failure:
            return _Finished(result.run_id, time.perf_counter() - start, {}, failure)
        metadata: dict[str, dict[str, object]] = {
            event.asset_key.to_user_string(): {key: value.value for key, value in event.metadata.items()}
            for node in _NODES[job]
            for event in result.asset_materializations_for_node(node)
        }
    return _Finished(result.run_id, time.perf_counter() - start, metadata)


def _each_district(
    options: CityOptions,
    names: list[str],
    job: str,
    tags: dict[str, dict[str, str]],
    log: Path,
    watch: Callable[[], None] | None = None,
) -> dict[str, _Finished]:
    """`job` for every district partition, `max_concurrent` at once (one at a time in process); the
    first failure is raised once the runs under way have ended, and no new one is started."""
    done: dict[str, _Finished] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(_concurrency(options), len(names)), mp_context=context) as pool:
        running = {
            pool.submit(_execute, options, job, {"dagster/partition": n, **tags[n]}, f"区县“{n}”", log): n
            for n in names
        }
        while running:
            finished, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                done[running.pop(future)] = future.result()
            if watch is not None:
                watch()
            failed = [d.failure for d in done.values() if d.failure is not None]
            if failed:
                pool.shutdown(wait=True, cancel_futures=True)
                raise failed[0]
    return done


class _ProgressLines:
    """Prints each district's progress file as it moves (one line per district every PROGRESS_EVERY s)."""

    def __init__(self, output: str, names: list[str], progress: Callable[[str], None]):
        self.output, self.names, self.progress = output, names, progress
        self.shown: dict[str, tuple[int, float]] = {}

    def __call__(self) -> None:
        now = time.monotonic()
        for name in self.names:
            state = read_progress(self.output, name)
            if state is None or state.done >= state.total:
                continue
            done, when = self.shown.get(name, (-1, -PROGRESS_EVERY))
            if state.done != done and now - when >= PROGRESS_EVERY:
                self.shown[name] = (state.done, now)
                self.progress(f"      {state.line()}")


def run_city(options: CityOptions, progress: Callable[[str], None] = print) -> CityOutcome:
    """Register the districts; read them (concurrently), train the city's one office model from all
    their labels, classify them with it (concurrently, progress shown), then the city-wide coverage."""
    from pipelines.instance import RUN_LOCK_NAME, RUN_LOCK_TIMEOUT, instance_home, report_month_of

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
    city_tags = run_tags(settings, "city", district="全市", registry=f"{len(names)} 个区县的名录")
    log_dir = Path(settings.output_dir) / "city" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "全市运行.log"
    partitions = CITY_DISTRICTS.name
    assert partitions is not None  # a dynamic partitions definition made with its name
    with (
        exclusive_lock(Path(settings.output_dir) / RUN_LOCK_NAME, timeout_seconds=RUN_LOCK_TIMEOUT),
        dg.DagsterInstance.from_config(str(instance_home(settings.output_dir))) as instance,
        _stderr_to(log),
    ):
        known = set(instance.get_dynamic_partitions(partitions))
        for stale in sorted(known - set(names)):
            instance.delete_dynamic_partition(partitions, stale)
        instance.add_dynamic_partitions(partitions, [n for n in names if n not in known])
        clear_progress(settings.output_dir)

        progress(f"[1/4] 读取 {len(names)} 个区县的名录……")
        read = _each_district(options, names, INPUTS_JOB, district_tags, log)
        for name in names:
            meta = read[name].metadata.get("district_inputs", {})
            labels = read[name].metadata.get("district_labels", {}).get("标注样本数", 0)
            progress(
                f"      区县“{name}”：名录读入 {_count(meta.get('名录读入行数', ''))} 行"
                f"（清洁 {_count(meta.get('名录清洁行数', ''))}，隔离 {_count(meta.get('名录隔离行数', ''))}），"
                f"标注样本 {_count(labels)} 条（{read[name].seconds:.1f} 秒）"
            )

        progress("[2/4] 全市统一分类模型：汇总各区县标注样本，训练一次（未变化时复用）……")
        model_run = _execute(options, MODEL_JOB, city_tags, "全市统一分类模型", log)
        if model_run.failure is not None:
            raise model_run.failure
        model_meta = model_run.metadata.get("city_office_model", {})
        model_mode = str(model_meta.get("训练方式", ""))
        progress(f"      {model_mode}（{model_run.seconds:.1f} 秒）")

        progress(f"[3/4] 分类并计算各区县门类覆盖（同时 {_concurrency(options)} 个区县）……")
        watch = _ProgressLines(settings.output_dir, names, progress)
        classified = _each_district(options, names, DISTRICT_JOB, district_tags, log, watch)
        seconds = {n: round(read[n].seconds + classified[n].seconds, 1) for n in names}
        for name in names:
            meta = classified[name].metadata.get("district_coverage", {})
            progress(
                f"      区县“{name}”完成：全口径已有小类 {_count(meta.get('全口径已有小类数', ''))} 个"
                f"（{classified[name].seconds:.1f} 秒）"
            )

        progress("[4/4] 汇总全市门类覆盖……")
        summary = _execute(options, SUMMARY_JOB, city_tags, "全市汇总", log)
        if summary.failure is not None:
            raise summary.failure
    return CityOutcome(
        metadata=summary.metadata.get("city_coverage", {}),
        district_seconds=seconds,
        run_ids={n: classified[n].run_id for n in names},
        model_mode=model_mode,
    )


def _concurrency(options: CityOptions) -> int:
    return 1 if options.executor == "in_process" else max(1, options.max_concurrent)


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


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
