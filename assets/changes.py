"""报送 group: what changed since the last run and since last month (sheet 本月变化)."""

import dagster as dg
import pandas as pd

from assets.partitions import REPORT_MONTHS, report_run_date
from assets.resources import PipelineSettings, WarehouseResource
from industry_gap.changes import RunSnapshot, change_summary, monthly_changes
from industry_gap.coverage import CoverageState
from industry_gap.earlier_runs import EarlierRuns
from industry_gap.ingest import IngestResult
from industry_gap.markdown import markdown_table

GROUP = "report"  # 报送


@dg.asset(
    group_name=GROUP,
    kinds={"pandas"},
    partitions_def=REPORT_MONTHS,
    description="本月变化（按月分区）：与上次运行及上月相比，新增或移出的入规候选企业、阶段升降、门类填补与重新空缺；"
    "写入汇总工作簿的“本月变化”工作表。",
)
def report_changes(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    warehouse: WarehouseResource,
    coverage: CoverageState,
    entry_candidates: pd.DataFrame,
    above_scale: IngestResult,
) -> pd.DataFrame:
    """Reads earlier runs from the warehouse (`EarlierRuns`): the previous run and last month's final run."""
    run_date = report_run_date(context, settings)
    current = RunSnapshot(
        run_date=run_date, candidates=entry_candidates, coverage=coverage.coverage, above_scale=above_scale.rows
    )
    with EarlierRuns(warehouse.open(), run_date) as earlier:
        previous, last_month = earlier.comparison_snapshots()
    changes = monthly_changes(current, previous, last_month)
    summary = change_summary(changes)
    context.add_output_metadata(
        {
            "变化条数": dg.MetadataValue.int(len(changes)),
            "按类型": dg.MetadataValue.json(summary or {"说明": "首次运行或无变化"}),
            "预览": dg.MetadataValue.md(
                markdown_table(
                    changes,
                    {
                        "compared_with": "比较对象",
                        "change_kind_name": "变化",
                        "code": "代码",
                        "name": "名称",
                        "detail": "说明",
                    },
                )
            ),
        }
    )
    return changes
