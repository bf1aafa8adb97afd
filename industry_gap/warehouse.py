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

import pandas as pd
from sqlalchemy import (
    Boolean, Column, Date, Float, Integer, MetaData, String, Table, Text,
    create_engine, delete, event, func, inspect, select, text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

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
                raise UserError(f"无法连接数据库“{self.display_url}”：{error.orig}") from error

    def replace_run(self, run_date: dt.date, frames: Mapping[str, pd.DataFrame],
                    retries: int = 5) -> dict[str, int]:
        """Write all `frames` for `run_date` in one transaction, replacing that date's rows."""
        unknown = set(frames) - set(TABLE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown warehouse tables: {sorted(unknown)}")
        self.ensure_schema()
        payload = {name: self._records(name, run_date, frame) for name, frame in frames.items()}
        for attempt in range(retries):
            try:
                with self.engine.begin() as connection:
                    self._serialize_writers(connection)
                    for name, records in payload.items():
                        table = METADATA.tables[name]
                        connection.execute(delete(table).where(table.c.run_date == run_date))
                        if records:
                            connection.execute(table.insert(), records)
                    failpoint(WAREHOUSE_BEFORE_COMMIT)
                return {name: len(records) for name, records in payload.items()}
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
        columns = TABLE_COLUMNS[name]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"table {name}: frame lacks columns {missing}")
        subset = frame[list(columns)]
        casts = [_cast_for(kind) for kind in columns.values()]
        records = []
        for row in subset.itertuples(index=False, name=None):
            record = {col: cast(_python_value(value)) for col, cast, value in zip(columns, casts, row)}
            record["run_date"] = run_date
            records.append(record)
        return records

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
