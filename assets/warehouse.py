"""报送 group: write this run's tables to the warehouse in one transaction."""


import dagster as dg
import pandas as pd

from assets.ingestion import combined
from industry_gap.ingest import IngestResult
from pipelines.resources import PipelineSettings, WarehouseResource

GROUP = "report"  # 报送


def accounting_frame(results: list[IngestResult]) -> pd.DataFrame:
    rows = []
    for result in results:
        counts = result.accounting()
        rows.append({"dataset": result.dataset, "file": result.file, "rows_in": counts["in"],
                     "clean": counts["clean"], "quarantined": counts["quarantined"],
                     "set_aside": counts["set_aside"]})
    return pd.DataFrame(rows)


@dg.asset(
    group_name=GROUP, code_version="1", kinds={"sqlalchemy"},
    description="将本次运行的全部表（清洁名录、隔离表、剔除表、行数核对）按运行日期写入数据库；"
                "同一运行日期重复运行时整体替换，保证幂等。",
)
def warehouse_tables(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    warehouse: WarehouseResource,
    registry: IngestResult,
    above_scale: IngestResult,
    targets: IngestResult,
    projects: IngestResult,
) -> dict[str, int]:
    results = [registry, above_scale, targets, projects]
    frames = {
        "registry": registry.clean,
        "above_scale": above_scale.clean,
        "targets": targets.clean,
        "projects": projects.clean,
        "quarantine": combined(results, "quarantine"),
        "set_aside": combined(results, "set_aside"),
        "row_accounting": accounting_frame(results),
    }
    store = warehouse.open()
    try:
        run_date = settings.resolved_run_date()
        written = store.replace_run(run_date, frames)
    finally:
        store.dispose()
    context.add_output_metadata({
        "数据库": dg.MetadataValue.text(store.display_url),
        "运行日期": dg.MetadataValue.text(run_date.isoformat()),
        "写入行数": dg.MetadataValue.md(
            "| 表 | 行数 |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in written.items())),
    })
    return written
