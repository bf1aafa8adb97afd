"""The warehouse: every run's tables, keyed by run date, in SQLite or PostgreSQL.

One run writes all its tables in one transaction; writing the same run date
again replaces that date's rows, so re-runs are idempotent and a failed
write leaves the previous rows untouched.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean, Column, Date, Float, Integer, MetaData, String, Table, Text,
    create_engine, delete, event, func, inspect, select, text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

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

DEFAULT_DATABASE_NAME = "industry_gap.sqlite"
WRITER_LOCK_KEY = 4754_2017  # PostgreSQL advisory lock id shared by every industry-gap writer

# Column types of every table; "run_date" is added to each. Text for free
# text, String for codes. Types are kept simple so SQLite and PostgreSQL agree.
_S, _T, _F, _I, _B = String(64), Text(), Float(), Integer(), Boolean()

TABLE_COLUMNS: dict[str, dict[str, object]] = {
    "registry": {
        "uscc": String(18), "name": _T, "scope": _T, "status": _S, "enterprise_type": _T,
        "established": String(10), "registered_capital_wan": _F, "revenue_wan": _F,
        "revenue_prev_wan": _F, "employees": _F, "town": _T, "industry_code": String(8),
        "source_file": _T, "source_row": _I,  # 法定代表人 is personal data: never stored
    },
    "above_scale": {
        "uscc": String(18), "name": _T, "industry_code": String(8), "revenue_wan": _F,
        "town": _T, "source_file": _T, "source_row": _I,
    },
    "targets": {
        "scope": _S, "code": String(8), "level": _S, "name": _T, "department": _T,
        "target_year": _I, "source_file": _T, "source_row": _I,
    },
    "projects": {
        "project_name": _T, "builder": _T, "uscc": String(18), "investment_wan": _F,
        "stage": _S, "signed_date": String(10), "planned_production": String(10),
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
        "month": String(7), "token": String(32), "file": _T, "bytes": _I, "sha256": String(64),
        "committed_at": String(40),
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
_FLOAT_PATTERN = ("_wan", "_ratio", "_growth", "confidence", "pred_score_")
_INT_COLUMNS = {
    "n_above", "n_below_registry", "n_below_classified", "n_all", "standard_nodes",
    "baseline_present", "current_present", "new_nodes", "lost_nodes", "goal", "remaining",
    "days_left", "rank", "allocation_order",
}


def _typed(columns: list[str]) -> dict[str, object]:
    """Column types for an analysis table, by column name."""
    typed: dict[str, object] = {}
    for column in columns:
        if column in _BOOL_COLUMNS:
            typed[column] = _B
        elif column in _INT_COLUMNS:
            typed[column] = _I
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


def _build_metadata() -> MetaData:
    metadata = MetaData()
    for name, columns in TABLE_COLUMNS.items():
        Table(name, metadata,
              Column("id", Integer, primary_key=True, autoincrement=True),
              Column("run_date", Date, nullable=False, index=True),
              *(Column(col, kind) for col, kind in columns.items()))
    return metadata


METADATA = _build_metadata()


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


class Warehouse:
    """Tables keyed by run date; see the module docstring."""

    def __init__(self, url: str, *, engine: Engine | None = None):
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = engine or create_engine(url, future=True, pool_pre_ping=True)
        except Exception as error:  # bad URL, missing driver
            raise UserError(f"数据库地址“{_redact(url)}”无法使用：{error}") from error
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return _redact(self.url)

    def ensure_schema(self) -> None:
        """Create missing tables; two runs starting together both survive it."""
        for attempt in range(3):
            try:
                with self.engine.begin() as connection:
                    self._serialize_writers(connection)
                    METADATA.create_all(connection)
                return
            except (OperationalError, ProgrammingError, IntegrityError) as error:
                if "already exists" in str(error) or "duplicate" in str(error).lower():
                    continue  # the other run created it first
                if isinstance(error, OperationalError) and attempt == 0 and "locked" in str(error).lower():
                    time.sleep(1)
                    continue
                from industry_gap.environment import explain_environment_error

                explained = explain_environment_error(error, database_url=self.url)
                raise (explained or UserError(f"无法连接数据库“{self.display_url}”：{error.orig}")) from error

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
                        table = METADATA.tables[name]
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

    def read(self, name: str, run_date: dt.date | None = None) -> pd.DataFrame:
        """One table for one run date (the latest when not given); empty when none."""
        table = METADATA.tables[name]
        if not inspect(self.engine).has_table(name):
            return pd.DataFrame(columns=["run_date", *TABLE_COLUMNS[name]])
        with self.engine.connect() as connection:
            if run_date is None:
                run_date = connection.execute(select(func.max(table.c.run_date))).scalar()
            query = select(table).where(table.c.run_date == run_date).order_by(table.c.id)
            frame = pd.read_sql(query, connection)
        return frame.drop(columns=["id"])

    def read_all(self, name: str) -> pd.DataFrame:
        """Every run date's rows of one table (small tables such as the export manifest)."""
        table = METADATA.tables[name]
        if not inspect(self.engine).has_table(name):
            return pd.DataFrame(columns=["run_date", *TABLE_COLUMNS[name]])
        with self.engine.connect() as connection:
            frame = pd.read_sql(select(table).order_by(table.c.id), connection)
        return frame.drop(columns=["id"])

    def run_dates(self, name: str = "row_accounting") -> list[dt.date]:
        table = METADATA.tables[name]
        if not inspect(self.engine).has_table(name):
            return []
        with self.engine.connect() as connection:
            rows = connection.execute(select(table.c.run_date).distinct().order_by(table.c.run_date))
            return [row[0] for row in rows]

    def count(self, name: str, run_date: dt.date | None = None) -> int:
        table = METADATA.tables[name]
        if not inspect(self.engine).has_table(name):
            return 0
        query = select(func.count()).select_from(table)
        if run_date is not None:
            query = query.where(table.c.run_date == run_date)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar() or 0)

    def dispose(self) -> None:
        self.engine.dispose()


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
