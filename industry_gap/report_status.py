"""The four-colour status of each goal of the plan, shared by the Word brief and the workbooks.

For each 口径 (全口径, 规上口径) and level (大类, 中类, 小类, 合计) the plan wants `goal` new
categories by the deadline. The share of the plan period that has passed gives the number
expected by now (all of them once the deadline has passed). Then:

* 绿 正常推进 (on track): the new categories reach the number expected by now, or the goal;
* 黄 存在风险 (at risk): behind, but the candidates that can plausibly fill a gap within the
  year (附件5 firms and flagged projects) would close the shortfall;
* 红 进度滞后 (behind): even those candidates would not close it;
* 灰 无候选 (no candidate): categories are still wanted and no firm or project at all would
  fill a gap at that 口径 and level.

No number here is a policy number: the goals and the deadline come from the policy file, the
candidates from the run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from industry_gap.coverage import NO_GAP, number, text
from industry_gap.policy import GAP_LEVELS, Policy

ON_TRACK, AT_RISK, BEHIND, NO_CANDIDATE = "on_track", "at_risk", "behind", "no_candidate"
STATUS_ORDER = (ON_TRACK, AT_RISK, BEHIND, NO_CANDIDATE)
STATUS_NAMES = {ON_TRACK: "绿·正常推进", AT_RISK: "黄·存在风险", BEHIND: "红·进度滞后", NO_CANDIDATE: "灰·无候选"}
STATUS_COLOURS = {ON_TRACK: "C6EFCE", AT_RISK: "FFEB9C", BEHIND: "FFC7CE", NO_CANDIDATE: "D9D9D9"}
STATUS_LEGEND = (
    "状态说明：绿·正常推进＝新增门类已达到按时间进度应完成数；黄·存在风险＝未达到，但年内可入规企业和在建项目可补足；"
    "红·进度滞后＝现有候选也不能补足；灰·无候选＝仍有目标但没有任何企业或项目可填补该层级"
)


@dataclass(frozen=True)
class GoalStatus:
    scope: str
    level: str
    new: int
    goal: int
    expected: float
    plausible: int  # distinct gap categories that candidates can plausibly fill within the year
    possible: int  # distinct gap categories any candidate or project would fill
    status: str

    @property
    def name(self) -> str:
        return STATUS_NAMES[self.status]


def elapsed_share(policy: Policy, run_date: dt.date, start: dt.date | None) -> float:
    """Share of the plan period passed at `run_date` (1 after the deadline)."""
    if run_date >= policy.goals_deadline:
        return 1.0
    begin = policy.issued or start
    if begin is None or begin >= policy.goals_deadline:
        return 0.0
    share = (run_date - begin).days / (policy.goals_deadline - begin).days
    return min(1.0, max(0.0, share))


def gap_codes(
    candidates: pd.DataFrame, annex5: pd.Series | None, projects: pd.DataFrame | None, policy: Policy
) -> dict[tuple[str, str, bool], set[str]]:
    """{(scope, level, plausible): missing category codes} that firms and projects would fill.

    规上: included candidates by their 规上 gap (plausible when in 附件5) and flagged projects.
    全口径: flagged projects, and candidates not yet counted in 全口径 (a classification below the
    counting score); a counted firm already holds its category.
    """
    found: dict[tuple[str, str, bool], set[str]] = {}

    def add(scope: str, level: object, code: object, plausible: bool) -> None:
        level_text = text(level)
        if level_text in GAP_LEVELS and text(code):
            found.setdefault((scope, level_text, False), set()).add(text(code))
            if plausible:
                found.setdefault((scope, level_text, True), set()).add(text(code))

    if candidates is not None and not candidates.empty:
        listed = annex5 if annex5 is not None else pd.Series(True, index=candidates.index)
        for r, in_annex in zip(candidates.to_dict("records"), listed):
            if not bool(r["included"]):
                continue
            add("above", r["gap_level_above"], r["gap_code_above"], bool(in_annex))
            uncounted = r["code_source"] == "classified" and (number(r["confidence"]) or 0.0) < (
                policy.count_in_all_min_score
            )
            if uncounted and r.get("gap_level_all", NO_GAP) != NO_GAP:
                add("all", r["gap_level_all"], r["code"], bool(in_annex))
    if projects is not None and not projects.empty:
        for r in projects[projects["flagged"].astype(bool)].to_dict("records"):
            add("above", r["gap_level_above"], r["gap_code_above"], True)
            add("all", r["gap_level_all"], r["gap_code_all"], True)
    return found


def goal_statuses(
    progress: pd.DataFrame,
    candidates: pd.DataFrame,
    annex5: pd.Series | None,
    projects: pd.DataFrame | None,
    policy: Policy,
    run_date: dt.date,
) -> dict[tuple[str, str], GoalStatus]:
    """{(scope, level): GoalStatus} for every row of the progress table (level 'total' included)."""
    codes = gap_codes(candidates, annex5, projects, policy)
    start = None
    if len(progress) and text(progress["baseline_date"].iloc[0]):
        try:
            start = dt.date.fromisoformat(text(progress["baseline_date"].iloc[0])[:10])
        except ValueError:
            start = None
    share = elapsed_share(policy, run_date, start)
    out: dict[tuple[str, str], GoalStatus] = {}
    for r in progress.to_dict("records"):
        scope, level = r["scope"], r["level"]
        levels = GAP_LEVELS if level == "total" else (level,)
        plausible = sum(len(codes.get((scope, lv, True), ())) for lv in levels)
        possible = sum(len(codes.get((scope, lv, False), ())) for lv in levels)
        new, goal = int(r["new_nodes"] or 0), int(r["goal"] or 0)
        expected = goal * share
        if new >= goal or new >= expected:
            status = ON_TRACK
        elif possible == 0:
            status = NO_CANDIDATE
        elif new + plausible >= expected:
            status = AT_RISK
        else:
            status = BEHIND
        out[(scope, level)] = GoalStatus(scope, level, new, goal, expected, plausible, possible, status)
    return out
