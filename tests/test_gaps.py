"""Gap flags for 规下 firms and projects, target-list matching, departments and the review list."""

from __future__ import annotations

import pandas as pd
import pytest

from industry_gap.coverage import build_coverage
from industry_gap.gaps import (
    PROJECT_COLUMNS_ASSESSED,
    assess_projects,
    build_review_list,
    flag_enterprise_gaps,
    project_ids,
)
from industry_gap.schema import ABOVE_SCALE_COLUMNS, PROJECT_COLUMNS
from tests.factories import classified_firm


def firm(uscc: str, **values) -> dict:
    return classified_firm(uscc, **{"scope": "生产销售汽车零部件", **values})


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


def targets(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            dict(
                scope=scope,
                code=code,
                level="",
                name="",
                department=department,
                target_year=2025,
                source_file="targets.csv",
                source_row=i + 2,
            )
            for i, (scope, code, department) in enumerate(rows)
        ]
    )


def project(name: str, **values) -> dict:
    row: dict[str, object] = {column: "" for column in PROJECT_COLUMNS}
    row.update(
        project_name=name, builder=f"{name}公司", investment_wan=3000.0, stage="签约", source_file="projects.xlsx"
    )
    row.update(values)
    return row


# 规上 has 36 > 367 > 3670 and 33 > 331 > 3311
ABOVE = above(("91150602MA00000000A1", "3670"), ("91150602MA00000000A2", "3311"))


def flags(registry_rows, policy, above_scale=ABOVE, target_table=None):
    registry = pd.DataFrame(registry_rows)
    coverage = build_coverage(registry, above_scale, policy)
    return flag_enterprise_gaps(registry, above_scale, coverage, target_table, policy).set_index("uscc"), coverage


def test_gap_level_at_above_scope(policy):
    gaps, _ = flags(
        [
            firm("91150602MA0000000001", industry_code="1391"),  # division 13 absent → 大类
            firm("91150602MA0000000002", industry_code="3611"),  # 36 present, 361 absent → 中类
            firm("91150602MA0000000003", industry_code="3312"),  # 331 present, 3312 absent → 小类
            firm("91150602MA0000000004", industry_code="3670"),  # present → none
            firm("91150602MA0000000005", industry_code="139"),  # 3-digit: judged down to 中类 only
        ],
        policy,
    )
    assert gaps.loc["91150602MA0000000001", "gap_level_above"] == "division"
    assert gaps.loc["91150602MA0000000001", "gap_code_above"] == "13"
    assert gaps.loc["91150602MA0000000002", "gap_level_above"] == "group"
    assert gaps.loc["91150602MA0000000002", "gap_code_above"] == "361"
    assert gaps.loc["91150602MA0000000003", "gap_level_above"] == "class"
    assert gaps.loc["91150602MA0000000004", "gap_level_above"] == "none"
    assert gaps.loc["91150602MA0000000005", "gap_level_above"] == "division"
    assert gaps.loc["91150602MA0000000001", "flagged"]
    assert not gaps.loc["91150602MA0000000004", "flagged"]
    assert "本区规上企业缺大类13农副食品加工业" in gaps.loc["91150602MA0000000001", "basis"]


def test_all_scope_is_judged_without_the_firm_itself(policy):
    gaps, _ = flags(
        [
            firm("91150602MA0000000011", industry_code="1391"),  # sole holder of 13 → 大类 at 全口径
            firm("91150602MA0000000012", industry_code="1351"),  # shares 13 with the one above → 中类 135
            firm("91150602MA0000000013", industry_code="3042"),
            firm("91150602MA0000000014", industry_code="3042"),  # two holders of 3042 → none at 全口径
        ],
        policy,
    )
    assert gaps.loc["91150602MA0000000011", "gap_level_all"] == "group"
    assert gaps.loc["91150602MA0000000012", "gap_level_all"] == "group"
    assert gaps.loc["91150602MA0000000013", "gap_level_all"] == "none"
    assert gaps.loc["91150602MA0000000013", "gap_level_above"] == "division"
    sole, _ = flags([firm("91150602MA0000000015", industry_code="1391")], policy)
    assert sole.loc["91150602MA0000000015", "gap_level_all"] == "division"
    assert "唯一持有者" in sole.loc["91150602MA0000000015", "basis"]


def between_thresholds(policy) -> float:
    """A classifier score at which a firm is flagged but not yet counted in 全口径."""
    return (policy.review_below_score + policy.count_in_all_min_score) / 2


def test_classified_between_thresholds_is_flagged_but_not_counted(policy):
    score = between_thresholds(policy)
    gaps, coverage = flags([firm("91150602MA0000000021", pred_code_1="1391", pred_score_1=score)], policy)
    record = gaps.loc["91150602MA0000000021"]
    assert not record["counted_in_all"] and not record["needs_review"]
    assert record["flagged"]
    assert record["gap_level_all"] == "division"  # missing from 全口径 since it is not counted
    assert not coverage.set_index("code").loc["1391", "present_all"]
    assert f"置信度{score:.2f}" in record["basis"]


def test_low_confidence_goes_to_review_not_flags(policy):
    below = policy.review_below_score
    registry_rows = [
        firm(
            "91150602MA0000000031",
            pred_code_1="1391",
            pred_score_1=0.3,
            pred_code_2="1392",
            pred_score_2=0.2,
            pred_code_3="5137",
            pred_score_3=0.1,
            evidence="命中“淀粉”",
            scope="淀粉加工销售",
        ),
        firm("91150602MA0000000032", pred_code_1="3312", pred_score_1=below - 0.01, evidence="命中“门窗”"),
        firm("91150602MA0000000033", pred_code_1="5137", pred_score_1=0.2),  # no industrial candidate
    ]
    assert below > 0.3
    gaps, _ = flags(registry_rows, policy)
    assert gaps.loc["91150602MA0000000031", "needs_review"]
    assert not gaps.loc["91150602MA0000000031", "flagged"]
    assert gaps.loc["91150602MA0000000031", "gap_level_above"] == "none"
    assert gaps.loc["91150602MA0000000031", "potential_gap_level_above"] == "division"
    assert not gaps.loc["91150602MA0000000033", "needs_review"]

    review = build_review_list(pd.DataFrame(registry_rows), gaps.reset_index(), policy=policy)
    assert list(review["entity_id"]) == ["91150602MA0000000031", "91150602MA0000000032"]  # 大类 first
    top = review.iloc[0]
    assert (top["pred_code_1"], top["pred_code_2"], top["pred_code_3"]) == ("1391", "1392", "5137")
    assert top["pred_name_1"] == "淀粉及淀粉制品制造"
    assert top["pred_score_1"] == pytest.approx(0.3)
    assert top["evidence"] == "命中“淀粉”"
    assert top["text_excerpt"] == "淀粉加工销售"
    assert f"{below:.2f}" in top["review_reason"] and "大类" in top["review_reason"]


def test_non_industrial_active_and_above_scale_firms_are_not_flagged(policy):
    gaps, _ = flags(
        [
            firm("91150602MA0000000041", pred_code_1="5137", pred_score_1=0.95),
            firm("91150602MA0000000042", industry_code="1391", status="已迁出"),
            firm("91150602MA00000000A1", industry_code="3670"),  # already on the 规上 list
        ],
        policy,
    )
    assert not gaps["flagged"].any()
    assert gaps.loc["91150602MA00000000A1", "in_above_scale"]
    assert not gaps.loc["91150602MA0000000042", "active"]


def test_target_lists_and_departments(policy):
    table = targets(
        ("规上口径", "361", "装备制造产业园管理办公室"), ("全口径", "3611", "区发改委"), ("全口径", "13", "区农牧局")
    )
    gaps, _ = flags(
        [
            firm("91150602MA0000000051", industry_code="3611"),
            firm("91150602MA0000000052", industry_code="1391"),
            firm("91150602MA0000000053", industry_code="3042"),
            firm("91150602MA0000000054", industry_code="36"),  # above the 中类 target: no match
        ],
        policy,
        target_table=table,
    )
    first = gaps.loc["91150602MA0000000051"]
    assert first["on_target_above"] and first["on_target_all"]
    assert first["department"] == "装备制造产业园管理办公室"  # the 规上 list (附件3) owns it first
    assert first["target_code"] == "361" and first["target_scope"] == "above"
    second = gaps.loc["91150602MA0000000052"]
    assert not second["on_target_above"] and second["on_target_all"]
    assert second["department"] == "区农牧局"
    third = gaps.loc["91150602MA0000000053"]
    assert not third["on_target_above"] and not third["on_target_all"]
    assert third["department"] == policy.lead_department
    assert "不在目标清单" in third["basis"]
    assert not gaps.loc["91150602MA0000000054", "on_target_above"]


def test_projects_use_intended_code_else_classification(policy):
    frame = pd.DataFrame(
        [
            project("甲项目", intended_code="C3611", department="区商务局", source_row=2),
            project(
                "乙项目",
                content="建设淀粉生产线",
                pred_code_1="1391",
                pred_score_1=policy.count_in_all_min_score,
                source_row=3,
            ),
            project(
                "丙项目",
                content="建设厂房",
                pred_code_1="3042",
                pred_score_1=0.2,
                pred_code_2="3041",
                pred_score_2=0.1,
                evidence="命中“玻璃”",
                source_row=4,
            ),
            project("丁项目", intended_code="3670", source_row=5),
            project("戊项目", intended_code="99x9", content="", source_row=6),
        ]
    )
    coverage = build_coverage(pd.DataFrame(), ABOVE, policy)
    table = targets(("全口径", "139", "区农牧局"))
    raw = assess_projects(frame, coverage, table, policy)
    assert list(raw.columns) == PROJECT_COLUMNS_ASSESSED
    assessed = raw.set_index("project_name")
    first = assessed.loc["甲项目"]
    assert (first["code"], first["code_source"]) == ("3611", "intended")
    assert (first["gap_level_above"], first["gap_level_all"]) == ("group", "group")
    assert first["department"] == "区商务局" and first["department_source"] == "项目清单"
    assert first["project_id"] == "projects.xlsx#2"
    second = assessed.loc["乙项目"]
    assert (second["code"], second["code_source"]) == ("1391", "classified")
    assert second["gap_level_above"] == "division" and second["flagged"]
    assert second["department"] == "区农牧局" and second["on_target_all"]
    assert "建设内容分类" in second["basis"]
    third = assessed.loc["丙项目"]
    assert third["needs_review"] and not third["flagged"] and third["gap_level_above"] == "none"
    assert not assessed.loc["丁项目", "flagged"]
    assert assessed.loc["戊项目", "code_source"] == "none" and not assessed.loc["戊项目", "flagged"]

    review = build_review_list(
        pd.DataFrame(), pd.DataFrame(columns=["needs_review"]), frame, assessed.reset_index(), policy
    )
    assert list(review["name"]) == ["丙项目"]
    assert review.iloc[0]["entity_kind_name"] == "项目"
    assert review.iloc[0]["pred_code_2"] == "3041" and review.iloc[0]["evidence"] == "命中“玻璃”"


def test_project_ids_are_stable():
    frame = pd.DataFrame([dict(source_file="p.xlsx", source_row=2.0), dict(source_file="", source_row="")])
    assert project_ids(frame) == ["p.xlsx#2", "项目2"]


def test_empty_projects(policy):
    coverage = build_coverage(pd.DataFrame(), ABOVE, policy)
    assert assess_projects(None, coverage, None, policy).empty
