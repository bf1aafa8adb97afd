"""Column contracts of the tables that flow between steps.

DataFrames and warehouse tables use these English column names; Chinese
headers appear only at the edges (input aliases in `industry_gap.ingest`,
Excel exports). Every clean table keeps `source_file` and `source_row`
(1-based spreadsheet row, header = row 1) so any output can be traced back.
"""

from __future__ import annotations

# 规下 registry (市场主体登记名录), clean rows.
REGISTRY_COLUMNS = [
    "uscc",                    # 统一社会信用代码, 18 chars, upper case, check digit valid
    "name",                    # 企业名称
    "scope",                   # 经营范围 (raw text, not empty)
    "main_activity",           # 主要业务活动 (statistical register, raw text), may be empty
    "status",                  # 登记状态, active ones only: 存续/在业/开业/...
    "enterprise_type",         # 企业类型 (有限责任公司, 个体工商户, 分公司 ...), may be empty
    "established",             # 成立日期, ISO "YYYY-MM-DD" or empty
    "registered_capital_wan",  # 注册资本, 万元, float or NaN
    "revenue_wan",             # 营业收入 (latest year), 万元, float or NaN
    "revenue_prev_wan",        # 上年营业收入 (the year before), 万元, float or NaN
    "employees",               # 从业人员, float or NaN
    "town",                    # 乡镇街道
    "industry_code",           # 行业代码 as registered, canonical 2017 code or empty
    "legal_representative",    # 法定代表人 (personal data: never exported)
    "source_file",
    "source_row",
]

# 规上 list (规模以上工业企业名录), clean rows.
ABOVE_SCALE_COLUMNS = [
    "uscc", "name", "industry_code", "revenue_wan", "town", "source_file", "source_row",
]

# Plan target lists (附件2 全口径 / 附件3 规上口径) in one table.
TARGET_COLUMNS = [
    "scope",        # "全口径" or "规上口径"
    "code",         # canonical 2017 code (2, 3 or 4 digits)
    "level",        # division / group / class
    "name",         # standard name of the code
    "department",   # 责任单位
    "target_year",  # int
    "source_file", "source_row",
]

# Project list (附件4-style).
PROJECT_COLUMNS = [
    "project_name",      # 项目名称
    "builder",           # 建设单位
    "uscc",              # 建设单位统一社会信用代码, may be empty
    "investment_wan",    # 总投资, 万元
    "stage",             # 建设阶段: 签约/在建/建成投产/...
    "signed_date",       # 签约日期 ISO or empty
    "planned_production",  # 计划投产时间 ISO or empty
    "intended_code",     # 拟扩增门类代码, canonical 2017 code or empty
    "content",           # 建设内容 (text, classified when intended_code is empty)
    "department",        # 责任单位
    "source_file", "source_row",
]

# Every rejected row of every input: nothing is ever dropped silently.
QUARANTINE_COLUMNS = ["dataset", "file", "row", "column", "value", "reason"]

# Valid rows deliberately left out (closed firms, older duplicates).
SET_ASIDE_COLUMNS = ["dataset", "file", "row", "uscc", "name", "reason"]

DATASET_LABELS = {
    "registry": "规下企业名录",
    "above_scale": "规上工业企业名录",
    "targets": "扩增门类目标清单",
    "projects": "项目清单",
}

DATASET_COLUMNS = {
    "registry": REGISTRY_COLUMNS,
    "above_scale": ABOVE_SCALE_COLUMNS,
    "targets": TARGET_COLUMNS,
    "projects": PROJECT_COLUMNS,
}
