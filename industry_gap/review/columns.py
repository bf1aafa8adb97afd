"""Column contracts of the review loop: the workbook's headers and the override tables.

The review workbook is the only place where a person writes data back into
the pipeline, so its headers double as the input contract of
`read_overrides`. The fill-in headers and their aliases live here so the
writer and the reader can never drift apart.
"""

from __future__ import annotations

from industry_gap.ingest.aliases import ALIASES
from industry_gap.tables import TABLES

SHEET_NAME = "复核清单"
HEADER_ROW = 4  # rows 1-3: list label, title, instructions (the house style of every office list)

# Columns the reviewer fills in (highlighted in the workbook).
CODE_HEADER = "核定行业代码"
REVIEWER_HEADER = "核定人"
DATE_HEADER = "核定日期"
NOTE_HEADER = "备注"
FILL_HEADERS = [CODE_HEADER, REVIEWER_HEADER, DATE_HEADER, NOTE_HEADER]

# The matching key: entity_id of the review list, so a re-sorted file still finds its firm/project.
RECORD_ID_HEADER = "记录编号"
KIND_HEADER = "类型"
USCC_HEADER = "统一社会信用代码"
NAME_HEADER = "名称"

WORKBOOK_HEADERS = [
    "序号",
    KIND_HEADER,
    NAME_HEADER,
    USCC_HEADER,
    "经营范围摘要/建设内容",
    "候选1代码",
    "候选1名称",
    "候选1置信度",
    "候选2代码",
    "候选2名称",
    "候选2置信度",
    "候选3代码",
    "候选3名称",
    "候选3置信度",
    "分类依据",
    "复核原因",
    "潜在规上缺口层级",
    "责任单位",
    *FILL_HEADERS,
    RECORD_ID_HEADER,
]
# Narrow enough to print one page wide on A4 landscape (long text wraps instead of widening the sheet).
WORKBOOK_WIDTHS = [5, 6, 16, 19, 24, 5, 12, 6, 5, 12, 6, 5, 12, 6, 24, 24, 6, 10, 8, 7, 10, 12, 19]
WRAPPED_HEADERS = (
    KIND_HEADER,
    NAME_HEADER,
    "经营范围摘要/建设内容",
    "候选1名称",
    "候选2名称",
    "候选3名称",
    "分类依据",
    "复核原因",
    "潜在规上缺口层级",
    "责任单位",
    NOTE_HEADER,
)

# Hints shown when a fill-in cell is selected (Excel/WPS input message) and on the header's comment.
FILL_HINTS = {
    CODE_HEADER: "填写4位行业小类代码，如 3511",
    REVIEWER_HEADER: "填写核定人姓名（必填，未写核定人的核定不生效）",
    DATE_HEADER: "填写核定日期，如 2025-11-24（必填）",
    NOTE_HEADER: "可填写核定理由或说明（选填）",
}
RECORD_ID_HINT = "系统编号，用于把填好的文件对应回企业或项目，请勿修改或删除"

# Header aliases accepted when reading a filled file back (an office may retype the headers
# in its own sheet). Only explicit "核定…" headers count as the reviewed code: a plain 行业代码
# column is the registered code, not a reviewer's decision.
READ_ALIASES: dict[str, tuple[str, ...]] = {
    "uscc": ALIASES["registry"]["uscc"] + ("建设单位统一社会信用代码",),
    "name": (NAME_HEADER,) + ALIASES["registry"]["name"] + ("项目名称",),
    "code": (CODE_HEADER, "核定代码", "核定行业小类代码", "核定小类代码", "人工核定行业代码", "核定后行业代码"),
    "reviewer": (REVIEWER_HEADER, "复核人", "核定人员", "复核人员", "审核人"),
    "reviewed_on": (DATE_HEADER, "复核日期", "核定时间", "复核时间", "审核日期"),
    "note": (NOTE_HEADER, "核定说明", "复核说明", "说明"),
    "entity_id": (RECORD_ID_HEADER,),
    "kind": (KIND_HEADER, "对象类型"),
}
READ_LABELS = {field: aliases[0] for field, aliases in READ_ALIASES.items()}
READ_LABELS["uscc"] = USCC_HEADER
READ_LABELS["name"] = "企业名称"

# One accepted override per row. entity_kind is 'enterprise' (keyed by uscc, which is also its
# entity_id) or 'project' (keyed by entity_id, the review list's project id; uscc is the builder's).
OVERRIDE_COLUMNS = TABLES["overrides"].frame_columns  # declared in industry_gap/tables.py
# One row per problem; a row with two problems appears twice, so one pass fixes everything.
REJECTED_COLUMNS = ["source_file", "source_row", "column", "value", "reason", "uscc", "name"]

MANUAL_REVIEW_LABEL = "人工核定"
