"""The plan's 基期 (a file of the categories present when the plan was issued, or the first run said
plainly) and the goals deadline (已到期 and the final achievement, never a negative day count)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from assets.resources import PipelineSettings
from industry_gap.baseline import plan_baseline, plan_baseline_file
from industry_gap.coverage import (
    FIRST_RUN_NOTE,
    baseline_from_table,
    baseline_text,
    build_coverage,
    coverage_progress,
    deadline_text,
    resolve_baseline,
)
from industry_gap.policy import load_policy
from industry_gap.schema import ABOVE_SCALE_COLUMNS
from industry_gap.summary import run_summary, summary_lines
from tests.factories import TEST_POLICY_PATH, classified_firm, materialize_analysis
from tests.test_workbooks import policy_ending

BEFORE = dt.date(2025, 11, 24)  # before the tests' policy's goals deadline
ENDED = dt.date(2026, 6, 30)  # the goals deadline of `policy_ending` in the after-the-deadline test
AFTER = dt.date(2026, 11, 20)  # after ENDED, in a month that has already begun (report months end with the current one)


def above(*codes: str) -> pd.DataFrame:
    rows = [
        dict(
            uscc=f"91150602MA00000{i:03d}",
            name=f"规上{i}",
            industry_code=code,
            revenue_wan=5000.0,
            town="交通街道",
            source_file="above.csv",
            source_row=i + 2,
        )
        for i, code in enumerate(codes)
    ]
    return pd.DataFrame(rows, columns=ABOVE_SCALE_COLUMNS)


def registry(*codes: str) -> pd.DataFrame:
    return pd.DataFrame(
        [classified_firm(f"91150602MA00001{i:03d}", industry_code=code) for i, code in enumerate(codes)]
    )


PLAN_TABLE = pd.DataFrame(
    [dict(code="3670", present_above=True, present_all=True), dict(code="1391", present_above=False, present_all=True)]
)
PLAN_FILE_TEXT = "行业代码,规上已有,全口径已有\n3670,是,是\n1391,否,是\n"  # PLAN_TABLE as the office writes it


def plan_file(folder) -> str:
    path = folder / "基期.csv"
    path.write_text(PLAN_FILE_TEXT, encoding="utf-8-sig")
    return str(path)


def test_a_baseline_file_counts_its_categories_and_their_parents(policy):
    coverage = build_coverage(registry("1391", "3312"), above("3670", "3612"), policy)
    stored = baseline_from_table(PLAN_TABLE, baseline_date=dt.date(2022, 12, 31), source="基期.csv")
    baseline = resolve_baseline(coverage, stored, run_date=BEFORE, policy=policy).set_index("code")
    assert (baseline["baseline_source"] == "plan_file").all()
    assert (baseline["baseline_date"] == "2022-12-31").all()
    assert baseline.loc[["36", "367", "3670"], "present_above"].all()
    assert baseline.loc[["13", "139", "1391"], "present_all"].all()
    assert not baseline.loc["139", "present_above"] and not baseline.loc["33", "present_all"]
    progress = coverage_progress(coverage, baseline.reset_index(), policy, BEFORE).set_index(["scope", "level"])
    assert progress.loc[("all", "class"), "new_nodes"] == 2  # 3312 and 3612 are new since the plan
    assert progress.loc[("above", "class"), "new_nodes"] == 1  # 3612
    assert baseline_text(baseline.reset_index()) == "以规划基期文件“基期.csv”为基期（2022-12-31）"


def test_without_a_plan_baseline_the_outputs_say_the_first_run_is_used(policy, tmp_path):
    coverage = build_coverage(registry(), above("3670"), policy)
    baseline = resolve_baseline(coverage, None, run_date=BEFORE, policy=policy)
    assert baseline_text(baseline).startswith(FIRST_RUN_NOTE) and "2025-11-24" in baseline_text(baseline)
    result = materialize_analysis(
        tmp_path, registry(), run_date=BEFORE, above_scale=above("3670"), policy_file=TEST_POLICY_PATH
    ).result
    lines = summary_lines(run_summary(result, policy))
    assert f"基期：{FIRST_RUN_NOTE}；基期日期 2025-11-24" in lines


def test_policy_baseline_file_is_relative_to_the_policy_file(policy, tmp_path):
    assert policy.baseline_file == ""  # the tests' policy names no 基期 file
    text = TEST_POLICY_PATH.read_text(encoding="utf-8")
    assert text.count("\n[baseline]\n") == 1
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(
        text.replace("\n[baseline]\n", '\n[baseline]\nfile = "plan_baseline.csv"\n'), encoding="utf-8"
    )
    (tmp_path / "plan_baseline.csv").write_text(PLAN_FILE_TEXT, encoding="utf-8-sig")
    configured = load_policy(policy_file)
    assert configured.baseline_file == str(tmp_path / "plan_baseline.csv")

    settings = PipelineSettings(output_dir=str(tmp_path), policy_file=str(policy_file), baseline_file="")
    assert plan_baseline_file(settings.baseline_file, configured) == configured.baseline_file
    run_file = PipelineSettings(output_dir=str(tmp_path), baseline_file="/elsewhere/基期.csv")
    assert plan_baseline_file(run_file.baseline_file, configured) == "/elsewhere/基期.csv"  # `--baseline` wins
    # the sample district's 基期 comes last: after --baseline and the policy's file
    assert plan_baseline_file("", configured, "/sample/baseline.csv") == configured.baseline_file
    assert plan_baseline_file("", load_policy(TEST_POLICY_PATH), "/sample/baseline.csv") == "/sample/baseline.csv"

    stored = plan_baseline(configured.baseline_file, configured)
    assert set(stored["code"]) == {"36", "367", "3670", "13", "139", "1391"}
    assert configured.baseline_date is None and configured.issued is not None
    assert set(stored["baseline_date"]) == {configured.issued.isoformat()}  # no [baseline] date: the plan's issue date


def test_after_the_deadline_the_final_achievement_and_expired(policy, tmp_path):
    policy_file = policy_ending(tmp_path, policy, ENDED)
    ended = load_policy(policy_file)
    assert ended.goals_deadline == ENDED < AFTER
    result = materialize_analysis(
        tmp_path,
        registry("3312"),
        run_date=AFTER,
        above_scale=above("3670", "3612"),
        policy_file=policy_file,
        baseline_file=plan_file(tmp_path),
    ).result
    assert (result.progress["days_left"] == 0).all()  # never negative
    assert deadline_text(ended, AFTER).startswith("已到期")
    summary = run_summary(result, ended)
    assert summary["deadline"] == {"date": ENDED.isoformat(), "passed": True, "days_left": 0}
    lines = summary_lines(summary)
    assert f"规划目标截止 {ENDED.isoformat()}：已到期，以下为最终完成情况" in lines
    # new since the plan: 33, 331, 3312, 361, 3612, against the policy's 全口径 goal
    goal = ended.goal("all", "total")
    final = f"最终较基期新增5个，目标{goal}个（完成{5 / goal:.0%}）"
    assert any(line.startswith("全口径门类：") and final in line for line in lines)
    assert not any("距截止" in line or "-" in line.split("：")[-1] for line in lines if "截止" in line)


def test_before_the_deadline_the_days_left(policy, tmp_path):
    deadline = policy.goals_deadline
    days = (deadline - BEFORE).days
    assert days > 0
    assert deadline_text(policy, BEFORE) == f"距截止 {days} 天（目标截止日期 {deadline.isoformat()}）"
    assert deadline_text(policy, deadline).startswith("距截止 0 天")
    soon = BEFORE + dt.timedelta(days=7)
    policy_file = policy_ending(tmp_path, policy, soon)
    configured = load_policy(policy_file)
    assert configured.goals_deadline == soon
    result = materialize_analysis(
        tmp_path, registry(), run_date=BEFORE, above_scale=above("3670"), policy_file=policy_file
    ).result
    lines = summary_lines(run_summary(result, configured))
    assert f"规划目标截止 {soon.isoformat()}：距截止 7 天" in lines
    assert not any("已到期" in line or "最终" in line for line in lines)


def test_a_missing_baseline_file_is_a_clear_error(policy, tmp_path):
    from industry_gap.errors import UserError

    with pytest.raises(UserError, match="找不到规划基期文件"):
        plan_baseline(str(tmp_path / "没有.csv"), policy)


def test_a_run_on_the_sample_data_uses_the_sample_plans_baseline(tmp_path):
    """The first run on the sample reports progress since the plan, not 0 against itself."""
    from assets.resources import InputFiles
    from industry_gap.settings import SAMPLE_BASELINE, SAMPLE_FILES

    sample = InputFiles(**{name: str(path) for name, path in SAMPLE_FILES.items()})
    assert sample.sample_baseline_file() == str(SAMPLE_BASELINE)
    own = InputFiles(
        **{**{name: str(path) for name, path in SAMPLE_FILES.items()}, "registry": str(tmp_path / "名录.csv")}
    )
    assert own.sample_baseline_file() == ""
    policy = load_policy(None)  # the shipped policy names no 基期 file
    stored = plan_baseline(plan_baseline_file("", policy, sample.sample_baseline_file()), policy)
    assert stored["present_all"].sum() > stored["present_above"].sum() > 0
    assert set(stored["baseline_date"]) == {policy.issued.isoformat()}
