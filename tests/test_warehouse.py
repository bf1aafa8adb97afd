"""The warehouse on SQLite and the real PostgreSQL: one transaction per run, idempotent by date."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from industry_gap.warehouse import TABLE_COLUMNS, Warehouse, _redact, default_database_url


def registry_frame(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        row: dict[str, object] = {col: "" for col in TABLE_COLUMNS["registry"]}
        row.update(
            uscc=f"91150602MA0{i:07d}",
            name=f"企业{i}",
            scope="羊绒制品加工",
            revenue_wan=float(i) * 10.5,
            revenue_prev_wan=float("nan"),
            registered_capital_wan=None,
            employees=3.0,
            source_row=i + 2,
        )
        rows.append(row)
    return pd.DataFrame(rows)


def test_replace_run_is_idempotent(database_url):
    store = Warehouse(database_url)
    day = dt.date(2026, 11, 1)
    store.replace_run(day, {"registry": registry_frame(5)})
    store.replace_run(day, {"registry": registry_frame(3)})
    assert store.count("registry", day) == 3
    frame = store.read("registry", day)
    assert list(frame["name"]) == ["企业0", "企业1", "企业2"]
    assert frame["revenue_prev_wan"].isna().all()  # NaN stored as NULL
    store.dispose()


def test_runs_on_different_dates_are_kept(database_url):
    store = Warehouse(database_url)
    store.replace_run(dt.date(2026, 10, 1), {"registry": registry_frame(2)})
    store.replace_run(dt.date(2026, 11, 1), {"registry": registry_frame(4)})
    assert store.run_dates("registry") == [dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
    assert len(store.read("registry")) == 4  # latest by default
    assert len(store.read("registry", dt.date(2026, 10, 1))) == 2
    store.dispose()


def test_failed_write_keeps_previous_rows(database_url):
    """All tables of a run go in one transaction: a bad table rolls back the good one."""
    store = Warehouse(database_url)
    day = dt.date(2026, 11, 1)
    store.replace_run(
        day,
        {
            "registry": registry_frame(2),
            "quarantine": pd.DataFrame(
                [
                    {
                        "dataset": "registry",
                        "file": "a.csv",
                        "row": 2,
                        "column": "经营范围",
                        "value": "",
                        "reason": "经营范围为空",
                    }
                ]
            ),
        },
    )
    broken = pd.DataFrame(
        [
            {
                "dataset": "registry",
                "file": "a.csv",
                "row": {"not": "bindable"},
                "column": "x",
                "value": "y",
                "reason": "z",
            }
        ]
    )
    with pytest.raises(TypeError):  # a dict cannot be stored: on SQLite and on PostgreSQL
        store.replace_run(day, {"registry": registry_frame(7), "quarantine": broken})
    assert store.count("registry", day) == 2
    assert store.count("quarantine", day) == 1
    store.dispose()


def test_unknown_table_and_missing_columns_are_programming_errors(tmp_path):
    store = Warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with pytest.raises(ValueError):
        store.replace_run(dt.date(2026, 1, 1), {"nope": pd.DataFrame()})
    with pytest.raises(ValueError):
        store.replace_run(dt.date(2026, 1, 1), {"registry": pd.DataFrame({"uscc": ["x"]})})


def test_read_before_any_run_is_empty(tmp_path):
    store = Warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}")
    assert store.read("registry").empty
    assert store.run_dates() == []


def test_sqlite_uses_wal(tmp_path):
    store = Warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}")
    store.ensure_schema()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"


def test_database_url_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert default_database_url(tmp_path).endswith("industry_gap.sqlite")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert default_database_url(tmp_path) == "postgresql+psycopg://u@h/db"
    assert _redact("postgresql+psycopg://u:secret@h/db") == "postgresql+psycopg://u:***@h/db"


def test_concurrent_writers_for_one_date_never_double_rows(database_url, monkeypatch):
    """Writer A pauses inside its transaction; writer B must wait for it, then replace its rows."""
    import threading
    import time

    import industry_gap.warehouse as warehouse_module

    a_inside, release_a = threading.Event(), threading.Event()

    def pause_writer_a(name):
        if threading.current_thread().name == "A":
            a_inside.set()
            release_a.wait(30)

    monkeypatch.setattr(warehouse_module, "failpoint", pause_writer_a)
    stores = {name: Warehouse(database_url) for name in "AB"}
    stores["A"].ensure_schema()
    day = dt.date(2026, 11, 1)
    errors = []

    def write(name):
        try:
            stores[name].replace_run(day, {"registry": registry_frame(50)})
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    writer_a = threading.Thread(target=write, args=("A",), name="A")
    writer_a.start()
    assert a_inside.wait(30)
    writer_b = threading.Thread(target=write, args=("B",), name="B")
    writer_b.start()
    time.sleep(0.5)  # B is now trying to write while A's transaction is open
    release_a.set()
    writer_a.join(60)
    writer_b.join(60)
    assert not errors
    assert stores["A"].count("registry", day) == 50
    for store in stores.values():
        store.dispose()


def test_a_database_holds_one_districts_runs(database_url):
    """Issue 23 #3: the first district claims the database; another district's run is refused, naming both."""
    from industry_gap.errors import UserError

    store = Warehouse(database_url)
    store.claim_district("测试区")
    store.claim_district("测试区")  # the same district again: fine
    with pytest.raises(UserError) as info:
        Warehouse(database_url).claim_district("康巴什区")
    assert "保存的是“测试区”的运行结果，本次运行的政策文件是“康巴什区”的" in info.value.message
    store.dispose()
