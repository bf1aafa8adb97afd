"""The warehouse: every run's tables, keyed by run date, in SQLite or PostgreSQL.

One run writes all its tables in one transaction; writing the same run date
again replaces that date's rows, so re-runs are idempotent and a failed
write leaves the previous rows untouched.

On PostgreSQL the tables live in their own schema (``industry_gap`` unless
``--db-schema`` says otherwise, or the database URL sets a ``search_path``),
with typed columns (``NUMERIC`` for 万元 amounts, ``DATE`` for dates), a
natural key per table (run date + USCC, code, ...) and a Chinese
``COMMENT ON`` for every table and column. SQLite has no schemas: the
setting is ignored there, the same columns, keys and types are used.

A warehouse written by an older version (varchar dates, no natural keys, in
``public`` or in the same place) is migrated on first use: its rows are
copied into the new typed tables in one transaction (see `_migrate_legacy`);
if they do not fit (a duplicate natural key, a date that is not a date), the
run stops with a Chinese message saying what to do.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import math
import os
import re
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, Float, Integer, MetaData, Numeric, String, Table, Text,
    UniqueConstraint, create_engine, delete, event, func, inspect, select, text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, ProgrammingError

from industry_gap.changes import CHANGE_COLUMNS
from industry_gap.coverage import (
    BASELINE_COLUMNS, COVERAGE_COLUMNS, ENTERPRISE_CODE_COLUMNS, PROGRESS_COLUMNS,
)
from industry_gap.entry_pipeline import CANDIDATE_COLUMNS
from industry_gap.errors import UserError
from industry_gap.failpoints import WAREHOUSE_BEFORE_COMMIT, failpoint
from industry_gap.gaps import GAP_COLUMNS, PROJECT_COLUMNS_ASSESSED, REVIEW_COLUMNS
from industry_gap.review.columns import OVERRIDE_COLUMNS
from industry_gap.rewards import REWARD_COLUMNS

log = logging.getLogger(__name__)

DEFAULT_DATABASE_NAME = "industry_gap.sqlite"
DEFAULT_SCHEMA = "industry_gap"   # PostgreSQL schema of the tables (`--db-schema`)
WRITER_LOCK_KEY = 4754_2017  # PostgreSQL advisory lock id shared by every industry-gap writer
SCHEMA_VERSION = 2           # 1 = untyped tables without natural keys (before the typed schema)
META_TABLE = "warehouse_meta"
LEGACY_SCHEMA = "public"     # where versions before the typed schema put their tables

# Column types of every table; "id" and "run_date" are added to each. Text for
# free text, String for codes, NUMERIC for 万元 amounts (exact to the yuan),
# DATE for dates; the same on SQLite and PostgreSQL.
_S, _T, _F, _I, _B = String(64), Text(), Float(), Integer(), Boolean()
MONEY_SCALE = 4   # 万元 with 4 decimals = exact to 1 元
_M = Numeric(18, MONEY_SCALE, asdecimal=False)   # read back as float, as before
_D = Date()
_TS = DateTime(timezone=True)

TABLE_COLUMNS: dict[str, dict[str, object]] = {
    "registry": {
        "uscc": String(18), "name": _T, "scope": _T, "status": _S, "enterprise_type": _T,
        "established": _D, "registered_capital_wan": _M, "revenue_wan": _M,
        "revenue_prev_wan": _M, "employees": _I, "town": _T, "industry_code": String(8),
        "source_file": _T, "source_row": _I,  # 法定代表人 is personal data: never stored
    },
    "above_scale": {
        "uscc": String(18), "name": _T, "industry_code": String(8), "revenue_wan": _M,
        "town": _T, "source_file": _T, "source_row": _I,
    },
    "targets": {
        "scope": _S, "code": String(8), "level": _S, "name": _T, "department": _T,
        "target_year": _I, "source_file": _T, "source_row": _I,
    },
    "projects": {
        "project_name": _T, "builder": _T, "uscc": String(18), "investment_wan": _M,
        "stage": _S, "signed_date": _D, "planned_production": _D,
        "intended_code": String(8), "content": _T, "department": _T,
        "source_file": _T, "source_row": _I,
    },
    "quarantine": {
        "dataset": _S, "file": _T, "row": _I, "column": _T, "value": _T, "reason": _T,
    },
    "set_aside": {
        "dataset": _S, "file": _T, "row": _I, "uscc": String(18), "name": _T, "reason": _T,
    },
    "row_accounting": {
        "dataset": _S, "file": _T, "rows_in": _I, "clean": _I, "quarantined": _I,
        "set_aside": _I,
    },
    # the month's workbooks this run's rows go with (industry_gap.exports.publishing)
    "export_manifest": {
        "month": String(7), "token": String(32), "file": _T, "bytes": BigInteger(), "sha256": String(64),
        "committed_at": _TS,
    },
}


CLASSIFICATION_COLUMNS = [
    "uscc", "name", "pred_code_1", "pred_name_1", "pred_score_1", "pred_code_2", "pred_name_2",
    "pred_score_2", "pred_code_3", "pred_name_3", "pred_score_3", "pred_division", "pred_section",
    "is_industrial", "evidence", "reason", "manual_review",
]

# Analysis columns that are not text; everything else is stored as text.
_BOOL_COLUMNS = {
    "present_above", "present_all", "is_industrial", "counted_in_all", "needs_review",
    "in_above_scale", "active", "on_target_above", "on_target_all", "flagged", "included",
}
_MONEY_SUFFIX = "_wan"   # 万元 amounts: NUMERIC
_FLOAT_PATTERN = ("_ratio", "_growth", "confidence", "pred_score_")
_INT_COLUMNS = {
    "n_above", "n_below_registry", "n_below_classified", "n_all", "standard_nodes",
    "baseline_present", "current_present", "new_nodes", "lost_nodes", "goal", "remaining",
    "days_left", "rank", "allocation_order",
}
_DATE_COLUMNS = {"baseline_date", "deadline", "signed_date", "planned_production", "reviewed_on"}


def _typed(columns: list[str]) -> dict[str, object]:
    """Column types for an analysis table, by column name."""
    typed: dict[str, object] = {}
    for column in columns:
        if column in _BOOL_COLUMNS:
            typed[column] = _B
        elif column in _INT_COLUMNS:
            typed[column] = _I
        elif column in _DATE_COLUMNS:
            typed[column] = _D
        elif column.endswith(_MONEY_SUFFIX):
            typed[column] = _M
        elif any(part in column for part in _FLOAT_PATTERN):
            typed[column] = _F
        else:
            typed[column] = _T
    return typed


TABLE_COLUMNS.update({
    "classifications": _typed(CLASSIFICATION_COLUMNS),
    "enterprise_codes": _typed(ENTERPRISE_CODE_COLUMNS),
    "coverage": _typed(COVERAGE_COLUMNS),
    "baseline": _typed(BASELINE_COLUMNS),
    "progress": _typed(PROGRESS_COLUMNS),
    "gaps": _typed(GAP_COLUMNS),
    "project_assessment": _typed(PROJECT_COLUMNS_ASSESSED),
    "candidates": _typed(CANDIDATE_COLUMNS),
    "rewards": _typed(REWARD_COLUMNS),
    "review_list": _typed(REVIEW_COLUMNS),
    "changes": _typed(CHANGE_COLUMNS),
    "overrides": _typed(OVERRIDE_COLUMNS),
})

# The natural key of each table besides run_date: unique per run date, NOT NULL. An empty tuple
# means the rows have none and the surrogate id is their only key (said in the table's comment).
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "registry": ("uscc",),            # duplicates are set aside during ingestion
    "above_scale": ("uscc",),
    "targets": ("scope", "code"),
    "projects": ("source_file", "source_row"),   # a project may have no USCC: its source row is its key
    "quarantine": (),                 # one input row may be quarantined for several reasons
    "set_aside": ("dataset", "file", "row"),
    "row_accounting": ("dataset",),
    "export_manifest": ("file",),
    "classifications": ("uscc",),
    "enterprise_codes": ("scale", "uscc"),   # a 规下 firm also on the 规上 list has one row of each
    "coverage": ("code",),
    "baseline": ("code",),
    "progress": ("scope", "level"),
    "gaps": ("uscc",),
    "project_assessment": ("project_id",),
    "candidates": ("uscc",),
    "rewards": ("claim_id",),
    "review_list": ("entity_kind", "entity_id"),
    "changes": (),                    # derived notes: the same firm or code may be told twice
    "overrides": ("entity_kind", "entity_id"),
}

# Chinese comments (COMMENT ON TABLE / COLUMN on PostgreSQL): every table, every column.
TABLE_COMMENTS: dict[str, str] = {
    "registry": "规下企业名录（清洁行）：每次运行一份，按运行日期 + 统一社会信用代码唯一；重复企业在接入时已剔除（见 set_aside）",
    "above_scale": "规上工业企业名录（清洁行）：按运行日期 + 统一社会信用代码唯一",
    "targets": "扩增门类目标清单（附件2 全口径 / 附件3 规上口径）：按运行日期 + 口径 + 行业代码唯一",
    "projects": "项目清单（附件4 样式，清洁行）：建设单位可无信用代码，按运行日期 + 来源文件 + 来源行号唯一",
    "quarantine": "隔离行：输入中无法使用的行及原因；同一行可因多个原因被隔离，无自然键，以自增 id 区分",
    "set_aside": "剔除行：有效但未采用的行（注销企业、较早的重复行等），按运行日期 + 数据集 + 文件 + 行号唯一",
    "row_accounting": "行数核对：每个输入数据集 读入 = 清洁 + 隔离 + 剔除，按运行日期 + 数据集唯一",
    "export_manifest": "本月报送工作簿清单：与本次运行数据一同提交的文件名、大小与 SHA-256，按运行日期 + 文件唯一",
    "classifications": "经营范围分类结果：每户规下企业的前三个候选行业代码及置信度，按运行日期 + 统一社会信用代码唯一",
    "enterprise_codes": "企业计入门类所用的行业代码：规上、规下各一行（同时在规上名录的规下企业两行都有），按运行日期 + 规模 + 信用代码唯一",
    "coverage": "门类覆盖：大类、中类、小类在规上口径与全口径下是否已有企业，按运行日期 + 行业代码唯一",
    "baseline": "基期门类快照：计算“较基期新增”所用的基期覆盖，按运行日期 + 行业代码唯一",
    "progress": "目标进展：各口径、各层级较基期新增门类数与目标、截止日期，按运行日期 + 口径 + 层级唯一",
    "gaps": "门类缺口标记：每户规下企业是否填补规上/全口径空白门类，按运行日期 + 统一社会信用代码唯一",
    "project_assessment": "项目评估：项目所属门类、是否填补空白、责任单位，按运行日期 + 项目编号唯一",
    "candidates": "入规培育清单：规下企业的培育阶段、排序与不纳入原因，按运行日期 + 统一社会信用代码唯一",
    "rewards": "奖励测算：按政策条款逐条测算的预计奖励（万元），按运行日期 + 奖励条目编号唯一",
    "review_list": "复核清单：需要人工核定行业代码的企业与项目，按运行日期 + 对象类型 + 对象编号唯一",
    "changes": "本月变化：与上次运行、上月相比的门类与企业变化说明；为派生说明，无自然键，以自增 id 区分",
    "overrides": "人工核定：已生效的核定行业代码（每个企业或项目一条，最新核定日期优先），按运行日期 + 对象类型 + 对象编号唯一",
}
META_TABLE_COMMENT = "仓库元数据：表结构版本（schema_version）及迁移记录，由 industry-gap 维护"

# Column comments shared by every table that has the column; COLUMN_COMMENT_OVERRIDES wins per table.
COLUMN_COMMENTS: dict[str, str] = {
    "id": "自增编号（代理键，保持写入顺序）",
    "run_date": "运行日期（本次结果按此日期保存；同日重跑整体替换）",
    "uscc": "统一社会信用代码（18 位）",
    "name": "企业名称",
    "scope": "经营范围（原文）",
    "status": "登记状态",
    "enterprise_type": "企业类型",
    "established": "成立日期",
    "registered_capital_wan": "注册资本（万元）",
    "revenue_wan": "营业收入（最近一年，万元）",
    "revenue_prev_wan": "上年营业收入（万元）",
    "employees": "从业人员（人）",
    "town": "乡镇（街道）",
    "industry_code": "登记的行业代码（2017 版）",
    "source_file": "来源文件",
    "source_row": "来源行号（表头为第 1 行）",
    "code": "行业代码（2017 版，大类 2 位、中类 3 位、小类 4 位）",
    "level": "层级（division 大类 / group 中类 / class 小类）",
    "department": "责任单位",
    "target_year": "目标年份",
    "project_name": "项目名称",
    "builder": "建设单位",
    "investment_wan": "总投资（万元）",
    "stage": "建设阶段",
    "signed_date": "签约日期",
    "planned_production": "计划投产时间",
    "intended_code": "拟扩增门类代码",
    "content": "建设内容",
    "dataset": "数据集（registry 规下名录 / above_scale 规上名录 / targets 目标清单 / projects 项目清单 / overrides 人工核定）",
    "file": "文件",
    "row": "行号（表头为第 1 行）",
    "column": "出问题的列",
    "value": "出问题的值",
    "reason": "原因",
    "rows_in": "读入行数",
    "clean": "清洁行数",
    "quarantined": "隔离行数",
    "set_aside": "剔除行数",
    "month": "报送月份（YYYY-MM）",
    "token": "本次工作簿暂存批次标识",
    "bytes": "文件大小（字节）",
    "sha256": "文件 SHA-256 校验值",
    "committed_at": "提交时间（UTC）",
    "pred_code_1": "候选1代码", "pred_name_1": "候选1名称", "pred_score_1": "候选1置信度",
    "pred_code_2": "候选2代码", "pred_name_2": "候选2名称", "pred_score_2": "候选2置信度",
    "pred_code_3": "候选3代码", "pred_name_3": "候选3名称", "pred_score_3": "候选3置信度",
    "pred_division": "预测所属大类",
    "pred_section": "预测所属门类（A–T）",
    "is_industrial": "是否工业",
    "evidence": "判定依据（经营范围中的关键词）",
    "manual_review": "人工核定说明",
    "scale": "规模（above 规上 / below 规下）",
    "code_level": "行业代码层级（大类/中类/小类）",
    "code_name": "行业名称",
    "code_source": "行业代码来源（规上名录、登记代码、人工核定或经营范围分类）",
    "confidence": "置信度（0–1）",
    "counted_in_all": "是否计入全口径门类",
    "needs_review": "是否需要人工复核",
    "in_above_scale": "是否在规上名录中",
    "active": "是否存续",
    "decision": "计入与否的说明",
    "level_name": "层级名称",
    "section": "所属门类",
    "division": "所属大类",
    "group": "所属中类",
    "parent": "上级代码",
    "present_above": "规上口径是否已有企业",
    "present_all": "全口径是否已有企业",
    "n_above": "规上企业数",
    "n_below_registry": "规下企业数（按登记行业代码）",
    "n_below_classified": "规下企业数（按经营范围分类）",
    "n_all": "全口径企业数",
    "present_all_source": "全口径已有的依据",
    "baseline_date": "基期日期",
    "baseline_source": "基期来源",
    "note": "说明",
    "scope_name": "口径名称",
    "standard_nodes": "标准门类数",
    "baseline_present": "基期已有门类数",
    "current_present": "当前已有门类数",
    "new_nodes": "较基期新增门类数",
    "lost_nodes": "较基期减少门类数",
    "goal": "目标新增门类数",
    "remaining": "尚差门类数",
    "completion_ratio": "完成比例（0–1）",
    "deadline": "截止日期",
    "days_left": "距截止天数（负数为已过期）",
    "new_codes": "新增门类代码（顿号分隔）",
    "gap_level_above": "填补的规上空白层级",
    "gap_code_above": "填补的规上空白代码",
    "gap_level_all": "填补的全口径空白层级",
    "gap_code_all": "填补的全口径空白代码",
    "potential_gap_level_above": "入规后可填补的规上空白层级",
    "on_target_above": "是否在规上口径目标清单内",
    "on_target_all": "是否在全口径目标清单内",
    "target_code": "对应的目标门类代码",
    "target_scope": "对应目标的口径",
    "department_source": "责任单位来源",
    "flagged": "是否标记为填补空白",
    "basis": "判断依据",
    "project_id": "项目编号",
    "parent_uscc": "母公司统一社会信用代码",
    "parent_name": "母公司名称",
    "scope_summary": "经营范围摘要",
    "revenue_ratio": "营业收入与入规标准之比",
    "revenue_growth": "营业收入增长率",
    "stage_name": "培育阶段名称",
    "included": "是否纳入入规培育清单",
    "exclusion_reason": "不纳入原因",
    "rank": "排序（1 为最优先跟进）",
    "claim_id": "奖励条目编号",
    "beneficiary_key": "受奖对象标识",
    "beneficiary_uscc": "受奖单位统一社会信用代码",
    "beneficiary_name": "受奖单位名称",
    "entity_kind": "对象类型（企业 / 项目）",
    "entity_id": "对象编号（企业为信用代码，项目为项目编号）",
    "entity_name": "对象名称",
    "rule_key": "奖励条款标识",
    "rule_name": "奖励条款名称",
    "article": "政策条款",
    "gap_scope": "空白口径",
    "gap_basis": "空白判断依据",
    "standalone_gap_level": "单独计算时的空白层级",
    "gap_level": "空白层级",
    "gap_code": "空白代码",
    "base_amount_wan": "基础奖励（万元）",
    "bonus_ratio": "加奖比例",
    "amount_wan": "预计奖励（万元）",
    "payment_schedule": "兑现方式",
    "amount_due_now_wan": "本期应兑现奖励（万元）",
    "status_name": "状态名称",
    "excluded_by_rule": "被排除的条款",
    "conditions": "兑现条件",
    "allocation_order": "分配顺序",
    "entity_kind_name": "对象类型名称",
    "text_excerpt": "经营范围或建设内容摘录",
    "classifier_reason": "分类器说明",
    "review_reason": "需复核原因",
    "change_kind": "变化类型",
    "change_kind_name": "变化类型名称",
    "compared_with": "比较对象（较上次运行 / 较上月）",
    "detail": "变化说明",
    "reviewer": "核定人",
    "reviewed_on": "核定日期",
    "key": "项目",
}
COLUMN_COMMENT_OVERRIDES: dict[str, dict[str, str]] = {
    "targets": {"scope": "口径（全口径 / 规上口径）", "name": "门类名称（标准名称）"},
    "progress": {"scope": "口径（all 全口径 / above 规上口径）"},
    "changes": {"scope": "口径", "name": "名称（企业或门类）"},
    "coverage": {"name": "门类名称"},
    "baseline": {"name": "门类名称"},
    "projects": {"uscc": "建设单位统一社会信用代码（可为空）"},
    "project_assessment": {"uscc": "建设单位统一社会信用代码（可为空）", "source_row": "来源行号"},
    "review_list": {"name": "名称（企业名称或项目名称）"},
    "overrides": {"name": "名称（企业名称或项目名称）", "code": "核定行业代码", "code_name": "核定行业名称",
                  "source_file": "核定来源文件（复核工作簿）", "source_row": "核定来源行号"},
    "rewards": {"status": "测算状态", "reason": "说明", "code": "门类代码"},
    "candidates": {"stage": "培育阶段"},
    "classifications": {"reason": "分类说明"},
    "quarantine": {"file": "来源文件", "row": "来源行号（表头为第 1 行）"},
    "set_aside": {"file": "来源文件", "row": "来源行号（表头为第 1 行）", "reason": "剔除原因"},
    "row_accounting": {"file": "来源文件"},
    "export_manifest": {"file": "文件名（相对于 exports/YYYY-MM/）"},
}


def column_comment(table: str, column: str) -> str:
    """The Chinese comment of one column of one table (a column added without one gets a placeholder that a
    test flags, rather than breaking the import)."""
    return (COLUMN_COMMENT_OVERRIDES.get(table, {}).get(column) or COLUMN_COMMENTS.get(column)
            or f"{column}（尚无说明）")


def _build_metadata(schema: str | None = None) -> MetaData:
    """Every table (typed columns, natural key, Chinese comments) in `schema` (None = the default)."""
    metadata = MetaData(schema=schema)
    for name, columns in TABLE_COLUMNS.items():
        key = NATURAL_KEYS[name]
        unique = [UniqueConstraint("run_date", *key, name=f"uq_{name}_run_date_{'_'.join(key)}")] if key else []
        Table(name, metadata,
              Column("id", Integer, primary_key=True, autoincrement=True, comment=column_comment(name, "id")),
              Column("run_date", Date, nullable=False, index=not key,   # the key's index starts with run_date
                     comment=column_comment(name, "run_date")),
              *(Column(col, kind, nullable=col not in key, comment=column_comment(name, col))
                for col, kind in columns.items()),
              *unique, comment=TABLE_COMMENTS[name])
    Table(META_TABLE, metadata,
          Column("key", String(64), primary_key=True, comment="项目（schema_version 表结构版本、migrated_from 迁移来源）"),
          Column("value", Text, nullable=False, comment="值"),
          comment=META_TABLE_COMMENT)
    return metadata


METADATA = _build_metadata()   # unqualified names: SQLite, or PostgreSQL's search_path


@lru_cache(maxsize=None)
def metadata_for(schema: str | None) -> MetaData:
    """The tables in one PostgreSQL schema (None: unqualified)."""
    return METADATA if schema is None else _build_metadata(schema)


_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_schema_name(schema: str) -> str:
    """A schema name the CLI accepts: lower-case letters, digits and underscores (no quoting needed)."""
    if not _SCHEMA_NAME.match(schema):
        raise UserError(f"数据库模式名“{schema}”无效：只能使用小写英文字母、数字和下划线，不以数字开头，最长 63 个字符")
    return schema


def search_path_schema(url: str) -> str | None:
    """The first schema of a ``search_path`` set in the URL (``?options=-csearch_path%3Dname``), if any."""
    try:
        options = make_url(url).query.get("options")
    except Exception:
        return None
    if isinstance(options, tuple):
        options = " ".join(options)
    match = re.search(r"search_path\s*=\s*([^\s]+)", options or "")
    if not match:
        return None
    first = match.group(1).split(",")[0].strip().strip('"')
    return first if first and first != "$user" else None


def resolve_schema(url: str, dialect: str, schema: str | None) -> tuple[str | None, str]:
    """(schema, where it came from): ``--db-schema``, else the URL's search_path, else ``industry_gap``.

    SQLite and other databases without schemas get (None, "none"): the setting is ignored.
    """
    if dialect != "postgresql":
        return None, "none"
    if schema and schema.strip():
        return check_schema_name(schema.strip()), "option"
    from_url = search_path_schema(url)
    if from_url:
        return from_url, "url"
    return DEFAULT_SCHEMA, "default"


def default_database_url(output_dir: str | os.PathLike) -> str:
    """DATABASE_URL from the environment, else a SQLite file in the output folder."""
    env = os.environ.get("DATABASE_URL", "").strip()
    if env:
        return env
    path = Path(output_dir).resolve() / DEFAULT_DATABASE_NAME
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _python_value(value: object) -> object:
    """Turn pandas/numpy scalars into what every DBAPI driver accepts."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


class LegacyWarehouseError(UserError):
    """The warehouse has tables of an older layout that could not be copied into the typed tables."""


class Warehouse:
    """Tables keyed by run date; see the module docstring."""

    def __init__(self, url: str, *, schema: str | None = None, engine: Engine | None = None):
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = engine or create_engine(url, future=True, pool_pre_ping=True)
        except Exception as error:  # bad URL, missing driver
            raise UserError(f"数据库地址“{_redact(url)}”无法使用：{error}") from error
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.schema, self.schema_source = resolve_schema(url, self.engine.dialect.name, schema)
        self.metadata = metadata_for(self.schema)
        self.tables: dict[str, Table] = {table.name: table for table in self.metadata.tables.values()}
        self.migrated: list[str] = []   # Chinese notes of a migration done by ensure_schema
        self._ready = False

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        shown = _redact(self.url)
        return f"{shown}（模式 {self.schema}）" if self.schema else shown

    def ensure_schema(self) -> None:
        """Create the schema and missing tables, migrating an older layout; two runs starting together both survive it."""
        for attempt in range(3):
            try:
                with self.engine.begin() as connection:
                    self._serialize_writers(connection)
                    self._prepare(connection)
                self._ready = True
                return
            except UserError:
                raise
            except (OperationalError, ProgrammingError, IntegrityError) as error:
                if "already exists" in str(error) or "duplicate" in str(error).lower():
                    continue  # the other run created it first
                if isinstance(error, OperationalError) and attempt == 0 and "locked" in str(error).lower():
                    time.sleep(1)
                    continue
                from industry_gap.environment import explain_environment_error

                explained = explain_environment_error(error, database_url=self.url)
                raise (explained or UserError(f"无法连接数据库“{self.display_url}”：{error.orig}")) from error

    def _prepare(self, connection) -> None:
        """Inside ensure_schema's transaction: schema, tables, version row; an older layout is migrated."""
        if self.schema and not inspect(connection).has_schema(self.schema):   # CREATE needs the privilege
            quoted = connection.dialect.identifier_preparer.quote_schema(self.schema)
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
        names = set(inspect(connection).get_table_names(schema=self.schema))
        if META_TABLE in names:
            self._check_version(connection)
            self.metadata.create_all(connection)   # tables added since the warehouse was created
            return
        if self.dialect == "sqlite":
            # pysqlite runs DDL outside a transaction unless one is open: open it, and hold the write lock
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            names = set(inspect(connection).get_table_names())
            if META_TABLE in names:   # another process finished first
                self._check_version(connection)
                return
        legacy_here = sorted(names & set(TABLE_COLUMNS))
        if legacy_here and _legacy_tables(connection, self.schema) != legacy_here:
            raise UserError(f"{self._legacy_place(self.schema)}中已有同名的表（{'、'.join(legacy_here)}），"
                            "但不是 industry-gap 写入的，未作改动。请用 --db-schema 指定另一个模式，或换一个数据库")
        legacy_public: list[str] = []
        if (not legacy_here and self.dialect == "postgresql" and self.schema != LEGACY_SCHEMA
                and self.schema_source in ("default", "option")):
            legacy_public = _legacy_tables(connection, LEGACY_SCHEMA)
        if legacy_here:
            self._migrate_legacy(connection, self.schema, legacy_here, in_place=True)
        elif legacy_public:
            self._migrate_legacy(connection, LEGACY_SCHEMA, legacy_public, in_place=False)
        else:
            self.metadata.create_all(connection)
        self._set_meta(connection, "schema_version", str(SCHEMA_VERSION))

    def _check_version(self, connection) -> None:
        meta = self.tables[META_TABLE]
        version = connection.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        if version is not None and int(version) > SCHEMA_VERSION:
            raise UserError(f"数据库“{self.display_url}”中的表由更新版本的 industry-gap 创建（表结构版本 {version}，"
                            f"本程序为 {SCHEMA_VERSION}）。请升级 industry-gap，或指定另一个 --db-schema / 数据库")

    def _set_meta(self, connection, key: str, value: str) -> None:
        meta = self.tables[META_TABLE]
        if self.dialect in ("postgresql", "sqlite"):
            if self.dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            statement = insert(meta).values(key=key, value=value)
            connection.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": value}))
        else:
            connection.execute(delete(meta).where(meta.c.key == key))
            connection.execute(meta.insert().values(key=key, value=value))

    def _migrate_legacy(self, connection, source_schema: str | None, names: list[str], *, in_place: bool) -> None:
        """Copy the rows of an older layout's tables into the typed tables, in the caller's transaction.

        In place (the same schema, or the SQLite file): each old table is read, dropped and
        created anew with its rows. From ``public`` into a new schema: the old tables are read
        and left as they are. Any row that does not fit (a duplicate natural key, a date that is
        not a date) rolls the whole migration back and stops with a Chinese message.
        """
        where = self._legacy_place(source_schema)
        copied = 0
        try:
            for name in names:
                old = Table(name, MetaData(), autoload_with=connection, schema=source_schema)
                frame = pd.read_sql(select(old).order_by(old.c.id) if "id" in old.c else select(old), connection)
                if in_place:
                    old.drop(connection)
                table = self.tables[name]
                table.create(connection)
                for column in TABLE_COLUMNS[name]:
                    if column not in frame.columns:
                        frame[column] = None
                if len(frame):
                    frame["run_date"] = [_as_date(value) for value in frame["run_date"]]
                for run_date, rows in frame.groupby("run_date", sort=True):
                    columns = _table_columns(name, run_date, rows)
                    _bulk_insert(connection, table, columns)
                    copied += len(rows)
            self.metadata.create_all(connection)   # tables the old version did not have
        except (IntegrityError, DataError, ValueError, KeyError, TypeError, OverflowError) as error:
            reason = getattr(error, "orig", None) or error
            raise LegacyWarehouseError(_legacy_message(where, self, f"表 {name} 的数据无法转换：{reason}")) from error
        note = f"{where}的旧版本表（{len(names)} 张，{copied} 行）已复制到新的表结构"
        if not in_place:
            note += f"；旧表仍保留在 {source_schema} 模式中，核对无误后可自行删除"
        self.migrated.append(note)
        log.warning(note)
        self._set_meta(connection, "migrated_from", f"{source_schema or 'sqlite'}:{','.join(names)}")

    def _legacy_place(self, source_schema: str | None) -> str:
        if self.dialect == "sqlite":
            return f"数据库文件“{self.display_url}”"
        return f"数据库“{_redact(self.url)}”的 {source_schema} 模式"

    def replace_run(self, run_date: dt.date, frames: Mapping[str, pd.DataFrame],
                    retries: int = 5) -> dict[str, int]:
        """Write all `frames` for `run_date` in one transaction, replacing that date's rows.

        Values are converted column by column before the transaction starts
        (a value that does not fit its column fails the run before anything
        is deleted); each table is then written in one bulk statement: the
        DBAPI's ``executemany`` on SQLite, ``COPY ... FROM STDIN`` with
        psycopg 3 on PostgreSQL, SQLAlchemy's batched insert elsewhere.
        """
        unknown = set(frames) - set(TABLE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown warehouse tables: {sorted(unknown)}")
        self.ensure_schema()
        payload = {name: _table_columns(name, run_date, frame) for name, frame in frames.items()}
        for attempt in range(retries):
            try:
                with self.engine.begin() as connection:
                    self._serialize_writers(connection)
                    for name, columns in payload.items():
                        table = self.tables[name]
                        connection.execute(delete(table).where(table.c.run_date == run_date))
                        if columns["run_date"]:
                            _bulk_insert(connection, table, columns)
                    failpoint(WAREHOUSE_BEFORE_COMMIT)
                return {name: len(columns["run_date"]) for name, columns in payload.items()}
            except OperationalError as error:
                if "locked" not in str(error).lower() or attempt == retries - 1:
                    raise
                time.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

    def _serialize_writers(self, connection) -> None:
        """Two runs writing at once must not both delete-then-insert: the second waits for the first.

        SQLite does this by itself (one writer at a time); PostgreSQL's READ
        COMMITTED would let both deletes miss the other's new rows, so a
        transaction-scoped advisory lock queues the writers.
        """
        if self.dialect == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})

    @staticmethod
    def _records(name: str, run_date: dt.date, frame: pd.DataFrame) -> list[dict]:
        """The rows `replace_run` writes for one table, as dicts (for inspection and tests)."""
        columns = _table_columns(name, run_date, frame)
        return [dict(zip(columns, row)) for row in zip(*columns.values())]

    def _has_table(self, name: str) -> bool:
        """Whether the table exists; an older layout is migrated first (reads see the typed tables)."""
        if not self._ready:
            if inspect(self.engine).has_table(META_TABLE, schema=self.schema):
                self._ready = True    # the current layout: reading takes no lock
            else:
                self.ensure_schema()  # create, or migrate an older layout, first
        return inspect(self.engine).has_table(name, schema=self.schema)

    def read(self, name: str, run_date: dt.date | None = None) -> pd.DataFrame:
        """One table for one run date (the latest when not given); empty when none.

        Values come back as before the typed schema: dates as ISO text ("" when empty),
        万元 amounts as floats, so callers compare and format them as they always did.
        """
        table = self.tables[name]
        if not self._has_table(name):
            return pd.DataFrame(columns=["run_date", *TABLE_COLUMNS[name]])
        with self.engine.connect() as connection:
            if run_date is None:
                run_date = connection.execute(select(func.max(table.c.run_date))).scalar()
            query = select(table).where(table.c.run_date == run_date).order_by(table.c.id)
            frame = pd.read_sql(query, connection)
        return _as_before(name, frame.drop(columns=["id"]))

    def read_all(self, name: str) -> pd.DataFrame:
        """Every run date's rows of one table (small tables such as the export manifest)."""
        table = self.tables[name]
        if not self._has_table(name):
            return pd.DataFrame(columns=["run_date", *TABLE_COLUMNS[name]])
        with self.engine.connect() as connection:
            frame = pd.read_sql(select(table).order_by(table.c.id), connection)
        return _as_before(name, frame.drop(columns=["id"]))

    def run_dates(self, name: str = "row_accounting") -> list[dt.date]:
        table = self.tables[name]
        if not self._has_table(name):
            return []
        with self.engine.connect() as connection:
            rows = connection.execute(select(table.c.run_date).distinct().order_by(table.c.run_date))
            return [row[0] for row in rows]

    def count(self, name: str, run_date: dt.date | None = None) -> int:
        table = self.tables[name]
        if not self._has_table(name):
            return 0
        query = select(func.count()).select_from(table)
        if run_date is not None:
            query = query.where(table.c.run_date == run_date)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar() or 0)

    def dispose(self) -> None:
        self.engine.dispose()


def _legacy_tables(connection, schema: str | None) -> list[str]:
    """Tables of an older industry-gap in `schema`: known names with a run_date column (row_accounting among them)."""
    inspector = inspect(connection)
    names = set(inspector.get_table_names(schema=schema)) & set(TABLE_COLUMNS)
    if "row_accounting" not in names or META_TABLE in names:
        return []
    return sorted(name for name in names
                  if "run_date" in {c["name"] for c in inspector.get_columns(name, schema=schema)})


def _legacy_message(where: str, store: Warehouse, problem: str) -> str:
    """What a user whose old warehouse cannot be migrated should do."""
    if store.dialect == "sqlite":
        remedy = "请将该文件改名备份后重新运行（将新建数据库），或修正上述数据后重试"
    else:
        remedy = ("请修正上述数据后重试，或用 --db-schema 指定一个新的模式从空库开始"
                  "（旧表保持不变，可用 psql 查看）")
    return f"{where}中的表是旧版本格式（日期为文本、金额为浮点数、无唯一键），自动迁移到新表结构失败：{problem}。{remedy}"


def _as_before(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Typed values back to what the pipeline used: ISO date text ("" when empty), UTC ISO timestamps."""
    for column, kind in TABLE_COLUMNS[name].items():
        if column not in frame.columns:
            continue
        if isinstance(kind, DateTime):
            frame[column] = [_iso_timestamp(value) for value in frame[column]]
        elif isinstance(kind, Date):
            frame[column] = [value.isoformat() if isinstance(value, dt.date) else ("" if _missing(value) else str(value))
                             for value in frame[column]]
    return frame


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _iso_timestamp(value: object) -> str:
    if _missing(value):
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:   # SQLite keeps no offset: stored as UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def _as_date(value: object) -> dt.date | None:
    """A DATE cell: a date, datetime or ISO text ("YYYY-MM-DD", time part ignored); empty → None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    cell = str(value).strip()
    if not cell:
        return None
    try:
        return dt.date.fromisoformat(cell[:10])
    except ValueError:
        raise ValueError(f"“{cell}”不是日期（应为 YYYY-MM-DD）") from None


def _as_timestamp(value: object) -> dt.datetime | None:
    """A timestamp cell: datetime or ISO text, without an offset taken as UTC; stored in UTC."""
    if isinstance(value, str):
        if not value.strip():
            return None
        value = dt.datetime.fromisoformat(value.strip())
    if not isinstance(value, dt.datetime):
        raise ValueError(f"“{value}”不是时间")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


_MONEY_QUANTUM = decimal.Decimal(1).scaleb(-MONEY_SCALE)


def _as_money(value: object) -> float | None:
    """A 万元 amount rounded to MONEY_SCALE decimals (half up, on its shortest decimal form), as a float.

    The float's repr is then the exact NUMERIC text, so COPY, SQLite and a read back all agree.
    Infinite amounts are stored as NULL (NUMERIC has no room for them).
    """
    number = float(value)
    if not math.isfinite(number):
        return None
    if float(np.round(number, MONEY_SCALE)) == number:
        return number
    return float(decimal.Decimal(repr(number)).quantize(_MONEY_QUANTUM, rounding=decimal.ROUND_HALF_UP))


def _cast_for(kind: object):
    """Coerce values to the column's type so PostgreSQL and SQLite store the same thing."""
    def keep_none(convert):
        return lambda value: None if value is None else convert(value)
    if isinstance(kind, (String, Text)):
        return keep_none(str)
    if isinstance(kind, Boolean):
        return keep_none(_as_bool)
    if isinstance(kind, Integer):
        return keep_none(lambda v: int(float(v)) if v != "" else None)
    if isinstance(kind, Float):
        return keep_none(lambda v: float(v) if v != "" else None)
    if isinstance(kind, Numeric):
        return keep_none(lambda v: _as_money(v) if v != "" else None)
    if isinstance(kind, DateTime):
        return keep_none(_as_timestamp)
    if isinstance(kind, Date):
        return keep_none(_as_date)
    return lambda value: value


_MAX_EXACT_INT = 2 ** 53  # integers up to here survive the int(float(v)) of `_cast_for` unchanged


def _table_columns(name: str, run_date: dt.date, frame: pd.DataFrame) -> dict[str, list]:
    """{column: values} for one table, ``run_date`` first, each value cast to its column's type.

    The values are exactly those of ``_cast_for(kind)(_python_value(cell))``
    cell by cell, computed a column at a time (see `_column_values`).
    """
    columns = TABLE_COLUMNS[name]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"table {name}: frame lacks columns {missing}")
    values = {"run_date": [run_date] * len(frame)}
    for column, kind in columns.items():
        values[column] = _column_values(frame[column], kind)
    return values


def _column_values(series: pd.Series, kind: object) -> list:
    """One column as the Python values the database gets: None for missing, else cast to `kind`.

    Plain numpy columns (numbers, booleans) and pandas' text columns are
    converted with vectorised operations; anything else (object columns of
    mixed values, nullable extension types) goes value by value through the
    same `_python_value` and `_cast_for` as always, so the result is the same.
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        converted = _numeric_values(series.to_numpy(), kind)
        if converted is not None:
            return converted
    elif isinstance(dtype, pd.StringDtype) and isinstance(kind, (String, Text)):
        # str cells stay as they are (str(s) is s), missing cells become None
        return series.to_numpy(dtype=object, na_value=None).tolist()
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcO":
        cells = series.to_numpy().tolist()  # the Python scalars iterating the column would give
    else:
        cells = list(series)
    cast = _cast_for(kind)
    return [cast(_python_value(value)) for value in cells]


def _numeric_values(array: np.ndarray, kind: object) -> list | None:
    """Vectorised `_cast_for` for a numpy bool/int/float column; None where only the cell-by-cell path
    gives the same result (huge integers, infinities into an Integer column, numbers into text)."""
    if isinstance(kind, Float):
        floats = array.astype(np.float64)
        return _none_where(floats, np.isnan(floats))
    if isinstance(kind, Numeric):   # 万元: as `_as_money`, the decimal rounding only where needed
        floats = array.astype(np.float64)
        values = _none_where(floats, ~np.isfinite(floats))
        rounded = np.round(floats, MONEY_SCALE)
        for position in np.flatnonzero(np.isfinite(floats) & (rounded != floats)).tolist():
            values[position] = _as_money(values[position])
        return values
    if isinstance(kind, Integer):
        if array.dtype.kind == "f":
            missing = np.isnan(array)
            present = array[~missing]
            if not np.isfinite(present).all() or (np.abs(present) >= _MAX_EXACT_INT).any():
                return None
            return _none_where(np.trunc(np.where(missing, 0.0, array)).astype(np.int64), missing)
        if array.dtype.kind in "iu" and array.size and np.abs(array.astype(np.float64)).max() >= _MAX_EXACT_INT:
            return None
        return array.astype(np.int64).tolist()
    if isinstance(kind, Boolean):
        if array.dtype.kind == "f":
            missing = np.isnan(array)
            return _none_where(array != 0, missing)
        return (array != 0).tolist()
    return None


def _none_where(array: np.ndarray, missing: np.ndarray) -> list:
    """`array` as a list of Python scalars with None where `missing`."""
    values = array.tolist()
    if missing.any():
        for position in np.flatnonzero(missing).tolist():
            values[position] = None
    return values


def _bulk_insert(connection, table: Table, columns: dict[str, list]) -> None:
    """Insert one table's rows ({column: values}, already cast) in one bulk statement."""
    dialect = connection.dialect
    if dialect.name == "sqlite":
        connection.exec_driver_sql(_insert_sql(table, list(columns), dialect), _bound_rows(table, columns, dialect))
    elif dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_rows(connection, table, list(columns), _bound_rows(table, columns, dialect))
    else:  # another driver: SQLAlchemy's own executemany / insertmanyvalues batching
        names = list(columns)
        connection.execute(table.insert(), [dict(zip(names, row)) for row in zip(*columns.values())])


def _bound_rows(table: Table, columns: dict[str, list], dialect) -> list[tuple]:
    """Row tuples as the DBAPI gets them: each column through the dialect's bind processor, as
    SQLAlchemy itself applies it (dates as text on SQLite, booleans checked), a column at a time."""
    values = []
    for column, column_values in columns.items():
        process = table.c[column].type._cached_bind_processor(dialect)
        if process is None:
            values.append(column_values)
        elif column == "run_date":  # one date repeated: process it once
            values.append([process(column_values[0])] * len(column_values))
        else:
            values.append(list(map(process, column_values)))
    return list(zip(*values))


def _insert_sql(table: Table, columns: list[str], dialect) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)`` in the driver's parameter style."""
    preparer = dialect.identifier_preparer
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(preparer.quote(column) for column in columns)
    return (f"INSERT INTO {preparer.format_table(table)} ({names}) "
            f"VALUES ({', '.join([placeholder] * len(columns))})")


def _copy_rows(connection, table: Table, columns: list[str], rows: list[tuple]) -> None:
    """PostgreSQL: stream `rows` with psycopg 3's COPY, inside the connection's open transaction.

    A database error is raised as SQLAlchemy's (``DataError``, ``IntegrityError`` ...), the
    same as an INSERT through SQLAlchemy would raise it.
    """
    dialect = connection.dialect
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(column) for column in columns)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    driver_connection = connection.connection.driver_connection
    try:
        with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error,
                                  dialect=dialect) from error


def _as_bool(value: object) -> bool | None:
    if isinstance(value, str):
        if value.strip() == "":
            return None
        return value.strip().lower() in {"true", "1", "是", "yes"}
    return bool(value)


def _redact(url: str) -> str:
    """Hide a password in a URL before it is shown anywhere."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"
