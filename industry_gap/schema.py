"""Column contracts of the tables that flow between steps.

DataFrames and warehouse tables use these English column names; Chinese
headers appear only at the edges (input aliases in `industry_gap.ingest`,
Excel exports). Every clean table keeps `source_file` and `source_row`
(1-based spreadsheet row, header = row 1) so any output can be traced back.

The column lists, their types and meanings live in the table specification
(`industry_gap.tables`, documented in docs/tables.md); the lists below are its
DataFrame columns, including the ones the warehouse leaves out (the register's
主要业务活动, and 法定代表人, which is personal data and never stored or exported).
"""

from __future__ import annotations

from industry_gap.tables import TABLES

# 规下 registry (市场主体登记名录), clean rows.
REGISTRY_COLUMNS = TABLES["registry"].frame_columns

# 规上 list (规模以上工业企业名录), clean rows.
ABOVE_SCALE_COLUMNS = TABLES["above_scale"].frame_columns

# Plan target lists (附件2 全口径 / 附件3 规上口径) in one table.
TARGET_COLUMNS = TABLES["targets"].frame_columns

# Project list (附件4-style).
PROJECT_COLUMNS = TABLES["projects"].frame_columns

# Every rejected row of every input: nothing is ever dropped silently.
QUARANTINE_COLUMNS = TABLES["quarantine"].frame_columns

# Valid rows deliberately left out (closed firms, older duplicates).
SET_ASIDE_COLUMNS = TABLES["set_aside"].frame_columns

DATASET_LABELS = {name: table.label_zh for name, table in TABLES.items() if table.input_dataset}

DATASET_COLUMNS = {
    "registry": REGISTRY_COLUMNS,
    "above_scale": ABOVE_SCALE_COLUMNS,
    "targets": TARGET_COLUMNS,
    "projects": PROJECT_COLUMNS,
}
