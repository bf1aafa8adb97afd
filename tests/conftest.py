"""Shared fixtures: the tests' policy, a warehouse URL on SQLite and on the real PostgreSQL.

`policy` is tests/data/policy_test.toml (round numbers, not 东胜区's): tests read
amounts and thresholds from it. Plain helpers (make_uscc, classified_firm, ...)
live in tests/factories.py.

PostgreSQL tests use a fresh schema each, dropped afterwards. When CI=true
and the server does not answer, they fail (they never silently skip in CI).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from industry_gap.settings import ENVIRONMENT

# A developer's shell may set INDUSTRY_GAP_OUTPUT, INDUSTRY_GAP_POLICY, …: the tests run on their own
# settings. Cleared before any test module imports assets.resources, whose defaults read them once.
for _variable in ENVIRONMENT.values():
    os.environ.pop(_variable, None)

from industry_gap.privacy import MaskingFilter  # noqa: E402
from tests.factories import load_test_policy, service_unavailable  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "sample_data"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_schema_url() -> tuple[str, str]:
    schema = f"ig_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        service_unavailable(f"PostgreSQL at {POSTGRES_URL}", error)
    finally:
        engine.dispose()
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str) -> None:
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def policy():
    """The tests' own policy file, loaded once (a frozen `Policy`; `dataclasses.replace` for variants)."""
    return load_test_policy()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A warehouse URL: a SQLite file, then a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
        return
    url, schema = _postgres_schema_url()
    try:
        yield url
    finally:
        _drop_schema(schema)


@pytest.fixture
def captured_logger() -> Iterator[tuple[logging.Logger, list[str]]]:
    """A logger whose records pass through the CLI's MaskingFilter, and the list they end in."""
    records: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = ListHandler()
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("industry_gap.tests.captured")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, records
    finally:
        logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def _no_office_model_from_the_checkout(request, monkeypatch, tmp_path_factory):
    """classify/evaluate default to the office model of ./output: a developer's own run must not change
    these tests' figures, so their default output folder is an empty one."""
    if request.module.__name__.rsplit(".", 1)[-1] in {"test_cli_classify", "test_office_trust"}:
        monkeypatch.setenv("INDUSTRY_GAP_OUTPUT", str(tmp_path_factory.mktemp("no-run-output")))
