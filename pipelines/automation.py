"""The nightly schedule and the inbox sensor, both running the whole graph."""

import datetime as dt
from pathlib import Path

import dagster as dg

from assets.partitions import report_partition_key
from industry_gap.errors import UserError
from industry_gap.inbox import (
    OVERRIDES,
    Accepted,
    Rejected,
    accept,
    detect_dataset,
    ensure_layout,
    processed_datasets,
    reject,
    settled_files,
)
from industry_gap.ingest import ingest_file
from industry_gap.privacy import mask_text
from industry_gap.settings import DISTRICT_TIMEZONE, INPUT_DATASETS, environment_settings

full_refresh_job = dg.define_asset_job(
    "full_refresh",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("city"),
    description="全量运行：接入 → 分类 → 分析 → 报送（报送资产按月分区，分区即报送月份）。",
)


def district_today() -> dt.date:
    return dt.datetime.now(DISTRICT_TIMEZONE).date()


def district_day(moment: dt.datetime) -> dt.date:
    """The district's calendar day of `moment` (naive times are taken as district time)."""
    return (moment.astimezone(DISTRICT_TIMEZONE) if moment.tzinfo else moment).date()


def inbox_dir() -> Path:
    """INDUSTRY_GAP_INBOX, else <output>/inbox (the code server's settings)."""
    return environment_settings().inbox()


def current_inputs_config(inbox: Path) -> dict:
    """Run config naming, per dataset, the newest processed inbox file, else the configured input.

    The sample data only when neither the inbox nor the settings name any input file: an office's
    registry is never run against the sample district's 规上 list.
    """
    latest = processed_datasets(inbox)
    settings = environment_settings()
    named = {dataset: getattr(settings, dataset) for dataset in INPUT_DATASETS}
    office_files = any(named.values()) or any(dataset in latest for dataset in INPUT_DATASETS)
    configured = named if office_files else settings.input_paths()
    files = {}
    for dataset in INPUT_DATASETS:
        files[dataset] = str(latest.get(dataset, configured[dataset]))
    if OVERRIDES in latest:
        files[OVERRIDES] = str(latest[OVERRIDES])
    return {"resources": {"input_files": {"config": files}}}


def run_config_for(inbox: Path, day: dt.date) -> dict:
    """Run config with the newest inputs and the run date fixed to `day`."""
    config = current_inputs_config(inbox)
    config["resources"]["settings"] = {"config": {"run_date": day.isoformat()}}
    return config


@dg.schedule(
    job=full_refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="每晚 02:00（北京时间）使用最新输入文件全量运行。",
)
def nightly_schedule(context: dg.ScheduleEvaluationContext):
    scheduled = context.scheduled_execution_time
    day = district_day(scheduled) if scheduled else district_today()
    config = run_config_for(inbox_dir(), day)
    return dg.RunRequest(
        run_key=f"nightly-{day.isoformat()}",
        run_config=config,
        partition_key=report_partition_key(day),
        tags={"trigger": "nightly"},
    )


@dg.sensor(
    job=full_refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="监视收件箱文件夹：新的名录、规上名录、目标清单、项目清单文件放入后自动运行；"
    "可用文件移入 processed/，无法使用的移入 failed/ 并附原因说明。",
)
def inbox_sensor(context: dg.SensorEvaluationContext):
    inbox = inbox_dir()
    ensure_layout(inbox)
    accepted: list[Accepted] = []
    rejected: list[Rejected] = []
    for item in settled_files(inbox):
        try:
            dataset = detect_dataset(item.path)
            if dataset != OVERRIDES:
                ingest_file(item.path, dataset)  # a whole-file problem must not reach a run
        except UserError as error:
            rejected.append(reject(item, error.message, inbox))
            continue
        accepted.append(accept(item, dataset, inbox))
    for failed in rejected:
        context.log.warning(mask_text(f"文件无法使用，已移入 {failed.path}：{failed.reason}"))
    fresh = [done for done in accepted if not done.duplicate]
    for done in accepted:
        if done.duplicate:
            context.log.info(f"文件内容与已处理文件相同，不再重复运行：{done.path.name}")
    if not fresh:
        return dg.SkipReason("收件箱中没有新的可用文件" + (f"（{len(rejected)} 个文件无法使用）" if rejected else ""))
    run_key = "inbox-" + "-".join(sorted(item.sha256[:12] for item in fresh))
    day = district_today()  # fixed now, so a run queued past midnight still reports this month
    return dg.RunRequest(
        run_key=run_key,
        run_config=run_config_for(inbox, day),
        partition_key=report_partition_key(day),
        tags={"trigger": "inbox", "files": ",".join(i.path.name for i in fresh)[:200]},
    )
