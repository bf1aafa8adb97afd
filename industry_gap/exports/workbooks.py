"""The office's Excel lists: 附件4, 附件5, coverage, pipeline, rewards and review.

Files go to ``<output_root>/exports/YYYY-MM/`` (the month of the run date):

* ``扩增工业门类清单_汇总_YYYY-MM.xlsx``, the consolidated workbook for the
  lead office: sheets 附件4, 附件5, 门类覆盖情况 (with a native bar chart of
  coverage by 大类), 入规培育清单, 未纳入清单的工业企业, 奖励测算明细, 复核清单.
* ``附件4附件5_<责任单位>_YYYY-MM.xlsx``, one per responsible department, with
  that department's rows of 附件4 and 附件5. A department that owns target
  categories but has no rows this month still gets its workbook, with the
  headers and a line saying 本月无新增, so it can file a nil return.

Every sheet has title rows, a frozen header, set column widths and number
formats (amounts in 万元). Workbooks are written atomically, and text that
looks like a formula stays text (see `excel_style`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PrintOptions, PrintPageSetup
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.print_settings import PrintArea
from openpyxl.worksheet.worksheet import Worksheet

from industry_gap.coverage import (
    CODE_SOURCE_NAMES,
    DEADLINE_PASSED,
    NO_GAP,
    baseline_text,
    deadline_passed,
    deadline_text,
    find_node,
    number,
    text,
)
from industry_gap.entry_pipeline import annex5_mask
from industry_gap.errors import UserError
from industry_gap.exports.brief import brief_name, write_brief
from industry_gap.exports.excel_style import (
    A4_LANDSCAPE_HEIGHT_MM,
    COLUMN_UNIT_MM,
    CONFIDENCE_FORMAT,
    COUNT_FORMAT,
    DATE_FORMAT,
    INTEGER_FORMAT,
    LEFT,
    LEFT_WRAP,
    LINE_HEIGHT,
    MONEY_FORMAT,
    PERCENT_FORMAT,
    PRINT_MARGINS,
    SUBSTITUTE_DIGIT_PX,
    SUBTITLE_FONT,
    excel_date,
    fit_row_heights,
    header_widths,
    remove_stale_temporaries,
    safe_file_part,
    save_atomically,
    set_print_layout,
    set_widths,
    width_scale,
    write_table,
    write_title,
)
from industry_gap.gaps import level_name
from industry_gap.policy import Policy
from industry_gap.report_status import goal_statuses
from industry_gap.rewards import reward_by_entity

ANNEX4_SHEET = "附件4 全口径项目清单"
ANNEX5_SHEET = "附件5 规上口径企业清单"
COVERAGE_SHEET = "门类覆盖情况"
PIPELINE_SHEET = "培育库"
EXCLUDED_SHEET = "未纳入清单的工业企业"
REWARDS_SHEET = "奖励测算明细"
NO_ROWS_TEXT = "本月无新增"
CHART_TITLE = "各大类工业小类覆盖情况"
SERIES_COLOURS = ("D9D9D9", "5B9BD5", "ED7D31")  # 小类总数, 全口径已有, 规上已有

# 填补口径 (last column) says which 口径's gap a row fills; 扩增层级 gives the level(s). Which rows go in
# which annex is written down in reference/policy/README.md (附件4 与附件5).
SCOPE_HEADER = "填补口径"
ANNEX4_HEADERS = [
    "序号",
    "项目名称",
    "建设单位",
    "统一社会信用代码",
    "拟扩增门类代码",
    "门类名称",
    "扩增层级",
    "总投资（万元）",
    "建设阶段",
    "计划投产时间",
    "责任单位",
    "预计奖励（万元）",
    "备注",
    SCOPE_HEADER,
]
# Widths (column units) sized to print one page wide on A4 landscape at about 75 %: long text wraps.
ANNEX4_WIDTHS = [5, 20, 18, 19, 8, 14, 12, 11, 8, 11, 12, 10, 42, 9]
ANNEX4_FORMATS = {
    "序号": INTEGER_FORMAT,
    "总投资（万元）": MONEY_FORMAT,
    "预计奖励（万元）": MONEY_FORMAT,
    "计划投产时间": DATE_FORMAT,
}
ANNEX4_NOTE = (
    "说明：附件4按方案列出拟扩增工业门类的新引进、在建项目（不论规模）：填补全口径空白（本区尚无该门类）"
    "或扩增规上口径门类（本区该门类尚无规上企业）的均列入，口径见“填补口径”列，层级见“扩增层级”列"
)

ANNEX5_HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属镇街",
    "经营范围摘要",
    "行业代码",
    "行业名称",
    "置信度",
    "扩增层级",
    "上年营业收入（万元）",
    "入规阶段",
    "责任单位",
    "预计奖励（万元）",
    "判定依据",
    SCOPE_HEADER,
]
ANNEX5_WIDTHS = [5, 18, 19, 9, 24, 6, 14, 7, 6, 11, 8, 12, 9, 40, 6]
ANNEX5_FORMATS = {
    "序号": INTEGER_FORMAT,
    "置信度": CONFIDENCE_FORMAT,
    "上年营业收入（万元）": MONEY_FORMAT,
    "预计奖励（万元）": MONEY_FORMAT,
}
ANNEX5_NOTE = (
    "说明：附件5列出入规后可扩增规上口径门类的规下工业企业（该门类本区尚无规上企业），均为规上口径，"
    "层级见“扩增层级”列；新建项目列入附件4"
)
ABOVE_SCOPE = "规上口径"

PROGRESS_HEADERS = [
    "口径",
    "层级",
    "标准门类数",
    "基期已有",
    "当前已有",
    "较基期新增",
    "较基期减少",
    "规划目标",
    "尚差",
    "完成率",
    "截止日期",
    "距截止天数",
    "新增门类代码",
]
PROGRESS_FORMATS = {
    h: COUNT_FORMAT
    for h in ("标准门类数", "基期已有", "当前已有", "较基期新增", "较基期减少", "规划目标", "尚差", "距截止天数")
} | {"完成率": PERCENT_FORMAT, "截止日期": DATE_FORMAT}
DIVISION_HEADERS = [
    "大类代码",
    "大类名称",
    "小类总数",
    "全口径已有小类",
    "规上已有小类",
    "中类总数",
    "全口径已有中类",
    "规上已有中类",
    "全口径有该大类",
    "规上有该大类",
]
DIVISION_FORMATS = {h: COUNT_FORMAT for h in DIVISION_HEADERS[2:8]}
COVERAGE_WIDTHS = header_widths(PROGRESS_HEADERS, [9, 24, 10, 9, 9, 10, 10, 9, 9, 9, 11, 9, 30])
COVERAGE_ROW_HEIGHT = 14.25  # points; rows are given a height so the page break can be planned
CHART_HEIGHT_CM = 11.0
CHART_MIN_HEIGHT_CM = 7.0

PIPELINE_HEADERS = [
    "排名",
    "企业名称",
    "统一社会信用代码",
    "所属镇街",
    "行业代码",
    "行业名称",
    "代码来源",
    "置信度",
    "规上扩增层级",
    "目标清单",
    "上年营业收入（万元）",
    "前一年营业收入（万元）",
    "营收增长率",
    "达门槛比例",
    "入规阶段",
    "责任单位",
    "预计奖励（万元）",
    "列入附件5",
    "判定依据",
]
PIPELINE_WIDTHS = [5, 18, 19, 9, 6, 14, 10, 7, 7, 9, 11, 11, 8, 8, 8, 12, 9, 8, 60]
PIPELINE_FORMATS = {
    "排名": INTEGER_FORMAT,
    "置信度": CONFIDENCE_FORMAT,
    "上年营业收入（万元）": MONEY_FORMAT,
    "前一年营业收入（万元）": MONEY_FORMAT,
    "营收增长率": PERCENT_FORMAT,
    "达门槛比例": PERCENT_FORMAT,
    "预计奖励（万元）": MONEY_FORMAT,
}

EXCLUDED_HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所属镇街",
    "企业类型",
    "行业代码",
    "行业名称",
    "上年营业收入（万元）",
    "未纳入原因",
]
EXCLUDED_WIDTHS = [5, 24, 19, 10, 18, 6, 18, 11, 48]
EXCLUDED_FORMATS = {"序号": INTEGER_FORMAT, "上年营业收入（万元）": MONEY_FORMAT}

REWARD_HEADERS = [
    "序号",
    "对象类型",
    "对象名称",
    "受奖单位",
    "奖励规则",
    "条款",
    "门类代码",
    "门类名称",
    "填补层级",
    "测算口径",
    "预计奖励（万元）",
    "分阶段拨付",
    "当前可拨付（万元）",
    "状态",
    "说明",
    "奖励条件",
]
REWARD_WIDTHS = [5, 6, 18, 18, 18, 8, 6, 14, 6, 14, 9, 28, 9, 8, 30, 28]
REWARD_FORMATS = {"序号": INTEGER_FORMAT, "预计奖励（万元）": MONEY_FORMAT, "当前可拨付（万元）": MONEY_FORMAT}

ENTITY_KIND_NAMES = {"enterprise": "规下企业", "project": "项目"}
HEADER_ROW = 4  # rows 1-3: 附件 label, title, subtitle


@dataclass(frozen=True)
class ExportPaths:
    """Where the workbooks of one run were written."""

    folder: Path
    consolidated: Path
    departments: dict[str, Path] = field(default_factory=dict)
    token: str = ""  # the staging token these files were written under (see `publishing`)
    review: Path | None = None  # the fill-in 复核清单 workbook, when one was written beside them
    brief: Path | None = None  # the month's Word brief (扩增工业门类月报_YYYY-MM.docx)
    working: Path | None = None  # the working book (工作底稿): full lists, not for printing

    def sent(self) -> list[Path]:
        """What the office sends and prints: the consolidated and department workbooks (and the brief)."""
        return [self.consolidated, *self.departments.values()]

    def all(self) -> list[Path]:
        """Every workbook (the Word brief is `brief`)."""
        return [
            self.consolidated,
            *self.departments.values(),
            *([self.review] if self.review else []),
            *([self.working] if self.working else []),
        ]

    def moved_to(self, folder: Path) -> ExportPaths:
        """The same files once their folder is published as `folder`."""
        return ExportPaths(
            folder=folder,
            consolidated=folder / self.consolidated.name,
            departments={d: folder / p.name for d, p in self.departments.items()},
            token=self.token,
            review=folder / self.review.name if self.review else None,
            brief=folder / self.brief.name if self.brief else None,
            working=folder / self.working.name if self.working else None,
        )


# -- the list tables (Chinese headers, export order) ------------------------
def _reward_lookup(rewards: pd.DataFrame | dict | None) -> dict[tuple[str, str], dict]:
    """{(entity_kind, entity_id): reward row}; accepts an already built lookup."""
    if isinstance(rewards, dict):
        return rewards
    if rewards is None or rewards.empty:
        return {}
    return {(r["entity_kind"], r["entity_id"]): r for r in reward_by_entity(rewards).to_dict("records")}


def project_expansion_text(level_all: str, level_above: str) -> str:
    """扩增层级 of a project, e.g. "全口径中类、规上大类"."""
    parts = [
        f"{scope}{level_name(level)}"
        for scope, level in (("全口径", level_all), ("规上", level_above))
        if level and level != NO_GAP
    ]
    return "、".join(parts) or "无"


def project_scope_text(level_all: str, level_above: str) -> str:
    """填补口径 of a project: "全口径、规上口径" (a category new to the district) or "规上口径"."""
    scopes = [
        scope for scope, level in (("全口径", level_all), (ABOVE_SCOPE, level_above)) if level and level != NO_GAP
    ]
    return "、".join(scopes) or "无"


def annex4_table(projects_assessed: pd.DataFrame, rewards: pd.DataFrame | dict | None) -> pd.DataFrame:
    """附件4 rows: every flagged project (a gap at 全口径 or 规上 scope), by department then order."""
    lookup = _reward_lookup(rewards)
    rows = []
    flagged = (
        projects_assessed[projects_assessed["flagged"].astype(bool)]
        if not projects_assessed.empty
        else projects_assessed
    )
    for project in flagged.to_dict("records"):
        reward = lookup.get(("project", project["project_id"]), {})
        notes = [note for note in (reward.get("reward_note", ""), project["basis"]) if note]
        rows.append(
            {
                "项目名称": project["project_name"],
                "建设单位": project["builder"],
                "统一社会信用代码": project["uscc"],
                "拟扩增门类代码": project["code"],
                "门类名称": project["code_name"],
                "扩增层级": project_expansion_text(project["gap_level_all"], project["gap_level_above"]),
                "总投资（万元）": number(project["investment_wan"]),
                "建设阶段": project["stage"],
                "计划投产时间": excel_date(project["planned_production"]),
                "责任单位": project["department"],
                "预计奖励（万元）": float(reward.get("reward_wan", 0.0) or 0.0),
                "备注": "；".join(notes),
                SCOPE_HEADER: project_scope_text(project["gap_level_all"], project["gap_level_above"]),
            }
        )
    return _numbered(pd.DataFrame(rows, columns=ANNEX4_HEADERS[1:]), ANNEX4_HEADERS)


def annex5_table(
    candidates: pd.DataFrame,
    rewards: pd.DataFrame | dict | None,
    policy: Policy | None = None,
    *,
    mask: pd.Series | None = None,
) -> pd.DataFrame:
    """附件5 rows: 入规 pipeline firms that would fill a 规上 gap, in rank order.

    With `policy`, only those that can plausibly enter 规上 within the plan year (its
    ``[report.annex5]`` rule, `entry_pipeline.annex5_mask`); the rest stay in the 培育库.
    `mask` is that membership when the caller has it already (it reads every candidate row).
    """
    lookup = _reward_lookup(rewards)
    rows = []
    if not candidates.empty:
        if mask is not None:
            selected = candidates[mask]
        elif policy is not None:
            selected = candidates[annex5_mask(candidates, policy)]
        else:
            selected = candidates[candidates["included"].astype(bool) & (candidates["gap_level_above"] != NO_GAP)]
        for firm in selected.sort_values("rank", kind="stable").to_dict("records"):
            reward = lookup.get(("enterprise", firm["uscc"] or firm["name"]), {})
            rows.append(
                {
                    "企业名称": firm["name"],
                    "统一社会信用代码": firm["uscc"],
                    "所属镇街": firm["town"],
                    "经营范围摘要": firm["scope_summary"],
                    "行业代码": firm["code"],
                    "行业名称": firm["code_name"],
                    "置信度": number(firm["confidence"]) if firm["code_source"] == "classified" else None,
                    "扩增层级": level_name(firm["gap_level_above"]),
                    "上年营业收入（万元）": number(firm["revenue_wan"]),
                    "入规阶段": firm["stage_name"],
                    "责任单位": firm["department"],
                    "预计奖励（万元）": float(reward.get("reward_wan", 0.0) or 0.0),
                    "判定依据": annex5_basis(firm),
                    SCOPE_HEADER: ABOVE_SCOPE,
                }
            )
    return _numbered(pd.DataFrame(rows, columns=ANNEX5_HEADERS[1:]), ANNEX5_HEADERS)


BASIS_CLAUSE_CHARS = 12  # characters of the deciding clause quoted in 附件5's one-line 判定依据


def annex5_basis(firm: dict) -> str:
    """附件5's one-line 判定依据: the deciding clause (or where the code comes from), the class, the gap.

    e.g. “粗纺呢绒的生产”→1722 毛织造加工；缺规上中类172. The full reasoning stays in the 培育库.
    """
    code = f"{text(firm['code'])} {text(firm['code_name'])}".strip()
    if firm["code_source"] == "classified":
        clause = text(firm.get("scope_summary")).rstrip("…")
        clause = clause if len(clause) <= BASIS_CLAUSE_CHARS else clause[:BASIS_CLAUSE_CHARS] + "…"
        head = f"“{clause}”→{code}" if clause else f"经营范围分类→{code}"
    else:
        head = f"{CODE_SOURCE_NAMES.get(firm['code_source'], '行业代码')}{code}"
    gap = f"缺规上{level_name(firm['gap_level_above'])}{text(firm.get('gap_code_above'))}"
    return f"{head}；{gap}"


def _numbered(frame: pd.DataFrame, headers: list[str]) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame.insert(0, headers[0], range(1, len(frame) + 1))
    return frame[headers]


def _renumber(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True).copy()
    frame.iloc[:, 0] = range(1, len(frame) + 1)
    return frame


# -- sheets -----------------------------------------------------------------
def _month_label(run_date: dt.date) -> str:
    return f"{run_date.year}年{run_date.month}月"


def _list_sheet(
    ws: Worksheet,
    label: str,
    title: str,
    subtitle: str,
    headers: list[str],
    frame: pd.DataFrame,
    formats: dict,
    widths: Sequence[float],
    wrap: tuple[str, ...],
    nil_line: bool,
    *,
    district: str,
    run_date: dt.date,
    note: str = "",
) -> int:
    """One office list: 附件 label, title, subtitle (and note), header, rows (or 本月无新增), frozen
    below the header, printed on A4 with the district, list name and month on every page."""
    width = len(headers)
    write_title(ws, 1, label, width, font=SUBTITLE_FONT, alignment=LEFT)
    write_title(ws, 2, title, width, height=30)
    if note:
        write_title(ws, 3, f"{subtitle}\n{note}", width, font=SUBTITLE_FONT, alignment=LEFT_WRAP, height=30)
    else:
        write_title(ws, 3, subtitle, width, font=SUBTITLE_FONT, alignment=LEFT)
    written = write_table(ws, HEADER_ROW, headers, _rows(frame), formats, wrap)
    if written == 0 and nil_line:
        write_title(ws, HEADER_ROW + 1, NO_ROWS_TEXT, width, font=SUBTITLE_FONT)
    widths = header_widths(headers, widths)
    set_widths(ws, widths)
    fit_row_heights(ws, HEADER_ROW, HEADER_ROW, widths, range(1, width + 1))
    fit_row_heights(
        ws, HEADER_ROW + 1, HEADER_ROW + written, widths, [headers.index(h) + 1 for h in wrap if h in headers]
    )
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1).coordinate
    set_print_layout(
        ws,
        HEADER_ROW,
        district=district,
        title=f"{label} {title}" if label not in title else title,
        month=_month_label(run_date),
    )
    return written


def _rows(frame: pd.DataFrame) -> list[list]:
    """Plain Python rows (pandas 3's itertuples is slow on wide object frames)."""
    columns = [frame[column].tolist() for column in frame.columns]
    return [list(values) for values in zip(*columns)]


def _subtitle(department: str, run_date: dt.date, reward_basis: str) -> str:
    basis = f"    预计奖励测算口径：{reward_basis}" if reward_basis else ""
    return f"填报单位：{department}    报送月份：{_month_label(run_date)}    金额单位：万元{basis}"


def _annex_sheets(
    workbook: Workbook,
    annex4: pd.DataFrame,
    annex5: pd.DataFrame,
    policy: Policy,
    department: str,
    run_date: dt.date,
    reward_basis: str,
) -> None:
    district = policy.district
    ws4 = workbook.create_sheet(ANNEX4_SHEET)
    _list_sheet(
        ws4,
        "附件4",
        f"{district}年度拟扩增全口径工业门类项目清单",
        _subtitle(department, run_date, reward_basis),
        ANNEX4_HEADERS,
        annex4,
        ANNEX4_FORMATS,
        ANNEX4_WIDTHS,
        ("项目名称", "建设单位", "备注", "门类名称", "扩增层级", "建设阶段", "责任单位", SCOPE_HEADER),
        nil_line=True,
        district=district,
        run_date=run_date,
        note=ANNEX4_NOTE,
    )
    ws5 = workbook.create_sheet(ANNEX5_SHEET)
    _list_sheet(
        ws5,
        "附件5",
        f"{district}年度拟扩增规上口径工业门类企业清单",
        _subtitle(department, run_date, reward_basis),
        ANNEX5_HEADERS,
        annex5,
        ANNEX5_FORMATS,
        ANNEX5_WIDTHS,
        ("企业名称", "所属镇街", "经营范围摘要", "判定依据", "行业名称", "入规阶段", "责任单位", SCOPE_HEADER),
        nil_line=True,
        district=district,
        run_date=run_date,
        note=ANNEX5_NOTE,
    )


def _coverage_sheet(
    workbook: Workbook,
    progress: pd.DataFrame,
    divisions: pd.DataFrame,
    policy: Policy,
    run_date: dt.date,
    baseline: pd.DataFrame | None = None,
) -> Worksheet:
    """Progress against goals and a native bar chart of coverage by 大类 (page 1), the 大类 table (page 2).

    Printed on at most two A4 pages: the chart sits under the progress table,
    sized to what is left of page 1, and a manual page break puts the 大类
    table on page 2. The sheet is scaled to the page width instead of
    fit-to-page, because Excel ignores manual page breaks under fit-to-page.
    """
    ws = workbook.create_sheet(COVERAGE_SHEET)
    baseline_date = text(progress["baseline_date"].iloc[0]) if len(progress) else ""
    width = len(PROGRESS_HEADERS)
    write_title(ws, 1, "门类覆盖情况", width, font=SUBTITLE_FONT, alignment=LEFT)
    title = f"{policy.district}工业门类覆盖及扩增进度"
    write_title(ws, 2, title, width, height=30)
    basis = baseline_text(baseline) if baseline is not None else (baseline_date or "—")
    write_title(
        ws,
        3,
        f"统计日期：{run_date.isoformat()}    基期：{basis}    "
        f"{deadline_text(policy, run_date)}    依据：{policy.plan_name}",
        width,
        font=SUBTITLE_FONT,
        alignment=LEFT,
    )
    passed = deadline_passed(policy, run_date)
    progress_rows = [
        (
            r["scope_name"],
            r["level_name"],
            r["standard_nodes"],
            r["baseline_present"],
            r["current_present"],
            r["new_nodes"],
            r["lost_nodes"],
            r["goal"],
            r["remaining"],
            number(r["completion_ratio"]),
            excel_date(r["deadline"]),
            DEADLINE_PASSED if passed else r["days_left"],
            r["new_codes"],
        )
        for r in progress.to_dict("records")
    ]
    written = write_table(ws, HEADER_ROW, PROGRESS_HEADERS, progress_rows, PROGRESS_FORMATS, ("新增门类代码",))
    set_widths(ws, COVERAGE_WIDTHS)
    fit_row_heights(ws, HEADER_ROW, HEADER_ROW, COVERAGE_WIDTHS, range(1, width + 1))
    fit_row_heights(ws, HEADER_ROW + 1, HEADER_ROW + written, COVERAGE_WIDTHS, [len(PROGRESS_HEADERS)])
    for row in range(HEADER_ROW + 1, HEADER_ROW + written + 1):
        ws.row_dimensions[row].height = ws.row_dimensions[row].height or COVERAGE_ROW_HEIGHT

    # one page wide, and the 大类 table (caption, a header of up to three lines, its rows) on one page
    page_two = COVERAGE_ROW_HEIGHT + 3 * LINE_HEIGHT + len(divisions) * COVERAGE_ROW_HEIGHT
    # a fixed scale (Excel ignores manual breaks under fit-to-page), so it must hold in every renderer:
    # counted in the wider digit of the font LibreOffice substitutes for Calibri
    scale = min(
        width_scale(COVERAGE_WIDTHS, digit_px=SUBSTITUTE_DIGIT_PX),
        math.floor(_printable_height_points() * 100 / page_two) - 2,
    )
    chart_row = HEADER_ROW + written + 2
    used = sum(ws.row_dimensions[row].height or COVERAGE_ROW_HEIGHT for row in range(1, chart_row))
    page_points = _printable_height_points() * 100 / scale
    chart_cm = max(CHART_MIN_HEIGHT_CM, min(CHART_HEIGHT_CM, (page_points - used) / POINTS_PER_CM - 0.5))
    chart_rows = math.ceil(chart_cm * POINTS_PER_CM / COVERAGE_ROW_HEIGHT) + 1
    for row in range(chart_row, chart_row + chart_rows):
        ws.row_dimensions[row].height = COVERAGE_ROW_HEIGHT
    page_end = chart_row + chart_rows - 1

    division_header = page_end + 2
    write_title(
        ws,
        division_header - 1,
        "各大类覆盖情况（小类、中类数）",
        len(DIVISION_HEADERS),
        font=SUBTITLE_FONT,
        alignment=LEFT,
    )
    division_rows = [
        (
            r["division"],
            r["name"],
            r["classes_total"],
            r["classes_all"],
            r["classes_above"],
            r["groups_total"],
            r["groups_all"],
            r["groups_above"],
            "是" if r["present_all"] else "否",
            "是" if r["present_above"] else "否",
        )
        for r in divisions.to_dict("records")
    ]
    count = write_table(ws, division_header, DIVISION_HEADERS, division_rows, DIVISION_FORMATS, ("大类名称",))
    fit_row_heights(ws, division_header, division_header, COVERAGE_WIDTHS, range(1, len(DIVISION_HEADERS) + 1))
    for row in range(division_header + 1, division_header + count + 1):
        ws.row_dimensions[row].height = COVERAGE_ROW_HEIGHT
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1).coordinate
    if count:
        chart = _division_chart(ws, division_header, count)
        chart.width = sum(COVERAGE_WIDTHS) * COLUMN_UNIT_MM / 10 - 0.5  # type: ignore[assignment]  # cm; stubs say int
        chart.height = chart_cm
        ws.add_chart(chart, f"A{chart_row}")
    ws.row_breaks.append(Break(id=page_end))
    last_row = division_header + max(count, 0)
    set_print_layout(
        ws,
        None,
        district=policy.district,
        title=title,
        month=_month_label(run_date),
        scale=scale,
        print_area=f"A1:{get_column_letter(width)}{last_row}",
    )
    return ws


POINTS_PER_CM = 72 / 2.54


def _printable_height_points() -> float:
    """Height of an A4 landscape page between the top and bottom margins, in points."""
    return (A4_LANDSCAPE_HEIGHT_MM / 25.4 - PRINT_MARGINS.top - PRINT_MARGINS.bottom) * 72


def _division_chart(ws: Worksheet, header_row: int, count: int) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = CHART_TITLE
    chart.y_axis.title = "小类数"
    chart.x_axis.title = "大类代码"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(ws, min_col=3, max_col=5, min_row=header_row, max_row=header_row + count)
    categories = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + count)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    # Drawn as overlapping bars: the division's total 小类 in light grey behind, 全口径 coverage
    # in front of it and 规上 coverage in front of that, so each bar reads "covered out of total".
    chart.overlap = 100
    chart.gapWidth = 40
    for series, colour in zip(chart.series, SERIES_COLOURS):
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
    chart.legend.position = "b"
    chart.width = 34
    chart.height = CHART_HEIGHT_CM
    return chart


def _pipeline_sheet(
    workbook: Workbook,
    candidates: pd.DataFrame,
    rewards: pd.DataFrame | dict | None,
    policy: Policy,
    run_date: dt.date,
    listed: pd.Series | None = None,
) -> None:
    """培育库 (working book): every included 入规 candidate, whether 附件5 lists it (`listed`, else
    `annex5_mask`), the full reasoning."""
    lookup = _reward_lookup(rewards)
    rows = []
    if not candidates.empty:
        if listed is None:
            listed = annex5_mask(candidates, policy)
        included = candidates.assign(_listed=listed)[candidates["included"].astype(bool)]
        included = included.sort_values("rank", kind="stable")
        for r in included.to_dict("records"):
            reward = lookup.get(("enterprise", r["uscc"] or r["name"]), {})
            basis = "；".join(
                b
                for b in (
                    r["scope_summary"] and f"经营范围摘要“{r['scope_summary']}”",
                    r["basis"],
                    reward.get("reward_note", ""),
                )
                if b
            )
            target = "规上口径" if r["on_target_above"] else ("全口径" if r["on_target_all"] else "")
            rows.append(
                (
                    int(r["rank"]),
                    r["name"],
                    r["uscc"],
                    r["town"],
                    r["code"],
                    r["code_name"],
                    CODE_SOURCE_NAMES.get(r["code_source"], ""),
                    number(r["confidence"]) if r["code_source"] == "classified" else None,
                    level_name(r["gap_level_above"]),
                    target,
                    number(r["revenue_wan"]),
                    number(r["revenue_prev_wan"]),
                    number(r["revenue_growth"]),
                    number(r["revenue_ratio"]),
                    r["stage_name"],
                    r["department"],
                    float(reward.get("reward_wan", 0.0) or 0.0),
                    "是" if r["_listed"] else "否",
                    basis,
                )
            )
    ws = workbook.create_sheet(PIPELINE_SHEET)
    threshold = f"规上工业门槛：年主营业务收入{policy.revenue_threshold_wan:,.0f}万元" + (
        "及以上" if policy.threshold_inclusive else "以上"
    )
    _list_sheet(
        ws,
        PIPELINE_SHEET,
        f"{policy.district}规下工业企业入规培育库（附件5之外的企业也在此）",
        f"统计日期：{run_date.isoformat()}    {threshold}    金额单位：万元",
        PIPELINE_HEADERS,
        pd.DataFrame(rows, columns=PIPELINE_HEADERS),
        PIPELINE_FORMATS,
        PIPELINE_WIDTHS,
        (
            "企业名称",
            "所属镇街",
            "判定依据",
            "行业名称",
            "代码来源",
            "规上扩增层级",
            "目标清单",
            "入规阶段",
            "责任单位",
        ),
        nil_line=True,
        district=policy.district,
        run_date=run_date,
    )


EXCLUDED_SOURCE_COLUMNS = [
    "name",
    "uscc",
    "town",
    "enterprise_type",
    "code",
    "code_name",
    "revenue_wan",
    "exclusion_reason",
]


def _excluded_sheet(workbook: Workbook, candidates: pd.DataFrame, policy: Policy, run_date: dt.date) -> None:
    rows: list[tuple] = []
    if not candidates.empty:
        # most of the register is excluded: read only the columns shown, look each code up once
        excluded = candidates.loc[~candidates["included"].astype(bool), EXCLUDED_SOURCE_COLUMNS]
        industrial: dict[object, bool] = {}
        for r in excluded.to_dict("records"):
            code = r["code"]
            if code not in industrial:
                node = find_node(code)
                industrial[code] = node is not None and node.is_industrial
            if not industrial[code]:
                continue
            rows.append(
                (
                    len(rows) + 1,
                    r["name"],
                    r["uscc"],
                    r["town"],
                    r["enterprise_type"],
                    r["code"],
                    r["code_name"],
                    number(r["revenue_wan"]),
                    r["exclusion_reason"],
                )
            )
    ws = workbook.create_sheet(EXCLUDED_SHEET)
    _list_sheet(
        ws,
        "未纳入清单的工业企业",
        f"{policy.district}未纳入入规培育清单的规下工业企业",
        f"统计日期：{run_date.isoformat()}    说明：仅独立法人、在业且在本区的工业企业纳入入规培育清单",
        EXCLUDED_HEADERS,
        pd.DataFrame(rows, columns=EXCLUDED_HEADERS),
        EXCLUDED_FORMATS,
        EXCLUDED_WIDTHS,
        ("企业名称", "所属镇街", "企业类型", "行业名称", "未纳入原因"),
        nil_line=False,
        district=policy.district,
        run_date=run_date,
    )


def _rewards_sheet(
    workbook: Workbook, rewards: pd.DataFrame | None, policy: Policy, run_date: dt.date, reward_basis: str
) -> None:
    rows = []
    for index, r in enumerate(rewards.to_dict("records") if rewards is not None else [], start=1):
        rows.append(
            (
                index,
                ENTITY_KIND_NAMES.get(r["entity_kind"], r["entity_kind"]),
                r["entity_name"],
                r["beneficiary_name"],
                r["rule_name"],
                r["article"],
                r["code"],
                r["code_name"],
                level_name(r["gap_level"]),
                r["gap_basis"],
                number(r["amount_wan"]),
                r["payment_schedule"],
                number(r["amount_due_now_wan"]),
                r["status_name"],
                r["reason"],
                r["conditions"],
            )
        )
    ws = workbook.create_sheet(REWARDS_SHEET)
    _list_sheet(
        ws,
        "奖励测算明细",
        f"{policy.district}扩增工业门类奖励测算明细（预估）",
        _subtitle("汇总", run_date, reward_basis) + "    单户企业只可享受一次奖励，不重复计奖",
        REWARD_HEADERS,
        pd.DataFrame(rows, columns=REWARD_HEADERS),
        REWARD_FORMATS,
        REWARD_WIDTHS,
        ("对象名称", "受奖单位", "分阶段拨付", "说明", "奖励条件", "奖励规则", "门类名称", "测算口径", "状态"),
        nil_line=True,
        district=policy.district,
        run_date=run_date,
    )


def _review_sheet(workbook: Workbook, review: pd.DataFrame | None, policy: Policy, run_date: dt.date) -> None:
    """The fill-in 复核清单, built by the review workbook's own builder: one layout to fill in and read back."""
    from industry_gap.review.workbook import add_review_sheet  # the review package imports these styles

    add_review_sheet(workbook, review, run_date, district=policy.district)


# -- files ------------------------------------------------------------------
def export_folder(output_root: str | Path, run_date: dt.date) -> Path:
    """``<output_root>/exports/YYYY-MM``."""
    return Path(output_root) / "exports" / f"{run_date.year:04d}-{run_date.month:02d}"


def consolidated_name(run_date: dt.date) -> str:
    return f"扩增工业门类清单_汇总_{run_date.year:04d}-{run_date.month:02d}.xlsx"


def working_name(run_date: dt.date) -> str:
    """The working book (工作底稿): 培育库, 未纳入, 奖励测算, 复核清单, 本月变化; not printed."""
    return f"扩增工业门类工作底稿_{run_date.year:04d}-{run_date.month:02d}.xlsx"


def electronic_layout(ws: Worksheet, header_row: int) -> None:
    """A sheet to work on, not to print: frozen header, filters on the header row, no print setup."""
    vars(ws).update(_print_rows=None, _print_area=PrintArea())  # openpyxl has no public way to clear these
    ws.page_setup = PrintPageSetup(worksheet=ws)
    ws.print_options = PrintOptions()
    if ws.sheet_properties.pageSetUpPr is not None:
        ws.sheet_properties.pageSetUpPr.fitToPage = False
    header, footer = ws.oddHeader, ws.oddFooter
    for item in (header, footer):
        if item is not None:
            for part in (item.left, item.center, item.right):
                part.text = None
    ws.row_breaks = RowBreak()
    if not ws.freeze_panes:
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1).coordinate
    if not ws.auto_filter.ref and ws.max_row > header_row:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(ws.max_column)}{ws.max_row}"


DEPARTMENT_NAME_LIMIT = 60  # characters of the department's name kept in its file name


def department_file_name(department: str, run_date: dt.date) -> str:
    """The file name of one department's workbook when no other department clashes with it."""
    return department_file_names([department], run_date)[department]


def department_file_names(departments: list[str], run_date: dt.date) -> dict[str, str]:
    """A distinct, deterministic file name for every distinct department.

    Names that clean up alike ("a/b", "a_b", "a:b"; "工信和科技局" and "工信和科技局/"; two long
    names sharing their first 60 characters) or that had to be shortened get a short hash of the
    full name, so no department's workbook overwrites another's. Clashes are compared as Windows
    does (case-insensitively), since the office opens the folder there.
    """
    month = f"{run_date.year:04d}-{run_date.month:02d}"
    parts = {d: safe_file_part(d, limit=10_000) for d in departments}
    shortened = {d: p[:DEPARTMENT_NAME_LIMIT] for d, p in parts.items()}
    clashes: dict[str, int] = {}
    for part in shortened.values():
        clashes[part.casefold()] = clashes.get(part.casefold(), 0) + 1
    names = {}
    for department, part in shortened.items():
        if clashes[part.casefold()] > 1 or part != parts[department]:  # a clash, or a shortened name
            part = f"{part}_{hashlib.sha1(department.encode('utf-8')).hexdigest()[:6]}"
        names[department] = f"附件4附件5_{part}_{month}.xlsx"
    seen: dict[str, str] = {}
    for department, name in names.items():
        other = seen.setdefault(name.casefold(), department)
        if other != department:  # cannot happen with distinct names and SHA-1; stop rather than overwrite
            raise UserError(f"责任单位“{other}”和“{department}”的工作簿文件名相同（{name}），请修改其中一个名称")
    return names


def departments_to_write(annex4: pd.DataFrame, annex5: pd.DataFrame, targets: pd.DataFrame | None) -> list[str]:
    """Departments with rows this month plus those owning target categories (they file 本月无新增)."""
    names: list[str] = []
    sources = [annex4["责任单位"], annex5["责任单位"]]
    if targets is not None and not targets.empty and "department" in targets.columns:
        sources.append(targets["department"])
    for series in sources:
        for value in series:
            name = text(value)
            if name and name not in names:
                names.append(name)
    return names


def write_exports(
    *,
    projects: pd.DataFrame,
    candidates: pd.DataFrame,
    rewards: pd.DataFrame | None,
    progress: pd.DataFrame,
    divisions: pd.DataFrame,
    review: pd.DataFrame | None,
    policy: Policy,
    run_date: dt.date | str,
    output_root: str | Path,
    targets: pd.DataFrame | None = None,
    reward_basis: str = "",
    changes: pd.DataFrame | None = None,
    compared_with: tuple[str, ...] = (),
    folder: Path | None = None,
    baseline: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
) -> ExportPaths:
    """Write the consolidated workbook and one per department; returns their paths.

    ``projects`` is the assessed project table, ``candidates`` the 入规
    pipeline, ``progress``/``divisions`` come from `coverage_progress` and
    `coverage_by_division`, ``targets`` names the departments that must file
    even with no rows. ``reward_basis`` is shown in the subtitles (全市 or the
    district fallback). ``folder`` (a staging folder) overrides ``exports/YYYY-MM``.
    ``coverage`` (the run's coverage table) lets the brief name the target categories
    still missing that no firm or project would fill.
    """
    run_day = run_date if isinstance(run_date, dt.date) else dt.date.fromisoformat(str(run_date)[:10])
    folder = folder or export_folder(output_root, run_day)
    remove_stale_temporaries(folder)
    lookup = _reward_lookup(rewards)
    annex4 = annex4_table(projects, lookup)
    in_annex5 = annex5_mask(candidates, policy) if not candidates.empty else None  # read once, used thrice
    annex5 = annex5_table(candidates, lookup, policy, mask=in_annex5)
    statuses = goal_statuses(progress, candidates, in_annex5, projects, policy, run_day)
    departments = departments_to_write(annex4, annex5, targets)
    file_names = department_file_names(departments, run_day)  # checked distinct before anything is written

    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the new workbook's empty sheet
    _annex_sheets(workbook, annex4, annex5, policy, f"{policy.lead_department}（汇总）", run_day, reward_basis)
    _coverage_sheet(workbook, progress, divisions, policy, run_day, baseline)
    consolidated = save_atomically(workbook, folder / consolidated_name(run_day))

    # the working book: the full lists, worked on electronically (frozen header, filters, no print setup)
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    _pipeline_sheet(workbook, candidates, lookup, policy, run_day, in_annex5)
    _excluded_sheet(workbook, candidates, policy, run_day)
    _rewards_sheet(workbook, rewards, policy, run_day, reward_basis)
    _review_sheet(workbook, review, policy, run_day)
    if changes is not None:
        from industry_gap.changes import write_changes_sheet  # changes imports this package's styles

        write_changes_sheet(workbook, changes, run_day, compared_with=compared_with, district=policy.district)
    for ws in workbook.worksheets:
        electronic_layout(ws, HEADER_ROW)
    working = save_atomically(workbook, folder / working_name(run_day))

    written: dict[str, Path] = {}
    for department in departments:
        workbook = Workbook()
        workbook.remove(workbook.worksheets[0])  # the new workbook's empty sheet
        _annex_sheets(
            workbook,
            _renumber(annex4[annex4["责任单位"] == department]),
            _renumber(annex5[annex5["责任单位"] == department]),
            policy,
            department,
            run_day,
            reward_basis,
        )
        written[department] = save_atomically(workbook, folder / file_names[department])
    brief = write_brief(
        folder / brief_name(run_day),
        policy=policy,
        run_date=run_day,
        progress=progress,
        statuses=statuses,
        annex5=annex5,
        candidates=candidates,
        projects=projects,
        targets=targets,
        coverage=coverage,
        changes=changes,
        baseline_note=baseline_text(baseline) if baseline is not None else "",
        files=[f"汇总工作簿{consolidated.name}", f"各责任单位附件4附件5（{len(written)}份）", "本月报"],
    )
    return ExportPaths(folder=folder, consolidated=consolidated, departments=written, brief=brief, working=working)


def _rows_by_department(path: Path) -> dict[tuple[str, str], list[tuple]]:
    """(sheet, 责任单位) → the data rows of 附件4 and 附件5 as written in one workbook (序号 left out)."""
    from openpyxl import load_workbook

    found: dict[tuple[str, str], list[tuple]] = {}
    book = load_workbook(path, read_only=True)
    try:
        for sheet, headers in ((ANNEX4_SHEET, ANNEX4_HEADERS), (ANNEX5_SHEET, ANNEX5_HEADERS)):
            column = headers.index("责任单位")
            for row in book[sheet].iter_rows(min_row=HEADER_ROW + 1, values_only=True):
                if len(row) > column and row[1] is not None and row[0] != NO_ROWS_TEXT:
                    found.setdefault((sheet, str(row[column] or "")), []).append(tuple(row[1 : len(headers)]))
    finally:
        book.close()
    return found


def department_row_problems(paths: ExportPaths) -> list[str]:
    """Every department's rows in the consolidated 附件4/附件5 are exactly the rows of its own workbook."""
    consolidated = _rows_by_department(paths.consolidated)
    problems = []
    for department, path in paths.departments.items():
        own = _rows_by_department(path)
        for sheet in (ANNEX4_SHEET, ANNEX5_SHEET):
            expected = consolidated.get((sheet, department), [])
            got = own.get((sheet, department), [])
            others = sum(len(rows) for (s, d), rows in own.items() if s == sheet and d != department)
            if sorted(map(repr, expected)) != sorted(map(repr, got)) or others:
                problems.append(
                    f"{department}：{sheet[:3]}汇总中 {len(expected)} 行，本单位工作簿中 {len(got)} 行"
                    + (f"，另有其他单位的 {others} 行" if others else "")
                )
    listed = {d for (_, d) in consolidated if d}
    for department in sorted(listed - set(paths.departments)):
        problems.append(f"{department}：汇总中有该单位的行，但没有生成它的工作簿")
    return problems


__all__ = [
    "ANNEX4_HEADERS",
    "ANNEX5_HEADERS",
    "ExportPaths",
    "annex4_table",
    "annex5_table",
    "consolidated_name",
    "department_file_name",
    "department_file_names",
    "department_row_problems",
    "departments_to_write",
    "export_folder",
    "project_expansion_text",
    "write_exports",
]
