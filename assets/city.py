"""全市 group: a city run partitioned by district, one office model for the city, the city-wide coverage.

Each district is one partition of `CITY_DISTRICTS` (its key is the district's
folder name): its registry is read (with its coded firms as labels), classified
and its coverage computed on its own, so districts run in parallel on whatever
executor the job has (multiprocess locally, Celery workers or Kubernetes pods
elsewhere). Between reading and classifying, the unpartitioned
`city_office_model` trains one model from every district's labels (once, not
once per district: that was most of a cold city run). The unpartitioned
`city_coverage` reads every district's coverage and writes the city's workbook
and 全市门类表. Values pass between runs through `city_io_manager` (files under
<output>/city/storage).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from assets.classification import classify_registry_rows
from assets.ingestion import empty_result, ingestion_metadata
from assets.resources import CityInputs, ModelSettings, PipelineSettings
from classifiers import ScopeClassifier, load_default_model
from industry_gap.city import (
    ProgressFile,
    city_gap_candidates,
    city_table_for_districts,
    coverage_summary,
    discover_districts,
)
from industry_gap.city import (
    city_coverage as build_city_coverage,
)
from industry_gap.coverage import build_coverage, resolve_enterprise_codes
from industry_gap.errors import UserError
from industry_gap.exports.city_workbook import write_city_exports
from industry_gap.ingest import IngestResult, accounting_problem, ingest_file
from industry_gap.markdown import markdown_table
from industry_gap.model_training import (
    labelled_rows,
    load_model_or_explain,
    pool_district_labels,
    train_city_office_model,
    training_key,
)
from industry_gap.progress import PROGRESS_MIN_ROWS, ProgressBar

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


@dg.multi_asset(
    partitions_def=CITY_DISTRICTS,
    group_name=GROUP,
    outs={
        "district_inputs": dg.AssetOut(
            io_manager_key=IO_MANAGER,
            kinds={"pandas"},
            description="区县输入（按区县分区）：读取并校验该区县的规下企业名录和规上工业企业名录，问题行进入隔离表。",
        ),
        "district_labels": dg.AssetOut(
            io_manager_key=IO_MANAGER,
            kinds={"pandas"},
            description="区县标注样本（按区县分区）：该区县名录中登记了行业代码的企业，供训练全市统一模型。",
        ),
    },
    check_specs=[
        dg.AssetCheckSpec(
            "row_accounting",
            asset="district_inputs",
            blocking=True,
            description="区县名录行数核对：读入 = 清洁 + 隔离 + 剔除，不得丢行。",
        )
    ],
)
def district_inputs(context: dg.AssetExecutionContext, city_inputs: CityInputs, model_settings: ModelSettings):
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
    yield dg.Output(DistrictInputs(district, registry, above), output_name="district_inputs", metadata=metadata)
    # Only the labelled rows go on to the city's model: it reads every district's, not their whole registries.
    rows = registry.rows
    labels = labelled_rows(rows) if model_settings.train_on_registry_codes and len(rows) else pool_district_labels({})
    yield dg.Output(labels, output_name="district_labels", metadata={"标注样本数": dg.MetadataValue.int(len(labels))})
    problems = [p for p in (accounting_problem(registry), accounting_problem(above)) if p]
    yield dg.AssetCheckResult(
        asset_key="district_inputs",
        check_name="row_accounting",
        passed=not problems,
        description="；".join(problems) or "行数核对一致",
        metadata={"读入行数": dg.MetadataValue.int(registry.rows_in + above.rows_in)},
    )


@dataclass(frozen=True)
class CityModel:
    """The city's one office model: where it is saved ("" = the reference model) and how it was made.

    A path, not the model, passes between steps: each district loads it with the classifier's own
    loader, which is faster than unpickling it from the IO manager."""

    path: str
    mode: str
    labelled_rows: int
    reused: bool
    accuracy: dict[str, float]


def _by_district(value: Any) -> dict[str, DistrictCoverage]:
    """The IO manager hands over {partition: value}, or the bare value when there is one district."""
    return {value.district: value} if isinstance(value, DistrictCoverage) else dict(value)


@dg.asset(
    group_name=GROUP,
    io_manager_key=IO_MANAGER,
    kinds={"scikitlearn"},
    ins={"district_labels": dg.AssetIn(partition_mapping=dg.AllPartitionMapping())},
    description="全市统一分类模型：汇总全部区县名录中登记了行业代码的企业作为标注样本，在参考模型上训练一次，"
    "各区县共用；训练结果按标注、参考数据和模型版本的哈希保存在输出目录的 models/city/ 下，未变化时直接复用。",
)
def city_office_model(
    context: dg.AssetExecutionContext, district_labels, model_settings: ModelSettings, settings: PipelineSettings
) -> CityModel:
    # {district: labels}, or the bare labels when there is one district
    labels = {"": district_labels} if isinstance(district_labels, pd.DataFrame) else dict(district_labels)
    if not model_settings.train_on_registry_codes:
        labels = {}
    pooled = pool_district_labels(labels)
    cache_dir = settings.output_path() / "models" / "city"
    trained = train_city_office_model(
        labels,
        model_dir=model_settings.model_dir or None,
        min_labels=model_settings.min_labels,
        holdout_share=model_settings.holdout_share,
        max_training_rows=model_settings.max_training_rows,
        cache_dir=cache_dir,
    )
    report = trained.report
    path = _saved_model_path(trained, pooled, model_settings, cache_dir)
    context.add_output_metadata(
        {
            "训练方式": dg.MetadataValue.text(report.mode),
            "标注样本数": dg.MetadataValue.int(report.labelled_rows),
            "区县数": dg.MetadataValue.int(len(labels)),
            "模型来源": dg.MetadataValue.text("复用" if report.reused else "本次构建或训练"),
            **{key: dg.MetadataValue.float(round(float(value), 4)) for key, value in report.accuracy.items()},
        }
    )
    return CityModel(path, report.mode, report.labelled_rows, report.reused, dict(report.accuracy))


def _saved_model_path(trained, pooled: pd.DataFrame, model_settings: ModelSettings, cache_dir: Path) -> str:
    """Where the districts load the model from: the saved model named, the trained one in the cache
    (saved here when the cache could not keep it), or "" for the reference model."""
    if model_settings.model_dir:
        return str(Path(model_settings.model_dir).resolve())
    if len(pooled) < model_settings.min_labels:
        return ""
    key = training_key(
        pooled, model_settings.min_labels, model_settings.holdout_share, model_settings.max_training_rows
    )
    cached = [p for p in cache_dir.glob(f"*{key}") if p.is_dir()] if cache_dir.is_dir() else []
    if cached:
        return str(cached[0].resolve())
    fallback = cache_dir.parent / "city-unsaved" / key
    try:
        trained.model.save(fallback)
    except OSError as error:
        raise UserError(
            f"无法保存全市统一分类模型到“{fallback}”：{error}（请检查输出目录是否可写、磁盘是否已满）"
        ) from None
    return str(fallback.resolve())


def load_city_model(city_model: CityModel) -> ScopeClassifier:
    return load_model_or_explain(Path(city_model.path)) if city_model.path else load_default_model()


@dg.asset(
    partitions_def=CITY_DISTRICTS,
    group_name=GROUP,
    io_manager_key=IO_MANAGER,
    kinds={"scikitlearn", "pandas"},
    description="区县企业分类（按区县分区）：用全市统一分类模型给出每家规下企业的前三个候选小类与置信度。",
)
def district_classified(
    context: dg.AssetExecutionContext,
    district_inputs: DistrictInputs,
    city_office_model: CityModel,
    model_settings: ModelSettings,
    settings: PipelineSettings,
) -> pd.DataFrame:
    model = load_city_model(city_office_model)
    district = district_inputs.district
    context.log.info(f"区县“{district}”：使用全市统一模型（{city_office_model.mode}）")
    registry = district_inputs.registry.rows
    to_file = ProgressFile(settings.output_path(), district, "已分类")
    bar = ProgressBar("经营范围已分类") if len(registry) >= PROGRESS_MIN_ROWS else None  # the step's own log

    def progress(done: int, total: int) -> None:
        to_file(done, total)
        if bar is not None:
            bar(done, total)

    return classify_registry_rows(context, model, registry, model_settings.workers, progress)


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
    loaded = _by_district(district_coverage)
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
city_assets = [district_inputs, city_office_model, district_classified, district_coverage, city_coverage]
