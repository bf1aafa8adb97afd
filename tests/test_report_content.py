"""What the sent annexes say: the deciding clause as 经营范围摘要, a one-line 判定依据."""

from __future__ import annotations

from industry_gap.entry_pipeline import SCOPE_SUMMARY_CHARS, deciding_clause
from industry_gap.exports.workbooks import annex5_basis

SCOPE = (
    "一般项目：技术服务、技术开发；塑料制品销售；粗纺呢绒的生产；精纺呢绒的生产。"
    "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）许可项目：道路货物运输"
)
EVIDENCE = "依据经营项目“粗纺呢绒的生产”（生产制造，注释词“粗纺呢绒”）；企业名称含“纺织” → 1722 毛织造加工"


def test_summary_is_the_clause_that_carried_the_prediction():
    assert deciding_clause(SCOPE, EVIDENCE) == "粗纺呢绒的生产"


def test_summary_without_evidence_opens_past_the_boilerplate():
    assert deciding_clause(SCOPE) == "技术服务、技术开发"
    opening = "依法须经批准的项目，经相关部门批准后方可开展经营活动；许可项目：食品生产"
    assert deciding_clause(opening) == "食品生产"
    assert len(deciding_clause("金属制品制造、" * 20)) == SCOPE_SUMMARY_CHARS + 1  # cut, with an ellipsis


def test_annex5_basis_is_one_line():
    firm = dict(
        code="1722",
        code_name="毛织造加工",
        code_source="classified",
        scope_summary="粗纺呢绒的生产",
        gap_level_above="group",
        gap_code_above="172",
    )
    assert annex5_basis(firm) == "“粗纺呢绒的生产”→1722 毛织造加工；缺规上中类172"
    registered = {**firm, "code_source": "registry"}
    assert annex5_basis(registered) == "登记行业代码1722 毛织造加工；缺规上中类172"


def _review_inputs(policy):
    import pandas as pd

    from industry_gap.coverage import build_coverage
    from industry_gap.gaps import GAP_COLUMNS

    coverage = build_coverage(pd.DataFrame(), pd.DataFrame(), policy)
    present = {"13", "131", "1311", "1312", "44", "441", "4411"}
    coverage["present_above"] = coverage["present_all"] = coverage["code"].isin(present)

    def firm(uscc, codes, scores, **values):
        registry = {"uscc": uscc, "name": f"企业{uscc}", "scope": "生产", "evidence": "", "reason": ""}
        for rank, (code, score) in enumerate(zip(codes, scores), start=1):
            registry |= {f"pred_code_{rank}": code, f"pred_score_{rank}": score, f"pred_name_{rank}": ""}
        gap = dict.fromkeys(GAP_COLUMNS, "")
        gap |= dict(uscc=uscc, name=f"企业{uscc}", code=codes[0], needs_review=True, active=True)
        gap |= dict(in_above_scale=False, potential_gap_level_above="none", department="工信局", **values)
        return registry, gap

    rows = [
        firm("A", ["1311", "1312", "4411"], [0.4, 0.3, 0.1]),  # every candidate is present: changes nothing
        firm("B", ["1311", "1391", "4411"], [0.4, 0.3, 0.1]),  # 1391: its 中类 139 is a 规上 gap
        firm("C", ["2611", "1311", ""], [0.45, 0.2, None]),  # 26 is a 大类 gap: worth most
        firm("D", ["2611", "", ""], [0.45, None, None], active=False),  # closed: its answer counts nowhere
    ]
    registry = pd.DataFrame([r for r, _ in rows])
    gaps = pd.DataFrame([g for _, g in rows], columns=GAP_COLUMNS)
    return registry, gaps, coverage


def test_review_list_holds_only_rows_whose_answer_changes_something(policy):
    from industry_gap.gaps import build_review_list

    registry, gaps, coverage = _review_inputs(policy)
    review = build_review_list(registry, gaps, policy=policy, coverage=coverage)
    assert list(review["uscc"]) == ["C", "B"]  # ordered by what the answer is worth
    assert list(review["potential_gap_level_above"]) == ["division", "group"]  # the gap any candidate fills
    assert len(build_review_list(registry, gaps, policy=policy)) == 4  # without coverage: every row, as before
