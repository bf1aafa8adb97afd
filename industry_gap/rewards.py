"""Reward estimates under the plan's rules (section 四(二) of the example), read from the policy file.

What the code knows is the *kind* of each rule; every amount, band, share
and bonus is policy data:

* ``enterprise_entry``: a 规下 firm in the 入规 pipeline that fills a gap when
  it enters 规上 (example: 100 / 60 / 20 万元 for 大/中/小类).
* ``spinoff``: a project whose row names a parent firm (``parent_uscc`` /
  ``parent_name``) on the 规上 list, paid to the parent.
* ``certification``: 专精特新 / 单项冠军 tiers, from an optional registry column
  ``certifications`` (text such as "国家级专精特新小巨人；单项冠军"); the highest
  matching tier counts (就高不就低).
* ``project``: a new project in an investment band, optionally staged
  (20% / 30% / 50%) with a bonus when signed and producing in the same year.

The gap that counts can be city-wide (填补全市工业门类空白): pass a city
coverage table, else the district's coverage is used and every row says so.

Resolution, in this order, each exclusion recorded with the rule that caused it:

1. ``excluded_by``: a rule the beneficiary also qualifies for rules this one
   out (example: 已享受第5条奖励的不再享受第1条).
2. one reward per project, when ``one_per_project`` is set: the highest
   amount stays (the example leaves it off: a spin-off's parent and the new
   firm are different enterprises).
3. one reward per beneficiary (``one_per_enterprise``): the highest stays.
4. no double counting of a gap: winners are taken in order (enterprises by
   pipeline rank, then projects by how far they have got and by investment)
   and each fills its category for those after it, so two firms in the same
   missing 大类 are not both paid for the 大类 (the second is paid at the level
   still missing after the first, or not at all).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pandas as pd

from industry_gap.coverage import (
    NO_GAP,
    city_present_codes,
    find_node,
    gap_level,
    gap_path,
    number,
    present_codes,
    text,
)
from industry_gap.gaps import level_name
from industry_gap.policy import Policy, RewardRule
from industry_gap.tables import TABLES

REWARD_COLUMNS = TABLES["rewards"].frame_columns  # declared in industry_gap/tables.py
ENTITY_REWARD_COLUMNS = ["entity_kind", "entity_id", "reward_wan", "reward_rule_key", "reward_rule_name", "reward_note"]
STATUS_NAMES = {"awarded": "计奖", "excluded": "排除", "not_eligible": "不符合条件"}
BASIS_CITY = "全市门类表"
BASIS_DISTRICT = "本区门类（未提供全市门类表，以本区代替）"
_LEVEL_RANK = {"division": 0, "group": 1, "class": 2, NO_GAP: 3}


@dataclass
class RewardEstimate:
    """The reward claims of one run and the gap basis they were judged on (shown in every subtitle)."""

    rewards: pd.DataFrame  # REWARD_COLUMNS, from `estimate_rewards`
    basis: str  # BASIS_CITY or BASIS_DISTRICT


@dataclass
class Claim:
    """One (beneficiary, rule, entity) pair being considered for a reward."""

    rule: RewardRule
    entity_kind: str
    entity_id: str
    entity_name: str
    beneficiary_key: str
    beneficiary_uscc: str
    beneficiary_name: str
    code: str
    order: int
    standalone_level: str = NO_GAP
    level: str = NO_GAP
    gap_code: str = ""
    base_amount: float = 0.0
    status: str = "awarded"
    excluded_by: str = ""
    reasons: list[str] = field(default_factory=list)
    project: dict | None = None
    tier_name: str = ""
    bonus_ratio: float = 0.0

    def expected(self) -> float:
        """Estimated amount including any bonus (before the gap allocation)."""
        return self.base_amount * (1 + self.bonus_ratio)


# -- helpers ----------------------------------------------------------------
def reward_basis(coverage: pd.DataFrame, city_coverage: pd.DataFrame | None) -> tuple[dict[str, frozenset[str]], str]:
    """The presence sets rewards are judged against, and the Chinese label saying which."""
    city = city_present_codes(city_coverage, coverage)
    if city is not None:
        return city, BASIS_CITY
    return {"above": present_codes(coverage, "above"), "all": present_codes(coverage, "all")}, BASIS_DISTRICT


def scoped_gap(code: str, scope: str, present: dict[str, frozenset[str] | set[str]]) -> tuple[str, str]:
    """Gap level for a rule's scope; 'any' takes the higher of the two."""
    if scope != "any":
        return gap_level(code, present[scope])
    options = [gap_level(code, present[s]) for s in ("above", "all")]
    return min(options, key=lambda option: _LEVEL_RANK[option[0]])


def year_of(value: object) -> int | None:
    """The four-digit year in a date-ish cell ("2025-06", "2025年6月", 2025-06-30)."""
    match = re.search(r"(19|20)\d{2}", text(value))
    return int(match.group(0)) if match else None


def same_year_signed_and_producing(project: dict) -> bool:
    """当年签约落地就建成投产: signing and (planned) production fall in the same year."""
    signed, producing = year_of(project.get("signed_date")), year_of(project.get("planned_production"))
    return signed is not None and signed == producing


def stages_reached(project_stage: str, policy: Policy) -> list[str]:
    """Payment-stage keys whose words appear in the project's 建设阶段."""
    return [stage.key for stage in policy.payment_stages if any(word in project_stage for word in stage.reached_by)]


def payment_schedule(amount_wan: float, project_stage: str, policy: Policy) -> list[dict]:
    """The staged payments of a reward: key, name, share, amount and whether the stage is reached."""
    reached = set(stages_reached(project_stage, policy))
    return [
        dict(key=s.key, name=s.name, share=s.share, amount_wan=round(amount_wan * s.share, 4), reached=s.key in reached)
        for s in policy.payment_stages
    ]


def _schedule_text(schedule: list[dict]) -> str:
    return "；".join(
        f"{p['name']}{p['share']:.0%}：{p['amount_wan']:,.2f}万元" + ("（已达到）" if p["reached"] else "")
        for p in schedule
    )


def certification_tier(rule: RewardRule, certifications: str) -> tuple[str, float]:
    """The highest tier whose words appear in the certification text (就高不就低), or ('', 0)."""
    best = ("", 0.0)
    for tier in rule.tiers:
        if any(word in certifications for word in tier.match) and tier.amount > best[1]:
            best = (tier.name, tier.amount)
    return best


def _key(uscc: str, name: str) -> str:
    return uscc if uscc else f"名称:{name}"


# -- claims -----------------------------------------------------------------
def _enterprise_claims(
    candidates: pd.DataFrame, registry: pd.DataFrame | None, policy: Policy, basis: dict, basis_label: str
) -> list[Claim]:
    certifications: dict[str, str] = {}
    if registry is not None and "certifications" in registry.columns:
        for record in registry.to_dict("records"):
            certifications.setdefault(
                text(record.get("uscc")) or text(record.get("name")), text(record.get("certifications"))
            )
    claims = []
    if candidates is None or candidates.empty:
        return []
    included = candidates[candidates["included"].astype(bool)].sort_values("rank", kind="stable")
    for order, row in enumerate(included.to_dict("records")):
        key = row["uscc"] or row["name"]
        base = dict(
            entity_kind="enterprise",
            entity_id=key,
            entity_name=row["name"],
            beneficiary_key=_key(row["uscc"], row["name"]),
            beneficiary_uscc=row["uscc"],
            beneficiary_name=row["name"],
            code=row["code"],
            order=order,
        )
        on_target = bool(row["on_target_above"] or row["on_target_all"])
        for rule in policy.rules_of_kind("enterprise_entry"):
            claim = Claim(rule=rule, **base)
            district_level = row["gap_level_above"] if rule.gap_scope == "above" else row["gap_level_all"]
            if _judge_level(claim, basis, basis_label, on_target) or district_level != NO_GAP:
                claims.append(claim)
        text_value = certifications.get(key, "")
        for rule in policy.rules_of_kind("certification"):
            tier_name, amount = certification_tier(rule, text_value)
            if not tier_name:
                continue
            claim = Claim(rule=rule, tier_name=tier_name, **base)
            level, gap_code = scoped_gap(row["code"], rule.gap_scope, basis)
            claim.standalone_level = claim.level = level
            claim.gap_code = gap_code
            claim.base_amount = amount
            if level == NO_GAP:
                _reject(claim, f"{tier_name}，但所属门类在{basis_label}中已有，不可扩增工业门类")
            elif rule.require_on_target and not on_target:
                _reject(claim, "所属门类不在目标清单")
            claims.append(claim)
    return claims


def _judge_level(claim: Claim, basis: dict, basis_label: str, on_target: bool) -> bool:
    """Set the claim's standalone level and amount; reject it when no gap counts. True if eligible."""
    rule = claim.rule
    level, gap_code = scoped_gap(claim.code, rule.gap_scope, basis)
    claim.standalone_level = claim.level = level
    claim.gap_code = gap_code
    claim.base_amount = rule.amount_for(level)
    scope_text = {"above": "规上", "all": "全口径", "any": ""}[rule.gap_scope]
    if level == NO_GAP:
        _reject(claim, f"{basis_label}中已有该{scope_text}门类，不属于填补空白")
        return False
    if rule.require_on_target and not on_target:
        _reject(claim, "所属门类不在目标清单，不符合重点扩增方向")
        return False
    return True


def _reject(claim: Claim, reason: str) -> None:
    claim.status = "not_eligible"
    claim.reasons.append(reason)


def _project_order(project: dict, policy: Policy) -> tuple:
    investment = number(project.get("investment_wan"))
    return (-len(stages_reached(project.get("stage", ""), policy)), -(investment or 0.0))


def _project_claims(
    projects_assessed: pd.DataFrame,
    above_scale: pd.DataFrame | None,
    policy: Policy,
    basis: dict,
    basis_label: str,
    first_order: int,
) -> list[Claim]:
    above_ids = set()
    if above_scale is not None and not above_scale.empty:
        above_ids = {text(u).upper() for u in above_scale["uscc"]} | {text(n) for n in above_scale["name"]}
        above_ids.discard("")
    has_rows = projects_assessed is not None and not projects_assessed.empty
    flagged = [p for p in projects_assessed.to_dict("records") if p["flagged"]] if has_rows else []
    flagged.sort(key=lambda p: _project_order(p, policy))
    claims = []
    for offset, project in enumerate(flagged):
        investment = number(project.get("investment_wan"))
        on_target = bool(project["on_target_above"] or project["on_target_all"])
        common = dict(
            entity_kind="project",
            entity_id=project["project_id"],
            entity_name=project["project_name"],
            code=project["code"],
            order=first_order + offset,
            project=project,
        )
        parent_uscc, parent_name = project.get("parent_uscc", ""), project.get("parent_name", "")
        for rule in policy.rules:
            if rule.kind == "spinoff" and (parent_uscc or parent_name):
                claim = Claim(
                    rule=rule,
                    beneficiary_key=_key(parent_uscc, parent_name),
                    beneficiary_uscc=parent_uscc,
                    beneficiary_name=parent_name or parent_uscc,
                    **common,
                )
            elif rule.kind == "project":
                claim = Claim(
                    rule=rule,
                    beneficiary_key=_key(project["uscc"], project["builder"]),
                    beneficiary_uscc=project["uscc"],
                    beneficiary_name=project["builder"],
                    **common,
                )
            else:
                continue
            if rule.same_year_bonus_ratio and same_year_signed_and_producing(project):
                claim.bonus_ratio = rule.same_year_bonus_ratio
            has_gap = _judge_level(claim, basis, basis_label, on_target)
            in_band = rule.investment_in_band(investment)
            if not in_band:
                invest_text = f"{investment:,.2f}万元" if investment is not None else "未填报"
                _reject(claim, f"总投资{invest_text}不在{rule.band_text()}范围内")
            if rule.kind == "spinoff" and parent_uscc not in above_ids and parent_name not in above_ids:
                _reject(claim, f"母公司“{parent_name or parent_uscc}”不在规上工业企业名录，不属于龙头企业裂变")
            if has_gap or in_band:
                claims.append(claim)
    return claims


# -- resolution -------------------------------------------------------------
def _apply_excluded_by(claims: list[Claim], policy: Policy) -> None:
    eligible = {(c.beneficiary_key, c.rule.key): c for c in claims if c.status == "awarded"}
    for claim in claims:
        if claim.status != "awarded":
            continue
        for other_key in claim.rule.excluded_by:
            other = eligible.get((claim.beneficiary_key, other_key))
            if other is not None:
                claim.status = "excluded"
                claim.excluded_by = other_key
                claim.reasons.append(f"已享受“{other.rule.name}”的不再享受本条奖励")
                break


def _keep_highest(claims: list[Claim], group_of, message: str) -> None:
    groups: dict[str, list[Claim]] = {}
    for claim in claims:
        if claim.status == "awarded":
            groups.setdefault(group_of(claim), []).append(claim)
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda c: (-c.expected(), c.order, c.rule.key))
        winner = members[0]
        for loser in members[1:]:
            loser.status = "excluded"
            loser.excluded_by = winner.rule.key
            loser.reasons.append(message.format(winner=winner.rule.name))


def _allocate_gaps(claims: list[Claim], basis: dict) -> None:
    """Take winners in order; each fills its category for those after it (no double counting)."""
    simulated: dict[str, frozenset[str] | set[str]] = {scope: set(codes) for scope, codes in basis.items()}
    filled_by: dict[str, dict[str, Claim]] = {"above": {}, "all": {}}
    pending: list[Claim] = []  # claims of the current entity: they never block each other
    for claim in sorted(claims, key=lambda c: c.order):
        if pending and pending[0].order != claim.order:
            _fill(pending, simulated, filled_by)
            pending = []
        if claim.status != "awarded" or claim.rule.kind == "certification":
            continue
        scope = claim.rule.gap_scope
        level, gap_code = scoped_gap(claim.code, scope, simulated)
        if level == NO_GAP:
            taker = _filler(claim.code, scope, filled_by)
            claim.status = "excluded"
            claim.excluded_by = taker.rule.key if taker else ""
            who = f"“{taker.entity_name}”" if taker else "排序更前的企业或项目"
            claim.reasons.append(f"同一门类空白已由{who}计奖，不重复计奖")
            claim.base_amount = 0.0
            continue
        if level != claim.standalone_level:
            taker = _filler_of_node(claim.gap_code, scope, filled_by)
            who = f"“{taker.entity_name}”" if taker else "排序更前的企业或项目"
            claim.reasons.append(f"{level_name(claim.standalone_level)}空白已由{who}计奖，本项按{level_name(level)}计")
        claim.level, claim.gap_code = level, gap_code
        claim.base_amount = claim.rule.amount_for(level)
        pending.append(claim)
    _fill(pending, simulated, filled_by)


def _fill(winners: list[Claim], simulated: dict, filled_by: dict) -> None:
    """Mark the winners' categories present; entering 规上 also means being in 全口径."""
    for claim in winners:
        scope = claim.rule.gap_scope
        for target_scope in ("above", "all") if scope in ("above", "any") else ("all",):
            for node in gap_path(claim.code):
                if node not in simulated[target_scope]:
                    simulated[target_scope].add(node)
                    filled_by[target_scope][node] = claim


def _filler(code: str, scope: str, filled_by: dict) -> Claim | None:
    for node in reversed(gap_path(code)):
        for s in ("above", "all") if scope == "any" else (scope,):
            if node in filled_by[s]:
                return filled_by[s][node]
    return None


def _filler_of_node(node: str, scope: str, filled_by: dict) -> Claim | None:
    for s in ("above", "all") if scope == "any" else (scope,):
        if node in filled_by[s]:
            return filled_by[s][node]
    return None


# -- the public entry point -------------------------------------------------
def estimate_rewards(
    candidates: pd.DataFrame,
    projects_assessed: pd.DataFrame,
    coverage: pd.DataFrame,
    policy: Policy,
    *,
    registry: pd.DataFrame | None = None,
    above_scale: pd.DataFrame | None = None,
    city_coverage: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every reward claim considered, with its amount, status and reasons (REWARD_COLUMNS).

    ``candidates`` is the 入规 pipeline (`build_entry_pipeline`); only included
    firms are considered. ``projects_assessed`` comes from `assess_projects`;
    only flagged projects are. ``registry`` supplies the optional
    ``certifications`` column; ``above_scale`` tells whether a spin-off's
    parent is a 规上 firm. ``amount_wan`` is the full estimate (bonus
    included) for awarded rows and 0 for the others.
    """
    basis, basis_label = reward_basis(coverage, city_coverage)
    claims = _enterprise_claims(candidates, registry, policy, basis, basis_label)
    claims += _project_claims(
        projects_assessed,
        above_scale,
        policy,
        basis,
        basis_label,
        first_order=len(candidates) if candidates is not None else 0,
    )
    _apply_excluded_by(claims, policy)
    if policy.one_per_project:
        _keep_highest(
            [c for c in claims if c.entity_kind == "project"],
            lambda c: c.entity_id,
            "同一项目只计一次奖励，已按“{winner}”计",
        )
    if policy.one_per_enterprise:
        _keep_highest(claims, lambda c: c.beneficiary_key, "单户企业只可享受一次奖励，已按“{winner}”计（就高不就低）")
    _allocate_gaps(claims, basis)
    rows = [
        _claim_row(index, claim, policy, basis_label)
        for index, claim in enumerate(sorted(claims, key=lambda c: (c.order, c.rule.key)))
    ]
    return pd.DataFrame(rows, columns=REWARD_COLUMNS)


def _claim_row(index: int, claim: Claim, policy: Policy, basis_label: str) -> dict:
    rule = claim.rule
    awarded = claim.status == "awarded"
    bonus_ratio = claim.bonus_ratio if awarded else 0.0
    notes = list(claim.reasons)
    if claim.tier_name:
        notes.insert(0, f"认定等级：{claim.tier_name}")
    if bonus_ratio:
        notes.append(f"当年签约当年投产，奖励上浮{bonus_ratio:.0%}")
    amount = claim.expected() if awarded else 0.0
    schedule_text, due_now = "", math.nan
    if rule.staged and awarded:
        schedule = payment_schedule(amount, claim.project.get("stage", "") if claim.project else "", policy)
        schedule_text = _schedule_text(schedule)
        due_now = sum(p["amount_wan"] for p in schedule if p["reached"])
    if rule.kind == "spinoff" and awarded:
        notes.append(f"奖励给龙头企业“{claim.beneficiary_name}”")
    node = find_node(claim.code)
    return dict(
        claim_id=f"{claim.entity_kind}:{claim.entity_id}:{rule.key}",
        beneficiary_key=claim.beneficiary_key,
        beneficiary_uscc=claim.beneficiary_uscc,
        beneficiary_name=claim.beneficiary_name,
        entity_kind=claim.entity_kind,
        entity_id=claim.entity_id,
        entity_name=claim.entity_name,
        rule_key=rule.key,
        rule_name=rule.name,
        article=rule.article,
        code=claim.code,
        code_name=node.name if node else "",
        gap_scope=rule.gap_scope,
        gap_basis=basis_label,
        standalone_gap_level=claim.standalone_level,
        gap_level=claim.level if awarded else claim.standalone_level,
        gap_code=claim.gap_code,
        base_amount_wan=claim.base_amount if awarded else 0.0,
        bonus_ratio=bonus_ratio,
        amount_wan=amount,
        payment_schedule=schedule_text,
        amount_due_now_wan=due_now,
        status=claim.status,
        status_name=STATUS_NAMES[claim.status],
        excluded_by_rule=claim.excluded_by,
        reason="；".join(notes),
        conditions=rule.conditions,
        allocation_order=claim.order,
    )


def reward_by_entity(rewards: pd.DataFrame) -> pd.DataFrame:
    """The awarded estimate per enterprise or project (for the 预计奖励 columns of 附件4/附件5).

    Only entities with an awarded claim appear, plus entities whose claims were all
    excluded or not eligible (reward 0, with the reasons as the note). With one
    reward per beneficiary there is at most one awarded row per entity; amounts
    are summed in case a district's policy allows more.
    """
    if rewards is None or rewards.empty:
        return pd.DataFrame(columns=ENTITY_REWARD_COLUMNS)
    frame = rewards.copy()
    frame["_awarded"] = frame["status"] == "awarded"
    frame["_note"] = [
        (f"{name}（{reason}）" if reason else name) if won else (f"{name}：{reason}" if reason else "")
        for name, reason, won in zip(frame["rule_name"], frame["reason"], frame["_awarded"])
    ]
    keys = ["entity_kind", "entity_id"]
    won = frame[frame["_awarded"]]
    awarded = (
        won.groupby(keys, sort=False)
        .agg(
            reward_wan=("amount_wan", "sum"),
            reward_rule_key=("rule_key", "、".join),
            reward_rule_name=("rule_name", "、".join),
            reward_note=("_note", "；".join),
        )
        .reset_index()
    )
    rest = frame[~frame["_awarded"] & ~frame.set_index(keys).index.isin(awarded.set_index(keys).index)]
    others = (
        rest.groupby(keys, sort=False)
        .agg(reward_note=("_note", lambda notes: "；".join(n for n in notes if n)))
        .reset_index()
    )
    others["reward_wan"] = 0.0
    others["reward_rule_key"] = ""
    others["reward_rule_name"] = ""
    out = pd.concat([awarded, others], ignore_index=True) if len(others) else awarded
    out["reward_wan"] = out["reward_wan"].astype(float)
    return out[ENTITY_REWARD_COLUMNS].reset_index(drop=True)
