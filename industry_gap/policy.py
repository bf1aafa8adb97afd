"""The district's plan as data: thresholds, goals, eligibility and reward rules.

Every number the analysis uses comes from a TOML policy file (see
`reference/policy/README.md`), so another district swaps in its own file
instead of editing code. `load_policy` reads it with `tomllib`, checks every
key and returns a frozen `Policy`; a bad file raises `PolicyError`, a Chinese
`UserError` naming the file and the offending key.
"""

from __future__ import annotations

import codecs
import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, overload

from industry_gap.errors import UserError

POLICY_DIR = Path(__file__).resolve().parent.parent / "reference" / "policy"
DEFAULT_POLICY_PATH = POLICY_DIR / "dongsheng_2023.toml"

GAP_LEVELS = ("division", "group", "class")
SCOPES = ("all", "above")
SCOPE_NAMES = {"all": "全口径", "above": "规上口径"}
STAGE_KEYS = ("ready", "near", "nurture", "reserve")
RULE_KINDS = ("enterprise_entry", "spinoff", "certification", "project")
GAP_SCOPES = ("above", "all", "any")
SUPPORTED_SCHEMA_VERSIONS = (1,)


class PolicyError(UserError):
    """The policy file cannot be used; the message names the file and the key."""

    def __init__(self, path: object, key: str, problem: str):
        where = f"配置项“{key}”" if key else "文件内容"
        super().__init__(f"政策配置文件“{path}”有误：{where}{problem}", exit_code=2)
        self.path = str(path)
        self.key = key
        self.problem = problem


# -- the frozen result ------------------------------------------------------
@dataclass(frozen=True)
class PaymentStage:
    key: str
    name: str
    share: float
    reached_by: tuple[str, ...]


@dataclass(frozen=True)
class RewardTier:
    name: str
    match: tuple[str, ...]
    amount: float


@dataclass(frozen=True)
class RewardRule:
    key: str
    kind: str
    name: str
    article: str
    gap_scope: str
    amounts: Mapping[str, float]
    min_investment_wan: float | None = None
    min_inclusive: bool = True
    max_investment_wan: float | None = None
    max_inclusive: bool = False
    excluded_by: tuple[str, ...] = ()
    staged: bool = False
    same_year_bonus_ratio: float = 0.0
    require_on_target: bool = False
    conditions: str = ""
    tiers: tuple[RewardTier, ...] = ()

    def amount_for(self, level: str) -> float:
        """Amount for a gap level ('division'/'group'/'class'); 0 for 'none'."""
        return float(self.amounts.get(level, 0.0))

    def investment_in_band(self, investment_wan: float | None) -> bool:
        """Whether an investment falls in the rule's band (unknown never does when a band is set)."""
        if self.min_investment_wan is None and self.max_investment_wan is None:
            return True
        if investment_wan is None or investment_wan != investment_wan:  # NaN
            return False
        if self.min_investment_wan is not None:
            low = self.min_investment_wan
            if investment_wan < low or (investment_wan == low and not self.min_inclusive):
                return False
        if self.max_investment_wan is not None:
            high = self.max_investment_wan
            if investment_wan > high or (investment_wan == high and not self.max_inclusive):
                return False
        return True

    def band_text(self) -> str:
        """The band in Chinese, e.g. "200万元（含）至2000万元（不含）"."""

        def bound(value: float, inclusive: bool) -> str:
            return f"{value:g}万元（{'含' if inclusive else '不含'}）"

        parts = []
        if self.min_investment_wan is not None:
            parts.append(bound(self.min_investment_wan, self.min_inclusive))
        if self.max_investment_wan is not None:
            parts.append(bound(self.max_investment_wan, self.max_inclusive))
        if len(parts) == 2:
            return f"{parts[0]}至{parts[1]}"
        if self.min_investment_wan is not None:
            return f"{parts[0]}及以上" if self.min_inclusive else f"超过{parts[0]}"
        if self.max_investment_wan is not None:
            return f"{parts[0]}以下"
        return "不限"


@dataclass(frozen=True)
class NonLegalPersonRule:
    type_keywords: tuple[str, ...]
    name_suffixes: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Annex5Rule:
    """Which 入规 candidates 附件5 lists: those that can plausibly enter 规上 within the plan year.

    A firm at one of `stages` is listed; another is listed when its revenue is at least
    `min_revenue_ratio` of the threshold, it grew by at least `min_growth`, and one more year at
    that growth reaches the threshold. The rest stay in the working book's 培育库.
    """

    stages: tuple[str, ...]
    min_revenue_ratio: float
    min_growth: float


@dataclass(frozen=True)
class Policy:
    source: str
    plan_name: str
    document_number: str
    district: str
    city: str
    issued: dt.date | None
    lead_department: str
    report_day_of_month: int
    revenue_threshold_wan: float
    threshold_inclusive: bool
    count_in_all_min_score: float
    review_below_score: float
    near_ratio: float
    nurture_ratio: float
    stage_names: Mapping[str, str]
    baseline_date: dt.date | None
    goals_deadline: dt.date
    goals: Mapping[str, Mapping[str, int]]
    require_town: bool
    moved_out_keywords: tuple[str, ...]
    inactive_status_keywords: tuple[str, ...]
    not_independent_legal_person: tuple[NonLegalPersonRule, ...]
    one_per_enterprise: bool
    one_per_project: bool
    payment_stages: tuple[PaymentStage, ...]
    rules: tuple[RewardRule, ...] = field(default_factory=tuple)
    # The plan's 基期 coverage table ([baseline] file, resolved against the policy file's folder); "" = none
    baseline_file: str = ""
    # [report.annex5]: which candidates the sent 附件5 lists; None = every candidate filling a 规上 gap
    annex5: Annex5Rule | None = None

    def rule(self, key: str) -> RewardRule | None:
        return next((r for r in self.rules if r.key == key), None)

    def rules_of_kind(self, kind: str) -> list[RewardRule]:
        return [r for r in self.rules if r.kind == kind]

    def goal(self, scope: str, level: str) -> int:
        return int(self.goals[scope][level])

    def meets_threshold(self, revenue_wan: float | None) -> bool:
        if revenue_wan is None or revenue_wan != revenue_wan:
            return False
        if self.threshold_inclusive:
            return revenue_wan >= self.revenue_threshold_wan
        return revenue_wan > self.revenue_threshold_wan


# -- reading ----------------------------------------------------------------
class _Reader:
    """Typed access to one TOML table that reports the full dotted key on error."""

    def __init__(self, path: object, data: Mapping[str, Any], prefix: str = ""):
        self.path = path
        self.data = data
        self.prefix = prefix
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, problem: str) -> PolicyError:
        return PolicyError(self.path, self.key(name), problem)

    def _get(self, name: str, default: Any, required: bool) -> Any:
        self.used.add(name)
        if name not in self.data:
            if required:
                raise self.fail(name, "缺失，必须填写")
            return default
        return self.data[name]

    def table(self, name: str, required: bool = True) -> _Reader:
        value = self._get(name, {}, required)
        if not isinstance(value, dict):
            raise self.fail(name, "应为表（[...] 段落）")
        return _Reader(self.path, value, f"{self.key(name)}.")

    def tables(self, name: str, required: bool = True) -> list[_Reader]:
        value = self._get(name, [], required)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(name, "应为表数组（[[...]] 段落）")
        if required and not value:
            raise self.fail(name, "至少需要一项")
        return [_Reader(self.path, v, f"{self.key(name)}[{i + 1}].") for i, v in enumerate(value)]

    def text(self, name: str, default: str | None = None, allow_empty: bool = False) -> str:
        value = self._get(name, default, default is None)
        if not isinstance(value, str):
            raise self.fail(name, f"应为文本，实际为“{value!r}”")
        if not allow_empty and not value.strip():
            raise self.fail(name, "不能为空")
        return value.strip()

    def boolean(self, name: str, default: bool | None = None) -> bool:
        value = self._get(name, default, default is None)
        if not isinstance(value, bool):
            raise self.fail(name, f"应为 true 或 false，实际为“{value!r}”")
        return value

    @overload
    def number(
        self,
        name: str,
        default: float | None = None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        optional: Literal[False] = False,
    ) -> float: ...

    @overload
    def number(
        self,
        name: str,
        default: float | None = None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        optional: bool,
    ) -> float | None: ...

    def number(
        self,
        name: str,
        default: float | None = None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        optional: bool = False,
    ) -> float | None:
        value = self._get(name, default, default is None and not optional)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(name, f"应为数字，实际为“{value!r}”")
        if minimum is not None and value < minimum:
            raise self.fail(name, f"不能小于 {minimum:g}，实际为 {value:g}")
        if maximum is not None and value > maximum:
            raise self.fail(name, f"不能大于 {maximum:g}，实际为 {value:g}")
        return float(value)

    def integer(
        self, name: str, default: int | None = None, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        value = self._get(name, default, default is None)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"应为整数，实际为“{value!r}”")
        if minimum is not None and value < minimum:
            raise self.fail(name, f"不能小于 {minimum}，实际为 {value}")
        if maximum is not None and value > maximum:
            raise self.fail(name, f"不能大于 {maximum}，实际为 {value}")
        return value

    # A required date is never None: TOML has no null, so `value is None` below only happens for a missing key,
    # which `_get` rejects unless the date is optional.
    @overload
    def date(self, name: str, optional: Literal[False] = False) -> dt.date: ...

    @overload
    def date(self, name: str, optional: bool) -> dt.date | None: ...

    def date(self, name: str, optional: bool = False) -> dt.date | None:
        value = self._get(name, None, not optional)
        if value is None or (isinstance(value, str) and not value.strip() and optional):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(name, f"应为日期（如 2025-12-31），实际为“{value!r}”")

    def words(self, name: str, default: list[str] | None = None, allow_empty: bool = True) -> tuple[str, ...]:
        value = self._get(name, default, default is None)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(name, '应为非空文本组成的列表，如 ["甲", "乙"]')
        if not allow_empty and not value:
            raise self.fail(name, "至少需要一项")
        return tuple(v.strip() for v in value)

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(name, default)
        if value not in choices:
            raise self.fail(name, f"应为 {' / '.join(choices)} 之一，实际为“{value}”")
        return value

    def finish(self) -> None:
        """Reject keys nobody read: a typo must not silently fall back to a default."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(unknown[0], "不是可识别的配置项（请检查拼写）")


_PARSED: dict[tuple[str, int, int], Policy] = {}  # (file, mtime, size) -> its policy


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy TOML file (default: the 东胜区 2023 plan).

    Parsed once per file version: a run's steps, its checks and the CLI all ask for the policy,
    and an edited file (new mtime or size) is read again. A `Policy` is frozen, so sharing it is safe."""
    path = Path(path) if path is not None else DEFAULT_POLICY_PATH
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except (OSError, RuntimeError):  # missing, unreadable, a symlink loop: said below, in Chinese
        return _read_policy(path)
    if key not in _PARSED:
        _PARSED[key] = _read_policy(path)
    return _PARSED[key]


def _read_policy(path: Path) -> Policy:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(path, "", "：文件不存在") from None
    except IsADirectoryError:
        raise PolicyError(path, "", "：这是一个文件夹，不是文件") from None
    except OSError as error:
        raise PolicyError(path, "", f"：无法读取（{error.strerror or error}）") from None
    try:
        data = tomllib.loads(policy_text(path, raw))
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(path, "", f"：不是有效的 TOML 格式（{error}）") from None
    return parse_policy(data, source=str(path))


def policy_text(path: Path, raw: bytes) -> str:
    """The text of a policy file: UTF-8, with or without the BOM Windows Notepad writes; any other
    encoding is refused by name (TOML files are UTF-8, and a guessed encoding could misread a name)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        found = "看起来是 UTF-16 编码"
    else:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            try:
                raw.decode("gb18030")
                found = f"看起来是 GBK/GB18030 编码，第{line}行起有非 UTF-8 的字节"
            except UnicodeDecodeError:
                found = f"第{line}行有不是 UTF-8 的字节"
    raise PolicyError(
        path,
        "",
        f"：文件编码不是 UTF-8（{found}）。TOML 文件须为 UTF-8 编码：请用记事本或 WPS 打开后“另存为”，编码选“UTF-8”",
    )


def parse_policy(data: Mapping[str, Any], source: str = "<内存>") -> Policy:
    """Validate an already-parsed TOML mapping into a `Policy`."""
    root = _Reader(source, data)
    version = root.integer("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise root.fail("schema_version", f"不受支持（支持 {SUPPORTED_SCHEMA_VERSIONS}），实际为 {version}")

    plan = root.table("plan")
    plan_name = plan.text("name")
    document_number = plan.text("document_number", "", allow_empty=True)
    district = plan.text("district")
    city = plan.text("city", "", allow_empty=True)
    issued = plan.date("issued", optional=True)
    lead_department = plan.text("lead_department")
    report_day_of_month = plan.integer("report_day_of_month", 20, minimum=1, maximum=31)
    plan.finish()

    above = root.table("above_scale")
    threshold = above.number("revenue_threshold_wan", minimum=0)
    if threshold <= 0:
        raise above.fail("revenue_threshold_wan", "必须大于 0")
    inclusive = above.boolean("threshold_inclusive", True)
    above.finish()

    classification = root.table("classification")
    count_min = classification.number("count_in_all_min_score", minimum=0, maximum=1)
    review_below = classification.number("review_below_score", minimum=0, maximum=1)
    if review_below > count_min:
        raise classification.fail(
            "review_below_score",
            f"（{review_below:g}）不能大于 count_in_all_min_score（{count_min:g}）："
            "否则同一企业会既计入全口径门类又被送去复核",
        )
    classification.finish()

    pipeline = root.table("pipeline")
    near = pipeline.number("near_ratio", minimum=0, maximum=1)
    nurture = pipeline.number("nurture_ratio", minimum=0, maximum=1)
    if not 0 < nurture < near <= 1:
        raise pipeline.fail(
            "nurture_ratio", f"应满足 0 < nurture_ratio < near_ratio ≤ 1，实际为 {nurture:g} 与 {near:g}"
        )
    names_reader = pipeline.table("stage_names")
    stage_names = {key: names_reader.text(key) for key in STAGE_KEYS}
    names_reader.finish()
    pipeline.finish()

    baseline = root.table("baseline", required=False)
    baseline_date = baseline.date("date", optional=True)
    baseline_file = baseline.text("file", "", allow_empty=True)
    if baseline_file and not Path(baseline_file).is_absolute() and not source.startswith("<"):
        baseline_file = str(Path(source).resolve().parent / baseline_file)
    baseline.finish()

    goals_reader = root.table("goals")
    deadline = goals_reader.date("deadline")
    goals: dict[str, Mapping[str, int]] = {}
    for scope in SCOPES:
        scope_reader = goals_reader.table(scope)
        levels = {level: scope_reader.integer(level, minimum=0) for level in GAP_LEVELS}
        total = scope_reader.integer("total", sum(levels.values()), minimum=0)
        if total != sum(levels.values()):
            raise scope_reader.fail(
                "total", f"（{total}）应等于 division + group + class 之和（{sum(levels.values())}）"
            )
        levels["total"] = total
        goals[scope] = MappingProxyType(levels)
        scope_reader.finish()
    goals_reader.finish()
    _check_dates(goals_reader, issued, baseline_date, deadline)

    eligibility = root.table("eligibility")
    require_town = eligibility.boolean("require_town", True)
    moved_out_keywords = eligibility.words("moved_out_keywords", ["迁出"])
    inactive_status_keywords = eligibility.words("inactive_status_keywords", [])
    not_independent_legal_person = tuple(
        _non_legal_person_rule(r) for r in eligibility.tables("not_independent_legal_person", required=False)
    )
    eligibility.finish()

    rewards = root.table("rewards")
    one_per_enterprise = rewards.boolean("one_per_enterprise", True)
    one_per_project = rewards.boolean("one_per_project", True)
    stages = tuple(_payment_stage(r) for r in rewards.tables("payment_stages", required=False))
    rules = tuple(_reward_rule(r) for r in rewards.tables("rules"))
    _check_rules(rewards, rules, stages)
    rewards.finish()
    annex5 = _annex5_rule(root.table("report", required=False))
    root.finish()

    return Policy(
        source=source,
        plan_name=plan_name,
        document_number=document_number,
        district=district,
        city=city,
        issued=issued,
        lead_department=lead_department,
        report_day_of_month=report_day_of_month,
        revenue_threshold_wan=threshold,
        threshold_inclusive=inclusive,
        count_in_all_min_score=count_min,
        review_below_score=review_below,
        near_ratio=near,
        nurture_ratio=nurture,
        stage_names=MappingProxyType(stage_names),
        baseline_date=baseline_date,
        goals_deadline=deadline,
        goals=MappingProxyType(goals),
        require_town=require_town,
        moved_out_keywords=moved_out_keywords,
        inactive_status_keywords=inactive_status_keywords,
        not_independent_legal_person=not_independent_legal_person,
        one_per_enterprise=one_per_enterprise,
        one_per_project=one_per_project,
        payment_stages=stages,
        rules=rules,
        baseline_file=baseline_file,
        annex5=annex5,
    )


def _annex5_rule(report: _Reader) -> Annex5Rule | None:
    """[report.annex5], or None when the policy has no [report] table."""
    if not report.data:
        report.finish()
        return None
    reader = report.table("annex5")
    stages = reader.words("stages", allow_empty=True)
    unknown = [stage for stage in stages if stage not in STAGE_KEYS]
    if unknown:
        raise reader.fail("stages", f"应为 {' / '.join(STAGE_KEYS)} 中的值，实际含“{unknown[0]}”")
    rule = Annex5Rule(
        stages=stages,
        min_revenue_ratio=reader.number("min_revenue_ratio", minimum=0, maximum=1),
        min_growth=reader.number("min_growth", minimum=0),
    )
    reader.finish()
    report.finish()
    return rule


def _check_dates(reader: _Reader, issued: dt.date | None, baseline: dt.date | None, deadline: dt.date) -> None:
    """Dates of different tables that must agree: the plan runs from its issue to its deadline, and a
    baseline snapshot is taken before the deadline. Said at load time, naming both keys."""
    if issued is not None and deadline <= issued:
        raise PolicyError(
            reader.path,
            "goals.deadline",
            f"（{deadline}）应晚于规划发布日期 plan.issued（{issued}）：截止日期不能早于或等于发布日期",
        )
    if baseline is not None and baseline > deadline:
        raise PolicyError(
            reader.path,
            "baseline.date",
            f"（{baseline}）不能晚于目标截止日期 goals.deadline（{deadline}）：基期应是规划期开始时的快照",
        )


def _non_legal_person_rule(reader: _Reader) -> NonLegalPersonRule:
    rule = NonLegalPersonRule(
        type_keywords=reader.words("type_keywords", []),
        name_suffixes=reader.words("name_suffixes", []),
        reason=reader.text("reason"),
    )
    if not rule.type_keywords and not rule.name_suffixes:
        raise reader.fail("type_keywords", "与 name_suffixes 不能同时为空")
    reader.finish()
    return rule


def _payment_stage(reader: _Reader) -> PaymentStage:
    stage = PaymentStage(
        key=reader.text("key"),
        name=reader.text("name"),
        share=reader.number("share", minimum=0, maximum=1),
        reached_by=reader.words("reached_by", []),
    )
    reader.finish()
    return stage


def _reward_rule(reader: _Reader) -> RewardRule:
    kind = reader.choice("kind", RULE_KINDS)
    amounts: dict[str, float] = {}
    if kind != "certification":
        amounts_reader = reader.table("amounts")
        amounts = {level: amounts_reader.number(level, minimum=0) for level in GAP_LEVELS}
        amounts_reader.finish()
    tiers: tuple[RewardTier, ...] = ()
    if kind == "certification":
        tiers = tuple(_tier(t) for t in reader.tables("tiers"))
    min_inv = reader.number("min_investment_wan", minimum=0, optional=True)
    max_inv = reader.number("max_investment_wan", minimum=0, optional=True)
    if min_inv is not None and max_inv is not None and max_inv < min_inv:
        raise reader.fail("max_investment_wan", f"（{max_inv:g}）不能小于 min_investment_wan（{min_inv:g}）")
    rule = RewardRule(
        key=reader.text("key"),
        kind=kind,
        name=reader.text("name"),
        article=reader.text("article", "", allow_empty=True),
        gap_scope=reader.choice("gap_scope", GAP_SCOPES),
        amounts=MappingProxyType(amounts),
        min_investment_wan=min_inv,
        min_inclusive=reader.boolean("min_inclusive", True),
        max_investment_wan=max_inv,
        max_inclusive=reader.boolean("max_inclusive", False),
        excluded_by=reader.words("excluded_by", []),
        staged=reader.boolean("staged", False),
        same_year_bonus_ratio=reader.number("same_year_bonus_ratio", 0.0, minimum=0),
        require_on_target=reader.boolean("require_on_target", False),
        conditions=reader.text("conditions", "", allow_empty=True),
        tiers=tiers,
    )
    reader.finish()
    return rule


def _tier(reader: _Reader) -> RewardTier:
    tier = RewardTier(
        name=reader.text("name"),
        match=reader.words("match", allow_empty=False),
        amount=reader.number("amount", minimum=0),
    )
    reader.finish()
    return tier


def _check_rules(reader: _Reader, rules: tuple[RewardRule, ...], stages: tuple[PaymentStage, ...]) -> None:
    """Cross-checks that need all rules: unique keys, known references, shares that add up."""
    keys = [r.key for r in rules]
    for index, rule in enumerate(rules):
        if keys.count(rule.key) > 1:
            raise PolicyError(reader.path, f"rewards.rules[{index + 1}].key", f"“{rule.key}”重复")
        for other in rule.excluded_by:
            if other not in keys:
                raise PolicyError(
                    reader.path, f"rewards.rules[{index + 1}].excluded_by", f"引用了不存在的规则“{other}”"
                )
        if rule.staged and not stages:
            raise PolicyError(
                reader.path, "rewards.payment_stages", f"缺失：规则“{rule.key}”设置了 staged = true，需要分阶段比例"
            )
    if stages:
        total = sum(s.share for s in stages)
        if abs(total - 1.0) > 1e-6:
            raise PolicyError(reader.path, "rewards.payment_stages", f"各阶段 share 之和应为 1，实际为 {total:g}")
        stage_keys = [s.key for s in stages]
        if len(set(stage_keys)) != len(stage_keys):
            raise PolicyError(reader.path, "rewards.payment_stages", "的 key 有重复")
