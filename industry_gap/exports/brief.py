"""The month's Word brief (python-docx): one to three A4 pages the office sends with 附件4/附件5.

Written by the run beside the workbooks (``扩增工业门类月报_YYYY-MM.docx``):

一、总体进展: the headline against the plan (全口径 / 规上口径, 大类 / 中类 / 小类) and the
    four-colour status of each goal (`industry_gap.report_status`), as the coverage sheet shows it;
二、本月变化: what changed since last month (the run's 本月变化 table);
三、最接近入规的企业: the 附件5 firms nearest the 规上 threshold;
四、尚无候选的目标门类: categories of the target lists still missing that no firm or project fills.

Fonts are named for Latin and East Asian text (宋体 / 黑体, the fonts WPS and Word both ship), so
the file opens the same in either.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from industry_gap.coverage import NO_GAP, deadline_passed, find_node, number, present_codes, text
from industry_gap.gaps import level_name, target_scope_key
from industry_gap.policy import Policy
from industry_gap.report_status import STATUS_COLOURS, STATUS_LEGEND, GoalStatus

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
TOP_FIRMS = 10  # firms listed under 三、
MAX_LISTED_GAPS = 20  # target categories listed by name under 四、 (the rest are counted)
MAX_CHANGE_LINES = 6


def brief_name(run_date: dt.date) -> str:
    return f"扩增工业门类月报_{run_date.year:04d}-{run_date.month:02d}.docx"


def _fonts(run, font: str, size: float | None = None, bold: bool | None = None) -> None:
    run.font.name = LATIN_FONT
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), font)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold


def _style_fonts(document) -> None:
    """Name the East Asian font in the styles, so text without direct formatting is 宋体 too."""
    for style_name, font, size in (("Normal", BODY_FONT, 10.5), ("Table Grid", BODY_FONT, 9)):
        style = document.styles[style_name]
        style.font.name = LATIN_FONT
        style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        fonts.set(qn("w:eastAsia"), font)
    # the document default (docDefaults) as well, which WPS reads first
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            fonts = rpr.find(qn("w:rFonts"))
            if fonts is None:
                fonts = OxmlElement("w:rFonts")
                rpr.insert(0, fonts)
            fonts.set(qn("w:eastAsia"), BODY_FONT)


def _paragraph(document, content: str, *, font=BODY_FONT, size=10.5, bold=False, align=None, space_after=2):
    paragraph = document.add_paragraph()
    run = paragraph.add_run(content)
    _fonts(run, font, size, bold)
    paragraph.paragraph_format.space_after = Pt(space_after)
    paragraph.paragraph_format.space_before = Pt(0)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _heading(document, content: str):
    return _paragraph(document, content, font=HEADING_FONT, size=12, bold=True, space_after=3)


def _shade(cell, colour: str) -> None:
    properties = cell._element.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    properties.append(shading)


def _table(document, headers: list[str], rows: list[list[str]], widths_cm: list[float]):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, title, width in zip(table.rows[0].cells, headers, widths_cm):
        cell.width = Cm(width)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(cell.paragraphs[0].add_run(title), HEADING_FONT, 9, True)
        _shade(cell, "DDEBF7")
    for values in rows:
        cells = table.add_row().cells
        for cell, value, width in zip(cells, values, widths_cm):
            cell.width = Cm(width)
            _fonts(cell.paragraphs[0].add_run(value), BODY_FONT, 9)
    return table


def _page_number_footer(section, month: str, district: str) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(paragraph.add_run(f"{district}扩增工业门类月报（{month}）  第 "), BODY_FONT, 9)
    for kind, instruction in (("begin", None), (None, "PAGE"), ("end", None)):
        run = paragraph.add_run()
        _fonts(run, BODY_FONT, 9)
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = instruction
        run._element.append(element)
    _fonts(paragraph.add_run(" 页"), BODY_FONT, 9)


def _percent(value: object) -> str:
    ratio = number(value)
    return f"{ratio:.0%}" if ratio is not None else "—"


def write_brief(
    path: Path,
    *,
    policy: Policy,
    run_date: dt.date,
    progress: pd.DataFrame,
    statuses: dict[tuple[str, str], GoalStatus],
    annex5: pd.DataFrame,
    candidates: pd.DataFrame,
    projects: pd.DataFrame | None,
    targets: pd.DataFrame | None,
    coverage: pd.DataFrame | None,
    changes: pd.DataFrame | None,
    baseline_note: str,
    files: list[str],
) -> Path:
    """Write the brief to `path` (atomically: a temporary file, then a rename); returns `path`."""
    month = f"{run_date.year}年{run_date.month}月"
    document = Document()
    _style_fonts(document)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.left_margin = section.right_margin = Cm(2.0)
    _page_number_footer(section, month, policy.district)

    _paragraph(
        document,
        f"{policy.district}扩增工业门类工作月报",
        font=HEADING_FONT,
        size=16,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        space_after=2,
    )
    _paragraph(
        document,
        f"（{month}，统计日期 {run_date.isoformat()}）",
        size=10.5,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        space_after=6,
    )

    _heading(document, "一、总体进展")
    for line in _headline(progress, statuses, policy, run_date, baseline_note):
        _paragraph(document, line)
    rows, colours = [], []
    for r in progress.to_dict("records"):
        status = statuses.get((r["scope"], r["level"]))
        rows.append(
            [
                text(r["scope_name"]),
                text(r["level_name"]),
                str(int(r["baseline_present"])),
                str(int(r["current_present"])),
                str(int(r["new_nodes"])),
                str(int(r["goal"])),
                _percent(r["completion_ratio"]) if int(r["goal"] or 0) else "无目标",
                status.name if status else "",
            ]
        )
        colours.append(STATUS_COLOURS[status.status] if status else None)
    table = _table(
        document,
        ["口径", "层级", "基期已有", "当前已有", "较基期新增", "规划目标", "完成率", "状态"],
        rows,
        [2.0, 1.4, 1.8, 1.8, 2.0, 1.8, 1.6, 2.6],
    )
    for row, colour in zip(table.rows[1:], colours):
        if colour:
            _shade(row.cells[-1], colour)
    _paragraph(document, STATUS_LEGEND, size=8.5, space_after=6)

    _heading(document, "二、本月变化")
    for line in _change_lines(changes):
        _paragraph(document, line)

    _heading(document, "三、最接近入规的企业")
    closest = _closest(annex5)
    if closest.empty:
        _paragraph(document, "附件5本月无可在年内入规的企业。")
    else:
        _paragraph(
            document,
            f"附件5共列入{len(annex5)}户年内可望入规、可扩增规上门类的企业，按距规上门槛由近到远前{len(closest)}户：",
        )
        _table(
            document,
            ["序号", "企业名称", "可扩增门类", "上年营收（万元）", "达门槛", "阶段", "责任单位"],
            [
                [
                    str(i),
                    text(r["企业名称"]),
                    f"{text(r['行业代码'])} {text(r['行业名称'])}（{text(r['扩增层级'])}）",
                    f"{number(r['上年营业收入（万元）']) or 0:,.0f}",
                    _percent((number(r["上年营业收入（万元）"]) or 0) / policy.revenue_threshold_wan),
                    text(r["入规阶段"]),
                    text(r["责任单位"]),
                ]
                for i, r in enumerate(closest.to_dict("records"), start=1)
            ],
            [0.9, 4.6, 4.2, 2.0, 1.3, 1.7, 2.3],
        )

    _heading(document, "四、尚无候选的目标门类")
    for line in _uncovered_lines(targets, coverage, candidates, projects, policy):
        _paragraph(document, line)

    _heading(document, "五、报送文件")
    _paragraph(
        document,
        "本月报送："
        + "、".join(files)
        + "。完整的入规培育库、未纳入企业、奖励测算和复核清单为电子工作清单，不需打印。",
        size=9.5,
    )

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    document.save(str(temporary))
    temporary.replace(path)
    return path


def _headline(
    progress: pd.DataFrame,
    statuses: dict[tuple[str, str], GoalStatus],
    policy: Policy,
    run_date: dt.date,
    baseline_note: str,
) -> list[str]:
    lines = []
    if deadline_passed(policy, run_date):
        lines.append(
            f"注意：规划目标截止日期 {policy.goals_deadline.isoformat()} 已过，以下为截至本月的最终完成情况；"
            "如已发布新一期规划，请在政策文件中更新目标与截止日期。"
        )
    parts = []
    if progress.empty or "scope" not in progress.columns:
        return [*lines, "本次运行没有目标进展数据。"]
    for scope in ("all", "above"):
        rows = progress[(progress["scope"] == scope) & (progress["level"] == "total")]
        if rows.empty:
            continue
        r = rows.iloc[0]
        by_level = "、".join(
            f"{text(x['level_name'])}{int(x['new_nodes'])}个"
            for x in progress[(progress["scope"] == scope) & (progress["level"] != "total")].to_dict("records")
        )
        status = statuses.get((scope, "total"))
        parts.append(
            f"{text(r['scope_name'])}较基期新增门类{int(r['new_nodes'])}个（{by_level}），规划目标{int(r['goal'])}个，"
            f"完成{_percent(r['completion_ratio'])}" + (f"，状态：{status.name}" if status else "")
        )
    lines.append(f"截至{run_date.year}年{run_date.month}月{run_date.day}日，" + "；".join(parts) + "。")
    if baseline_note:
        lines.append(f"基期：{baseline_note}。")
    return lines


def _change_lines(changes: pd.DataFrame | None) -> list[str]:
    if changes is None or changes.empty:
        return ["本月为首次运行或与上月相比无变化。"]
    labels = list(dict.fromkeys(text(v) for v in changes["compared_with"] if text(v)))
    label = next((lb for lb in labels if "上月" in lb), labels[0] if labels else "")
    chosen = changes[changes["compared_with"].astype(str) == label] if label else changes
    counts = chosen.groupby("change_kind_name", sort=False).size()
    lines = [f"{label}：" + "，".join(f"{kind}{n}项" for kind, n in counts.items()) + "。"]
    for r in chosen.head(MAX_CHANGE_LINES).to_dict("records"):
        lines.append(f"· {text(r['change_kind_name'])}：{text(r['detail'])}")
    if len(chosen) > MAX_CHANGE_LINES:
        lines.append(f"（其余{len(chosen) - MAX_CHANGE_LINES}项见工作底稿“本月变化”）")
    return lines


def _closest(annex5: pd.DataFrame) -> pd.DataFrame:
    if annex5.empty:
        return annex5
    revenue = annex5["上年营业收入（万元）"].map(lambda v: number(v) if number(v) is not None else -1.0)
    return annex5.assign(_revenue=revenue).sort_values("_revenue", ascending=False, kind="stable").head(TOP_FIRMS)


def uncovered_targets(
    targets: pd.DataFrame | None,
    coverage: pd.DataFrame | None,
    candidates: pd.DataFrame,
    projects: pd.DataFrame | None,
    policy: Policy,
) -> list[dict]:
    """Target-list categories still missing at their 口径 that no included firm or flagged project fills."""
    if targets is None or targets.empty or coverage is None or coverage.empty:
        return []
    present = {scope: present_codes(coverage, scope) for scope in ("above", "all")}
    fillers: dict[str, list[str]] = {"above": [], "all": []}
    if candidates is not None and not candidates.empty:
        for r in candidates[candidates["included"].astype(bool)].to_dict("records"):
            if r["gap_level_above"] != NO_GAP:
                fillers["above"].append(text(r["code"]))
            uncounted = r["code_source"] == "classified" and (number(r["confidence"]) or 0.0) < (
                policy.count_in_all_min_score
            )
            if uncounted and r["gap_level_all"] != NO_GAP:
                fillers["all"].append(text(r["code"]))
    if projects is not None and not projects.empty:
        for r in projects[projects["flagged"].astype(bool)].to_dict("records"):
            if r["gap_level_above"] != NO_GAP:
                fillers["above"].append(text(r["code"]))
            if r["gap_level_all"] != NO_GAP:
                fillers["all"].append(text(r["code"]))
    out, seen = [], set()
    for r in targets.to_dict("records"):
        scope, code = target_scope_key(r.get("scope")), text(r.get("code"))
        if not code or (scope, code) in seen or code in present[scope]:
            continue
        seen.add((scope, code))
        if any(f.startswith(code) or code.startswith(f) for f in fillers[scope] if f):
            continue
        node = find_node(code)
        out.append(
            {
                "scope": scope,
                "code": code,
                "name": text(r.get("name")) or (node.name if node else ""),
                "level": node.level if node else "",
                "department": text(r.get("department")),
            }
        )
    return out


def _uncovered_lines(
    targets: pd.DataFrame | None,
    coverage: pd.DataFrame | None,
    candidates: pd.DataFrame,
    projects: pd.DataFrame | None,
    policy: Policy,
) -> list[str]:
    gaps = uncovered_targets(targets, coverage, candidates, projects, policy)
    if targets is None or targets.empty:
        return ["未提供目标清单（附件2/附件3）。"]
    if not gaps:
        return ["目标清单中尚未填补的门类均已有候选企业或项目。"]
    lines = []
    for scope, scope_name in (("above", "规上口径（附件3）"), ("all", "全口径（附件2）")):
        chosen = [g for g in gaps if g["scope"] == scope]
        if not chosen:
            continue
        listed = "、".join(f"{g['code']}{g['name']}（{level_name(g['level'])}）" for g in chosen[:MAX_LISTED_GAPS])
        more = f"等{len(chosen)}个" if len(chosen) > MAX_LISTED_GAPS else f"共{len(chosen)}个"
        lines.append(f"{scope_name}目标中尚无任何企业或项目可填补的门类{more}：{listed}。需招商引进或重新研判目标。")
    return lines
