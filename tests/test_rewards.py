"""Reward estimates: amounts by level, investment bands, staging, +50%, one reward per firm, no double counting."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from industry_gap.coverage import build_coverage
from industry_gap.entry_pipeline import build_entry_pipeline
from industry_gap.gaps import assess_projects, flag_enterprise_gaps
from industry_gap.policy import load_policy
from industry_gap.rewards import (
    BASIS_CITY, BASIS_DISTRICT, REWARD_COLUMNS, certification_tier, estimate_rewards, payment_schedule,
    reward_by_entity, same_year_signed_and_producing,
)
from industry_gap.schema import ABOVE_SCALE_COLUMNS, PROJECT_COLUMNS, REGISTRY_COLUMNS
from tests.factories import classified_firm, project_row


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def firm(uscc: str, **values) -> dict:
    return classified_firm(uscc, **{"name": f"企业{uscc[-2:]}有限公司", "revenue_wan": 1800.0, **values})


def project(name: str, code: str, investment: float, **values) -> dict:
    return project_row(name, code, investment, **values)


LEADER = "91150602MA00000000L1"
# 规上 has 36 > 367 > 3670 and 33 > 331 > 3311; the leader firm is a 规上 coal miner.
ABOVE = pd.DataFrame([
    dict(uscc="91150602MA00000000A1", name="规上汽配", industry_code="3670", revenue_wan=9000.0, town="交通街道",
         source_file="a.csv", source_row=2),
    dict(uscc="91150602MA00000000A2", name="规上钢构", industry_code="3311", revenue_wan=9000.0, town="交通街道",
         source_file="a.csv", source_row=3),
    dict(uscc=LEADER, name="龙头煤业", industry_code="0610", revenue_wan=90000.0, town="交通街道",
         source_file="a.csv", source_row=4),
], columns=ABOVE_SCALE_COLUMNS)


def estimate(policy, registry_rows=(), project_rows=(), city=None):
    registry = pd.DataFrame(list(registry_rows)) if registry_rows else pd.DataFrame(columns=REGISTRY_COLUMNS)
    projects = pd.DataFrame(list(project_rows)) if project_rows else pd.DataFrame(columns=PROJECT_COLUMNS)
    for index in range(len(projects)):
        projects.loc[index, "source_row"] = index + 2
    coverage = build_coverage(registry, ABOVE, policy)
    gaps = flag_enterprise_gaps(registry, ABOVE, coverage, None, policy)
    candidates = build_entry_pipeline(registry, gaps, policy)
    assessed = assess_projects(projects, coverage, None, policy)
    rewards = estimate_rewards(candidates, assessed, coverage, policy, registry=registry, above_scale=ABOVE,
                               city_coverage=city)
    assert list(rewards.columns) == REWARD_COLUMNS
    return rewards


def awarded(rewards: pd.DataFrame) -> pd.DataFrame:
    return rewards[rewards["status"] == "awarded"]


def one(rewards: pd.DataFrame, entity_name: str, rule_key: str) -> dict:
    match = rewards[(rewards["entity_name"] == entity_name) & (rewards["rule_key"] == rule_key)]
    assert len(match) == 1, rewards[["entity_name", "rule_key", "status", "reason"]]
    return match.iloc[0].to_dict()


def test_enterprise_entry_amounts_by_level(policy):
    rewards = estimate(policy, [
        firm("91150602MA0000000001", industry_code="1391"),  # 大类 gap
        firm("91150602MA0000000002", industry_code="3611"),  # 中类 gap (36 present)
        firm("91150602MA0000000003", industry_code="3312"),  # 小类 gap (331 present)
        firm("91150602MA0000000004", industry_code="3670"),  # no gap: no claim at all
    ])
    amounts = awarded(rewards).set_index("entity_name")["amount_wan"].to_dict()
    assert amounts == {"企业01有限公司": 100, "企业02有限公司": 60, "企业03有限公司": 20}
    entry = one(rewards, "企业01有限公司", "enterprise_entry")
    assert entry["rule_name"] == "限下工业企业填补入规奖励"
    assert "12个月" in entry["conditions"]
    assert entry["gap_basis"] == BASIS_DISTRICT
    assert math.isnan(entry["amount_due_now_wan"])


@pytest.mark.parametrize("investment, rule_key, amount", [
    (199.99, None, 0), (200, "project_fill", 30), (1999.99, "project_fill", 30),
    (2000, "project_above", 300), (2000.01, "project_above", 300),
])
def test_investment_boundaries(policy, investment, rule_key, amount):
    rewards = estimate(policy, project_rows=[project("项目", "1391", investment)])
    won = awarded(rewards)
    if rule_key is None:
        assert won.empty
        assert "不在200万元（含）至2000万元（不含）范围内" in one(rewards, "项目", "project_fill")["reason"]
    else:
        assert list(won["rule_key"]) == [rule_key]
        assert won.iloc[0]["amount_wan"] == amount


def test_project_levels_and_scopes(policy):
    rewards = estimate(policy, project_rows=[
        project("大类项目", "1391", 500), project("中类项目", "3611", 500), project("小类项目", "3312", 500),
        project("规上中类", "3611", 5000, builder="另一公司"),
    ])
    amounts = awarded(rewards).set_index("entity_name")["amount_wan"].to_dict()
    # 规上中类 is ranked first (bigger investment) and fills 361 for everyone after it
    assert amounts["规上中类"] == 200
    assert amounts["大类项目"] == 30
    assert amounts["小类项目"] == 10
    assert "中类项目" not in amounts
    lost = one(rewards, "中类项目", "project_fill")
    assert lost["status"] == "excluded" and "规上中类" in lost["reason"]
    assert lost["excluded_by_rule"] == "project_above"


@pytest.mark.parametrize("stage, due_share", [("签约", 0.0), ("在建", 0.2), ("建成投产", 0.5), ("已入规", 1.0)])
def test_staged_payments(policy, stage, due_share):
    rewards = estimate(policy, project_rows=[project("大项目", "1391", 3000, stage=stage)])
    row = one(rewards, "大项目", "project_above")
    assert row["amount_wan"] == 300
    assert row["amount_due_now_wan"] == pytest.approx(300 * due_share)
    assert "20%：60.00万元" in row["payment_schedule"]
    assert "30%：90.00万元" in row["payment_schedule"]
    assert "50%：150.00万元" in row["payment_schedule"]


def test_payment_schedule_function(policy):
    schedule = payment_schedule(450, "在建", policy)
    assert [p["amount_wan"] for p in schedule] == [90, 135, 225]
    assert [p["reached"] for p in schedule] == [True, False, False]


def test_same_year_bonus(policy):
    rewards = estimate(policy, project_rows=[
        project("当年投产", "1391", 3000, signed_date="2025-03-01", planned_production="2025年11月"),
        project("次年投产", "3042", 3000, signed_date="2025-03-01", planned_production="2026-03"),
        project("小项目当年", "1351", 500, signed_date="2025-03-01", planned_production="2025-10"),
    ])
    bonus = one(rewards, "当年投产", "project_above")
    assert bonus["amount_wan"] == 450 and bonus["bonus_ratio"] == 0.5
    assert "上浮50%" in bonus["reason"]
    assert "20%：90.00万元" in bonus["payment_schedule"]
    assert one(rewards, "次年投产", "project_above")["amount_wan"] == 300
    small = one(rewards, "小项目当年", "project_fill")
    assert small["amount_wan"] == 20 and small["bonus_ratio"] == 0  # bonus only for the 2,000 万 rule
    assert same_year_signed_and_producing({"signed_date": "2025-01-01", "planned_production": "2025"})
    assert not same_year_signed_and_producing({"signed_date": "", "planned_production": "2025"})


def test_rule_five_excludes_rule_one_for_the_same_firm(policy):
    uscc = "91150602MA0000000011"
    rewards = estimate(policy, [firm(uscc, industry_code="1391")],
                       [project("扩产项目", "1391", 3000, uscc=uscc, builder="企业11有限公司")])
    entry = one(rewards, "企业11有限公司", "enterprise_entry")
    assert entry["status"] == "excluded"
    assert entry["excluded_by_rule"] == "project_above"
    assert "已享受“新引进扩增规上工业门类项目奖励”的不再享受本条奖励" in entry["reason"]
    assert one(rewards, "扩产项目", "project_above")["status"] == "awarded"
    assert awarded(rewards)["amount_wan"].sum() == 300


def test_one_reward_per_enterprise_keeps_the_highest(policy):
    uscc = "91150602MA0000000021"
    rewards = estimate(policy, [firm(uscc, industry_code="1391", certifications="国家级专精特新“小巨人”；制造业单项冠军")],
                       [project("小扩产", "3042", 500, uscc=uscc, builder="企业21有限公司")])
    won = awarded(rewards)
    assert len(won[won["beneficiary_uscc"] == uscc]) == 1
    certification = one(rewards, "企业21有限公司", "certification")
    assert certification["status"] == "awarded" and certification["amount_wan"] == 200  # 就高不就低
    assert "制造业单项冠军" in certification["reason"]
    for entity, rule in (("企业21有限公司", "enterprise_entry"), ("小扩产", "project_fill")):
        loser = one(rewards, entity, rule)
        assert loser["status"] == "excluded" and loser["excluded_by_rule"] == "certification"
        assert "单户企业只可享受一次奖励" in loser["reason"]
        assert loser["amount_wan"] == 0


def test_certification_tiers(policy):
    rule = policy.rule("certification")
    assert certification_tier(rule, "国家级专精特新小巨人") == ("国家级专精特新“小巨人”", 150)
    assert certification_tier(rule, "自治区级专精特新中小企业") == ("自治区级专精特新“小巨人”", 100)
    assert certification_tier(rule, "市级") == ("市级专精特新“小巨人”", 20)
    assert certification_tier(rule, "") == ("", 0.0)
    # a certified firm that fills no category gets nothing
    rewards = estimate(policy, [firm("91150602MA0000000031", industry_code="3670", revenue_wan=2500,
                                     certifications="市级专精特新")])
    assert one(rewards, "企业31有限公司", "certification")["status"] == "not_eligible"


def test_no_double_counting_of_one_gap(policy):
    rewards = estimate(policy, [
        firm("91150602MA0000000041", industry_code="1391", revenue_wan=1900),  # ranked first: 大类
        firm("91150602MA0000000042", industry_code="1392", revenue_wan=1500),  # same 中类 139: 小类 only
        firm("91150602MA0000000043", industry_code="1391", revenue_wan=1200),  # same 小类: nothing left
        firm("91150602MA0000000044", industry_code="1351", revenue_wan=1000),  # other 中类 in 13: 中类
    ])
    amounts = rewards.set_index("entity_name")["amount_wan"].to_dict()
    assert amounts == {"企业41有限公司": 100, "企业42有限公司": 20, "企业43有限公司": 0, "企业44有限公司": 60}
    demoted = one(rewards, "企业42有限公司", "enterprise_entry")
    assert demoted["standalone_gap_level"] == "division" and demoted["gap_level"] == "class"
    assert "企业41有限公司" in demoted["reason"]
    nothing = one(rewards, "企业43有限公司", "enterprise_entry")
    assert nothing["status"] == "excluded" and "不重复计奖" in nothing["reason"]


def test_spinoff_pays_the_parent(policy):
    rewards = estimate(policy, project_rows=[
        project("配套厂", "3312", 2500, parent_uscc=LEADER, parent_name="龙头煤业"),
        project("非龙头衍生", "1391", 2500, parent_uscc="91150602MA0000000099", parent_name="某小企业"),
        project("小衍生", "3042", 1500, parent_uscc=LEADER, parent_name="龙头煤业"),
    ])
    spinoff = one(rewards, "配套厂", "spinoff")
    assert spinoff["status"] == "awarded" and spinoff["beneficiary_uscc"] == LEADER
    assert spinoff["beneficiary_name"] == "龙头煤业" and "奖励给龙头企业" in spinoff["reason"]
    assert spinoff["amount_wan"] == 20  # 331 present, 3312 missing at 全口径
    # the new firm's own project reward is another enterprise's: both stand (one_per_project = false)
    assert one(rewards, "配套厂", "project_above")["status"] == "awarded"
    not_leader = one(rewards, "非龙头衍生", "spinoff")
    assert not_leader["status"] == "not_eligible" and "不在规上工业企业名录" in not_leader["reason"]
    small = one(rewards, "小衍生", "spinoff")
    assert small["status"] == "not_eligible" and "2000万元（含）及以上" in small["reason"]


def test_leader_gets_one_spinoff_reward_and_one_per_project_option(policy):
    import dataclasses
    projects = [project("配套一厂", "3312", 2500, parent_uscc=LEADER, parent_name="龙头煤业"),
                project("配套二厂", "1391", 2500, parent_uscc=LEADER, parent_name="龙头煤业")]
    rewards = estimate(policy, project_rows=projects)
    spinoffs = rewards[rewards["rule_key"] == "spinoff"].set_index("entity_name")
    # one reward per enterprise: the leader keeps the higher of its two spin-offs (1391 fills a 大类)
    assert spinoffs.loc["配套二厂", "status"] == "awarded" and spinoffs.loc["配套二厂", "amount_wan"] == 100
    assert spinoffs.loc["配套一厂", "status"] == "excluded"
    assert "单户企业只可享受一次奖励" in spinoffs.loc["配套一厂", "reason"]

    strict = dataclasses.replace(policy, one_per_project=True)
    rewards = estimate(strict, project_rows=projects[:1])
    assert one(rewards, "配套一厂", "project_above")["status"] == "awarded"
    excluded = one(rewards, "配套一厂", "spinoff")
    assert excluded["status"] == "excluded" and excluded["excluded_by_rule"] == "project_above"
    assert "同一项目只计一次奖励" in excluded["reason"]


def test_city_table_changes_the_basis(policy):
    city = pd.DataFrame([dict(code="1391", present_above=True, present_all=True),
                         dict(code="139", present_above=True, present_all=True)])
    rewards = estimate(policy, [firm("91150602MA0000000061", industry_code="1391"),
                                firm("91150602MA0000000062", industry_code="1351")], city=city)
    assert set(rewards["gap_basis"]) == {BASIS_CITY}
    covered = one(rewards, "企业61有限公司", "enterprise_entry")
    assert covered["status"] == "not_eligible" and "全市门类表" in covered["reason"]
    other = one(rewards, "企业62有限公司", "enterprise_entry")
    assert other["status"] == "awarded" and other["gap_level"] == "group" and other["amount_wan"] == 60


def test_enterprises_come_before_projects_for_the_same_gap(policy):
    # firms (by 入规 rank) fill gaps before projects do: the project is paid only for the 小类 left
    rewards = estimate(policy, [firm("91150602MA0000000081", industry_code="3670", revenue_wan=1950),
                                firm("91150602MA0000000082", industry_code="1391", revenue_wan=1000)],
                       [project("淀粉项目", "1392", 3000)])
    assert one(rewards, "企业82有限公司", "enterprise_entry")["amount_wan"] == 100
    later = one(rewards, "淀粉项目", "project_above")
    assert later["standalone_gap_level"] == "division"
    assert later["gap_level"] == "class" and later["amount_wan"] == 100


def test_reward_by_entity(policy):
    rewards = estimate(policy, [firm("91150602MA0000000071", industry_code="1391")],
                       [project("项目甲", "3042", 300)])
    per_entity = reward_by_entity(rewards).set_index("entity_id")
    assert per_entity.loc["91150602MA0000000071", "reward_wan"] == 100
    assert per_entity.loc["projects.xlsx#2", "reward_wan"] == 30
    assert per_entity.loc["projects.xlsx#2", "reward_rule_name"] == "新引进填补工业门类空白项目奖励"


def test_nothing_to_reward(policy):
    rewards = estimate(policy)
    assert rewards.empty and list(rewards.columns) == REWARD_COLUMNS
    assert reward_by_entity(rewards).empty
