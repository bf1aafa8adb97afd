"""接入 group: analysts' reviewed codes (人工核定), kept across runs, newest wins."""

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.analysis import markdown_table
from industry_gap.gaps import project_ids
from industry_gap.ingest import IngestResult
from industry_gap.review import (
    OVERRIDE_COLUMNS, REJECTED_COLUMNS, conform_overrides, merge_overrides, read_overrides, unmatched_overrides,
)
from industry_gap.privacy import mask_text
from assets.resources import InputFiles, PipelineSettings, WarehouseResource

GROUP = "ingest"  # 接入


@dataclass
class OverrideSet:
    """All overrides in force this run, and what was refused or noted on the way."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))
    messages: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> pd.DataFrame:
        return self.accepted[self.accepted["entity_kind"] == kind]

    def quarantine_rows(self) -> pd.DataFrame:
        """Refused lines in the shape of the quarantine table."""
        frame = self.rejected
        return pd.DataFrame({"dataset": "overrides", "file": frame["source_file"], "row": frame["source_row"],
                             "column": frame["column"], "value": frame["value"], "reason": frame["reason"]})


@dg.asset(group_name=GROUP, code_version="1", kinds={"excel"},
          description="人工核定结果：填好的复核工作簿（核定行业代码、核定人、核定日期）作为人工核定，"
                      "与以往保存的核定合并（核定日期较新者为准）；无效代码、不在名录中的企业和冲突行逐条说明原因。")
def overrides(context: dg.AssetExecutionContext, input_files: InputFiles, settings: PipelineSettings,
              warehouse: WarehouseResource, registry: IngestResult, projects: IngestResult) -> OverrideSet:
    run_date = settings.resolved_run_date()
    store = warehouse.open()
    try:
        earlier = [d for d in store.run_dates("overrides") if d < run_date]
        stored = store.read("overrides", earlier[-1]) if earlier else None
    finally:
        store.dispose()
    usccs = set(registry.clean["uscc"])
    entity_ids = set(project_ids(projects.clean)) if len(projects.clean) else set()
    result = OverrideSet(accepted=conform_overrides(stored))
    if input_files.overrides:
        read = read_overrides(Path(input_files.overrides), usccs, entity_ids)
        merged, merge_notes = merge_overrides(stored, read.accepted)
        result = OverrideSet(accepted=merged, rejected=read.rejected,
                             messages=[read.summary, *read.messages, *merge_notes])
    result.messages += unmatched_overrides(result.accepted, usccs, entity_ids)
    context.add_output_metadata({
        "生效的人工核定": dg.MetadataValue.int(len(result.accepted)),
        "被拒绝的行": dg.MetadataValue.int(len(result.rejected)),
        "说明": dg.MetadataValue.md("\n".join(f"- {mask_text(m)}" for m in result.messages) or "（无）"),
        "被拒绝的行明细": dg.MetadataValue.md(markdown_table(result.rejected, {
            "source_row": "行号", "column": "列", "value": "值", "reason": "原因"})),
    })
    return result


__all__ = ["OVERRIDE_COLUMNS", "OverrideSet", "overrides"]
