"""The typed warehouse schema: its own PostgreSQL schema, NUMERIC money, DATE dates, natural keys, Chinese comments,
and the migration of a warehouse written by an older version (on SQLite and the real PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    inspect,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeEngine

from industry_gap.errors import UserError
from industry_gap.tables import LEVELS, VIEWS
from industry_gap.warehouse import (
    DEFAULT_SCHEMA,
    META_TABLE,
    NATURAL_KEYS,
    SCHEMA_VERSION,
    STORED_AS,
    TABLE_COLUMNS,
    TABLE_COMMENTS,
    LegacyWarehouseError,
    Warehouse,
    column_comment,
    resolve_schema,
)
from tests.conftest import POSTGRES_URL, REPO_ROOT, _drop_schema
from tests.factories import service_unavailable

DAY = dt.date(2026, 11, 20)
EARLIER = dt.date(2026, 10, 20)


# -- frames ---------------------------------------------------------------------
def registry(n: int, start: int = 0) -> pd.DataFrame:
    rows = []
    for i in range(start, start + n):
        row: dict[str, object] = {col: "" for col in TABLE_COLUMNS["registry"]}
        row.update(
            uscc=f"91150602MA0{i:07d}",
            name=f"企业{i}",
            scope="羊绒制品加工",
            status="存续",
            established=["2019-05-03", ""][i % 2],
            registered_capital_wan=1234.56785,
            revenue_wan=float(i) * 10.5,
            revenue_prev_wan=float("nan"),
            employees=3.0,
            source_row=i + 2,
        )
        rows.append(row)
    return pd.DataFrame(rows)


def manifest() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "month": "2026-11",
                "token": "t1",
                "file": f"{name}.xlsx",
                "bytes": 5_000_000_000,
                "sha256": "0" * 64,
                "committed_at": "2026-11-20T04:46:22.395009+00:00",
            }
            for name in ("汇总", "复核清单_2026-11")
        ]
    )


def progress() -> pd.DataFrame:
    rows = []
    for scope in ("all", "above"):
        row: dict[str, object] = {col: "" for col in TABLE_COLUMNS["progress"]}
        row.update(
            scope=scope,
            level="class",
            standard_nodes=666,
            goal=5,
            completion_ratio=0.4,
            deadline="2025-12-31",
            baseline_date="2022-06-30",
            days_left=-324,
        )
        rows.append(row)
    return pd.DataFrame(rows)


# -- databases ------------------------------------------------------------------
def _admin(statement: str, url: str = POSTGRES_URL) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    except Exception as error:
        service_unavailable(f"PostgreSQL at {POSTGRES_URL}", error)
    finally:
        engine.dispose()


@pytest.fixture
def pg_schema():
    """A schema name of our own (the warehouse creates it); dropped afterwards."""
    name = f"ig_schema_test_{uuid.uuid4().hex[:10]}"
    _admin("SELECT 1")
    try:
        yield name
    finally:
        _drop_schema(name)


@pytest.fixture
def pg_database():
    """A database of our own, for tests that put old-layout tables in `public`."""
    name = f"ig_mig_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _columns(store: Warehouse, table: str) -> dict[str, dict]:
    with store.engine.connect() as connection:
        rows = (
            connection.execute(
                text(
                    "SELECT column_name, data_type, numeric_precision, numeric_scale, is_nullable "
                    "FROM information_schema.columns WHERE table_schema = :s AND table_name = :t"
                ),
                {"s": store.schema, "t": table},
            )
            .mappings()
            .all()
        )
    return {row["column_name"]: dict(row) for row in rows}


# -- PostgreSQL: schema, types, comments ------------------------------------------
@pytest.mark.postgres
def test_tables_live_in_their_own_schema_with_typed_columns(pg_schema):
    store = Warehouse(POSTGRES_URL, schema=pg_schema)
    store.replace_run(DAY, {"registry": registry(3), "export_manifest": manifest(), "progress": progress()})
    with store.engine.connect() as connection:
        tables = set(
            connection.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": pg_schema}
            ).scalars()
        )
        in_public = set(
            connection.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            ).scalars()
        )
    assert tables == {*TABLE_COLUMNS, META_TABLE, LEVELS.name, *(view.name for view in VIEWS)}  # and the BI views
    assert not (in_public & set(TABLE_COLUMNS))

    columns = _columns(store, "registry")
    assert columns["run_date"]["data_type"] == "date"
    assert columns["established"]["data_type"] == "date"
    for money in ("registered_capital_wan", "revenue_wan", "revenue_prev_wan"):
        assert (columns[money]["data_type"], columns[money]["numeric_precision"], columns[money]["numeric_scale"]) == (
            "numeric",
            18,
            4,
        )
    assert columns["employees"]["data_type"] == "integer"
    assert columns["uscc"]["is_nullable"] == "NO"  # part of the natural key
    assert _columns(store, "projects")["signed_date"]["data_type"] == "date"
    assert _columns(store, "projects")["planned_production"]["data_type"] == "date"
    assert _columns(store, "progress")["deadline"]["data_type"] == "date"
    assert _columns(store, "baseline")["baseline_date"]["data_type"] == "date"
    assert _columns(store, "rewards")["amount_wan"]["data_type"] == "numeric"
    assert _columns(store, "overrides")["reviewed_on"]["data_type"] == "date"
    manifest_columns = _columns(store, "export_manifest")
    assert manifest_columns["committed_at"]["data_type"] == "timestamp with time zone"
    assert manifest_columns["bytes"]["data_type"] == "bigint"
    assert _columns(store, "coverage")["n_all"]["data_type"] == "integer"
    assert _columns(store, "gaps")["flagged"]["data_type"] == "boolean"

    with store.engine.connect() as connection:
        stored = connection.execute(
            text(
                f'SELECT established, registered_capital_wan, revenue_prev_wan FROM "{pg_schema}".registry ORDER BY id'
            )
        ).all()
    assert stored[0] == (dt.date(2019, 5, 3), Decimal("1234.5679"), None)  # half up, exact; NaN is NULL
    assert stored[1][0] is None  # "" is NULL
    store.dispose()


@pytest.mark.postgres
def test_every_table_and_column_has_its_chinese_comment(pg_schema):
    store = Warehouse(POSTGRES_URL, schema=pg_schema)
    store.ensure_schema()
    with store.engine.connect() as connection:
        tables = dict(
            connection.execute(
                text(
                    "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
                    "WHERE c.relnamespace = CAST(:s AS regnamespace) AND c.relkind = 'r'"
                ),
                {"s": pg_schema},
            ).all()
        )
        columns = connection.execute(
            text(
                "SELECT c.relname, a.attname, col_description(c.oid, a.attnum) FROM pg_class c "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                "JOIN pg_description d ON d.objoid = c.oid AND d.objsubid = a.attnum "
                "WHERE c.relnamespace = CAST(:s AS regnamespace) AND c.relkind IN ('r', 'v')"
            ),
            {"s": pg_schema},
        ).all()
        all_columns = connection.execute(
            text("SELECT count(*) FROM information_schema.columns WHERE table_schema = :s"), {"s": pg_schema}
        ).scalar()
    assert {name: tables[name] for name in TABLE_COLUMNS} == TABLE_COMMENTS
    assert tables[META_TABLE]
    assert len(columns) == all_columns  # no column without a comment
    commented = {(table, column): comment for table, column, comment in columns}
    assert commented[("registry", "registered_capital_wan")] == "注册资本（万元）"
    assert commented[("rewards", "amount_wan")] == "预计奖励（万元）"
    for name, kinds in TABLE_COLUMNS.items():
        for column in ["id", "run_date", *kinds]:
            stored_as = STORED_AS[name].get(column, column)  # group → group_code, column → column_name
            assert commented[(name, stored_as)] == column_comment(name, column)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in commented[(name, stored_as)])
    store.dispose()


def test_every_table_and_column_has_a_comment_entry():
    """Kept as data next to TABLE_COLUMNS: a new column needs its Chinese comment in COLUMN_COMMENTS."""
    from industry_gap.warehouse import COLUMN_COMMENT_OVERRIDES, COLUMN_COMMENTS

    assert set(TABLE_COMMENTS) == set(TABLE_COLUMNS) == set(NATURAL_KEYS)
    missing = [
        f"{name}.{column}"
        for name, columns in TABLE_COLUMNS.items()
        for column in ["id", "run_date", *columns]
        if column not in COLUMN_COMMENTS and column not in COLUMN_COMMENT_OVERRIDES.get(name, {})
    ]
    assert not missing
    for name, key in NATURAL_KEYS.items():
        assert set(key) <= set(TABLE_COLUMNS[name]), name


def test_schema_setting_resolution():
    assert resolve_schema("sqlite:///x.sqlite", "sqlite", "mine") == (None, "none")  # SQLite: ignored
    url = "postgresql+psycopg://u@h/db"
    assert resolve_schema(url, "postgresql", None) == (DEFAULT_SCHEMA, "default") == ("industry_gap", "default")
    assert resolve_schema(url, "postgresql", "office_2026") == ("office_2026", "option")
    assert resolve_schema(url + "?options=-csearch_path%3Dig_x", "postgresql", None) == ("ig_x", "url")
    assert resolve_schema(url + "?options=-csearch_path%3Dig_x", "postgresql", "mine") == ("mine", "option")
    with pytest.raises(UserError, match="模式名"):
        resolve_schema(url, "postgresql", "Robert'); DROP")
    assert Warehouse("sqlite:///:memory:", schema="ignored").schema is None


# -- both databases: natural keys, idempotency, read contract -----------------------------
def test_natural_keys_reject_a_duplicate_and_keep_the_previous_rows(database_url):
    store = Warehouse(database_url)
    store.replace_run(DAY, {"registry": registry(3), "progress": progress()})
    doubled = pd.concat([registry(2), registry(1)], ignore_index=True)  # the first USCC twice
    with pytest.raises(IntegrityError):
        store.replace_run(DAY, {"registry": doubled})
    assert store.count("registry", DAY) == 3
    twice = pd.concat([progress(), progress().head(1)], ignore_index=True)  # (scope, level) twice
    with pytest.raises(IntegrityError):
        store.replace_run(DAY, {"progress": twice})
    with pytest.raises(IntegrityError):  # a key column may not be NULL
        store.replace_run(DAY, {"registry": registry(1).assign(uscc=None)})
    store.replace_run(EARLIER, {"registry": registry(3)})  # the same USCCs on another day: fine
    assert store.count("registry") == 6
    inspector = inspect(store.engine)
    unique = {tuple(c["column_names"]) for c in inspector.get_unique_constraints("registry", schema=store.schema)}
    assert ("run_date", "uscc") in unique
    for name, key in NATURAL_KEYS.items():
        if key:
            found = {tuple(c["column_names"]) for c in inspector.get_unique_constraints(name, schema=store.schema)}
            assert ("run_date", *(STORED_AS[name].get(c, c) for c in key)) in found, name
    store.dispose()


def test_rewriting_a_run_date_replaces_it_and_reads_back_as_before(database_url):
    store = Warehouse(database_url)
    store.replace_run(DAY, {"registry": registry(5), "export_manifest": manifest(), "progress": progress()})
    store.replace_run(DAY, {"registry": registry(3, start=1), "export_manifest": manifest(), "progress": progress()})
    assert store.count("registry", DAY) == 3
    assert store.count("export_manifest", DAY) == 2
    frame = store.read("registry", DAY)
    assert list(frame["uscc"]) == [f"91150602MA0{i:07d}" for i in (1, 2, 3)]
    assert list(frame["established"]) == ["", "2019-05-03", ""]  # ISO text, "" when empty
    assert frame["registered_capital_wan"].tolist() == [1234.5679] * 3  # floats, 4 decimals
    assert frame["revenue_wan"].tolist() == [10.5, 21.0, 31.5]
    assert frame["revenue_prev_wan"].isna().all()
    assert frame["run_date"].tolist() == [DAY] * 3
    rows = store.read("progress", DAY)
    assert rows["deadline"].tolist() == ["2025-12-31"] * 2
    assert rows["baseline_date"].tolist() == ["2022-06-30"] * 2
    stored = store.read_all("export_manifest")
    assert stored["committed_at"].tolist() == manifest()["committed_at"].tolist()  # the same UTC ISO text
    assert stored["bytes"].tolist() == [5_000_000_000] * 2
    store.dispose()


def test_a_date_that_is_not_a_date_fails_before_anything_is_deleted(database_url):
    store = Warehouse(database_url)
    store.replace_run(DAY, {"registry": registry(2)})
    with pytest.raises(ValueError, match="不是日期"):
        store.replace_run(DAY, {"registry": registry(2).assign(established="2019年5月")})
    assert store.count("registry", DAY) == 2
    store.dispose()


# -- an older warehouse -----------------------------------------------------------
_LEGACY_KIND: dict[type[TypeEngine], TypeEngine] = {
    Numeric: Float(),
    Date: String(10),
    DateTime: String(40),
    BigInteger: Integer(),
}


def legacy_metadata() -> MetaData:
    """The layout before the typed schema: floats for money, varchar dates, no natural keys, no comments."""
    metadata = MetaData()
    for name, columns in TABLE_COLUMNS.items():
        if name == "export_manifest":
            continue  # an older version without it: created by the migration
        kinds = []
        for column, kind in columns.items():
            legacy = next((v for k, v in _LEGACY_KIND.items() if type(kind) is k), kind)
            kinds.append(Column(column, Float() if column == "employees" else legacy))
        Table(
            name,
            metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("run_date", Date, nullable=False, index=True),
            *kinds,
        )
    return metadata


def write_legacy(url: str, *, duplicate: bool = False) -> None:
    metadata = legacy_metadata()
    engine = create_engine(url)
    with engine.begin() as connection:
        metadata.create_all(connection)
        for day, frame in ((EARLIER, registry(4)), (DAY, registry(3))):
            rows = frame.assign(source_row=frame["source_row"].astype(int)).to_dict("records", into=dict)
            if duplicate and day == DAY:
                rows.append(rows[0])
            connection.execute(metadata.tables["registry"].insert(), [{**row, "run_date": day} for row in rows])
        row: dict[str, object] = {col: None for col in TABLE_COLUMNS["progress"]}
        row.update(scope="all", level="class", standard_nodes=666.0, deadline="2025-12-31", baseline_date="")
        connection.execute(metadata.tables["progress"].insert(), [{**row, "run_date": DAY}])
    engine.dispose()


def test_an_older_warehouse_is_migrated_in_place(database_url):
    write_legacy(database_url)
    store = Warehouse(database_url)
    assert store.run_dates("registry") == [EARLIER, DAY]  # reading migrates first
    assert store.migrated and "旧版本表" in store.migrated[0]
    assert store.count("registry", EARLIER) == 4 and store.count("registry", DAY) == 3
    frame = store.read("registry", DAY)
    assert list(frame["established"]) == ["2019-05-03", "", "2019-05-03"]
    assert frame["registered_capital_wan"].tolist() == [1234.5679] * 3
    assert store.read("progress", DAY)["baseline_date"].tolist() == [""]
    inspector = inspect(store.engine)
    assert ("run_date", "uscc") in {
        tuple(c["column_names"]) for c in inspector.get_unique_constraints("registry", schema=store.schema)
    }
    assert "export_manifest" in inspector.get_table_names(schema=store.schema)
    with store.engine.connect() as connection:
        version = connection.execute(text(f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'")).scalar()
    assert version == str(SCHEMA_VERSION)
    store.replace_run(DAY, {"registry": registry(2)})  # and is used as usual afterwards
    assert store.count("registry", DAY) == 2
    store.dispose()
    again = Warehouse(database_url)
    again.ensure_schema()
    assert not again.migrated  # once only
    again.dispose()


def test_an_older_warehouse_that_does_not_fit_is_refused_and_left_as_it_was(database_url):
    write_legacy(database_url, duplicate=True)
    store = Warehouse(database_url)
    with pytest.raises(LegacyWarehouseError) as caught:
        store.ensure_schema()
    assert caught.value.exit_code == 2
    assert "旧版本格式" in caught.value.message and "registry" in caught.value.message
    assert ("--db-schema" if store.dialect == "postgresql" else "改名备份") in caught.value.message
    engine = create_engine(database_url)
    with engine.connect() as connection:  # rolled back: the old tables and rows, no version table
        names = inspect(connection).get_table_names()
        assert META_TABLE not in names and "export_manifest" not in names
        assert connection.execute(text("SELECT count(*) FROM registry")).scalar() == 8
        assert connection.execute(text("SELECT count(*) FROM progress")).scalar() == 1
        assert not inspect(connection).get_unique_constraints("progress")
    engine.dispose()
    store.dispose()


@pytest.mark.postgres
def test_old_tables_in_public_are_copied_into_the_new_schema_and_kept(pg_database):
    write_legacy(pg_database)
    store = Warehouse(pg_database)  # the default schema
    assert store.schema == DEFAULT_SCHEMA
    store.ensure_schema()
    assert store.count("registry", EARLIER) == 4 and store.count("registry", DAY) == 3
    assert "public" in store.migrated[0]
    assert _columns(store, "registry")["established"]["data_type"] == "date"
    engine = create_engine(pg_database)
    with engine.connect() as connection:  # the old tables are untouched
        assert connection.execute(text("SELECT count(*) FROM public.registry")).scalar() == 7
        assert (
            connection.execute(
                text(
                    "SELECT data_type FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = 'registry' AND column_name = 'established'"
                )
            ).scalar()
            == "character varying"
        )
    engine.dispose()
    store.dispose()


def test_tables_of_the_same_names_that_are_not_ours_are_left_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE targets (name TEXT)"))
        connection.execute(text("INSERT INTO targets VALUES ('别人的表')"))
    with pytest.raises(UserError, match="不是 industry-gap 写入的"):
        Warehouse(url).ensure_schema()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM targets")).scalar() == "别人的表"
    engine.dispose()


def test_a_newer_warehouse_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    store = Warehouse(url)
    store.ensure_schema()
    with store.engine.begin() as connection:
        connection.execute(text(f"UPDATE {META_TABLE} SET value = '99' WHERE key = 'schema_version'"))
    with pytest.raises(UserError, match="更新版本"):
        Warehouse(url).ensure_schema()
    store.dispose()


@pytest.mark.slow
def test_the_cli_stops_with_the_chinese_message_and_exit_2(tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    write_legacy(f"sqlite:///{output / 'industry_gap.sqlite'}", duplicate=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--output", str(output)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "旧版本格式" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
