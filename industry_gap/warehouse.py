"""The warehouse: every run's tables, keyed by run date, in SQLite or PostgreSQL.

One run writes all its tables in one transaction; writing the same run date
again replaces that date's rows, so re-runs are idempotent and a failed
write leaves the previous rows untouched.

On PostgreSQL the tables live in their own schema (``industry_gap`` unless
``--db-schema`` says otherwise, or the database URL sets a ``search_path``),
with typed columns (``NUMERIC`` for 万元 amounts, ``DATE`` for dates), a
natural key per table (run date + USCC, code, ...) and a Chinese
``COMMENT ON`` for every table and column. SQLite has no schemas: the
setting is ignored there, the same columns, keys and types are used. Every
table, column, type, key and comment comes from the table specification in
`industry_gap.tables`.

A warehouse written by an older version (varchar dates, no natural keys, in
``public`` or in the same place) is migrated on first use: its rows are
copied into the new typed tables in one transaction (see `_migrate_legacy`);
if they do not fit (a duplicate natural key, a date that is not a date), the
run stops with a Chinese message saying what to do.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import logging
import math
import os
import re
import time
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import SupportsFloat

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.types import TypeEngine

from industry_gap import tables as spec
from industry_gap.errors import UserError
from industry_gap.failpoints import WAREHOUSE_BEFORE_COMMIT, failpoint

log = logging.getLogger(__name__)

DEFAULT_DATABASE_NAME = "industry_gap.sqlite"
DEFAULT_SCHEMA = "industry_gap"  # PostgreSQL schema of the tables (`--db-schema`)
WRITER_LOCK_KEY = 4754_2017  # PostgreSQL advisory lock id shared by every industry-gap writer
SCHEMA_VERSION = 3  # 1 = untyped tables without natural keys (before the typed schema); 2 = before issue 26:
# columns named group / column (SQL reserved words) and '' stored for a missing text value
META_TABLE = spec.META.name
DISTRICT_KEY = "district"  # meta key: the district whose runs the database holds (`Warehouse.claim_district`)
LEGACY_SCHEMA = "public"  # where versions before the typed schema put their tables
MONEY_SCALE = spec.MONEY_SCALE


def sql_type(kind: spec.ColumnType) -> TypeEngine:
    """The SQLAlchemy type of a spec type; the same on SQLite and PostgreSQL."""
    if kind.kind == "string":
        return String(kind.length)
    if kind.kind == "money":  # read back as float, as before the typed schema
        return Numeric(spec.MONEY_PRECISION, spec.MONEY_SCALE, asdecimal=False)
    if kind.kind == "timestamp":
        return DateTime(timezone=True)
    return {"text": Text, "integer": Integer, "bigint": BigInteger, "float": Float, "boolean": Boolean, "date": Date}[
        kind.kind
    ]()


# Views of the table specification (industry_gap.tables) in the shapes the warehouse code uses.
# {table: {column: SQLAlchemy type}} of the stored columns; "id" and "run_date" are added to each.
TABLE_COLUMNS: dict[str, dict[str, TypeEngine]] = {
    name: {column.name: sql_type(column.type) for column in table.stored_columns} for name, table in spec.TABLES.items()
}
# The natural key of each table besides run_date: unique per run date, NOT NULL. An empty tuple
# means the rows have none and the surrogate id is their only key (said in the table's comment).
NATURAL_KEYS: dict[str, tuple[str, ...]] = {name: table.natural_key for name, table in spec.TABLES.items()}
# Chinese comments (COMMENT ON TABLE / COLUMN on PostgreSQL): every table, every column.
TABLE_COMMENTS: dict[str, str] = {name: table.description_zh for name, table in spec.TABLES.items()}
META_TABLE_COMMENT = spec.META.description_zh
CLASSIFICATION_COLUMNS = spec.TABLES["classifications"].column_names
# Frame names stored under another name ({table: {frame name: database name}}): no SQL reserved words.
STORED_AS: dict[str, dict[str, str]] = {
    name: {c.name: c.db_name for c in table.stored_columns if c.db_name != c.name}
    for name, table in spec.TABLES.items()
}
# Nullable text columns: a missing value is stored as NULL (read back as "" as before).
TEXT_COLUMNS: dict[str, list[str]] = {
    name: [c.name for c in table.stored_columns if c.nullable and c.type.kind in ("text", "string")]
    for name, table in spec.TABLES.items()
}


# The same comments as two maps (kept for callers of the former layout): id and run_date, which every
# table has, and every other column per table. `column_comment` is the one to use.
COLUMN_COMMENTS: dict[str, str] = {column.name: column.description_zh for column in spec.RUN_COLUMNS}
COLUMN_COMMENT_OVERRIDES: dict[str, dict[str, str]] = {
    name: {column.name: column.description_zh for column in table.stored_columns} for name, table in spec.TABLES.items()
}


def column_comment(table: str, column: str) -> str:
    """The Chinese comment of one column of one table: its description in the table specification."""
    return spec.TABLES[table].column(column).description_zh


class UnknownColumnError(ValueError):
    """A frame to be written has a column its table's specification does not declare."""


def check_frame_columns(name: str, frame: pd.DataFrame) -> None:
    """Refuse a frame column the spec does not know, rather than drop it or guess its type from its name."""
    table = spec.TABLES[name]
    known = set(table.frame_columns)
    unknown = [str(column) for column in frame.columns if column not in known]
    if unknown:
        raise UnknownColumnError(
            f"table {name}: columns {unknown} are not in its specification (industry_gap/tables.py); "
            "declare each there with its type and Chinese description (stored=False to leave it out "
            "of the warehouse), then regenerate docs/tables.md"
        )


def _sql_column(column: spec.Column, **options) -> Column:
    """The database column `db_name`, addressed in code by its frame name (SQLAlchemy's key)."""
    return Column(column.db_name, sql_type(column.type), key=column.name, comment=column.description_zh, **options)


def _build_metadata(schema: str | None = None) -> MetaData:
    """Every table (typed columns, natural key, Chinese comments) in `schema` (None = the default)."""
    metadata = MetaData(schema=schema)
    id_column, run_date_column = spec.RUN_COLUMNS
    for name, table in spec.TABLES.items():
        key = table.natural_key
        unique = [UniqueConstraint("run_date", *key, name=f"uq_{name}_run_date_{'_'.join(key)}")] if key else []
        Table(
            name,
            metadata,
            _sql_column(id_column, primary_key=True, autoincrement=True),
            _sql_column(run_date_column, nullable=False, index=not key),  # the key's index starts with run_date
            *(_sql_column(column, nullable=column.nullable) for column in table.stored_columns),
            *unique,
            comment=table.description_zh,
        )
    Table(
        META_TABLE,
        metadata,
        *(
            _sql_column(column, primary_key=True)
            if column.name in spec.META.natural_key
            else _sql_column(column, nullable=column.nullable)
            for column in spec.META.stored_columns
        ),
        comment=spec.META.description_zh,
    )
    Table(
        spec.LEVELS.name,
        metadata,
        *(
            _sql_column(column, primary_key=True)
            if column.name in spec.LEVELS.natural_key
            else _sql_column(column, nullable=column.nullable)
            for column in spec.LEVELS.stored_columns
        ),
        comment=spec.LEVELS.description_zh,
    )
    return metadata


METADATA = _build_metadata()  # unqualified names: SQLite, or PostgreSQL's search_path


@cache
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
        self.migrated: list[str] = []  # Chinese notes of a migration done by ensure_schema
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
        if self.schema and not inspect(connection).has_schema(self.schema):  # CREATE needs the privilege
            quoted = connection.dialect.identifier_preparer.quote_schema(self.schema)
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
        names = set(inspect(connection).get_table_names(schema=self.schema))
        if META_TABLE in names:
            self._check_version(connection)
            self._upgrade_to_3(connection)
            self.metadata.create_all(connection)  # tables added since the warehouse was created
            self._ensure_views(connection)
            return
        if self.dialect == "sqlite":
            # pysqlite runs DDL outside a transaction unless one is open: open it, and hold the write lock
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            names = set(inspect(connection).get_table_names())
            if META_TABLE in names:  # another process finished first
                self._check_version(connection)
                return
        legacy_here = sorted(names & set(TABLE_COLUMNS))
        if legacy_here and _legacy_tables(connection, self.schema) != legacy_here:
            raise UserError(
                f"{self._legacy_place(self.schema)}中已有同名的表（{'、'.join(legacy_here)}），"
                "但不是 industry-gap 写入的，未作改动。请用 --db-schema 指定另一个模式，或换一个数据库"
            )
        legacy_public: list[str] = []
        if (
            not legacy_here
            and self.dialect == "postgresql"
            and self.schema != LEGACY_SCHEMA
            and self.schema_source in ("default", "option")
        ):
            legacy_public = _legacy_tables(connection, LEGACY_SCHEMA)
        if legacy_here:
            self._migrate_legacy(connection, self.schema, legacy_here, in_place=True)
        elif legacy_public:
            self._migrate_legacy(connection, LEGACY_SCHEMA, legacy_public, in_place=False)
        else:
            self.metadata.create_all(connection)
        self._set_meta(connection, "schema_version", str(SCHEMA_VERSION))
        self._ensure_views(connection)

    def _upgrade_to_3(self, connection) -> None:
        """Version 2 → 3 in place, in the caller's transaction (issue 26): the columns named with SQL reserved
        words get their new names, and "" in a nullable text column becomes NULL. Rows, keys and history stay."""
        meta = self.tables[META_TABLE]
        version = connection.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        if version is not None and int(version) >= 3:
            return
        if self.dialect == "sqlite" and not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite runs ALTER outside a transaction otherwise
            version = connection.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
            if version is not None and int(version) >= 3:
                return  # another process upgraded it first
        preparer = connection.dialect.identifier_preparer
        names = set(inspect(connection).get_table_names(schema=self.schema))
        for name, renames in STORED_AS.items():
            if name not in names:
                continue
            table = self.tables[name]
            present = {c["name"] for c in inspect(connection).get_columns(name, schema=self.schema)}
            for old, new in renames.items():
                if old in present and new not in present:
                    connection.execute(
                        text(
                            f"ALTER TABLE {preparer.format_table(table)} "
                            f"RENAME COLUMN {preparer.quote(old)} TO {preparer.quote(new)}"
                        )
                    )
        for name, columns in TEXT_COLUMNS.items():
            if name in names and columns:
                table = self.tables[name]
                for column in columns:
                    connection.execute(update(table).where(table.c[column] == "").values({column: None}))
        self._set_meta(connection, "schema_version", str(SCHEMA_VERSION))
        self._set_meta(connection, "upgraded_from", f"{version}")
        note = f"数据库“{self.display_url}”已升级到表结构版本 {SCHEMA_VERSION}（列名 group→group_code、column→column_name，空文本改存 NULL），数据全部保留"
        self.migrated.append(note)
        log.warning(note)

    def _ensure_views(self, connection) -> None:
        """The level lookup table and the read-only views of `tables.VIEWS`, (re)created when their definitions
        changed."""
        levels = self.tables[spec.LEVELS.name]
        wanted = sorted(spec.LEVEL_NAMES.items())
        stored_levels = sorted(connection.execute(select(levels.c.level, levels.c.level_name)).all())
        if [tuple(row) for row in stored_levels] != wanted:
            connection.execute(delete(levels))
            connection.execute(levels.insert(), [{"level": k, "level_name": v} for k, v in wanted])
        digest = hashlib.sha256("\n".join(f"{v.name}:{v.sql}" for v in spec.VIEWS).encode("utf-8")).hexdigest()[:16]
        meta = self.tables[META_TABLE]
        stored = connection.execute(select(meta.c.value).where(meta.c.key == "views")).scalar()
        existing = set(inspect(connection).get_view_names(schema=self.schema))
        if stored == digest and all(view.name in existing for view in spec.VIEWS):
            return
        preparer = connection.dialect.identifier_preparer
        prefix = f"{preparer.quote_schema(self.schema)}." if self.schema and self.dialect != "sqlite" else ""
        for view in spec.VIEWS:
            connection.execute(text(f"DROP VIEW IF EXISTS {prefix}{view.name}"))
            connection.execute(text(f"CREATE VIEW {prefix}{view.name} AS {view.sql.format(s=prefix)}"))
            if self.dialect == "postgresql":
                comment = view.description_zh.replace("'", "''")
                connection.execute(text(f"COMMENT ON VIEW {prefix}{view.name} IS '{comment}'"))
                for column, description in view.columns:
                    described = description.replace("'", "''")
                    connection.execute(text(f"COMMENT ON COLUMN {prefix}{view.name}.{column} IS '{described}'"))
        self._set_meta(connection, "views", digest)

    def _check_version(self, connection) -> None:
        meta = self.tables[META_TABLE]
        version = connection.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
        if version is not None and int(version) > SCHEMA_VERSION:
            raise UserError(
                f"数据库“{self.display_url}”中的表由更新版本的 industry-gap 创建（表结构版本 {version}，"
                f"本程序为 {SCHEMA_VERSION}）。请升级 industry-gap，或指定另一个 --db-schema / 数据库"
            )

    def _set_meta(self, connection, key: str, value: str) -> None:
        meta = self.tables[META_TABLE]
        if self.dialect in ("postgresql", "sqlite"):
            if self.dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as postgresql_insert

                postgresql_statement = postgresql_insert(meta).values(key=key, value=value)
                connection.execute(
                    postgresql_statement.on_conflict_do_update(index_elements=["key"], set_={"value": value})
                )
            else:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                sqlite_statement = sqlite_insert(meta).values(key=key, value=value)
                connection.execute(
                    sqlite_statement.on_conflict_do_update(index_elements=["key"], set_={"value": value})
                )
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
                    assert isinstance(run_date, dt.date)  # `_as_date` above; the groupby drops None
                    columns = _table_columns(name, run_date, rows)
                    _bulk_insert(connection, table, columns)
                    copied += len(rows)
            self.metadata.create_all(connection)  # tables the old version did not have
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

    def replace_run(self, run_date: dt.date, frames: Mapping[str, pd.DataFrame], retries: int = 5) -> dict[str, int]:
        """Write all `frames` for `run_date` in one transaction, replacing that date's rows.

        Values are converted column by column before the transaction starts
        (a value that does not fit its column fails the run before anything
        is deleted); each table is then written in one bulk statement: the
        DBAPI's ``executemany`` on SQLite, ``COPY ... FROM STDIN`` with
        psycopg 3 on PostgreSQL, SQLAlchemy's batched insert elsewhere. A frame
        column its table's specification does not declare is refused
        (`UnknownColumnError`) before anything is written.
        """
        unknown = set(frames) - set(TABLE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown warehouse tables: {sorted(unknown)}")
        for name, frame in frames.items():
            check_frame_columns(name, frame)
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

    def claim_district(self, district: str) -> None:
        """One district's runs per database: the first run's district (its policy's `district`) claims it.

        Tables are keyed by run date, not district, so a second district's run of the same date
        would replace the first's rows (and, in one output folder, its workbooks) without a word.
        A run of another district is refused, naming the district that holds the database. The
        claim is an insert into the meta table, so of two runs starting together exactly one wins.
        """
        self.ensure_schema()
        meta = self.tables[META_TABLE]
        query = select(meta.c.value).where(meta.c.key == DISTRICT_KEY)
        try:
            with self.engine.begin() as connection:
                held = connection.execute(query).scalar()
                if held is None:
                    connection.execute(meta.insert().values(key=DISTRICT_KEY, value=district))
                    return
        except IntegrityError:  # another run claimed it between our read and insert
            with self.engine.connect() as connection:
                held = connection.execute(query).scalar()
        if held != district:
            raise UserError(
                f"数据库“{self.display_url}”保存的是“{held}”的运行结果，本次运行的政策文件是“{district}”的："
                "不同区县写入同一输出目录或数据库会互相覆盖，本次运行已停止。请为每个区县使用单独的输出目录"
                "（--output）和数据库，或把各区县的名录放进一个全市目录后用 industry-gap city 运行"
            )

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
        check_frame_columns(name, frame)
        columns = _table_columns(name, run_date, frame)
        return [dict(zip(columns, row)) for row in zip(*columns.values())]

    def _has_table(self, name: str) -> bool:
        """Whether the table exists; an older layout is migrated first (reads see the typed tables)."""
        if not self._ready:
            if inspect(self.engine).has_table(META_TABLE, schema=self.schema):
                self._ready = True  # the current layout: reading takes no lock
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
    return sorted(
        name for name in names if "run_date" in {c["name"] for c in inspector.get_columns(name, schema=schema)}
    )


def _legacy_message(where: str, store: Warehouse, problem: str) -> str:
    """What a user whose old warehouse cannot be migrated should do."""
    if store.dialect == "sqlite":
        remedy = "请将该文件改名备份后重新运行（将新建数据库），或修正上述数据后重试"
    else:
        remedy = "请修正上述数据后重试，或用 --db-schema 指定一个新的模式从空库开始（旧表保持不变，可用 psql 查看）"
    return (
        f"{where}中的表是旧版本格式（日期为文本、金额为浮点数、无唯一键），自动迁移到新表结构失败：{problem}。{remedy}"
    )


def _as_before(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Typed values back to what the pipeline used: ISO date text ("" when empty), UTC ISO timestamps,
    frame column names, "" for a missing text value (stored as NULL)."""
    renamed = {db: column for column, db in STORED_AS[name].items()}
    if renamed:
        frame = frame.rename(columns=renamed)
    for column in TEXT_COLUMNS[name]:
        if column in frame.columns:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    for column, kind in TABLE_COLUMNS[name].items():
        if column not in frame.columns:
            continue
        if isinstance(kind, DateTime):
            frame[column] = [_iso_timestamp(value) for value in frame[column]]
        elif isinstance(kind, Date):
            frame[column] = [
                value.isoformat() if isinstance(value, dt.date) else ("" if _missing(value) else str(value))
                for value in frame[column]
            ]
    return frame


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _iso_timestamp(value: object) -> str:
    if _missing(value):
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)  # a DateTime column read back: datetime or pandas Timestamp
    if value.tzinfo is None:  # SQLite keeps no offset: stored as UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


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
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


_MONEY_QUANTUM = decimal.Decimal(1).scaleb(-MONEY_SCALE)


def _as_money(value: str | SupportsFloat) -> float | None:
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


_MAX_EXACT_INT = 2**53  # integers up to here survive the int(float(v)) of `_cast_for` unchanged


def _table_columns(name: str, run_date: dt.date, frame: pd.DataFrame) -> dict[str, list]:
    """{column: values} for one table, ``run_date`` first, each value cast to its column's type.

    The values are exactly those of ``_cast_for(kind)(_python_value(cell))``
    cell by cell, computed a column at a time (see `_column_values`).
    """
    columns = TABLE_COLUMNS[name]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"table {name}: frame lacks columns {missing}")
    values: dict[str, list] = {"run_date": [run_date] * len(frame)}
    for column, kind in columns.items():
        values[column] = _column_values(frame[column], kind)
    for column in TEXT_COLUMNS[name]:  # one spelling of "missing": NULL, never ""
        values[column] = [None if value == "" else value for value in values[column]]
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
        # pandas-stubs do not allow na_value=None, which pandas accepts
        return series.to_numpy(dtype=object, na_value=None).tolist()  # type: ignore[call-overload]
    cells = (
        series.to_numpy().tolist()  # the Python scalars iterating the column would give
        if isinstance(dtype, np.dtype) and dtype.kind in "biufcO"
        else list(series)
    )
    cast = _cast_for(kind)
    return [cast(_python_value(value)) for value in cells]


def _numeric_values(array: np.ndarray, kind: object) -> list | None:
    """Vectorised `_cast_for` for a numpy bool/int/float column; None where only the cell-by-cell path
    gives the same result (huge integers, infinities into an Integer column, numbers into text)."""
    if isinstance(kind, Float):
        floats = array.astype(np.float64)
        return _none_where(floats, np.isnan(floats))
    if isinstance(kind, Numeric):  # 万元: as `_as_money`, the decimal rounding only where needed
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
    names = ", ".join(preparer.quote(table.c[column].name) for column in columns)
    return f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({', '.join([placeholder] * len(columns))})"


def _copy_rows(connection, table: Table, columns: list[str], rows: list[tuple]) -> None:
    """PostgreSQL: stream `rows` with psycopg 3's COPY, inside the connection's open transaction.

    A database error is raised as SQLAlchemy's (``DataError``, ``IntegrityError`` ...), the
    same as an INSERT through SQLAlchemy would raise it.
    """
    dialect = connection.dialect
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(table.c[column].name) for column in columns)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    driver_connection = connection.connection.driver_connection
    try:
        with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error, dialect=dialect) from error


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
