"""接入 group: analysts' reviewed codes (人工核定), kept across runs, newest wins."""

from pathlib import Path

import dagster as dg

from assets.resources import InputFiles, PipelineSettings, WarehouseResource
from industry_gap.earlier_runs import EarlierRuns
from industry_gap.ingest import IngestResult
from industry_gap.markdown import markdown_table
from industry_gap.privacy import mask_text
from industry_gap.review import OverrideSet, overrides_in_force

GROUP = "ingest"  # 接入


@dg.asset(
    group_name=GROUP,
    kinds={"excel"},
    description="人工核定结果：填好的复核工作簿（核定行业代码、核定人、核定日期）作为人工核定，"
    "与以往保存的核定合并（核定日期较新者为准）；无效代码、不在名录中的企业和冲突行逐条说明原因。",
)
def overrides(
    context: dg.AssetExecutionContext,
    input_files: InputFiles,
    settings: PipelineSettings,
    warehouse: WarehouseResource,
    registry: IngestResult,
    projects: IngestResult,
) -> OverrideSet:
    """Reads earlier runs from the warehouse (`EarlierRuns`): the overrides kept so far, this date's included."""
    run_date = settings.resolved_run_date()
    with EarlierRuns(warehouse.open(), run_date) as earlier:
        stored = earlier.kept_overrides()
    filled = Path(input_files.overrides) if input_files.overrides else None
    result = overrides_in_force(stored, filled, registry.rows, projects.rows, run_date)
    context.add_output_metadata(
        {
            "生效的人工核定": dg.MetadataValue.int(len(result.accepted)),
            "被拒绝的行": dg.MetadataValue.int(len(result.rejected)),
            "说明": dg.MetadataValue.md("\n".join(f"- {mask_text(m)}" for m in result.messages) or "（无）"),
            "被拒绝的行明细": dg.MetadataValue.md(
                markdown_table(result.rejected, {"source_row": "行号", "column": "列", "value": "值", "reason": "原因"})
            ),
        }
    )
    return result


__all__ = ["overrides"]
