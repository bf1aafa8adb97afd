"""全市 group: a city run partitioned by district, and the city-wide coverage built from all of them.

Each district is one partition of `CITY_DISTRICTS` (its key is the district's
folder name): its registry is read, classified and its coverage computed on
its own, so districts run in parallel on whatever executor the job has
(multiprocess locally, Celery workers or Kubernetes pods elsewhere). The
unpartitioned `city_coverage` reads every district's coverage and writes the
city's workbook and 全市门类表. Values pass between runs through
`city_io_manager` (files under <output>/city/storage).
"""

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd

from assets.classification import classify_registry_rows
from assets.ingestion import empty_result, ingestion_metadata
from assets.resources import CityInputs, ModelSettings, PipelineSettings
from classifiers import ScopeClassifier
from industry_gap.city import (
    city_coverage as build_city_coverage,
)
from industry_gap.city import (
    city_gap_candidates,
    city_table_for_districts,
    coverage_summary,
    discover_districts,
)
from industry_gap.coverage import build_coverage, resolve_enterprise_codes
from industry_gap.errors import UserError
from industry_gap.exports.city_workbook import write_city_exports
from industry_gap.ingest import IngestResult, accounting_problem, ingest_file
from industry_gap.markdown import markdown_table
from industry_gap.model_training import labelled_rows, train_office_model

GROUP = "city"  # 全市
CITY_DISTRICTS = dg.DynamicPartitionsDefinition(name="city_district")
IO_MANAGER = "city_io_manager"


@dataclass
class DistrictInputs:
    district: str
    registry: IngestResult
    above_scale: IngestResult


@dataclass
class DistrictCoverage:
    district: str
    enterprise_codes: pd.DataFrame
    coverage: pd.DataFrame


@dataclass
class CityCoverage:
    districts: list[str]
    coverage: pd.DataFrame
    summary: pd.DataFrame
    candidates: pd.DataFrame
    workbook: Path
    city_table: Path


def _district_files(city_inputs: CityInputs, district: str):
    if not city_inputs.city_dir:
        raise UserError("未设置全市数据目录（city_inputs.city_dir，或环境变量 INDUSTRY_GAP_CITY_DIR）")
    for files in discover_districts(city_inputs.city_dir):
        if files.district == district:
            return files
    raise UserError(f"全市数据目录“{city_inputs.city_dir}”中没有区县文件夹“{district}”")


@dg.asset(
    partitions_def=CITY_DISTRICTS,
    group_name=GROUP,
    io_manager_key=IO_MANAGER,
    kinds={"pandas"},
    check_specs=[
        dg.AssetCheckSpec(
            "row_accounting",
            asset="district_inputs",
            blocking=True,
            description="区县名录行数核对：读入 = 清洁 + 隔离 + 剔除，不得丢行。",
        )
    ],
    description="区县输入（按区县分区）：读取并校验该区县的规下企业名录和规上工业企业名录，问题行进入隔离表。",
)
def district_inputs(context: dg.AssetExecutionContext, city_inputs: CityInputs):
    district = context.partition_key
    files = _district_files(city_inputs, district)
    registry = ingest_file(files.registry, "registry", code_edition=city_inputs.code_edition)
    above = (
        ingest_file(files.above_scale, "above_scale", code_edition=city_inputs.code_edition)
        if files.above_scale
        else empty_result("above_scale")
    )
    metadata = {f"名录{key}": value for key, value in ingestion_metadata(registry).items()}
    metadata |= {f"规上{key}": value for key, value in ingestion_metadata(above).items()}
    yield dg.Output(DistrictInputs(district, registry, above), metadata=metadata)
    problems = [p for p in (accounting_problem(registry), accounting_problem(above)) if p]
    yield dg.AssetCheckResult(
        check_name="row_accounting",
        passed=not problems,
        description="；".join(problems) or "行数核对一致",
        metadata={"读入行数": dg.MetadataValue.int(registry.rows_in + above.rows_in)},
    )


@dg.asset(
    partitions_def=CITY_DISTRICTS,
    group_name=GROUP,
    io_manager_key=IO_MANAGER,
    kinds={"scikitlearn", "pandas"},
    description="区县企业分类（按区县分区）：用参考模型（有足够登记行业代码时在其上训练，训练结果按哈希复用）"
    "给出每家规下企业的前三个候选小类与置信度。",
)
def district_classified(
    context: dg.AssetExecutionContext,
    district_inputs: DistrictInputs,
    model_settings: ModelSettings,
    settings: PipelineSettings,
) -> pd.DataFrame:
    registry = district_inputs.registry.rows
    labelled = labelled_rows(registry) if model_settings.train_on_registry_codes and len(registry) else None
    trained = train_office_model(
        labelled,
        model_dir=model_settings.model_dir or None,
        min_labels=model_settings.min_labels,
        holdout_share=model_settings.holdout_share,
        max_training_rows=model_settings.max_training_rows,
        # one cache per district: each keeps its own trained model between runs
        cache_dir=settings.output_path() / "models" / "city" / district_inputs.district,
    )
    model: ScopeClassifier = trained.model
    context.log.info(
        f"区县“{district_inputs.district}”：模型{trained.report.mode}，"
        f"{'复用已训练模型' if trained.report.reused else '本次构建或训练'}"
    )
    return classify_registry_rows(context, model, registry, model_settings.workers)


@dg.asset(
    partitions_def=CITY_DISTRICTS,
    group_name=GROUP,
    io_manager_key=IO_MANAGER,
    kinds={"pandas"},
    description="区县门类覆盖（按区县分区）：该区县 41 个大类、207 个中类、666 个小类在规上口径与全口径下是否已有企业。",
)
def district_coverage(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    district_inputs: DistrictInputs,
    district_classified: pd.DataFrame,
) -> DistrictCoverage:
    policy = settings.policy()
    above = district_inputs.above_scale.rows
    codes = resolve_enterprise_codes(district_classified, above, policy)
    table = build_coverage(district_classified, above, policy, enterprise_codes=codes)
    classes = table[table["level"] == "class"]
    context.add_output_metadata(
        {
            "规上已有小类数": dg.MetadataValue.int(int(classes["present_above"].sum())),
            "全口径已有小类数": dg.MetadataValue.int(int(classes["present_all"].sum())),
            "企业数": dg.MetadataValue.int(len(codes)),
        }
    )
    return DistrictCoverage(district_inputs.district, codes, table)


@dg.asset(
    group_name=GROUP,
    io_manager_key=IO_MANAGER,
    kinds={"pandas", "excel"},
    ins={"district_coverage": dg.AssetIn(partition_mapping=dg.AllPartitionMapping())},
    check_specs=[
        dg.AssetCheckSpec(
            "all_districts_included",
            asset="city_coverage",
            description="全市覆盖包含全部区县：已登记的每个区县分区都计入了全市门类覆盖。",
        )
    ],
    description="全市门类覆盖：任一区县已有即为全市已有；列出全市规上口径空白小类及可填补的各区县规下企业，"
    "写出全市门类覆盖工作簿和各区县运行时可用的全市门类表（--city-coverage）。",
)
def city_coverage(context: dg.AssetExecutionContext, settings: PipelineSettings, district_coverage):
    # The IO manager hands over {partition: value}, or the bare value when there is one district.
    loaded = (
        {district_coverage.district: district_coverage}
        if isinstance(district_coverage, DistrictCoverage)
        else dict(district_coverage)
    )
    tables = {name: value.coverage for name, value in loaded.items()}
    city = build_city_coverage(tables)
    summary = coverage_summary(city, tables)
    candidates = city_gap_candidates(city, {name: value.enterprise_codes for name, value in loaded.items()})
    run_date = settings.resolved_run_date()
    workbook, table_csv = write_city_exports(
        city=city,
        summary=summary,
        candidates=candidates,
        city_table=city_table_for_districts(city),
        output_root=settings.output_path(),
        run_date=run_date,
    )
    classes = city[city["level"] == "class"]
    result = CityCoverage(sorted(tables), city, summary, candidates, workbook, table_csv)
    yield dg.Output(
        result,
        metadata={
            "区县数": dg.MetadataValue.int(len(tables)),
            "区县": dg.MetadataValue.text("、".join(sorted(tables))),
            "全市规上已有小类数": dg.MetadataValue.int(int(classes["present_above"].sum())),
            "全市全口径已有小类数": dg.MetadataValue.int(int(classes["present_all"].sum())),
            "全市空白可填补企业数": dg.MetadataValue.int(len(candidates)),
            "全市门类覆盖工作簿": dg.MetadataValue.path(str(workbook)),
            "全市门类表": dg.MetadataValue.path(str(table_csv)),
            "可填补企业（前 15 行）": dg.MetadataValue.md(
                markdown_table(
                    candidates, {"district": "区县", "name": "企业名称", "code": "行业代码", "code_name": "行业名称"}
                )
            ),
        },
    )
    registered = set(context.instance.get_dynamic_partitions(CITY_DISTRICTS.name))
    missing = sorted(registered - set(tables))
    yield dg.AssetCheckResult(
        check_name="all_districts_included",
        passed=not missing,
        description=f"缺少区县：{'、'.join(missing)}" if missing else f"{len(tables)} 个区县全部计入",
        metadata={"区县数": dg.MetadataValue.int(len(tables))},
    )


district_assets = [district_inputs, district_classified, district_coverage]
city_assets = [*district_assets, city_coverage]
