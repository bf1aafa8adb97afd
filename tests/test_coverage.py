"""Coverage of industrial nodes at 规上 and 全口径 scope, the baseline, and progress against goals."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from industry_gap.coverage import (
    build_coverage,
    choose_baseline_run,
    city_present_codes,
    coverage_by_division,
    coverage_progress,
    gap_level,
    present_codes,
    resolve_baseline,
    resolve_enterprise_codes,
)
from industry_gap.schema import ABOVE_SCALE_COLUMNS
from tests.factories import classified_firm

RUN_DATE = dt.date(2025, 11, 24)


def firm(uscc: str, **values) -> dict:
    return classified_firm(uscc, **values)


def registry(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def above(*pairs: tuple[str, str]) -> pd.DataFrame:
    rows = [
        dict(
            uscc=uscc,
            name=f"规上{uscc[-4:]}",
            industry_code=code,
            revenue_wan=5000.0,
            town="交通街道",
            source_file="above.csv",
            source_row=i + 2,
        )
        for i, (uscc, code) in enumerate(pairs)
    ]
    return pd.DataFrame(rows, columns=ABOVE_SCALE_COLUMNS)


def row(coverage: pd.DataFrame, code: str) -> dict:
    return coverage.set_index("code").loc[code].to_dict()


def test_every_industrial_node_once(policy):
    coverage = build_coverage(registry(), above(), policy)
    assert coverage.groupby("level").size().to_dict() == {"division": 41, "group": 207, "class": 666}
    assert coverage["code"].is_unique
    assert not coverage["present_above"].any() and not coverage["present_all"].any()
    assert set(coverage["section"]) == {"B", "C", "D"}


def test_above_scale_presence_propagates_up(policy):
    coverage = build_coverage(registry(), above(("91150602MA0000000001", "3670")), policy)
    for code in ("36", "367", "3670"):
        assert row(coverage, code)["present_above"] and row(coverage, code)["present_all"]
        assert row(coverage, code)["present_all_source"] == "规上企业"
    assert not row(coverage, "3611")["present_above"]
    assert not row(coverage, "361")["present_all"]


def test_all_scope_sources_and_confidence_threshold(policy):
    counted = policy.count_in_all_min_score
    frame = registry(
        firm("91150602MA0000000011", industry_code="1391"),
        firm("91150602MA0000000012", pred_code_1="3311", pred_score_1=counted),  # at the threshold: counts
        firm("91150602MA0000000013", pred_code_1="3042", pred_score_1=counted - 0.01),  # just below: does not
        firm("91150602MA0000000014", pred_code_1="5137", pred_score_1=0.99),  # non-industrial
    )
    coverage = build_coverage(frame, above(), policy)
    assert row(coverage, "1391")["present_all"] and not row(coverage, "1391")["present_above"]
    assert row(coverage, "1391")["present_all_source"] == "规下企业（登记行业代码）"
    assert row(coverage, "3311")["present_all_source"] == "规下企业（经营范围分类）"
    assert row(coverage, "3311")["n_below_classified"] == 1
    assert not row(coverage, "3042")["present_all"]
    assert coverage["n_all"].sum() == 6  # two firms x three levels

    codes = resolve_enterprise_codes(frame, above(), policy).set_index("uscc")
    assert codes.loc["91150602MA0000000011", "code_source"] == "registry"
    assert "登记行业代码" in codes.loc["91150602MA0000000011", "decision"]
    assert codes.loc["91150602MA0000000012", "counted_in_all"]
    assert not codes.loc["91150602MA0000000013", "counted_in_all"]
    assert "未达计入全口径阈值" in codes.loc["91150602MA0000000013", "decision"]
    assert not codes.loc["91150602MA0000000014", "is_industrial"]


def test_registry_code_wins_over_classification(policy):
    frame = registry(firm("91150602MA0000000021", industry_code="3670", pred_code_1="1391", pred_score_1=0.95))
    coverage = build_coverage(frame, above(), policy)
    assert row(coverage, "3670")["present_all"]
    assert not row(coverage, "1391")["present_all"]


def test_short_codes_count_at_their_own_level(policy):
    frame = registry(
        firm("91150602MA0000000031", industry_code="13"), firm("91150602MA0000000032", industry_code="C331")
    )
    coverage = build_coverage(frame, above(), policy)
    assert row(coverage, "13")["present_all"]
    assert not coverage[(coverage["division"] == "13") & (coverage["level"] != "division")]["present_all"].any()
    assert row(coverage, "331")["present_all"] and row(coverage, "33")["present_all"]
    assert not row(coverage, "3311")["present_all"]


def test_firm_on_both_lists_counts_once_and_moved_out_not_at_all(policy):
    frame = registry(
        firm("91150602MA0000000041", industry_code="3670"),
        firm("91150602MA0000000042", industry_code="1391", status="迁出"),
        firm("91150602MA0000000043", industry_code="3311", status="注销"),
    )
    coverage = build_coverage(frame, above(("91150602MA0000000041", "3670")), policy)
    assert row(coverage, "3670")["n_all"] == 1
    assert row(coverage, "3670")["n_above"] == 1
    assert not row(coverage, "1391")["present_all"]
    assert not row(coverage, "3311")["present_all"]


def test_gap_level_by_missing_ancestor():
    present = {"36", "367", "3670", "13"}
    assert gap_level("3311", present) == ("division", "33")
    assert gap_level("3611", present) == ("group", "361")
    assert gap_level("1391", present) == ("group", "139")
    assert gap_level("3670", present) == ("none", "")
    assert gap_level("367", present) == ("none", "")
    assert gap_level("5137", present) == ("none", "")  # not industrial
    assert gap_level("", present) == ("none", "")
    assert gap_level("C3311", {"33", "331"}) == ("class", "3311")


def test_baseline_first_run_then_stored(policy):
    coverage = build_coverage(registry(firm("91150602MA0000000051", industry_code="3670")), above(), policy)
    first = resolve_baseline(coverage, None, run_date=RUN_DATE, policy=policy)
    assert (first["baseline_source"] == "first_run").all()
    assert (first["baseline_date"] == "2025-11-24").all()
    assert first["present_all"].sum() == 3
    assert len(first) == len(coverage)

    stored = first.copy()
    stored.loc[stored["code"] == "3670", "present_all"] = False
    again = resolve_baseline(coverage, stored, run_date=dt.date(2025, 12, 24), policy=policy)
    assert (again["baseline_source"] == "stored").all()
    assert (again["baseline_date"] == "2025-11-24").all()
    assert not again.set_index("code").loc["3670", "present_all"]


def test_baseline_partial_stored_table_counts_missing_nodes_absent(policy):
    coverage = build_coverage(registry(), above(("91150602MA0000000061", "3670")), policy)
    stored = pd.DataFrame([dict(code="C36", present_above=True, present_all="true", baseline_date="2024-12-31")])
    baseline = resolve_baseline(coverage, stored, run_date=RUN_DATE, policy=policy).set_index("code")
    assert baseline.loc["36", "present_above"] and baseline.loc["36", "present_all"]
    assert not baseline.loc["367", "present_above"]


def test_configured_baseline_date_without_snapshot_is_noted(policy):
    import dataclasses

    configured = dataclasses.replace(policy, baseline_date=dt.date(2022, 12, 31))
    coverage = build_coverage(registry(), above(), policy)
    baseline = resolve_baseline(coverage, None, run_date=RUN_DATE, policy=configured)
    assert "2022-12-31" in baseline["note"].iloc[0]


def test_choose_baseline_run():
    runs = ["2025-01-10", "2025-02-10", dt.date(2025, 3, 10)]
    assert choose_baseline_run(runs, None) == dt.date(2025, 1, 10)
    assert choose_baseline_run(runs, dt.date(2025, 2, 28)) == dt.date(2025, 2, 10)
    assert choose_baseline_run(runs, dt.date(2024, 12, 31)) == dt.date(2025, 1, 10)
    assert choose_baseline_run([], None) is None


def test_progress_counts_new_and_lost_nodes_against_goals(policy):
    before = build_coverage(
        registry(firm("91150602MA0000000071", industry_code="3311")), above(("91150602MA0000000072", "3670")), policy
    )
    baseline = resolve_baseline(before, None, run_date=dt.date(2025, 1, 1), policy=policy)
    now = build_coverage(
        registry(
            firm("91150602MA0000000071", industry_code="3311"),
            firm("91150602MA0000000073", industry_code="3312"),  # new 小类 in a present 中类
            firm("91150602MA0000000074", industry_code="1391"),
        ),  # new 大类, 中类, 小类
        above(("91150602MA0000000072", "3670"), ("91150602MA0000000075", "3612")),
        policy,
    )
    progress = coverage_progress(now, baseline, policy, RUN_DATE).set_index(["scope", "level"])

    assert progress.loc[("all", "division"), "new_nodes"] == 1
    assert progress.loc[("all", "group"), "new_nodes"] == 2  # 139 and 361
    assert progress.loc[("all", "class"), "new_nodes"] == 3  # 1391, 3312, 3612
    assert progress.loc[("all", "total"), "new_nodes"] == 6
    assert progress.loc[("all", "class"), "new_codes"] == "1391、3312、3612"
    assert progress.loc[("above", "group"), "new_nodes"] == 1
    # goals come from the policy; remaining = goal - new; a goal of 0 has no completion ratio
    assert progress.loc[("above", "class"), "goal"] == policy.goal("above", "class")
    assert progress.loc[("above", "class"), "remaining"] == policy.goal("above", "class") - 1
    assert progress.loc[("all", "group"), "completion_ratio"] == pytest.approx(2 / policy.goal("all", "group"))
    assert policy.goal("all", "division") == 0
    assert math.isnan(progress.loc[("all", "division"), "completion_ratio"])
    assert progress.loc[("all", "total"), "goal"] == policy.goal("all", "total")
    assert progress.loc[("above", "total"), "goal"] == policy.goal("above", "total")
    assert progress.loc[("all", "total"), "days_left"] == (policy.goals_deadline - RUN_DATE).days
    assert progress.loc[("all", "division"), "standard_nodes"] == 41
    assert progress.loc[("all", "class"), "baseline_present"] == 2

    # a firm that leaves shows up as lost, not as negative progress
    shrunk = build_coverage(registry(), above(("91150602MA0000000072", "3670")), policy)
    lost = coverage_progress(shrunk, baseline, policy, RUN_DATE).set_index(["scope", "level"])
    assert lost.loc[("all", "class"), "lost_nodes"] == 1
    assert lost.loc[("all", "class"), "new_nodes"] == 0


def test_coverage_by_division(policy):
    coverage = build_coverage(
        registry(firm("91150602MA0000000081", industry_code="3311")),
        above(("91150602MA0000000082", "3670"), ("91150602MA0000000083", "3612")),
        policy,
    )
    divisions = coverage_by_division(coverage).set_index("division")
    assert len(divisions) == 41
    assert divisions.loc["36", "classes_above"] == 2
    assert divisions.loc["36", "classes_all"] == 2
    assert divisions.loc["33", "classes_above"] == 0 and divisions.loc["33", "classes_all"] == 1
    assert divisions.loc["36", "classes_total"] == len(
        coverage[(coverage["division"] == "36") & (coverage["level"] == "class")]
    )
    assert divisions["classes_total"].sum() == 666


def test_city_presence_adds_ancestors_and_district(policy):
    coverage = build_coverage(registry(), above(("91150602MA0000000091", "3670")), policy)
    city = pd.DataFrame(
        [
            dict(code="3042", present_above=True, present_all=True),
            dict(code="1391", present_above=False, present_all="是"),
        ]
    )
    sets = city_present_codes(city, coverage)
    assert {"30", "304", "3042", "36", "367", "3670"} <= sets["above"]
    assert "1391" not in sets["above"] and {"13", "139", "1391"} <= sets["all"]
    assert city_present_codes(None, coverage) is None
    assert present_codes(coverage, "above") == frozenset({"36", "367", "3670"})
