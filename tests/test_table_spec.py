"""The one table specification (industry_gap/tables.py): the warehouse, the column lists and docs/tables.md
all come from it, and a column it does not declare cannot slip into the warehouse as text."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pandas as pd
import pytest
from sqlalchemy import Float, inspect

from industry_gap import schema, tables
from industry_gap.tables import DOCS_PATH, FLOAT, INTEGER, TABLES, TEXT, Column, TableSpec, render_markdown
from industry_gap.warehouse import (
    CLASSIFICATION_COLUMNS,
    NATURAL_KEYS,
    TABLE_COLUMNS,
    TABLE_COMMENTS,
    UnknownColumnError,
    Warehouse,
    column_comment,
    sql_type,
)
from tests.conftest import REPO_ROOT

DAY = dt.date(2026, 11, 20)


def registry(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        row: dict[str, object] = {column: "" for column in schema.REGISTRY_COLUMNS}  # as ingestion makes it
        row.update(
            uscc=f"91150602MA0{i:07d}",
            name=f"企业{i}",
            scope="羊绒制品加工",
            revenue_wan=1.5,
            registered_capital_wan=None,
            revenue_prev_wan=None,
            employees=3.0,
            source_row=i + 2,
            main_activity="羊绒衫加工",
            legal_representative="张三",
        )
        rows.append(row)
    return pd.DataFrame(rows)


# -- docs ----------------------------------------------------------------------------
def test_committed_docs_equal_what_the_spec_generates():
    committed = (REPO_ROOT / DOCS_PATH).read_text(encoding="utf-8")
    assert committed == render_markdown(), "docs/tables.md is out of date: run python scripts/build_table_docs.py"


def test_the_docs_script_checks_and_describes_every_table_and_column():
    result = subprocess.run(
        [sys.executable, "scripts/build_table_docs.py", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    text = render_markdown()
    for table in (*TABLES.values(), tables.META):
        assert f"## {table.name}：{table.label_zh}" in text
        assert table.description_zh in text
        for column in table.table_columns:
            assert f"| `{column.db_name}` | {column.type.sql} |" in text


# -- the warehouse reads the spec ---------------------------------------------------------
def test_the_warehouse_tables_are_the_spec():
    assert list(TABLE_COLUMNS) == list(TABLES)
    for name, table in TABLES.items():
        assert list(TABLE_COLUMNS[name]) == table.column_names
        for column in table.stored_columns:
            kind = TABLE_COLUMNS[name][column.name]
            assert type(kind) is type(sql_type(column.type)), f"{name}.{column.name}"
            assert repr(kind) == repr(sql_type(column.type))
        assert NATURAL_KEYS[name] == table.natural_key
        assert TABLE_COMMENTS[name] == table.description_zh
        for column in table.table_columns:
            assert column_comment(name, column.name) == column.description_zh
    assert TABLES["classifications"].column_names == CLASSIFICATION_COLUMNS


def test_types_come_from_the_spec_not_from_column_names():
    """Before the spec, a name rule made `*_ratio` a float and `share` text; now the declared type decides."""
    assert isinstance(TABLE_COLUMNS["candidates"]["revenue_ratio"], Float)
    spec = TableSpec(
        "example", "示例", "示例表", columns=(Column("share", FLOAT, "占比"), Column("revenue_ratio", TEXT, "说明文字"))
    )
    assert isinstance(sql_type(spec.column("share").type), Float)
    assert not isinstance(sql_type(spec.column("revenue_ratio").type), Float)


def test_an_unknown_column_is_refused_before_anything_is_written(tmp_path):
    store = Warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}")
    store.replace_run(DAY, {"registry": registry(2)})
    with pytest.raises(UnknownColumnError, match=r"table registry: columns \['share'\].*industry_gap/tables.py"):
        store.replace_run(DAY, {"registry": registry(3).assign(share=0.25)})
    assert store.count("registry", DAY) == 2  # the earlier rows are untouched
    progress = pd.DataFrame([{column: None for column in TABLE_COLUMNS["progress"]}]).assign(
        scope="all", level="class", share=0.5
    )
    with pytest.raises(UnknownColumnError, match="share"):
        store.replace_run(DAY, {"progress": progress})
    with pytest.raises(ValueError, match="share"):  # a ValueError, as the other programming errors
        Warehouse._records("registry", DAY, registry(1).assign(share=1))
    store.dispose()


def test_columns_the_spec_leaves_out_are_accepted_and_not_stored(database_url):
    store = Warehouse(database_url)
    store.replace_run(DAY, {"registry": registry(3)})
    frame = store.read("registry", DAY)
    assert list(frame.columns) == ["run_date", *TABLES["registry"].column_names]
    assert "legal_representative" not in frame.columns and "main_activity" not in frame.columns
    names = {column["name"] for column in inspect(store.engine).get_columns("registry", schema=store.schema)}
    assert names == {"id", "run_date", *TABLES["registry"].column_names}
    store.dispose()


# -- the column lists elsewhere agree with the spec ------------------------------------------
def test_the_input_column_lists_are_the_spec():
    assert TABLES["registry"].frame_columns == schema.REGISTRY_COLUMNS
    assert [c for c in schema.REGISTRY_COLUMNS if c not in TABLE_COLUMNS["registry"]] == [
        "main_activity",
        "legal_representative",
    ]
    assert {
        name: TABLES[name].frame_columns for name in ("registry", "above_scale", "targets", "projects")
    } == schema.DATASET_COLUMNS
    assert schema.DATASET_LABELS == {
        "registry": "规下企业名录",
        "above_scale": "规上工业企业名录",
        "targets": "扩增门类目标清单",
        "projects": "项目清单",
    }
    assert TABLES["quarantine"].column_names == schema.QUARANTINE_COLUMNS
    assert TABLES["set_aside"].column_names == schema.SET_ASIDE_COLUMNS


def test_the_analysis_frames_have_the_spec_columns():
    """The steps build their frames from the spec's column lists (`TABLES[name].frame_columns`); a module
    that writes its own list again must keep it equal to the spec."""
    from industry_gap.changes import CHANGE_COLUMNS
    from industry_gap.coverage import BASELINE_COLUMNS, COVERAGE_COLUMNS, ENTERPRISE_CODE_COLUMNS, PROGRESS_COLUMNS
    from industry_gap.entry_pipeline import CANDIDATE_COLUMNS
    from industry_gap.exports.publishing import MANIFEST_COLUMNS
    from industry_gap.gaps import GAP_COLUMNS, PROJECT_COLUMNS_ASSESSED, REVIEW_COLUMNS
    from industry_gap.review.columns import OVERRIDE_COLUMNS
    from industry_gap.rewards import REWARD_COLUMNS

    lists = {
        "enterprise_codes": ENTERPRISE_CODE_COLUMNS,
        "coverage": COVERAGE_COLUMNS,
        "baseline": BASELINE_COLUMNS,
        "progress": PROGRESS_COLUMNS,
        "gaps": GAP_COLUMNS,
        "project_assessment": PROJECT_COLUMNS_ASSESSED,
        "candidates": CANDIDATE_COLUMNS,
        "rewards": REWARD_COLUMNS,
        "review_list": REVIEW_COLUMNS,
        "changes": CHANGE_COLUMNS,
        "overrides": OVERRIDE_COLUMNS,
        "export_manifest": MANIFEST_COLUMNS,
    }
    for name, columns in lists.items():
        assert list(columns) == TABLES[name].frame_columns, name


# -- the spec itself ----------------------------------------------------------------------
def test_every_column_has_a_chinese_description_and_the_keys_are_not_null():
    for table in (*TABLES.values(), tables.META):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in table.label_zh + table.description_zh), table.name
        for column in (*table.table_columns, *table.columns):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in column.description_zh), f"{table.name}.{column.name}"
            assert "尚无说明" not in column.description_zh
    for table in TABLES.values():  # NOT NULL: id, run_date and the natural key; nothing else
        not_null = [column.name for column in table.table_columns if not column.nullable]
        assert not_null == ["id", "run_date", *(c for c in table.column_names if c in table.natural_key)], table.name
    assert [column.nullable for column in tables.META.columns] == [False, False]
    assert [name for name, table in TABLES.items() if table.input_dataset] == list(schema.DATASET_LABELS)


def test_a_malformed_spec_is_refused():
    with pytest.raises(ValueError, match="twice"):
        TableSpec("t", "表", "表", columns=(Column("a", TEXT, "甲"), Column("a", INTEGER, "乙")))
    with pytest.raises(ValueError, match="natural key"):
        TableSpec("t", "表", "表", columns=(Column("a", TEXT, "甲"),), natural_key=("b",))
    with pytest.raises(ValueError, match="natural key"):
        TableSpec("t", "表", "表", columns=(Column("a", TEXT, "甲", stored=False),), natural_key=("a",))
    with pytest.raises(ValueError, match="run_date"):
        TableSpec("t", "表", "表", columns=(Column("run_date", TEXT, "甲"),))
    with pytest.raises(ValueError, match="unknown column type"):
        tables.ColumnType("share")
    with pytest.raises(ValueError, match="length"):
        tables.ColumnType("string")
    key = TableSpec("t", "表", "表", columns=(Column("a", TEXT, "甲"), Column("b", TEXT, "乙")), natural_key=("b",))
    assert [column.nullable for column in key.columns] == [True, False]  # the key's columns are NOT NULL
