"""The bulk warehouse write (column-wise casts, executemany / COPY) stores exactly what the row-by-row write did.

The reference below is the former `Warehouse.replace_run` body: every cell
through ``_cast_for(kind)(_python_value(cell))`` and one
``connection.execute(table.insert(), list_of_dicts)`` per table. Both writes
go to the same kind of database (SQLite, then the real PostgreSQL) and every
stored value is compared with its Python type.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, delete, select

from industry_gap.warehouse import TABLE_COLUMNS, TEXT_COLUMNS, Warehouse, _cast_for, _python_value, _table_columns
from tests.conftest import _drop_schema, _postgres_schema_url

DAY = dt.date(2026, 11, 20)


def reference_records(name: str, run_date: dt.date, frame: pd.DataFrame) -> list[dict]:
    """The former row-by-row conversion."""
    columns = TABLE_COLUMNS[name]
    subset = frame[list(columns)]
    casts = [_cast_for(kind) for kind in columns.values()]
    records = []
    for row in subset.itertuples(index=False, name=None):
        record = {col: cast(_python_value(value)) for col, cast, value in zip(columns, casts, row)}
        record["run_date"] = run_date
        for col in TEXT_COLUMNS[name]:  # a missing text value is NULL (issue 26), never ""
            if record[col] == "":
                record[col] = None
        records.append(record)
    return records


def reference_write(store: Warehouse, run_date: dt.date, frames: dict[str, pd.DataFrame]) -> None:
    store.ensure_schema()
    payload = {name: reference_records(name, run_date, frame) for name, frame in frames.items()}
    with store.engine.begin() as connection:
        store._serialize_writers(connection)
        for name, records in payload.items():
            table = store.tables[name]
            connection.execute(delete(table).where(table.c.run_date == run_date))
            if records:
                connection.execute(table.insert(), records)


def stored(store: Warehouse, names) -> dict[str, list[tuple]]:
    """Every row of every table (without the surrogate id), in id order, values tagged with their type."""
    out = {}
    with store.engine.connect() as connection:
        for name in names:
            table = store.tables[name]
            columns = [c for c in table.c if c.name != "id"]
            rows = connection.execute(select(*columns).order_by(table.c.id)).all()
            out[name] = [tuple((type(v).__name__, v) for v in row) for row in rows]
    return out


def plain_frame(name: str, n: int) -> pd.DataFrame:
    """`n` rows of ordinary values of each column's type (short text fits every String column)."""
    data: dict[str, list[object]] = {}
    for column, kind in TABLE_COLUMNS[name].items():
        if isinstance(kind, Boolean):
            data[column] = [i % 2 == 0 for i in range(n)]
        elif isinstance(kind, Integer):
            data[column] = list(range(n))
        elif isinstance(kind, (Float, Numeric)):
            data[column] = [i * 0.5 for i in range(n)]
        elif isinstance(kind, DateTime):
            data[column] = [f"2026-11-20T08:00:{i % 60:02d}.000001+00:00" for i in range(n)]
        elif isinstance(kind, Date):
            data[column] = [f"2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}" for i in range(n)]
        else:
            data[column] = [f"v{i}" for i in range(n)]
    return pd.DataFrame(data)


def registry_frame() -> pd.DataFrame:
    """pandas' text dtype, float and int columns, missing values in every form."""
    n = 40
    frame = plain_frame("registry", n)
    for column in ("uscc", "scope", "status", "town", "industry_code"):
        frame[column] = pd.Series([f"{i}" for i in range(n)], dtype="str")
    # DATE from ISO text, a datetime, a Timestamp; empty and missing cells are NULL
    frame["established"] = pd.Series(
        [["2019-05-03", "", None, "2020-01-31 00:00:00"][i % 4] for i in range(n)], dtype="object"
    )
    frame.loc[5, "established"] = dt.datetime(2021, 2, 3, 4, 5)
    frame.loc[9, "established"] = pd.Timestamp("2022-12-31")
    frame["name"] = pd.Series([None if i % 7 == 0 else f"企业{i}=+@-" for i in range(n)], dtype="str")
    frame["registered_capital_wan"] = np.linspace(-5.5, 1e6, n)
    frame.loc[3, "registered_capital_wan"] = np.nan
    frame.loc[4, "registered_capital_wan"] = np.inf  # NUMERIC has no infinity: NULL
    frame.loc[5, "registered_capital_wan"] = 0.00005  # rounds half up to 0.0001
    frame.loc[6, "registered_capital_wan"] = 1234.56785  # 1234.5679 (not binary 1234.5678)
    frame["revenue_wan"] = np.arange(n, dtype="int64")  # ints into a NUMERIC column
    frame["revenue_prev_wan"] = pd.Series([True, False] * (n // 2))  # bools into a NUMERIC column
    frame["employees"] = pd.array([None if i % 5 == 0 else i * 0.1 for i in range(n)], dtype="Float64")
    frame["source_row"] = np.arange(n, dtype="int64") + 2
    return frame


def quarantine_frame() -> pd.DataFrame:
    """Object columns of mixed values: numpy scalars, pd.NA, numbers as text, empty text."""
    values = [
        "a",
        1,
        2.5,
        np.int64(7),
        np.float64(np.nan),
        None,
        pd.NA,
        True,
        "",
        "3.9",
        "-4",
        np.float32(1.25),
        pd.Timestamp("2026-01-02"),
        dt.date(2025, 5, 6),
    ]
    rows = []
    for i, value in enumerate(values):
        rows.append(
            {
                "dataset": "registry",
                "file": value,
                "column": value,
                "value": value,
                "reason": str(i),
                "row": [
                    3.7,
                    -3.7,
                    np.int64(2**30),
                    "12",
                    "",
                    None,
                    np.nan,
                    5,
                    True,
                    np.float64(8.0),
                    pd.NA,
                    "1e3",
                    0,
                    np.uint8(9),
                ][i],
            }
        )
    return pd.DataFrame(rows)


def gaps_frame() -> pd.DataFrame:
    """Analysis table: bool numpy columns, nullable booleans, floats into Boolean, text into Boolean."""
    n = 12
    frame = plain_frame("gaps", n)
    frame["is_industrial"] = np.array([i % 2 == 0 for i in range(n)])
    frame["active"] = pd.array([True, False, None] * (n // 3), dtype="boolean")
    frame["counted_in_all"] = [1.0, 0.0, np.nan, 2.5] * (n // 4)
    frame["needs_review"] = np.arange(n) % 3
    frame["in_above_scale"] = ["是", "否", "", "true", "1", "no"] * (n // 6)
    frame["flagged"] = [True, False, None, np.bool_(True)] * (n // 4)  # type: ignore[assignment]  # stubs: no np.bool_ in a list
    frame["confidence"] = np.linspace(0, 1, n)
    return frame


def progress_frame() -> pd.DataFrame:
    """Integer columns from floats (truncated), big ints (beyond float precision) and text."""
    n = 8
    frame = plain_frame("progress", n)
    frame["standard_nodes"] = np.array([0.0, 1.9, -1.9, 2.5, np.nan, 1e6, -0.0, 7.0])
    frame["baseline_present"] = np.array([-(2**31), 1, 2, 3, 4, 5, 6, 2**31 - 1], dtype="int64")
    frame["current_present"] = np.array([True, False] * 4)
    frame["new_nodes"] = pd.array([1, None, 3, 4, 5, None, 7, 8], dtype="Int64")
    frame["lost_nodes"] = ["1", "2.9", "", None, "-3", "4", "5", "6"]
    frame["goal"] = np.arange(n, dtype="uint16")
    frame["completion_ratio"] = [0.1, None, 0.3, np.nan, 1, 2, 3, 4]
    return frame


def sample_frames() -> dict[str, pd.DataFrame]:
    return {
        "registry": registry_frame(),
        "quarantine": quarantine_frame(),
        "gaps": gaps_frame(),
        "progress": progress_frame(),
        "changes": pd.DataFrame(columns=list(TABLE_COLUMNS["changes"])),
    }


@pytest.mark.parametrize("name", ["registry", "quarantine", "gaps", "progress", "changes"])
def test_column_wise_casts_equal_the_cell_by_cell_casts(name):
    frame = sample_frames()[name]
    columns = _table_columns(name, DAY, frame)
    bulk = [dict(zip(columns, row)) for row in zip(*columns.values())]
    reference = reference_records(name, DAY, frame)
    assert len(bulk) == len(reference)
    for got, want in zip(bulk, reference):
        assert {k: (type(v), v) for k, v in got.items()} == {k: (type(v), v) for k, v in want.items()}


def test_integers_beyond_float_precision_convert_as_before():
    """int(float(v)) rounds integers above 2**53; the column-wise path must round them the same way."""
    frame = progress_frame()
    frame["baseline_present"] = np.array([2**53 + 1, -(2**60) - 1, 2, 3, 4, 5, 6, 7], dtype="int64")
    frame["standard_nodes"] = np.array([2.0**60, 1.5, 0, 0, 0, 0, 0, 0])
    columns = _table_columns("progress", DAY, frame)
    reference = reference_records("progress", DAY, frame)
    for column in ("baseline_present", "standard_nodes"):
        assert columns[column] == [record[column] for record in reference]
    assert columns["baseline_present"][0] == 2**53  # rounded, as before


def test_values_the_cell_by_cell_cast_rejects_are_rejected_too():
    frame = progress_frame()
    frame["standard_nodes"] = np.array([1.0, np.inf, 0, 0, 0, 0, 0, 0])  # int(inf): OverflowError
    with pytest.raises(OverflowError):
        reference_records("progress", DAY, frame)
    with pytest.raises(OverflowError):
        _table_columns("progress", DAY, frame)


def test_bulk_write_stores_the_same_rows_as_the_row_by_row_write(database_url):
    """Same tables, same values and types, same order, on SQLite and PostgreSQL; re-runs replace."""
    frames = sample_frames()
    bulk = Warehouse(database_url)
    written = bulk.replace_run(DAY, frames)
    assert written == {name: len(frame) for name, frame in frames.items()}
    bulk.replace_run(DAY, frames)  # idempotent: replaces, never doubles
    other_day = DAY - dt.timedelta(days=31)
    bulk.replace_run(other_day, {"registry": registry_frame().head(3)})
    bulk_rows = stored(bulk, frames)
    bulk.dispose()

    if database_url.startswith("sqlite:///"):
        reference_url = database_url.replace("warehouse.sqlite", "reference.sqlite")
        schema = None
    else:
        reference_url, schema = _postgres_schema_url()
    try:
        reference = Warehouse(reference_url)
        reference_write(reference, DAY, frames)
        reference_write(reference, other_day, {"registry": registry_frame().head(3)})
        reference_rows = stored(reference, frames)
        reference.dispose()
    finally:
        if schema:
            _drop_schema(schema)
    assert bulk_rows == reference_rows
    assert sum(1 for row in bulk_rows["registry"] if row[0][1] == DAY) == len(frames["registry"])


def test_a_failure_after_the_bulk_inserts_rolls_back_every_table(database_url, monkeypatch):
    """Killed between the inserts and the commit: the previous rows of every table are still there."""
    import industry_gap.warehouse as warehouse_module

    store = Warehouse(database_url)
    store.replace_run(DAY, {"registry": registry_frame(), "gaps": gaps_frame()})

    def crash(_name):
        raise RuntimeError("killed before commit")

    monkeypatch.setattr(warehouse_module, "failpoint", crash)
    with pytest.raises(RuntimeError):
        store.replace_run(DAY, {"registry": registry_frame().head(2), "gaps": gaps_frame().head(1)})
    assert store.count("registry", DAY) == len(registry_frame())
    assert store.count("gaps", DAY) == len(gaps_frame())
    store.dispose()


@pytest.mark.postgres
def test_copy_errors_are_raised_as_sqlalchemy_errors_and_roll_back():
    """PostgreSQL refuses an over-long code inside COPY: the same DataError an INSERT gives, nothing kept."""
    from sqlalchemy.exc import DataError

    url, schema = _postgres_schema_url()
    try:
        store = Warehouse(url)
        store.replace_run(DAY, {"registry": registry_frame(), "gaps": gaps_frame()})
        too_long = registry_frame()
        too_long.loc[2, "uscc"] = "9" * 40  # String(18)
        with pytest.raises(DataError):
            store.replace_run(DAY, {"gaps": gaps_frame().head(2), "registry": too_long})
        assert store.count("registry", DAY) == len(registry_frame())
        assert store.count("gaps", DAY) == len(gaps_frame())
        store.replace_run(DAY, {"gaps": gaps_frame().head(2)})  # the connection is usable again
        assert store.count("gaps", DAY) == 2
        store.dispose()
    finally:
        _drop_schema(schema)
