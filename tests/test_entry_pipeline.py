"""The 入规 pipeline: stage boundaries, exclusions with Chinese reasons, and ranking.

Revenues are written as shares of the policy's 规上 threshold (the `policy` fixture), so the tests state
the rules (临近 from near_ratio, 培育 from nurture_ratio), not one district's 万元 figures.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from industry_gap.coverage import build_coverage
from industry_gap.entry_pipeline import (
    CANDIDATE_COLUMNS,
    build_entry_pipeline,
    legal_person_exclusion,
    revenue_growth,
    revenue_stage,
    stage_counts,
)
from industry_gap.gaps import flag_enterprise_gaps
from tests.factories import above_scale_frame, classified_firm


def firm(uscc: str, **values) -> dict:
    return classified_firm(
        uscc, **{"name": f"企业{uscc[-4:]}有限公司", "enterprise_type": "有限责任公司(自然人投资或控股)", **values}
    )


ABOVE = above_scale_frame(
    ("91150602MA00000000A1", "规上甲", "3670", 9000.0),
    ("91150602MA00000000A2", "规上乙", "3311", 9000.0),
)


def pipeline(rows, policy, target_table=None):
    registry = pd.DataFrame(rows)
    coverage = build_coverage(registry, ABOVE, policy)
    gaps = flag_enterprise_gaps(registry, ABOVE, coverage, target_table, policy)
    return build_entry_pipeline(registry, gaps, policy)


def revenue_at(policy, line: str, offset: float = 0.0) -> float:
    """Revenue at a stage line of the policy: the 规上 threshold, or its near/nurture share, plus `offset` 万元."""
    share = {"threshold": 1.0, "near": policy.near_ratio, "nurture": policy.nurture_ratio}[line]
    return policy.revenue_threshold_wan * share + offset


@pytest.mark.parametrize(
    "line, offset, fills_gap, stage",
    [
        ("threshold", 500, False, "ready"),
        ("threshold", 0, False, "ready"),
        ("threshold", -0.01, False, "near"),
        ("near", 0, False, "near"),
        ("near", -0.01, False, "nurture"),
        ("nurture", 0, False, "nurture"),
        ("nurture", -0.01, True, "reserve"),
        ("nurture", -0.01, False, None),
    ],
)
def test_stage_boundaries(policy, line, offset, fills_gap, stage):
    """Each line belongs to the stage above it (以上: inclusive); below 培育 only a gap keeps a firm (储备)."""
    assert revenue_stage(revenue_at(policy, line, offset), fills_gap, policy) == stage


@pytest.mark.parametrize(
    "revenue, fills_gap, stage", [(None, True, "reserve"), (None, False, None), (0, True, "reserve"), (0, False, None)]
)
def test_unknown_or_zero_revenue_stays_only_for_a_gap(policy, revenue, fills_gap, stage):
    assert revenue_stage(revenue, fills_gap, policy) == stage


def test_stage_threshold_exclusive_when_policy_says_so(policy):
    exclusive = dataclasses.replace(policy, threshold_inclusive=False)
    assert revenue_stage(revenue_at(policy, "threshold"), False, exclusive) == "near"
    assert revenue_stage(revenue_at(policy, "threshold", 0.01), False, exclusive) == "ready"


def test_revenue_growth():
    assert revenue_growth(1200, 1000) == pytest.approx(0.2)
    assert revenue_growth(1200, None) is None
    assert revenue_growth(1200, 0) is None
    assert revenue_growth(None, 1000) is None


@pytest.mark.parametrize(
    "enterprise_type, name, fragment",
    [
        ("有限责任公司分公司", "甲有限公司东胜分公司", "分支机构"),
        ("", "甲有限公司东胜分公司", "分公司"),
        ("个体工商户", "东胜区甲加工厂", "个体工商户"),
        ("个人独资企业", "甲加工厂", "个人独资企业"),
        ("有限合伙企业", "甲合伙企业", "合伙企业"),
        ("普通合伙企业", "甲合伙企业", "合伙企业"),
        ("外国(地区)企业常驻代表机构", "甲代表处", "代表机构"),
    ],
)
def test_not_independent_legal_persons(policy, enterprise_type, name, fragment):
    assert fragment in legal_person_exclusion(enterprise_type, name, policy)


@pytest.mark.parametrize(
    "enterprise_type",
    [
        "有限责任公司(自然人投资或控股)",
        "股份有限公司(非上市)",
        "农民专业合作社",
        "非公司企业法人",
        "全民所有制",
        "",
    ],
)
def test_legal_persons_stay(policy, enterprise_type):
    assert legal_person_exclusion(enterprise_type, "甲有限公司", policy) == ""


def test_exclusions_keep_every_reason(policy):
    near = revenue_at(policy, "near")
    low = revenue_at(policy, "nurture") / 2
    candidates = pipeline(
        [
            firm("91150602MA0000000001", industry_code="1391", revenue_wan=near),  # included
            firm(
                "91150602MA0000000002",
                industry_code="1391",
                revenue_wan=near,
                enterprise_type="有限责任公司分公司",
                town="",
            ),  # two reasons
            firm("91150602MA0000000003", industry_code="1391", revenue_wan=near, status="迁出"),
            firm("91150602MA0000000004", industry_code="1391", revenue_wan=near, status="吊销，未注销"),
            firm("91150602MA0000000005", pred_code_1="5137", pred_score_1=0.99, revenue_wan=near),
            firm("91150602MA0000000006", pred_code_1="1391", pred_score_1=policy.review_below_score / 2),
            firm("91150602MA00000000A1", industry_code="3670", revenue_wan=revenue_at(policy, "threshold", 1000)),
            firm("91150602MA0000000008", industry_code="3670", revenue_wan=low),  # no gap, low
            firm("91150602MA0000000009", reason="经营范围为空"),
        ],
        policy,
    ).set_index("uscc")
    assert list(candidates.reset_index().columns) == CANDIDATE_COLUMNS
    assert candidates.loc["91150602MA0000000001", "included"]
    assert candidates.loc["91150602MA0000000001", "stage_name"] == policy.stage_names["near"]
    reasons = candidates["exclusion_reason"]
    assert "分支机构" in reasons["91150602MA0000000002"] and "所属镇街为空" in reasons["91150602MA0000000002"]
    assert "迁出" in reasons["91150602MA0000000003"]
    assert "吊销" in reasons["91150602MA0000000004"]
    assert "非工业行业（5137" in reasons["91150602MA0000000005"]
    assert "复核" in reasons["91150602MA0000000006"]
    assert "已在规上工业企业名录" in reasons["91150602MA00000000A1"]
    assert f"低于培育线{revenue_at(policy, 'nurture'):,.0f}万元且不填补规上门类空白" in reasons["91150602MA0000000008"]
    assert "行业未确定" in reasons["91150602MA0000000009"] and "经营范围为空" in reasons["91150602MA0000000009"]
    excluded = candidates[~candidates["included"]]
    assert (excluded["stage"] == "").all() and excluded["rank"].isna().all()
    assert (excluded["exclusion_reason"] != "").all()


def test_reserve_and_stage_counts(policy):
    candidates = pipeline(
        [
            firm("91150602MA0000000011", industry_code="1391", revenue_wan=revenue_at(policy, "threshold")),
            firm(
                "91150602MA0000000012", industry_code="3311", revenue_wan=revenue_at(policy, "near")
            ),  # no gap, near: in
            firm(
                "91150602MA0000000013", industry_code="1351", revenue_wan=revenue_at(policy, "nurture", -1)
            ),  # gap, below 培育: 储备
            firm("91150602MA0000000014", industry_code="1351"),  # gap, unknown revenue: 储备
        ],
        policy,
    )
    names = policy.stage_names
    assert stage_counts(candidates, policy) == {
        names["ready"]: 1,
        names["near"]: 1,
        names["nurture"]: 0,
        names["reserve"]: 2,
    }
    unknown = candidates.set_index("uscc").loc["91150602MA0000000014"]
    assert unknown["stage"] == "reserve" and "营业收入未填报" in unknown["basis"]


def test_ranking_order(policy):
    targets = pd.DataFrame(
        [
            dict(
                scope="规上口径",
                code="1351",
                level="class",
                name="",
                department="区农牧局",
                target_year=2025,
                source_file="t.csv",
                source_row=2,
            )
        ]
    )

    def share(value: float) -> float:
        return policy.revenue_threshold_wan * value

    counted = policy.count_in_all_min_score
    candidates = pipeline(
        [
            firm("91150602MA0000000021", industry_code="3312", revenue_wan=share(0.95)),  # 小类 gap
            firm("91150602MA0000000022", industry_code="1391", revenue_wan=share(0.5)),  # 大类, no target
            firm("91150602MA0000000023", industry_code="1351", revenue_wan=share(0.5)),  # 大类, on target
            firm(
                "91150602MA0000000024", pred_code_1="3042", pred_score_1=counted, revenue_wan=share(0.95)
            ),  # 大类 classified
            firm("91150602MA0000000025", industry_code="4411", revenue_wan=share(0.75)),  # 大类 registry, farther
            firm("91150602MA0000000026", industry_code="4412", revenue_wan=share(0.75), revenue_prev_wan=share(0.5)),
            firm("91150602MA0000000027", industry_code="3670", revenue_wan=share(0.95)),  # no gap
        ],
        policy,
        targets,
    )
    ranked = candidates[candidates["included"]].sort_values("rank")
    assert list(ranked["uscc"].str[-2:]) == ["23", "26", "25", "22", "24", "21", "27"]
    assert list(ranked["rank"]) == [1, 2, 3, 4, 5, 6, 7]
    by_id = candidates.set_index("uscc")
    assert by_id.loc["91150602MA0000000026", "revenue_growth"] == pytest.approx(0.5)
    assert by_id.loc["91150602MA0000000025", "revenue_ratio"] == pytest.approx(0.75)
    assert f"规上门槛{policy.revenue_threshold_wan:,.0f}万元的75%" in by_id.loc["91150602MA0000000025", "basis"]
