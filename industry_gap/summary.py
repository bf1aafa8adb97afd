"""The numbers `industry-gap run` prints, from the tables of one run.

The asset graph (`assets`, run by `pipelines.runner`) is the one way the
tables are made; `AnalysisResult` gathers them from the materialised values,
`run_summary` turns them into a plain dict of counts and `summary_lines`
into the Chinese lines the CLI prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd

from industry_gap.coverage import DEADLINE_PASSED, NO_GAP, CoverageState, baseline_text, deadline_passed
from industry_gap.entry_pipeline import stage_counts
from industry_gap.policy import GAP_LEVELS, SCOPE_NAMES, Policy
from industry_gap.rewards import RewardEstimate
from reference import LEVEL_NAMES

T = TypeVar("T")


@dataclass(frozen=True)
class AnalysisResult:
    """Every table of one run. The warehouse keeps those in `TABLES`, keyed by run date."""

    run_date: dt.date
    enterprise_codes: pd.DataFrame  # per-firm code decisions (规上 and 规下)
    coverage: pd.DataFrame  # per industrial node, both scopes
    baseline: pd.DataFrame  # the baseline snapshot in use
    progress: pd.DataFrame  # new nodes per scope and level against goals
    divisions: pd.DataFrame  # per 大类 counts (chart data)
    gaps: pd.DataFrame  # per 规下 firm gap flags
    projects: pd.DataFrame  # per project, assessed
    review: pd.DataFrame  # low-confidence firms and projects
    candidates: pd.DataFrame  # 入规 pipeline (included and excluded)
    rewards: pd.DataFrame  # reward claims with status and reasons
    reward_basis: str  # 全市门类表 or the district fallback note

    TABLES = ("coverage", "baseline", "gaps", "candidates", "projects", "rewards", "review")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The warehouse tables by name."""
        return {name: getattr(self, name) for name in self.TABLES}

    @classmethod
    def from_assets(cls, values: Mapping[str, object], run_date: dt.date) -> AnalysisResult:
        """The tables from the materialised values of the analysis assets, keyed by asset name."""
        coverage = _value(values, "coverage", CoverageState)
        rewards = _value(values, "reward_estimates", RewardEstimate)
        return cls(
            run_date=run_date,
            enterprise_codes=coverage.enterprise_codes,
            coverage=coverage.coverage,
            baseline=coverage.baseline,
            progress=coverage.progress,
            divisions=coverage.divisions,
            gaps=_value(values, "gap_flags", pd.DataFrame),
            projects=_value(values, "project_assessment", pd.DataFrame),
            review=_value(values, "review_list", pd.DataFrame),
            candidates=_value(values, "entry_candidates", pd.DataFrame),
            rewards=rewards.rewards,
            reward_basis=rewards.basis,
        )


def _value(values: Mapping[str, object], name: str, kind: type[T]) -> T:
    """The value of asset `name`, which is a `kind` (a wrong type is our bug, said plainly)."""
    value = values[name]
    if not isinstance(value, kind):
        raise TypeError(f"asset {name} gave {type(value).__name__}, not {kind.__name__}")
    return value


def _level_counts(frame: pd.DataFrame, column: str, mask: pd.Series | None = None) -> dict[str, int]:
    if frame.empty:
        return {level: 0 for level in GAP_LEVELS}
    selected = frame if mask is None else frame[mask]
    return {level: int((selected[column] == level).sum()) for level in GAP_LEVELS}


def run_summary(
    result: AnalysisResult, policy: Policy, workbook_paths: Iterable[str | Path] = (), registry_rows: int | None = None
) -> dict:
    """The counts behind the CLI summary, as a plain dict (English keys, Chinese names where shown).

    Keys: run_date, enterprises_read, above_scale_read, projects_read, classified
    (by source), counted_in_all, flagged (per scope and level), flagged_total,
    projects_flagged, review, pipeline (per stage name), pipeline_total,
    pipeline_excluded, rewards (total_wan, due_now_wan, by_rule, awarded_claims, basis),
    coverage (present and new per scope and level, goals), baseline (which 基期, in words),
    deadline (date, passed, days_left ≥ 0), workbooks.
    """
    gaps, codes = result.gaps, result.enterprise_codes
    below = codes[codes["scale"] == "below"] if not codes.empty else codes
    flagged_mask = gaps["flagged"].astype(bool) if not gaps.empty else None
    projects = result.projects
    project_mask = projects["flagged"].astype(bool) if not projects.empty else None
    rewards = result.rewards
    awarded = rewards[rewards["status"] == "awarded"] if not rewards.empty else rewards
    summary = {
        "run_date": result.run_date.isoformat(),
        "enterprises_read": int(registry_rows if registry_rows is not None else len(below)),
        "above_scale_read": int((codes["scale"] == "above").sum()) if not codes.empty else 0,
        "projects_read": int(len(projects)),
        "classified": {
            "registry_code": int((below["code_source"] == "registry").sum()) if not below.empty else 0,
            "manual": int((below["code_source"] == "manual").sum()) if not below.empty else 0,
            "classified": int((below["code_source"] == "classified").sum()) if not below.empty else 0,
            "unclassified": int((below["code_source"] == "none").sum()) if not below.empty else 0,
        },
        "counted_in_all": int(below["counted_in_all"].sum()) if not below.empty else 0,
        "flagged": {scope: _level_counts(gaps, f"gap_level_{scope}", flagged_mask) for scope in ("above", "all")},
        "flagged_total": int(flagged_mask.sum()) if flagged_mask is not None else 0,
        "projects_flagged": {
            scope: _level_counts(projects, f"gap_level_{scope}", project_mask) for scope in ("above", "all")
        },
        "review": {
            "enterprises": int((result.review["entity_kind"] == "enterprise").sum()) if not result.review.empty else 0,
            "projects": int((result.review["entity_kind"] == "project").sum()) if not result.review.empty else 0,
        },
        "pipeline": stage_counts(result.candidates, policy)
        if not result.candidates.empty
        else {policy.stage_names[k]: 0 for k in ("ready", "near", "nurture", "reserve")},
        "pipeline_total": int(result.candidates["included"].sum()) if not result.candidates.empty else 0,
        "pipeline_excluded": int((~result.candidates["included"].astype(bool)).sum())
        if not result.candidates.empty
        else 0,
        "rewards": {
            "total_wan": float(awarded["amount_wan"].sum()) if not awarded.empty else 0.0,
            "due_now_wan": float(awarded["amount_due_now_wan"].fillna(0).sum()) if not awarded.empty else 0.0,
            "by_rule": (
                {name: float(v) for name, v in awarded.groupby("rule_name", sort=False)["amount_wan"].sum().items()}
                if not awarded.empty
                else {}
            ),
            "awarded_claims": int(len(awarded)),
            "basis": result.reward_basis,
        },
        "coverage": _coverage_numbers(result.progress),
        "baseline": baseline_text(result.baseline),
        "deadline": {
            "date": policy.goals_deadline.isoformat(),
            "passed": deadline_passed(policy, result.run_date),
            "days_left": max((policy.goals_deadline - result.run_date).days, 0),
        },
        "workbooks": [str(p) for p in workbook_paths],
    }
    return summary


def _coverage_numbers(progress: pd.DataFrame) -> dict:
    out: dict[str, dict[str, dict[str, object]]] = {}
    for record in progress.to_dict("records"):
        out.setdefault(record["scope"], {})[record["level"]] = {
            "present": int(record["current_present"]),
            "standard": int(record["standard_nodes"]),
            "new": int(record["new_nodes"]),
            "goal": int(record["goal"]),
        }
    return out


def summary_lines(summary: dict) -> list[str]:
    """The Chinese lines `industry-gap run` prints for a summary from `run_summary`."""

    def levels(counts: dict) -> str:
        return "，".join(f"{LEVEL_NAMES[level]}{counts[level]}户" for level in GAP_LEVELS)

    classified = summary["classified"]
    lines = [
        f"运行日期：{summary['run_date']}",
        f"读取规下企业{summary['enterprises_read']}户、规上工业企业{summary['above_scale_read']}户、项目{summary['projects_read']}个",
        f"行业代码：登记代码{classified['registry_code']}户，人工核定{classified.get('manual', 0)}户，"
        f"经营范围分类{classified['classified']}户，"
        f"未能分类{classified['unclassified']}户；计入全口径门类{summary['counted_in_all']}户",
        f"可扩增门类的规下企业{summary['flagged_total']}户（规上口径：{levels(summary['flagged']['above'])}；"
        f"全口径：{levels(summary['flagged']['all'])}）",
        f"可扩增门类的项目（规上口径：{levels(summary['projects_flagged']['above']).replace('户', '个')}；"
        f"全口径：{levels(summary['projects_flagged']['all']).replace('户', '个')}）",
        f"待人工复核：企业{summary['review']['enterprises']}户，项目{summary['review']['projects']}个",
        "入规培育："
        + "，".join(f"{name}{count}户" for name, count in summary["pipeline"].items())
        + f"（合计{summary['pipeline_total']}户，未纳入{summary['pipeline_excluded']}户）",
        f"预计奖励合计{summary['rewards']['total_wan']:,.2f}万元（{summary['rewards']['basis']}）",
    ]
    for rule_name, amount in summary["rewards"]["by_rule"].items():
        lines.append(f"  {rule_name}：{amount:,.2f}万元")
    deadline = summary.get("deadline")
    passed = bool(deadline and deadline["passed"])
    if summary.get("baseline"):
        lines.append(f"基期：{summary['baseline']}")
    if deadline:
        lines.append(
            f"规划目标截止 {deadline['date']}："
            + (f"{DEADLINE_PASSED}，以下为最终完成情况" if passed else f"距截止 {deadline['days_left']} 天")
        )
    for scope, by_level in summary["coverage"].items():
        total = by_level.get("total", {})
        new, goal = total.get("new", 0), total.get("goal", 0)
        share = f"（完成{new / goal:.0%}）" if goal else ""
        lines.append(
            f"{SCOPE_NAMES[scope]}门类："
            + "，".join(
                f"{LEVEL_NAMES[level]}{by_level[level]['present']}/{by_level[level]['standard']}"
                for level in GAP_LEVELS
                if level in by_level
            )
            + (f"；最终较基期新增{new}个，目标{goal}个{share}" if passed else f"；较基期新增{new}个，目标{goal}个")
        )
    if summary["workbooks"]:
        lines.append("已生成工作簿：")
        lines.extend(f"  {path}" for path in summary["workbooks"])
    return lines


__all__ = ["AnalysisResult", "NO_GAP", "run_summary", "summary_lines"]
