"""The policy file: the shipped 东胜区 plan's numbers (one test), the rules, and clear Chinese errors.

Every test but `test_shipped_dongsheng_policy` uses the tests' own file (tests/data/policy_test.toml,
the `policy` fixture) and reads its numbers from the loaded policy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib

import pytest

from industry_gap.errors import UserError
from industry_gap.policy import DEFAULT_POLICY_PATH, GAP_LEVELS, PolicyError, load_policy, parse_policy
from tests.factories import TEST_POLICY_PATH

SHIPPED_TEXT = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
TEST_TEXT = TEST_POLICY_PATH.read_text(encoding="utf-8")


def write_variant(tmp_path, old: str, new: str):
    assert old in TEST_TEXT, old
    path = tmp_path / "policy.toml"
    path.write_text(TEST_TEXT.replace(old, new, 1), encoding="utf-8")
    return path


def test_shipped_dongsheng_policy():
    """The one test of the shipped file's numbers (东政发〔2023〕2号); every other test uses the test policy."""
    policy = load_policy()
    assert policy.source == str(DEFAULT_POLICY_PATH)
    assert policy.revenue_threshold_wan == 2000
    assert policy.threshold_inclusive is True
    assert (policy.near_ratio, policy.nurture_ratio) == (0.8, 0.5)
    assert policy.review_below_score <= policy.count_in_all_min_score
    assert dict(policy.goals["all"]) == {"division": 0, "group": 8, "class": 48, "total": 56}
    assert dict(policy.goals["above"]) == {"division": 7, "group": 46, "class": 107, "total": 160}
    assert policy.goals_deadline == dt.date(2025, 12, 31)
    assert policy.district == "东胜区"
    assert policy.lead_department == "工信和科技局"
    assert set(policy.stage_names.values()) == {"已达标待入库", "临近", "培育", "储备"}

    entry = policy.rule("enterprise_entry")
    assert [entry.amount_for(level) for level in ("division", "group", "class")] == [100, 60, 20]
    assert entry.excluded_by == ("project_above",)
    spinoff = policy.rule("spinoff")
    assert [spinoff.amount_for(level) for level in ("division", "group", "class")] == [100, 60, 20]
    assert spinoff.min_investment_wan == 2000 and spinoff.min_inclusive
    fill = policy.rule("project_fill")
    assert [fill.amount_for(level) for level in ("division", "group", "class")] == [30, 20, 10]
    above = policy.rule("project_above")
    assert [above.amount_for(level) for level in ("division", "group", "class")] == [300, 200, 100]
    assert above.staged and above.same_year_bonus_ratio == 0.5
    assert [s.share for s in policy.payment_stages] == [0.2, 0.3, 0.5]
    tiers = {tier.name: tier.amount for tier in policy.rule("certification").tiers}
    assert tiers == {
        "制造业单项冠军": 200,
        "国家级专精特新“小巨人”": 150,
        "自治区级专精特新“小巨人”": 100,
        "市级专精特新“小巨人”": 20,
    }
    assert policy.one_per_enterprise and not policy.one_per_project
    assert all(re.search(r"[\u4e00-\u9fff]", rule.name) for rule in policy.rules)
    assert policy.rule("project_fill").band_text() == "200万元（含）至2000万元（不含）"
    assert policy.rule("project_above").band_text() == "2000万元（含）及以上"


def keys_of(text: str) -> set[str]:
    """Every table header and key a policy file sets, e.g. "[goals.all]" and "class"."""
    return set(re.findall(r"^\s*(\[\[?[a-z_.]+\]\]?|[a-z_]+)\s*(?:=|$)", text, flags=re.MULTILINE))


def test_the_test_policy_is_complete_and_shares_no_number_with_the_shipped_one(policy):
    """So a test that passes only with 东胜区's amounts cannot pass on the test policy."""
    shipped = load_policy()
    missing = sorted(keys_of(SHIPPED_TEXT) - keys_of(TEST_TEXT) - {"file", "date"})  # [baseline] keys are optional
    assert not missing, f"tests/data/policy_test.toml lacks {missing}"
    assert [rule.key for rule in policy.rules] == [rule.key for rule in shipped.rules]
    assert policy.revenue_threshold_wan != shipped.revenue_threshold_wan
    assert (policy.near_ratio, policy.nurture_ratio) != (shipped.near_ratio, shipped.nurture_ratio)
    assert policy.count_in_all_min_score != shipped.count_in_all_min_score
    assert policy.review_below_score != shipped.review_below_score
    assert policy.goals_deadline != shipped.goals_deadline and policy.issued != shipped.issued
    assert dict(policy.goals["above"]) != dict(shipped.goals["above"])
    for rule in policy.rules:
        other = shipped.rule(rule.key)
        for level in GAP_LEVELS:
            if rule.kind != "certification":
                assert rule.amount_for(level) != other.amount_for(level), (rule.key, level)
        if rule.min_investment_wan is not None:
            assert rule.band_text() != other.band_text(), rule.key
    assert {t.amount for t in policy.rule("certification").tiers}.isdisjoint(
        {t.amount for t in shipped.rule("certification").tiers}
    )
    assert [s.share for s in policy.payment_stages] != [s.share for s in shipped.payment_stages]
    above = policy.rule("project_above")
    assert above.same_year_bonus_ratio != shipped.rule("project_above").same_year_bonus_ratio
    # amounts differ between levels and between rules, so reading the wrong one shows
    amounts = [rule.amount_for(level) for rule in policy.rules if rule.kind != "certification" for level in GAP_LEVELS]
    assert len(set(amounts)) == len(amounts)


def test_investment_bands_are_inclusive_as_documented(policy):
    fill, above = policy.rule("project_fill"), policy.rule("project_above")
    low, high = fill.min_investment_wan, fill.max_investment_wan
    assert (fill.min_inclusive, fill.max_inclusive, above.min_inclusive) == (True, False, True)
    assert above.min_investment_wan == high and above.max_investment_wan is None  # the bands meet, never overlap
    for investment, in_fill, in_above in [
        (low - 0.01, False, False),
        (low, True, False),
        (high - 0.01, True, False),
        (high, False, True),
        (high + 0.01, False, True),
        (None, False, False),
    ]:
        assert fill.investment_in_band(investment) is in_fill, investment
        assert above.investment_in_band(investment) is in_above, investment
    exclusive = dataclasses.replace(fill, min_inclusive=False, max_inclusive=True)
    assert not exclusive.investment_in_band(low) and exclusive.investment_in_band(high)


def test_band_text_is_chinese(policy):
    fill, above = policy.rule("project_fill"), policy.rule("project_above")
    assert fill.band_text() == f"{fill.min_investment_wan:g}万元（含）至{fill.max_investment_wan:g}万元（不含）"
    assert above.band_text() == f"{above.min_investment_wan:g}万元（含）及以上"
    assert (
        dataclasses.replace(above, min_inclusive=False).band_text() == f"超过{above.min_investment_wan:g}万元（不含）"
    )


def test_policy_is_frozen(policy):
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.revenue_threshold_wan = 1000
    with pytest.raises(TypeError):
        policy.goals["above"]["class"] = 1


def test_threshold_check_respects_inclusive_flag(policy):
    threshold = policy.revenue_threshold_wan
    assert policy.threshold_inclusive
    assert policy.meets_threshold(threshold)
    assert not policy.meets_threshold(threshold - 0.01)
    assert not policy.meets_threshold(None)
    exclusive = dataclasses.replace(policy, threshold_inclusive=False)
    assert not exclusive.meets_threshold(threshold)
    assert exclusive.meets_threshold(threshold + 0.01)


@pytest.mark.parametrize(
    "old, new, key",
    [
        ("revenue_threshold_wan = 1000\n", "", "above_scale.revenue_threshold_wan"),
        ("revenue_threshold_wan = 1000", 'revenue_threshold_wan = "一千"', "above_scale.revenue_threshold_wan"),
        ("near_ratio = 0.90", "near_ratio = 0.40", "pipeline.nurture_ratio"),
        ("class = 20\ntotal = 30", "class = 20\ntotal = 31", "goals.all.total"),
        ("share = 0.50", "share = 0.40", "rewards.payment_stages"),
        ('excluded_by = ["project_above"]', 'excluded_by = ["no_such_rule"]', "rewards.rules[1].excluded_by"),
        ("review_below_score = 0.60", "review_below_score = 0.90", "classification.review_below_score"),
        ('gap_scope = "above"', 'gap_scope = "city"', "rewards.rules[1].gap_scope"),
        (
            "amounts = { division = 50, group = 30, class = 10 }",
            "amounts = { division = 50, group = 30, clas = 10 }",
            "rewards.rules[1].amounts.class",
        ),
        ("deadline = 2026-12-31", 'deadline = "明年"', "goals.deadline"),
        ("one_per_project = false", "one_per_project = false\none_per_projct = true", "rewards.one_per_projct"),
    ],
)
def test_bad_values_name_the_key(tmp_path, old, new, key):
    path = write_variant(tmp_path, old, new)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    error = caught.value
    assert isinstance(error, UserError) and error.exit_code == 2
    assert error.key == key
    assert key in error.message and str(path) in error.message
    assert re.search(r"[\u4e00-\u9fff]", error.message)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(PolicyError, match="文件不存在"):
        load_policy(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[plan\nname = 1", encoding="utf-8")
    with pytest.raises(PolicyError, match="TOML"):
        load_policy(broken)


def test_another_district_can_write_its_own(tmp_path):
    """A minimal file with other numbers and a single rule loads, defaults filled in."""
    path = tmp_path / "other.toml"
    path.write_text(
        """
schema_version = 1
[plan]
name = "某区扩增工业门类方案"
district = "某区"
lead_department = "区工信局"
[above_scale]
revenue_threshold_wan = 2500
[classification]
count_in_all_min_score = 0.8
review_below_score = 0.6
[pipeline]
near_ratio = 0.9
nurture_ratio = 0.6
[pipeline.stage_names]
ready = "达标"
near = "接近"
nurture = "培育"
reserve = "储备"
[goals]
deadline = 2026-12-31
[goals.all]
division = 1
group = 2
class = 3
[goals.above]
division = 0
group = 0
class = 10
[eligibility]
[rewards]
[[rewards.rules]]
key = "entry"
kind = "enterprise_entry"
name = "入规奖励"
gap_scope = "above"
amounts = { division = 50, group = 30, class = 10 }
""",
        encoding="utf-8",
    )
    other = load_policy(path)
    assert other.revenue_threshold_wan == 2500
    assert other.goal("all", "total") == 6
    assert other.rules[0].amount_for("group") == 30
    assert other.payment_stages == ()
    assert other.baseline_date is None


def test_parse_policy_from_mapping():
    data = tomllib.loads(TEST_TEXT)
    data["baseline"] = {"date": dt.date(2022, 12, 31)}
    assert parse_policy(data).baseline_date == dt.date(2022, 12, 31)


def test_readme_documents_every_key():
    readme = (DEFAULT_POLICY_PATH.parent / "README.md").read_text(encoding="utf-8")
    keys = set(re.findall(r"^\s*([a-z_]+)\s*=", SHIPPED_TEXT, flags=re.MULTILINE))
    missing = sorted(key for key in keys if f"`{key}`" not in readme)
    assert not missing, f"README.md does not explain: {missing}"


def test_policy_encodings(tmp_path):
    """Issue 23 #10: a UTF-8 BOM (Notepad) is accepted; GBK and UTF-16 are refused naming the encoding."""
    text = TEST_POLICY_PATH.read_text(encoding="utf-8")
    with_bom = tmp_path / "bom.toml"
    with_bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_policy(with_bom).district == "测试区"
    for encoding, words in (("gbk", "看起来是 GBK/GB18030 编码"), ("utf-16", "看起来是 UTF-16 编码")):
        path = tmp_path / f"{encoding}.toml"
        path.write_bytes(text.encode(encoding))
        with pytest.raises(PolicyError) as caught:
            load_policy(path)
        assert caught.value.exit_code == 2 and words in caught.value.message and str(path) in caught.value.message
        assert "文件编码不是 UTF-8" in caught.value.message


@pytest.mark.parametrize(
    "old, new, key, other",
    [
        ("deadline = 2026-12-31", "deadline = 2023-12-31", "goals.deadline", "plan.issued"),  # before the issue
        ("deadline = 2026-12-31", "deadline = 2024-03-01", "goals.deadline", "plan.issued"),  # the issue day itself
        ("[baseline]\n", "[baseline]\ndate = 2027-01-31\n", "baseline.date", "goals.deadline"),
    ],
)
def test_cross_key_dates_are_checked_at_load(tmp_path, old, new, key, other):
    """Issue 23 #11: dates of different tables that contradict each other are refused at load, naming both keys."""
    path = write_variant(tmp_path, old, new)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.key == key and key in caught.value.message and other in caught.value.message
    assert caught.value.exit_code == 2 and str(path) in caught.value.message
