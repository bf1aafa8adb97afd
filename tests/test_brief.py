"""The month's Word brief: written beside the workbooks, 1–3 pages, fonts named, four-colour status per goal."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn

from industry_gap.entry_pipeline import enters_within_year
from industry_gap.policy import PolicyError, parse_policy
from industry_gap.report_status import (
    AT_RISK,
    BEHIND,
    NO_CANDIDATE,
    ON_TRACK,
    STATUS_NAMES,
    elapsed_share,
    goal_statuses,
)
from tests.factories import TEST_POLICY_PATH, materialize_analysis
from tests.test_workbooks import ABOVE, PROJECTS, REGISTRY, TARGETS, policy_ending, run_on_the_lists


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    return run_on_the_lists(tmp_path_factory.mktemp("brief"))


def _text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_brief_is_written_beside_the_workbooks(brief, policy):
    path = brief.exports.brief
    assert path is not None and path.exists() and path.parent == brief.exports.consolidated.parent
    document = Document(str(path))
    text = _text(document)
    assert document.paragraphs[0].text == f"{policy.district}扩增工业门类工作月报"
    for heading in ("一、总体进展", "二、本月变化", "三、最接近入规的企业", "四、尚无候选的目标门类", "五、报送文件"):
        assert heading in text
    # headline against the plan, both 口径, every level, a status per goal
    progress = document.tables[0]
    assert [c.text for c in progress.rows[0].cells][-1] == "状态"
    assert len(progress.rows) == 1 + 8
    assert all(row.cells[-1].text in STATUS_NAMES.values() for row in progress.rows[1:])
    assert "全口径较基期新增门类" in text and "规上口径较基期新增门类" in text
    # the firms closest to entering: the 附件5 firm at the threshold comes first
    firms = document.tables[1]
    assert firms.rows[1].cells[1].text == REGISTRY.iloc[0]["name"]
    assert "企业03有限公司" not in text  # 储备, not expected to enter within the year
    # a target category no firm or project fills is named
    assert "3071" in text


def test_brief_page_setup_and_fonts(brief):
    document = Document(str(brief.exports.brief))
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    footer = section.footer.paragraphs[0]._element.xml
    assert "PAGE" in footer and "2025年11月" in section.footer.paragraphs[0].text
    normal = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "宋体"
    runs = [r for p in document.paragraphs for r in p.runs if r.text.strip()]
    assert runs and all(r._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) for r in runs)


def test_brief_after_the_deadline_says_so_once(policy, tmp_path):
    late = dt.date(2026, 3, 1)
    ended = policy_ending(tmp_path, policy, late - dt.timedelta(days=60))
    run = materialize_analysis(
        tmp_path, REGISTRY, run_date=late, above_scale=ABOVE, targets=TARGETS, projects=PROJECTS, policy_file=ended
    )
    text = _text(Document(str(run.exports.brief)))
    assert text.count("已过") == 1 and "截止日期 2025-12-31" in text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_brief_prints_on_at_most_three_pages(brief, tmp_path):
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(brief.exports.brief)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = next(tmp_path.glob("*.pdf")).read_bytes()
    assert 1 <= len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) <= 3


def _progress(new: int, goal: int, level: str = "class", scope: str = "above") -> pd.DataFrame:
    return pd.DataFrame(
        [{"scope": scope, "level": level, "new_nodes": new, "goal": goal, "baseline_date": "2024-03-01"}]
    )


def _candidate(level: str, code: str, **values) -> dict:
    row = dict(
        included=True,
        gap_level_above=level,
        gap_code_above=code,
        gap_level_all="none",
        code=code,
        code_source="registry",
        confidence=float("nan"),
        stage="ready",
        revenue_ratio=1.2,
        revenue_growth=0.1,
        revenue_wan=1200.0,
    )
    row.update(values)
    return row


def test_four_colour_status(policy):
    half = policy.issued + (policy.goals_deadline - policy.issued) / 2
    assert elapsed_share(policy, half, None) == pytest.approx(0.5, abs=0.01)
    none = pd.DataFrame(columns=list(_candidate("class", "1").keys()))
    firms = pd.DataFrame([_candidate("class", "1311"), _candidate("class", "1312")])

    def status(new: int, goal: int, candidates: pd.DataFrame, annex5=None) -> str:
        return goal_statuses(_progress(new, goal), candidates, annex5, None, policy, half)[("above", "class")].status

    assert status(5, 10, none) == ON_TRACK  # half the goal at half time
    assert status(3, 10, firms) == AT_RISK  # two firms able to enter close the gap of two
    assert status(3, 10, firms, pd.Series([False, False])) == BEHIND  # not plausible this year
    assert status(1, 10, none) == NO_CANDIDATE


def test_annex5_rule_from_the_policy(policy):
    rule = policy.annex5
    assert rule is not None and rule.stages == ("ready", "near")
    threshold = policy.revenue_threshold_wan
    low = rule.min_revenue_ratio * threshold
    assert enters_within_year({"stage": "near"}, policy)
    grows = {"stage": "nurture", "revenue_wan": 0.8 * threshold, "revenue_ratio": 0.8, "revenue_growth": 0.5}
    assert enters_within_year(grows, policy)
    slow = {**grows, "revenue_growth": rule.min_growth / 2}
    assert not enters_within_year(slow, policy)
    far = {"stage": "reserve", "revenue_wan": low * 0.9, "revenue_ratio": rule.min_revenue_ratio * 0.9}
    assert not enters_within_year({**far, "revenue_growth": 5.0}, policy)


def test_annex5_rule_is_checked(policy):
    import tomllib

    data = tomllib.loads(TEST_POLICY_PATH.read_text(encoding="utf-8"))
    data["report"]["annex5"]["stages"] = ["ready", "soon"]
    with pytest.raises(PolicyError, match="report.annex5.stages"):
        parse_policy(data)
    del data["report"]
    assert parse_policy(data).annex5 is None  # without [report] every gap-filling candidate is listed
