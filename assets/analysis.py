"""分析 group: coverage and its baseline, gap flags, the 入规 pipeline, rewards, review list.

Each asset calls one pure step from `industry_gap`; the policy numbers come
from the district's TOML file named in `PipelineSettings`. `coverage` also
reads earlier runs (its baseline and the previous run), through `EarlierRuns`.
"""

import dagster as dg
import pandas as pd

from assets.resources import InputFiles, PipelineSettings, WarehouseResource
from industry_gap.baseline import chosen_baseline
from industry_gap.changes import coverage_drops, left_above_scale
from industry_gap.coverage import (
    CoverageState,
    baseline_text,
    build_coverage,
    coverage_by_division,
    coverage_progress,
    deadline_text,
    resolve_baseline,
    resolve_enterprise_codes,
)
from industry_gap.earlier_runs import EarlierRuns
from industry_gap.entry_pipeline import build_entry_pipeline, stage_counts
from industry_gap.gaps import assess_projects, build_review_list, flag_enterprise_gaps
from industry_gap.ingest import IngestResult
from industry_gap.markdown import markdown_table
from industry_gap.plots import coverage_by_division_png, entry_funnel_png, png_markdown, progress_png
from industry_gap.policy import GAP_LEVELS
from industry_gap.rewards import BASIS_CITY, BASIS_DISTRICT, RewardEstimate, estimate_rewards
from reference import LEVEL_NAMES

GROUP = "analyse"  # 分析


@dg.asset(
    group_name=GROUP,
    kinds={"pandas"},
    check_specs=[
        dg.AssetCheckSpec(
            "no_silent_decrease",
            asset="coverage",
            description="门类覆盖不得无声减少：与上次运行相比消失的门类逐一列出，并列出移出规上名录的企业。",
        )
    ],
    description="门类覆盖：41 个大类、207 个中类、666 个小类在规上口径与全口径下是否已有企业；"
    "规下企业优先按登记行业代码、否则按达到置信度阈值的经营范围分类计入。"
    "与基期快照比较，给出各层级新增门类数及目标完成情况。",
)
def coverage(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    input_files: InputFiles,
    warehouse: WarehouseResource,
    classified_registry: pd.DataFrame,
    above_scale: IngestResult,
):
    """Reads earlier runs from the warehouse (`EarlierRuns`): the stored baseline and the previous run's coverage."""
    policy = settings.policy()
    run_date = settings.resolved_run_date()
    codes = resolve_enterprise_codes(classified_registry, above_scale.rows, policy)
    table = build_coverage(classified_registry, above_scale.rows, policy, enterprise_codes=codes)
    # Earlier runs: the baseline when the plan gives no 基期 file, and the previous run for the check.
    with EarlierRuns(warehouse.open(), run_date) as earlier:
        stored = chosen_baseline(settings.baseline_file, policy, earlier, input_files.sample_baseline_file())
        previous = earlier.previous_coverage()
    baseline = resolve_baseline(table, stored, run_date=run_date, policy=policy)
    progress = coverage_progress(table, baseline, policy, run_date)
    divisions = coverage_by_division(table)
    state = CoverageState(
        enterprise_codes=codes, coverage=table, baseline=baseline, progress=progress, divisions=divisions
    )
    yield dg.Output(
        state,
        metadata={
            "大类覆盖图": dg.MetadataValue.md(png_markdown(coverage_by_division_png(divisions), "各大类门类覆盖")),
            "目标进展图": dg.MetadataValue.md(png_markdown(progress_png(progress), "较基期新增门类与目标")),
            "基期": dg.MetadataValue.text(baseline_text(baseline)),
            "目标截止": dg.MetadataValue.text(deadline_text(policy, run_date)),
            "目标进展": dg.MetadataValue.md(
                markdown_table(
                    progress,
                    {
                        "scope_name": "口径",
                        "level_name": "层级",
                        "baseline_present": "基期已有",
                        "current_present": "当前已有",
                        "new_nodes": "新增",
                        "goal": "目标",
                        "remaining": "尚差",
                    },
                )
            ),
            "规上已有小类数": dg.MetadataValue.int(int(table.loc[table["level"] == "class", "present_above"].sum())),
            "全口径已有小类数": dg.MetadataValue.int(int(table.loc[table["level"] == "class", "present_all"].sum())),
        },
    )
    yield coverage_decrease_check(table, previous, above_scale.rows)


def coverage_decrease_check(
    coverage_now: pd.DataFrame, previous: tuple[pd.DataFrame, pd.DataFrame] | None, above_now: pd.DataFrame
) -> dg.AssetCheckResult:
    """Fails (as a warning) when a category present last run is gone, naming who left 规上."""
    if previous is None:
        return dg.AssetCheckResult(
            check_name="no_silent_decrease", passed=True, description="首次运行，没有可比较的上次结果"
        )
    coverage_before, above_before = previous
    left = left_above_scale(above_now, above_before)
    drops = coverage_drops(coverage_now, coverage_before, left)
    return dg.AssetCheckResult(
        check_name="no_silent_decrease",
        passed=drops.empty,
        severity=dg.AssetCheckSeverity.WARN,
        description="与上次运行相比没有门类消失" if drops.empty else f"有 {len(drops)} 个门类较上次运行消失，请核实",
        metadata={
            "消失的门类": dg.MetadataValue.md(
                markdown_table(
                    drops,
                    {
                        "scope_name": "口径",
                        "level_name": "层级",
                        "code": "代码",
                        "name": "名称",
                        "left_enterprises": "移出规上的企业",
                    },
                )
            ),
            "移出规上名录的企业": dg.MetadataValue.md(
                markdown_table(left, {"uscc": "统一社会信用代码", "name": "企业名称", "industry_code": "行业代码"})
            ),
        },
    )


@dg.asset(
    group_name=GROUP,
    kinds={"pandas"},
    description="规下企业门类缺口标记：按规上口径与全口径分别判断其行业在大类/中类/小类哪一层缺失，"
    "是否在目标清单（附件2/附件3）中及责任单位；低置信度分类不直接标记，进入复核清单。",
)
def gap_flags(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    classified_registry: pd.DataFrame,
    above_scale: IngestResult,
    targets: IngestResult,
    coverage: CoverageState,
) -> pd.DataFrame:
    policy = settings.policy()
    gaps = flag_enterprise_gaps(
        classified_registry,
        above_scale.rows,
        coverage.coverage,
        targets.rows,
        policy,
        enterprise_codes=coverage.enterprise_codes,
    )
    flagged = gaps[gaps["flagged"].astype(bool)] if not gaps.empty else gaps
    by_level = {LEVEL_NAMES[level]: int((flagged["gap_level_above"] == level).sum()) for level in GAP_LEVELS}
    context.add_output_metadata(
        {
            "标记企业数": dg.MetadataValue.int(len(flagged)),
            "按规上缺口层级": dg.MetadataValue.json(by_level),
            "预览": dg.MetadataValue.md(
                markdown_table(
                    flagged,
                    {
                        "name": "企业名称",
                        "code": "行业代码",
                        "code_name": "行业名称",
                        "gap_level_above": "规上缺口层级",
                        "department": "责任单位",
                    },
                )
            ),
        }
    )
    return gaps


@dg.asset(
    group_name=GROUP,
    kinds={"pandas"},
    description="项目评估：每个在谈/在建项目拟扩增的门类（未填写时按建设内容分类）、可填补的缺口层级与责任单位。",
)
def project_assessment(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    classified_projects: pd.DataFrame,
    targets: IngestResult,
    coverage: CoverageState,
) -> pd.DataFrame:
    assessed = assess_projects(classified_projects, coverage.coverage, targets.rows, settings.policy())
    context.add_output_metadata(
        {
            "项目数": dg.MetadataValue.int(len(assessed)),
            "可扩增门类项目数": dg.MetadataValue.int(
                int(assessed["flagged"].astype(bool).sum()) if len(assessed) else 0
            ),
        }
    )
    return assessed


@dg.asset(
    group_name=GROUP,
    kinds={"pandas"},
    description="入规培育清单：仅限辖区内存续的独立法人工业企业；按营业收入与 2000 万元门槛的距离分为"
    "已达标待入库、临近、培育、储备，并按缺口层级、目标清单、置信度、门槛距离和增速排序。",
)
def entry_candidates(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    classified_registry: pd.DataFrame,
    gap_flags: pd.DataFrame,
) -> pd.DataFrame:
    policy = settings.policy()
    candidates = build_entry_pipeline(classified_registry, gap_flags, policy)
    included = candidates[candidates["included"].astype(bool)] if not candidates.empty else candidates
    context.add_output_metadata(
        {
            "入规漏斗图": dg.MetadataValue.md(
                png_markdown(entry_funnel_png(candidates, policy.stage_names), "入规培育各阶段企业数")
            ),
            "入规阶段": dg.MetadataValue.json(stage_counts(candidates, policy) if not candidates.empty else {}),
            "排名前列": dg.MetadataValue.md(
                markdown_table(
                    included.sort_values("rank"),
                    {
                        "rank": "排名",
                        "name": "企业名称",
                        "code_name": "行业",
                        "stage_name": "阶段",
                        "revenue_wan": "营业收入（万元）",
                        "gap_level_above": "规上缺口层级",
                    },
                )
            ),
        }
    )
    return candidates


@dg.asset(
    group_name=GROUP,
    kinds={"pandas"},
    description="奖励测算：按政策文件规则（小升规填补规上空白、龙头裂变、专精特新、新引进项目）估算奖励，"
    "每户只计一次，并写明被哪条规则排除。",
)
def reward_estimates(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    classified_registry: pd.DataFrame,
    above_scale: IngestResult,
    entry_candidates: pd.DataFrame,
    project_assessment: pd.DataFrame,
    coverage: CoverageState,
) -> RewardEstimate:
    policy = settings.policy()
    city = settings.city_coverage()
    rewards = estimate_rewards(
        entry_candidates,
        project_assessment,
        coverage.coverage,
        policy,
        registry=classified_registry,
        above_scale=above_scale.rows,
        city_coverage=city,
    )
    awarded = rewards[rewards["status"] == "awarded"] if not rewards.empty else rewards
    basis = BASIS_CITY if city is not None else BASIS_DISTRICT
    context.add_output_metadata(
        {
            "预计奖励合计（万元）": dg.MetadataValue.float(float(awarded["amount_wan"].sum()) if len(awarded) else 0.0),
            "计奖笔数": dg.MetadataValue.int(len(awarded)),
            "空白判断依据": dg.MetadataValue.text(basis),
        }
    )
    return RewardEstimate(rewards=rewards, basis=basis)


@dg.asset(
    group_name=GROUP,
    kinds={"pandas"},
    description="复核清单：低置信度的分类中，核定结果会改变报送内容（是否填补门类空白、奖励、附件4/附件5、覆盖数）的企业和项目，"
    "按核定价值排序，附前三候选代码与依据。",
)
def review_list(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    classified_registry: pd.DataFrame,
    gap_flags: pd.DataFrame,
    classified_projects: pd.DataFrame,
    project_assessment: pd.DataFrame,
    coverage: CoverageState,
) -> pd.DataFrame:
    review = build_review_list(
        classified_registry,
        gap_flags,
        classified_projects,
        project_assessment,
        settings.policy(),
        coverage=coverage.coverage,
    )
    context.add_output_metadata(
        {
            "待复核数": dg.MetadataValue.int(len(review)),
            "预览": dg.MetadataValue.md(
                markdown_table(
                    review,
                    {
                        "entity_kind_name": "类型",
                        "name": "名称",
                        "pred_code_1": "候选1",
                        "pred_score_1": "置信度",
                        "review_reason": "原因",
                    },
                )
            ),
        }
    )
    return review


analysis_assets = [coverage, gap_flags, project_assessment, entry_candidates, reward_estimates, review_list]
