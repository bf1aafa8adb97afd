"""One vocabulary in the warehouse (issue 26, item 5): no SQL reserved words as column names, NULL for a
missing text value, a documented level lookup; a warehouse made by the previous release is upgraded in place
(rows and history kept) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from industry_gap import tables as spec
from industry_gap.warehouse import META_TABLE, SCHEMA_VERSION, Warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
PREVIOUS_RELEASE = "0e34218053edd7c97b354b90a89ddc9a035c64d7"  # the last commit with schema version 2
DAY = dt.date(2026, 10, 20)
# SQL:2016 / PostgreSQL reserved words a column must not be named (it would need quoting in every query)
RESERVED = {"all", "and", "column", "group", "order", "select", "table", "user", "where", "from", "to", "check"}

# Written by the previous release: two rows a table, the second with every free-text cell empty.
WRITE_WITH_THE_PREVIOUS_RELEASE = r"""
import datetime as dt, sys
import industry_gap.warehouse as w
import pandas as pd
from sqlalchemy import types as T
assert w.SCHEMA_VERSION == 2, w.__file__

def cell(name, column, kind, i):
    if column in w.NATURAL_KEYS[name]:
        return f"{column}{i}" if isinstance(kind, (T.String, T.Text)) else i
    if isinstance(kind, T.Boolean): return i == 0
    if isinstance(kind, T.DateTime): return "2026-10-20T08:00:00+00:00"
    if isinstance(kind, T.Date): return "2026-10-20"
    if isinstance(kind, (T.Integer, T.Float, T.Numeric)): return i + 1
    if column == "level": return "group"
    return "" if i else f"{column}-value"

frames = {
    name: pd.DataFrame([{c: cell(name, c, k, i) for c, k in w.TABLE_COLUMNS[name].items()} for i in range(2)])
    for name in ("coverage", "quarantine", "candidates")
}
store = w.Warehouse(sys.argv[1])
store.replace_run(dt.date(2026, 10, 20), frames)
store.dispose()
"""


def previous_release(tmp_path: Path) -> Path:
    """The previous release's packages, from git (skipped where the history is not there)."""
    try:
        archive = subprocess.run(
            ["git", "archive", PREVIOUS_RELEASE, "industry_gap", "reference", "classifiers"],
            cwd=REPO_ROOT,
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the previous release is not in this checkout's git history (a shallow clone)")
    folder = tmp_path / "previous_release"
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def test_no_column_is_a_reserved_word_and_the_levels_are_documented():
    for table in (*spec.TABLES.values(), spec.META, spec.LEVELS):
        for column in table.table_columns:
            assert column.db_name.lower() not in RESERVED, (table.name, column.db_name)
    assert spec.LEVEL_NAMES == {"section": "门类", "division": "大类", "group": "中类", "class": "小类", "none": None}
    assert "## levels：层级名称" in spec.render_markdown()


def test_one_name_for_one_concept():
    """A column described alike in two tables has one name (e.g. 上年营业收入 is revenue_prev_wan everywhere)."""
    names: dict[str, set[str]] = {}
    for table in spec.TABLES.values():
        for column in table.stored_columns:
            names.setdefault(column.description_zh, set()).add(column.db_name)
    assert {d: n for d, n in names.items() if len(n) > 1} == {}


def test_a_previous_release_warehouse_is_upgraded_in_place(tmp_path, database_url):
    old_code = previous_release(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(old_code)}
    done = subprocess.run(
        [sys.executable, "-c", WRITE_WITH_THE_PREVIOUS_RELEASE, database_url],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr

    store = Warehouse(database_url)
    store.ensure_schema()
    assert any("表结构版本 3" in note for note in store.migrated)
    engine = create_engine(store.url)
    schema = store.schema if store.dialect == "postgresql" else None
    prefix = f'"{schema}".' if schema else ""
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("coverage", schema=schema)}
        assert "group_code" in columns and "group" not in columns
        columns = {c["name"] for c in inspect(engine).get_columns("quarantine", schema=schema)}
        assert "column_name" in columns and "column" not in columns
        with engine.connect() as connection:

            def scalar(sql: str):
                return connection.execute(text(sql.format(p=prefix))).scalar()

            assert scalar("SELECT value FROM {p}" + META_TABLE + " WHERE key = 'schema_version'") == str(SCHEMA_VERSION)
            assert scalar("SELECT count(*) FROM {p}candidates") == 2  # rows kept
            assert scalar("SELECT count(*) FROM {p}candidates WHERE stage = ''") == 0
            assert scalar("SELECT count(*) FROM {p}candidates WHERE stage IS NULL") == 1  # '' became NULL
            assert scalar("SELECT group_code FROM {p}coverage WHERE code = 'code0'") == "group-value"
            assert scalar("SELECT count(*) FROM {p}quarantine WHERE column_name IS NULL") == 1
            assert scalar("SELECT level_name FROM {p}levels WHERE level = 'group'") == "中类"
        # the pipeline reads what it always read: frame names, "" for a missing text value
        coverage = store.read("coverage", DAY)
        assert coverage["group"].tolist() == ["group-value", ""]
        assert store.read("quarantine", DAY)["column"].tolist() == ["column-value", ""]
        assert store.run_dates("candidates") == [DAY]
        # a new run writes NULL, not '', and the upgrade is not repeated
        again = Warehouse(database_url)
        again.ensure_schema()
        assert not again.migrated
        again.dispose()
    finally:
        engine.dispose()
        store.dispose()
