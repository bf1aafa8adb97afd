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
