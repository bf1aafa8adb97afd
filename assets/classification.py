"""分类 group: the business-scope model and the classified registry and projects."""

from collections.abc import Callable

import dagster as dg
import pandas as pd

from assets.resources import ModelSettings, PipelineSettings
from classifiers import ScopeClassifier
from classifiers.parallel import classify_in_processes
from classifiers.text import combine_activity_and_scope
from industry_gap.ingest import IngestResult
from industry_gap.model_training import TrainingReport, labelled_rows, train_office_model
from industry_gap.progress import PROGRESS_MIN_ROWS, ProgressBar
from industry_gap.review import OverrideSet, apply_overrides, apply_project_overrides, override_labels

GROUP = "classify"  # 分类
TOP_K = 3


@dg.asset(
    group_name=GROUP,
    kinds={"scikitlearn"},
    check_specs=[
        dg.AssetCheckSpec(
            "holdout_accuracy",
            asset="scope_model",
            description="分类准确率：在留出的本地标注样本上，大类 top-1 准确率不低于设定下限。",
        )
    ],
    description="经营范围分类模型：默认使用由国民经济行业分类注释构建的参考模型；"
    "名录中登记了行业代码的企业（及人工核定结果）作为标注数据时，在其上继续训练，"
    "并用留出部分评估准确率。训练好的模型按标注、参考数据和模型版本的哈希保存在输出目录的 models/ 下，"
    "未变化时直接复用，不再重新训练。",
)
def scope_model(
    context: dg.AssetExecutionContext,
    model_settings: ModelSettings,
    settings: PipelineSettings,
    registry: IngestResult,
    overrides: OverrideSet,
):
    pinned = overrides.of_kind("enterprise")
    if model_settings.train_on_registry_codes:
        labelled = labelled_rows(registry.rows, pinned)
    else:
        labelled = override_labels(pinned, registry.rows)
    trained = train_office_model(
        labelled,
        model_dir=model_settings.model_dir or None,
        min_labels=model_settings.min_labels,
        holdout_share=model_settings.holdout_share,
        max_training_rows=model_settings.max_training_rows,
        cache_dir=settings.output_path() / "models",
    )
    model, report = trained.model, trained.report
    metadata: dict[str, dg.MetadataValue] = {
        "模型版本": dg.MetadataValue.text(model.version),
        "训练方式": dg.MetadataValue.text(report.mode),
        "标注样本数": dg.MetadataValue.int(report.labelled_rows),
        "模型来源": dg.MetadataValue.text("复用" if report.reused else "本次构建或训练"),
    }
    for key, value in report.accuracy.items():
        metadata[key] = dg.MetadataValue.float(round(float(value), 4))
    yield dg.Output(model, metadata=metadata)
    yield holdout_accuracy_check(report, model_settings.accuracy_floor)


def holdout_accuracy_check(report: TrainingReport, floor: float) -> dg.AssetCheckResult:
    """Held-out 大类 top-1 against the configured floor; passes with a note when there are no labels."""
    accuracy = report.accuracy.get("大类 top-1")
    if accuracy is None:
        return dg.AssetCheckResult(
            check_name="holdout_accuracy", passed=True, description="没有本地标注样本，无法评估；使用参考模型"
        )
    return dg.AssetCheckResult(
        check_name="holdout_accuracy",
        passed=accuracy >= floor,
        description=f"留出样本 {report.holdout_rows} 条，大类 top-1 准确率 {accuracy:.1%}（下限 {floor:.0%}）",
        metadata={"大类 top-1": dg.MetadataValue.float(round(accuracy, 4)), "下限": dg.MetadataValue.float(floor)},
    )


def _classify(
    context: dg.AssetExecutionContext,
    model: ScopeClassifier,
    frame: pd.DataFrame,
    text_column: str,
    name_column: str,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    # a big registry shows its progress on the console (and in the step's log in the UI), unless the
    # caller reports it (a city district: to the city run)
    if progress is None and len(frame) >= PROGRESS_MIN_ROWS:
        progress = ProgressBar("经营范围已分类")
    classified = classify_in_processes(
        model, frame, text_column, name_column, top_k=TOP_K, workers=workers, progress=progress
    )
    scores = pd.to_numeric(classified["pred_score_1"], errors="coerce")
    context.add_output_metadata(
        {
            "行数": dg.MetadataValue.int(len(classified)),
            "有预测的行数": dg.MetadataValue.int(int(scores.notna().sum())),
            "预测为工业的行数": dg.MetadataValue.int(int(classified["is_industrial"].fillna(False).astype(bool).sum())),
            "平均置信度": dg.MetadataValue.float(round(float(scores.mean()), 4) if scores.notna().any() else 0.0),
            "模型版本": dg.MetadataValue.text(model.version),
        }
    )
    return classified


@dg.asset(
    group_name=GROUP,
    kinds={"pandas"},
    description="规下企业经营范围分类：每家企业的前三个候选小类、置信度、所属大类/门类、是否工业及分类依据。",
)
def classified_registry(
    context: dg.AssetExecutionContext,
    scope_model: ScopeClassifier,
    registry: IngestResult,
    overrides: OverrideSet,
    model_settings: ModelSettings,
) -> pd.DataFrame:
    classified = classify_registry_rows(context, scope_model, registry.rows, model_settings.workers)
    return apply_overrides(classified, overrides.of_kind("enterprise"))


def classify_registry_rows(
    context: dg.AssetExecutionContext,
    model: ScopeClassifier,
    frame: pd.DataFrame,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Clean registry rows with their top-3 小类, by 主要业务活动 and 经营范围 together when both are given."""
    text_column = "scope"
    if "main_activity" in frame.columns and frame["main_activity"].fillna("").astype(str).str.strip().ne("").any():
        # The register's 主要业务活动 says what the firm does: classify on it together with the scope.
        text_column = "_classified_text"
        frame = frame.assign(
            **{
                text_column: [
                    combine_activity_and_scope(m, s)
                    for m, s in zip(frame["main_activity"].tolist(), frame["scope"].tolist())
                ]
            }
        )
    classified = _classify(context, model, frame, text_column, "name", workers, progress)
    return classified.drop(columns=[text_column]) if text_column != "scope" else classified


@dg.asset(
    group_name=GROUP,
    kinds={"pandas"},
    description="项目建设内容分类：项目清单未填写拟扩增门类代码时，按建设内容判断其行业小类。",
)
def classified_projects(
    context: dg.AssetExecutionContext, scope_model: ScopeClassifier, projects: IngestResult, overrides: OverrideSet
) -> pd.DataFrame:
    classified = _classify(context, scope_model, projects.rows, "content", "project_name")
    return apply_project_overrides(classified, overrides.of_kind("project"))


classification_assets = [scope_model, classified_registry, classified_projects]
