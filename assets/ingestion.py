"""接入 group: the office's four input files, validated, with row accounting checks."""

import dagster as dg
import pandas as pd

from assets.resources import InputFiles, PipelineSettings
from industry_gap.ingest import IngestResult, accounting_problem, ingest_file
from industry_gap.ingest.result import empty_quarantine, empty_set_aside
from industry_gap.privacy import mask_text
from industry_gap.schema import DATASET_COLUMNS, DATASET_LABELS

USCC_DATASETS = ("registry", "above_scale")
GROUP = "ingest"  # 接入 (Dagster group names must be ASCII)

DESCRIPTIONS = {
    "registry": "规下企业名录：读取（CSV/XLSX，自动识别编码与表头）、校验统一社会信用代码/日期/金额、"
    "按信用代码去重（保留较新记录）；问题行进入隔离表，注销/吊销等记录单列剔除。",
    "above_scale": "规上工业企业名录：含统计部门核定的行业代码，用于规上口径门类覆盖。",
    "targets": "扩增门类目标清单（附件2 全口径、附件3 规上口径）：代码、名称、责任单位、目标年份。",
    "projects": "拟扩增门类项目清单（附件4 样式）：在谈、在建项目的投资额、阶段与拟扩增门类。",
}


def empty_result(dataset: str) -> IngestResult:
    """The result for an input the user did not provide this run."""
    return IngestResult(
        dataset=dataset,
        file="",
        clean=pd.DataFrame(columns=DATASET_COLUMNS[dataset]),
        quarantine=empty_quarantine(),
        set_aside=empty_set_aside(),
        rows_in=0,
    )


def ingestion_metadata(result: IngestResult) -> dict[str, dg.MetadataValue]:
    """Counts and the top quarantine reasons, shown on the asset in the UI."""
    counts = result.accounting()
    metadata: dict[str, dg.MetadataValue] = {
        "文件": dg.MetadataValue.text(result.file or "（未提供）"),
        "读入行数": dg.MetadataValue.int(counts["in"]),
        "清洁行数": dg.MetadataValue.int(counts["clean"]),
        "隔离行数": dg.MetadataValue.int(counts["quarantined"]),
        "剔除行数": dg.MetadataValue.int(counts["set_aside"]),
    }
    reasons = result.reasons_summary()
    if reasons:
        table = "| 原因 | 行数 |\n|---|---|\n" + "\n".join(
            f"| {mask_text(reason)} | {count} |" for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1])
        )
        metadata["问题行原因"] = dg.MetadataValue.md(table)
    if result.notes:
        metadata["提示"] = dg.MetadataValue.md("\n".join(f"- {mask_text(note)}" for note in result.notes))
    if result.ignored_columns:
        metadata["未使用的列"] = dg.MetadataValue.text("、".join(result.ignored_columns))
    return metadata


def build_ingestion_asset(dataset: str) -> dg.AssetsDefinition:
    """One asset per input file, with its blocking row-accounting check beside it."""

    @dg.asset(
        name=dataset,
        group_name=GROUP,
        description=DESCRIPTIONS[dataset],
        kinds={"pandas"},
        check_specs=[
            dg.AssetCheckSpec(
                name="row_accounting",
                asset=dataset,
                blocking=True,
                description=f"{DATASET_LABELS[dataset]}行数核对：读入 = 清洁 + 隔离 + 剔除，不得丢行。",
            ),
            *(
                [
                    dg.AssetCheckSpec(
                        name="valid_uscc_share",
                        asset=dataset,
                        description="统一社会信用代码有效率：信用代码有误的行占读入行数的比例不超过设定上限。",
                    )
                ]
                if dataset in USCC_DATASETS
                else []
            ),
        ],
    )
    def _ingest(context: dg.AssetExecutionContext, input_files: InputFiles, settings: PipelineSettings):
        path = input_files.path_for(dataset)
        if path is None:
            result = empty_result(dataset)
        else:
            result = ingest_file(path, dataset, code_edition=input_files.code_edition)
        yield dg.Output(result, metadata=ingestion_metadata(result))
        yield row_accounting_result(result)
        if dataset in USCC_DATASETS:
            yield valid_uscc_share_result(result, settings.min_valid_uscc_share)

    return _ingest


def valid_uscc_share_result(result: IngestResult, floor: float) -> dg.AssetCheckResult:
    """Share of rows whose 统一社会信用代码 is valid; a low share usually means a wrong column or export."""
    quarantine = result.quarantine
    bad = int(quarantine["reason"].str.contains("统一社会信用代码").sum()) if len(quarantine) else 0
    rows = result.rows_in
    share = 1.0 if rows == 0 else (rows - bad) / rows
    return dg.AssetCheckResult(
        check_name="valid_uscc_share",
        passed=share >= floor,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"信用代码有效率 {share:.2%}（{bad} 行有误，下限 {floor:.0%}）",
        metadata={"有效率": dg.MetadataValue.float(round(share, 4)), "有误行数": dg.MetadataValue.int(bad)},
    )


def row_accounting_result(result: IngestResult) -> dg.AssetCheckResult:
    problem = accounting_problem(result)
    counts = result.accounting()
    return dg.AssetCheckResult(
        check_name="row_accounting",
        passed=problem is None,
        severity=dg.AssetCheckSeverity.ERROR,
        description=problem or "行数核对一致",
        metadata={key: dg.MetadataValue.int(int(value)) for key, value in counts.items()},
    )


ingestion_assets = [build_ingestion_asset(dataset) for dataset in DATASET_LABELS]
