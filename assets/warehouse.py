"""报送 group: this run's tables into the warehouse (one transaction) and the office's workbooks.

Thin: the assets gather their inputs into `RunTables` and `industry_gap.exports.run_commit` does the
work, so the end of a run is in one module.
"""

import dagster as dg
import pandas as pd

from assets.partitions import REPORT_MONTHS, report_run_date
from assets.resources import PipelineSettings, WarehouseResource
from industry_gap.coverage import CoverageState
from industry_gap.exports import ExportPaths, department_row_problems
from industry_gap.exports.publishing import Recovery, recover_exports
from industry_gap.exports.run_commit import ReportTables, RunTables, commit_run, stage_workbooks
from industry_gap.ingest import IngestResult
from industry_gap.locking import exclusive_lock
from industry_gap.review import OverrideSet
from industry_gap.rewards import RewardEstimate

GROUP = "report"  # 报送


@dg.asset(
    group_name=GROUP,
    kinds={"sqlalchemy"},
    partitions_def=REPORT_MONTHS,
    description="（按月分区）将本次运行的全部表（清洁名录、隔离表、剔除表、行数核对、分类结果、门类覆盖、基期、缺口、"
    "入规清单、项目评估、奖励测算、复核清单）连同本月工作簿清单（文件名、大小、SHA-256）按运行日期在一个事务中"
    "写入数据库，随后把暂存的本月工作簿整体换入 exports/YYYY-MM/：数据库与工作簿一同切换。"
    "同一运行日期重复运行时整体替换，保证幂等。",
)
def warehouse_tables(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    warehouse: WarehouseResource,
    office_workbooks: ExportPaths,
    registry: IngestResult,
    above_scale: IngestResult,
    targets: IngestResult,
    projects: IngestResult,
    classified_registry: pd.DataFrame,
    coverage: CoverageState,
    gap_flags: pd.DataFrame,
    project_assessment: pd.DataFrame,
    entry_candidates: pd.DataFrame,
    reward_estimates: RewardEstimate,
    review_list: pd.DataFrame,
    report_changes: pd.DataFrame,
    overrides: OverrideSet,
) -> dict[str, int]:
    run_date = report_run_date(context, settings)
    report = ReportTables(
        targets, coverage, project_assessment, entry_candidates, reward_estimates, review_list, report_changes
    )
    tables = RunTables(report, registry, above_scale, projects, overrides, classified_registry, gap_flags)
    store = warehouse.open()
    written = commit_run(store, tables, office_workbooks, settings.policy().district, run_date, settings.output_path())
    context.add_output_metadata(
        {
            "数据库": dg.MetadataValue.text(store.display_url),
            "运行日期": dg.MetadataValue.text(run_date.isoformat()),
            "报送月份": dg.MetadataValue.text(f"{run_date.year}年{run_date.month}月"),
            "写入行数": dg.MetadataValue.md(
                "| 表 | 行数 |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in written.items())
            ),
        }
    )
    return written


@dg.asset(
    group_name=GROUP,
    kinds={"excel"},
    partitions_def=REPORT_MONTHS,
    check_specs=[
        dg.AssetCheckSpec(
            "department_workbooks_present",
            asset="office_workbooks",
            blocking=True,
            description="每个有目标门类的责任单位都有本月工作簿，且文件非空。",
        ),
        dg.AssetCheckSpec(
            "department_rows_match",
            asset="office_workbooks",
            blocking=True,
            description="汇总工作簿中每个责任单位的附件4、附件5 行，与该单位自己工作簿中的行完全一致。",
        ),
    ],
    description="报送工作簿（按月分区，每月一个文件夹，历月清单保留）：汇总工作簿（附件4 全口径项目清单、附件5 规上口径企业清单、门类覆盖情况及图表、"
    "入规培育清单、奖励测算、复核清单）和每个责任单位一份的附件4/附件5；先写入暂存文件夹，"
    "数据库提交后整体换入 exports/YYYY-MM/。",
)
def office_workbooks(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    warehouse: WarehouseResource,
    targets: IngestResult,
    coverage: CoverageState,
    project_assessment: pd.DataFrame,
    entry_candidates: pd.DataFrame,
    reward_estimates: RewardEstimate,
    review_list: pd.DataFrame,
    report_changes: pd.DataFrame,
):
    output_root = settings.output_path()
    run_date = report_run_date(context, settings)
    report = ReportTables(
        targets, coverage, project_assessment, entry_candidates, reward_estimates, review_list, report_changes
    )
    with exclusive_lock(output_root / "exports" / ".lock"):  # one run's workbooks at a time
        recovery = recover_staged_exports(context, output_root, warehouse)
        written = stage_workbooks(report, settings.policy(), run_date, output_root, context.run.run_id)
    staged, staging, paths, final = written.staged, written.staging, written.final, written.final.folder
    yield dg.Output(
        paths,
        metadata={
            "报送月份": dg.MetadataValue.text(f"{run_date.year}年{run_date.month}月"),
            "汇总工作簿": dg.MetadataValue.path(str(paths.consolidated)),
            "责任单位工作簿数": dg.MetadataValue.int(len(paths.departments)),
            "文件夹": dg.MetadataValue.path(str(final)),
            "复核工作簿": dg.MetadataValue.path(str(paths.review)),
            "月报": dg.MetadataValue.path(str(paths.brief)),
            "暂存文件夹": dg.MetadataValue.path(str(staging)),
            **(
                {"中断恢复": dg.MetadataValue.md("\n".join(f"- {m}" for m in recovery.messages()))}
                if recovery.messages()
                else {}
            ),
        },
    )
    yield workbooks_present_check(staged, departments_to_write_for(targets.rows))
    yield department_rows_check(staged)


def recover_staged_exports(context: dg.AssetExecutionContext, output_root, warehouse: WarehouseResource) -> Recovery:
    """`recover_exports_of_killed_runs` inside a run (the caller holds the exports lock), logged."""
    recovery = recover_exports_of_killed_runs(output_root, warehouse, context.instance, context.run.run_id)
    for message in recovery.messages():
        context.log.warning(message)
    return recovery


def recover_exports_of_killed_runs(
    output_root, warehouse: WarehouseResource, instance: dg.DagsterInstance, current_run_id: str = ""
) -> Recovery:
    """Finish a swap a killed run committed but did not do; drop workbooks staged by runs that died.

    A staging folder of a run that is still going (another run of the UI, say) is left alone.
    """
    manifest = warehouse.open().read_all("export_manifest")

    def is_active(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id) if run_id else None
        return run is not None and not run.is_finished and run_id != current_run_id

    return recover_exports(output_root, manifest, is_active)


def department_rows_check(paths: ExportPaths) -> dg.AssetCheckResult:
    """Row accounting for the exports: each department's rows, consolidated vs its own workbook."""
    problems = department_row_problems(paths)
    return dg.AssetCheckResult(
        check_name="department_rows_match",
        passed=not problems,
        description="各责任单位工作簿的行与汇总一致" if not problems else "；".join(problems),
        metadata={"责任单位数": dg.MetadataValue.int(len(paths.departments))},
    )


def departments_to_write_for(targets: pd.DataFrame) -> list[str]:
    """Departments that own a target category: each must receive a workbook every month."""
    if targets.empty:
        return []
    return sorted({d for d in targets["department"].astype(str) if d.strip()})


def workbooks_present_check(paths: ExportPaths, departments: list[str]) -> dg.AssetCheckResult:
    """Every responsible department's workbook exists and is a non-empty file."""
    problems = [f"{d}：未生成" for d in departments if d not in paths.departments]
    for department, path in paths.departments.items():
        if not path.exists() or path.stat().st_size == 0:
            problems.append(f"{department}：文件缺失或为空（{path}）")
    if not paths.consolidated.exists() or paths.consolidated.stat().st_size == 0:
        problems.append(f"汇总工作簿缺失或为空（{paths.consolidated}）")
    return dg.AssetCheckResult(
        check_name="department_workbooks_present",
        passed=not problems,
        description="各责任单位工作簿齐全" if not problems else "；".join(problems),
        metadata={"责任单位数": dg.MetadataValue.int(len(departments))},
    )
