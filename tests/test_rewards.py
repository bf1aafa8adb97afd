"""Reward estimates: amounts by level, investment bands, staging, the same-year bonus, one reward per firm,
no double counting.

Amounts, bands, shares and the bonus are read from the tests' policy (the `policy` fixture,
tests/data/policy_test.toml): each test states a rule ("a 小类 gap pays the rule's 小类 amount"),
not one district's figures.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from industry_gap.coverage import build_coverage
from industry_gap.entry_pipeline import build_entry_pipeline
from industry_gap.gaps import assess_projects, flag_enterprise_gaps
from industry_gap.rewards import (
    BASIS_CITY,
    BASIS_DISTRICT,
    REWARD_COLUMNS,
    certification_tier,
    estimate_rewards,
    payment_schedule,
    reward_by_entity,
    same_year_signed_and_producing,
)
from industry_gap.schema import PROJECT_COLUMNS, REGISTRY_COLUMNS
from tests.factories import above_scale_frame, classified_firm, project_row


def firm(uscc: str, **values) -> dict:
    return classified_firm(uscc, **{"name": f"企业{uscc[-2:]}有限公司", "revenue_wan": 1800.0, **values})


def project(name: str, code: str, investment: float, **values) -> dict:
    return project_row(name, code, investment, **values)


def in_fill_band(policy) -> float:
    """An investment inside the project_fill band (below the larger rules)."""
    rule = policy.rule("project_fill")
    return (rule.min_investment_wan + rule.max_investment_wan) / 2


def large(policy) -> float:
    """An investment well inside the project_above and spin-off bands."""
    return 2 * max(policy.rule("project_above").min_investment_wan, policy.rule("spinoff").min_investment_wan)


def below_threshold(policy, share: float) -> float:
    """A 规下 revenue at `share` of the 规上 threshold (firms closer to it rank first)."""
    return policy.revenue_threshold_wan * share


LEADER = "91150602MA00000000L1"
# 规上 has 36 > 367 > 3670 and 33 > 331 > 3311; the leader firm is a 规上 coal miner.
ABOVE = above_scale_frame(
    ("91150602MA00000000A1", "规上汽配", "3670", 9000.0),
    ("91150602MA00000000A2", "规上钢构", "3311", 9000.0),
    (LEADER, "龙头煤业", "0610", 90000.0),
)


def estimate(policy, registry_rows=(), project_rows=(), city=None):
    registry = pd.DataFrame(list(registry_rows)) if registry_rows else pd.DataFrame(columns=REGISTRY_COLUMNS)
    projects = pd.DataFrame(list(project_rows)) if project_rows else pd.DataFrame(columns=PROJECT_COLUMNS)
    for index in range(len(projects)):
        projects.loc[index, "source_row"] = index + 2
    coverage = build_coverage(registry, ABOVE, policy)
    gaps = flag_enterprise_gaps(registry, ABOVE, coverage, None, policy)
    candidates = build_entry_pipeline(registry, gaps, policy)
    assessed = assess_projects(projects, coverage, None, policy)
    rewards = estimate_rewards(
        candidates, assessed, coverage, policy, registry=registry, above_scale=ABOVE, city_coverage=city
    )
    assert list(rewards.columns) == REWARD_COLUMNS
    return rewards


def awarded(rewards: pd.DataFrame) -> pd.DataFrame:
    return rewards[rewards["status"] == "awarded"]


def one(rewards: pd.DataFrame, entity_name: str, rule_key: str) -> dict:
    match = rewards[(rewards["entity_name"] == entity_name) & (rewards["rule_key"] == rule_key)]
    assert len(match) == 1, rewards[["entity_name", "rule_key", "status", "reason"]]
    return match.iloc[0].to_dict()


def test_enterprise_entry_amounts_by_level(policy):
    rule = policy.rule("enterprise_entry")
    rewards = estimate(
        policy,
        [
            firm("91150602MA0000000001", industry_code="1391"),  # 大类 gap
            firm("91150602MA0000000002", industry_code="3611"),  # 中类 gap (36 present)
            firm("91150602MA0000000003", industry_code="3312"),  # 小类 gap (331 present)
            firm("91150602MA0000000004", industry_code="3670"),  # no gap: no claim at all
        ],
    )
    amounts = awarded(rewards).set_index("entity_name")["amount_wan"].to_dict()
    assert amounts == {
        "企业01有限公司": rule.amount_for("division"),
        "企业02有限公司": rule.amount_for("group"),
        "企业03有限公司": rule.amount_for("class"),
    }
    entry = one(rewards, "企业01有限公司", "enterprise_entry")
    assert (entry["rule_name"], entry["article"], entry["conditions"]) == (rule.name, rule.article, rule.conditions)
    assert entry["gap_basis"] == BASIS_DISTRICT
    assert math.isnan(entry["amount_due_now_wan"])  # not a staged rule


@pytest.mark.parametrize(
    "edge, offset, rule_key",
    [
        ("fill_min", -0.01, None),
        ("fill_min", 0, "project_fill"),
        ("fill_max", -0.01, "project_fill"),
        ("above_min", 0, "project_above"),
        ("above_min", 0.01, "project_above"),
    ],
)
def test_investment_boundaries(policy, edge, offset, rule_key):
    """Each project band includes its lower bound; project_fill's upper bound is project_above's lower one."""
    fill, above = policy.rule("project_fill"), policy.rule("project_above")
    investment = {
        "fill_min": fill.min_investment_wan,
        "fill_max": fill.max_investment_wan,
        "above_min": above.min_investment_wan,
    }[edge] + offset
    rewards = estimate(policy, project_rows=[project("项目", "1391", investment)])
    won = awarded(rewards)
    if rule_key is None:
        assert won.empty
        assert f"不在{fill.band_text()}范围内" in one(rewards, "项目", "project_fill")["reason"]
    else:
        assert list(won["rule_key"]) == [rule_key]
        assert won.iloc[0]["amount_wan"] == policy.rule(rule_key).amount_for("division")


def test_project_levels_and_scopes(policy):
    fill, above = policy.rule("project_fill"), policy.rule("project_above")
    small = in_fill_band(policy)
    rewards = estimate(
        policy,
        project_rows=[
            project("大类项目", "1391", small),
            project("中类项目", "3611", small),
            project("小类项目", "3312", small),
            project("规上中类", "3611", large(policy), builder="另一公司"),
        ],
    )
    amounts = awarded(rewards).set_index("entity_name")["amount_wan"].to_dict()
    # 规上中类 is ranked first (bigger investment) and fills 361 for everyone after it
    assert amounts["规上中类"] == above.amount_for("group")
    assert amounts["大类项目"] == fill.amount_for("division")
    assert amounts["小类项目"] == fill.amount_for("class")
    assert "中类项目" not in amounts
    lost = one(rewards, "中类项目", "project_fill")
    assert lost["status"] == "excluded" and "规上中类" in lost["reason"]
    assert lost["excluded_by_rule"] == "project_above"


@pytest.mark.parametrize(
    "stage, reached",
    [
        ("签约", set()),
        ("在建", {"start"}),
        ("建成投产", {"start", "completion"}),
        ("已入规", {"start", "completion", "entry"}),
    ],
)
def test_staged_payments(policy, stage, reached):
    """A staged reward is paid in the policy's shares; what is due now is the shares of the stages reached."""
    rule = policy.rule("project_above")
    rewards = estimate(policy, project_rows=[project("大项目", "1391", large(policy), stage=stage)])
    row = one(rewards, "大项目", "project_above")
    amount = rule.amount_for("division")
    assert row["amount_wan"] == amount
    assert {s.key for s in policy.payment_stages} >= reached
    assert row["amount_due_now_wan"] == pytest.approx(
        sum(amount * s.share for s in policy.payment_stages if s.key in reached)
    )
    for payment in policy.payment_stages:
        assert f"{payment.name}{payment.share:.0%}：{amount * payment.share:,.2f}万元" in row["payment_schedule"]


def test_payment_schedule_function(policy):
    schedule = payment_schedule(450, "在建", policy)
    assert [p["key"] for p in schedule] == [s.key for s in policy.payment_stages]
    assert [p["amount_wan"] for p in schedule] == pytest.approx([450 * s.share for s in policy.payment_stages])
    assert sum(p["amount_wan"] for p in schedule) == pytest.approx(450)
    assert [p["reached"] for p in schedule] == [any(w in "在建" for w in s.reached_by) for s in policy.payment_stages]
    assert [p["reached"] for p in schedule] == [True, False, False]  # 在建 reaches the first stage only


def test_same_year_bonus(policy):
    above, fill = policy.rule("project_above"), policy.rule("project_fill")
    bonus = above.same_year_bonus_ratio
    assert bonus > 0 and fill.same_year_bonus_ratio == 0
    rewards = estimate(
        policy,
        project_rows=[
            project("当年投产", "1391", large(policy), signed_date="2025-03-01", planned_production="2025年11月"),
            project("次年投产", "3042", large(policy), signed_date="2025-03-01", planned_production="2026-03"),
            project("小项目当年", "1351", in_fill_band(policy), signed_date="2025-03-01", planned_production="2025-10"),
        ],
    )
    raised = one(rewards, "当年投产", "project_above")
    expected = above.amount_for("division") * (1 + bonus)
    assert raised["amount_wan"] == pytest.approx(expected) and raised["bonus_ratio"] == bonus
    assert f"上浮{bonus:.0%}" in raised["reason"]
    first = policy.payment_stages[0]
    assert f"{first.name}{first.share:.0%}：{expected * first.share:,.2f}万元" in raised["payment_schedule"]
    assert one(rewards, "次年投产", "project_above")["amount_wan"] == above.amount_for("division")
    # 13 and 139 are filled by 当年投产 first; the bonus only comes with a rule that has one
    small = one(rewards, "小项目当年", "project_fill")
    assert small["amount_wan"] == fill.amount_for("group") and small["bonus_ratio"] == 0
    assert same_year_signed_and_producing({"signed_date": "2025-01-01", "planned_production": "2025"})
    assert not same_year_signed_and_producing({"signed_date": "", "planned_production": "2025"})


def test_rule_five_excludes_rule_one_for_the_same_firm(policy):
    above = policy.rule("project_above")
    assert policy.rule("enterprise_entry").excluded_by == ("project_above",)
    uscc = "91150602MA0000000011"
    rewards = estimate(
        policy,
        [firm(uscc, industry_code="1391")],
        [project("扩产项目", "1391", large(policy), uscc=uscc, builder="企业11有限公司")],
    )
    entry = one(rewards, "企业11有限公司", "enterprise_entry")
    assert entry["status"] == "excluded"
    assert entry["excluded_by_rule"] == "project_above"
    assert f"已享受“{above.name}”的不再享受本条奖励" in entry["reason"]
    assert one(rewards, "扩产项目", "project_above")["status"] == "awarded"
    assert awarded(rewards)["amount_wan"].sum() == above.amount_for("division")


def test_one_reward_per_enterprise_keeps_the_highest(policy):
    uscc = "91150602MA0000000021"
    certifications = "国家级专精特新“小巨人”；制造业单项冠军"
    tier = max(
        (t for t in policy.rule("certification").tiers if any(w in certifications for w in t.match)),
        key=lambda t: t.amount,
    )  # 就高不就低
    rewards = estimate(
        policy,
        [firm(uscc, industry_code="1391", certifications=certifications)],
        [project("小扩产", "3042", in_fill_band(policy), uscc=uscc, builder="企业21有限公司")],
    )
    # the firm's three claims, all 大类 gaps (13 and 30 are missing)
    claims = {
        ("企业21有限公司", "certification"): tier.amount,
        ("企业21有限公司", "enterprise_entry"): policy.rule("enterprise_entry").amount_for("division"),
        ("小扩产", "project_fill"): policy.rule("project_fill").amount_for("division"),
    }
    winner = max(claims, key=claims.get)
    assert winner == ("企业21有限公司", "certification")  # the test policy's amounts make this the highest
    won = awarded(rewards)
    assert len(won[won["beneficiary_uscc"] == uscc]) == 1
    best = one(rewards, *winner)
    assert best["status"] == "awarded" and best["amount_wan"] == claims[winner]
    assert tier.name in best["reason"]
    for entity, rule in set(claims) - {winner}:
        loser = one(rewards, entity, rule)
        assert loser["status"] == "excluded" and loser["excluded_by_rule"] == winner[1]
        assert "单户企业只可享受一次奖励" in loser["reason"]
        assert loser["amount_wan"] == 0


def test_certification_tiers(policy):
    rule = policy.rule("certification")

    def tier(word: str) -> tuple[str, float]:
        found = next(t for t in rule.tiers if word in t.match)
        return found.name, found.amount

    assert certification_tier(rule, "国家级专精特新小巨人") == tier("国家级")
    assert certification_tier(rule, "自治区级专精特新中小企业") == tier("自治区级")
    assert certification_tier(rule, "省级专精特新") == tier("省级") == tier("自治区级")
    assert certification_tier(rule, "市级") == tier("市级")
    assert certification_tier(rule, "市级；国家级") == max(tier("市级"), tier("国家级"), key=lambda t: t[1])
    assert certification_tier(rule, "") == ("", 0.0)
    # a certified firm that fills no category gets nothing
    rewards = estimate(
        policy, [firm("91150602MA0000000031", industry_code="3670", revenue_wan=2500, certifications="市级专精特新")]
    )
    assert one(rewards, "企业31有限公司", "certification")["status"] == "not_eligible"


def test_no_double_counting_of_one_gap(policy):
    rule = policy.rule("enterprise_entry")
    rewards = estimate(
        policy,
        [
            firm(
                "91150602MA0000000041", industry_code="1391", revenue_wan=below_threshold(policy, 0.95)
            ),  # first: 大类
            firm(
                "91150602MA0000000042", industry_code="1392", revenue_wan=below_threshold(policy, 0.75)
            ),  # 139 taken: 小类
            firm(
                "91150602MA0000000043", industry_code="1391", revenue_wan=below_threshold(policy, 0.65)
            ),  # same 小类: 0
            firm("91150602MA0000000044", industry_code="1351", revenue_wan=below_threshold(policy, 0.5)),  # 135: 中类
        ],
    )
    amounts = rewards.set_index("entity_name")["amount_wan"].to_dict()
    assert amounts == {
        "企业41有限公司": rule.amount_for("division"),
        "企业42有限公司": rule.amount_for("class"),
        "企业43有限公司": 0,
        "企业44有限公司": rule.amount_for("group"),
    }
    demoted = one(rewards, "企业42有限公司", "enterprise_entry")
    assert demoted["standalone_gap_level"] == "division" and demoted["gap_level"] == "class"
    assert "企业41有限公司" in demoted["reason"]
    nothing = one(rewards, "企业43有限公司", "enterprise_entry")
    assert nothing["status"] == "excluded" and "不重复计奖" in nothing["reason"]


def test_spinoff_pays_the_parent(policy):
    rule = policy.rule("spinoff")
    rewards = estimate(
        policy,
        project_rows=[
            project("配套厂", "3312", large(policy), parent_uscc=LEADER, parent_name="龙头煤业"),
            project("非龙头衍生", "1391", large(policy), parent_uscc="91150602MA0000000099", parent_name="某小企业"),
            project("小衍生", "3042", rule.min_investment_wan / 2, parent_uscc=LEADER, parent_name="龙头煤业"),
        ],
    )
    spinoff = one(rewards, "配套厂", "spinoff")
    assert spinoff["status"] == "awarded" and spinoff["beneficiary_uscc"] == LEADER
    assert spinoff["beneficiary_name"] == "龙头煤业" and "奖励给龙头企业" in spinoff["reason"]
    assert spinoff["amount_wan"] == rule.amount_for("class")  # 331 present, 3312 missing at 全口径
    # the new firm's own project reward is another enterprise's: both stand (one_per_project = false)
    assert not policy.one_per_project
    assert one(rewards, "配套厂", "project_above")["status"] == "awarded"
    not_leader = one(rewards, "非龙头衍生", "spinoff")
    assert not_leader["status"] == "not_eligible" and "不在规上工业企业名录" in not_leader["reason"]
    small = one(rewards, "小衍生", "spinoff")
    assert small["status"] == "not_eligible" and rule.band_text() in small["reason"]


def test_leader_gets_one_spinoff_reward_and_one_per_project_option(policy):
    import dataclasses

    spinoff, above = policy.rule("spinoff"), policy.rule("project_above")
    projects = [
        project("配套一厂", "3312", large(policy), parent_uscc=LEADER, parent_name="龙头煤业"),
        project("配套二厂", "1391", large(policy), parent_uscc=LEADER, parent_name="龙头煤业"),
    ]
    rewards = estimate(policy, project_rows=projects)
    spinoffs = rewards[rewards["rule_key"] == "spinoff"].set_index("entity_name")
    # one reward per enterprise: the leader keeps the higher of its two spin-offs (1391 fills a 大类, 3312 a 小类)
    assert spinoff.amount_for("division") > spinoff.amount_for("class")
    assert spinoffs.loc["配套二厂", "status"] == "awarded"
    assert spinoffs.loc["配套二厂", "amount_wan"] == spinoff.amount_for("division")
    assert spinoffs.loc["配套一厂", "status"] == "excluded"
    assert "单户企业只可享受一次奖励" in spinoffs.loc["配套一厂", "reason"]

    # one reward per project: of the spin-off (小类 at 全口径) and the project's own (小类 at 规上) the higher stays
    assert above.amount_for("class") > spinoff.amount_for("class")
    strict = dataclasses.replace(policy, one_per_project=True)
    rewards = estimate(strict, project_rows=projects[:1])
    assert one(rewards, "配套一厂", "project_above")["status"] == "awarded"
    excluded = one(rewards, "配套一厂", "spinoff")
    assert excluded["status"] == "excluded" and excluded["excluded_by_rule"] == "project_above"
    assert "同一项目只计一次奖励" in excluded["reason"]


def test_city_table_changes_the_basis(policy):
    rule = policy.rule("enterprise_entry")
    city = pd.DataFrame(
        [
            dict(code="1391", present_above=True, present_all=True),
            dict(code="139", present_above=True, present_all=True),
        ]
    )
    firms = [firm("91150602MA0000000061", industry_code="1391"), firm("91150602MA0000000062", industry_code="1351")]
    rewards = estimate(policy, firms, city=city)
    assert set(rewards["gap_basis"]) == {BASIS_CITY}
    covered = one(rewards, "企业61有限公司", "enterprise_entry")
    assert covered["status"] == "not_eligible" and "全市门类表" in covered["reason"]
    other = one(rewards, "企业62有限公司", "enterprise_entry")
    assert other["status"] == "awarded" and other["gap_level"] == "group"
    assert other["amount_wan"] == rule.amount_for("group")
    # judged on the district alone, 1351 is a missing 大类 and pays the 大类 amount
    alone = one(estimate(policy, firms[1:]), "企业62有限公司", "enterprise_entry")
    assert alone["gap_basis"] == BASIS_DISTRICT and alone["amount_wan"] == rule.amount_for("division")


def test_enterprises_come_before_projects_for_the_same_gap(policy):
    # firms (by 入规 rank) fill gaps before projects do: the project is paid only for the 小类 left
    rewards = estimate(
        policy,
        [
            firm("91150602MA0000000081", industry_code="3670", revenue_wan=below_threshold(policy, 0.975)),
            firm("91150602MA0000000082", industry_code="1391", revenue_wan=below_threshold(policy, 0.5)),
        ],
        [project("淀粉项目", "1392", large(policy))],
    )
    assert one(rewards, "企业82有限公司", "enterprise_entry")["amount_wan"] == policy.rule(
        "enterprise_entry"
    ).amount_for("division")
    later = one(rewards, "淀粉项目", "project_above")
    assert later["standalone_gap_level"] == "division"
    assert later["gap_level"] == "class"
    assert later["amount_wan"] == policy.rule("project_above").amount_for("class")


def test_reward_by_entity(policy):
    fill = policy.rule("project_fill")
    rewards = estimate(
        policy, [firm("91150602MA0000000071", industry_code="1391")], [project("项目甲", "3042", in_fill_band(policy))]
    )
    per_entity = reward_by_entity(rewards).set_index("entity_id")
    assert per_entity.loc["91150602MA0000000071", "reward_wan"] == policy.rule("enterprise_entry").amount_for(
        "division"
    )
    assert per_entity.loc["projects.xlsx#2", "reward_wan"] == fill.amount_for("division")
    assert per_entity.loc["projects.xlsx#2", "reward_rule_name"] == fill.name


def test_nothing_to_reward(policy):
    rewards = estimate(policy)
    assert rewards.empty and list(rewards.columns) == REWARD_COLUMNS
    assert reward_by_entity(rewards).empty
