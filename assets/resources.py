"""Configurable resources: where the inputs are, where outputs go, which database.

Their values come from the run's one `Settings` (`default_resources(settings)`). Run config that
sets one field of a resource (the schedule's run_date, an edit in the UI's launchpad) replaces the
values it was built with: every other field falls back to its default. So a setting's field is
filled, when the resource is built and left empty, from the environment's settings
(`industry_gap.settings.setting_or_environment`, the precedence of `Settings.load`), not from a bare
"output"; nothing is read at import.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import pandas as pd
from pydantic import PrivateAttr, model_validator

from industry_gap.coverage_files import read_city_coverage
from industry_gap.policy import Policy, load_policy
from industry_gap.settings import (
    DISTRICT_TIMEZONE,
    INPUT_DATASETS,
    SAMPLE_BASELINE,
    SAMPLE_FILES,
    Settings,
    absolute_path,
    environment_settings,
    resolved_run_date,
    setting_or_environment,
)
from industry_gap.warehouse import Warehouse

MONTH_PLACEHOLDER = "{month}"
_MONTH_KEY = re.compile(r"\d{4}-\d{2}-01")


def _fill_from_environment(resource: dg.ConfigurableResource, *names: str) -> None:
    """Fields left empty take the environment's setting of the same name (resources are frozen)."""
    for name in names:
        object.__setattr__(resource, name, setting_or_environment(name, getattr(resource, name)))


def run_month_partition(context: dg.InitResourceContext) -> str:
    """The run's monthly partition key ('2026-11-01'), or '' (no partition, or a district's)."""
    run = context.run
    key = run.tags.get("dagster/partition", "") if run is not None else ""
    return key if _MONTH_KEY.fullmatch(key) else ""


class InputFiles(dg.ConfigurableResource):
    """The office's input files. An empty path means "not provided this run"."""

    # None = the environment's file (INDUSTRY_GAP_REGISTRY …), "" = not provided; when none is given
    # and the environment names none, the sample data. (None, not "", marks "not given": Dagster
    # rebuilds a resource from its values, and only a value other than the default survives that.)
    registry: str | None = None
    above_scale: str | None = None
    targets: str | None = None
    projects: str | None = None
    overrides: str = ""  # a filled review workbook (人工核定); empty = only the stored ones
    code_edition: str = "2017"

    _month: str = PrivateAttr(default="")  # YYYY-MM of the run's monthly partition, for {month} in a path

    @model_validator(mode="after")
    def _environment_files(self) -> InputFiles:
        unset = [name for name in INPUT_DATASETS if getattr(self, name) is None]
        if len(unset) == len(INPUT_DATASETS):
            for name, path in environment_settings().input_paths().items():
                object.__setattr__(self, name, path)
        else:
            _fill_from_environment(self, *unset)
        return self

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        key = run_month_partition(context)
        self._month = key[:7] if key else ""

    def sample_baseline_file(self) -> str:
        """The sample district's 基期 when these are the sample's files, else "" (it comes last: after
        --baseline and the policy's [baseline] file, `industry_gap.baseline.plan_baseline_file`)."""
        sample = all(
            bool(getattr(self, name)) and Path(getattr(self, name)).resolve() == path.resolve()
            for name, path in SAMPLE_FILES.items()
        )
        return str(SAMPLE_BASELINE) if sample else ""

    def path_for(self, dataset: str) -> Path | None:
        """The file of `dataset`; `{month}` in a path is the run's report month (YYYY-MM), so a backfill
        of past months reads each month's own files (e.g. /data/{month}/规下名录.xlsx)."""
        value = getattr(self, dataset)
        if value and MONTH_PLACEHOLDER in value:
            value = value.replace(MONTH_PLACEHOLDER, self._month or f"{dt.datetime.now(DISTRICT_TIMEZONE):%Y-%m}")
        return Path(value) if value else None


class PipelineSettings(dg.ConfigurableResource):
    """Run-wide settings: output folder, run date, the district's policy file."""

    output_dir: str = ""  # empty = INDUSTRY_GAP_OUTPUT, else output
    run_date: str = ""  # YYYY-MM-DD; empty = today in the district's time zone
    policy_file: str = ""  # empty = INDUSTRY_GAP_POLICY, else reference/policy/dongsheng_2023.toml
    city_coverage_file: str = ""  # optional 全市门类表 (code, present_above, present_all)
    baseline_file: str = ""  # the plan's 基期 coverage table; empty = INDUSTRY_GAP_BASELINE, else the policy's
    min_valid_uscc_share: float = 0.95  # data-quality floor for the valid_uscc_share check
    report_from: str = ""  # YYYY-MM: past months from here may be backfilled; empty = INDUSTRY_GAP_REPORT_FROM
    _partition: str = PrivateAttr(default="")  # the run's monthly partition key, when it has one

    @model_validator(mode="after")
    def _environment_settings(self) -> PipelineSettings:
        _fill_from_environment(self, "output_dir", "policy_file", "baseline_file", "report_from")
        object.__setattr__(self, "baseline_file", absolute_path(self.baseline_file))
        return self

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._partition = run_month_partition(context)

    def policy(self) -> Policy:
        """The run's policy, parsed once (`load_policy`) and shared by every step."""
        return load_policy(self.policy_file or None)

    def city_coverage(self) -> pd.DataFrame | None:
        if not self.city_coverage_file:
            return None
        return read_city_coverage(Path(self.city_coverage_file))

    def resolved_run_date(self) -> dt.date:
        """The configured run date; else, in a run of a monthly partition, that month's report date (today
        in the current month, the month's last day in a backfill); else today."""
        if not self.run_date and self._partition:
            from industry_gap.report_month import resolve_report_date

            return resolve_report_date(
                self._partition, None, dt.datetime.now(DISTRICT_TIMEZONE).date(), self.report_from
            )
        return resolved_run_date(self.run_date)

    def output_path(self) -> Path:
        path = Path(self.output_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path


class ModelSettings(dg.ConfigurableResource):
    """How the scope model is chosen: a saved model, or reference-only plus the office's labels."""

    model_dir: str = ""  # saved by `industry-gap train`; empty = INDUSTRY_GAP_MODEL_DIR, else build here
    train_on_registry_codes: bool = True  # registry rows with 行业代码 are labels
    min_labels: int = 50  # fewer labels than this: reference-only model
    holdout_share: float = 0.2  # labels held out to measure accuracy
    max_training_rows: int = 20_000  # more labels: a seeded sample of this many is trained on
    accuracy_floor: float = 0.5  # 大类 top-1 on held-out labels below this fails a check
    workers: int = 0  # processes classifying a large registry; 0 = INDUSTRY_GAP_WORKERS, else 1

    @model_validator(mode="after")
    def _environment_settings(self) -> ModelSettings:
        _fill_from_environment(self, "model_dir")
        if self.workers <= 0:
            object.__setattr__(self, "workers", environment_settings().workers)
        return self


class CityInputs(dg.ConfigurableResource):
    """A city's folder: one sub-folder per district with its registry and 规上 list (`industry_gap.city`)."""

    city_dir: str = ""  # empty = INDUSTRY_GAP_CITY_DIR
    code_edition: str = "2017"

    @model_validator(mode="after")
    def _environment_settings(self) -> CityInputs:
        _fill_from_environment(self, "city_dir")
        return self


def city_storage_dir(output_dir: str) -> str:
    """Where the district partitions' values are kept between runs (and read by the city-wide step)."""
    return str(Path(output_dir).resolve() / "city" / "storage")


# The warehouse a run of `industry-gap run` has open, lent to the run's resource (`lend_warehouse`).
_LENT: dict[tuple[str, str], Warehouse] = {}


class WarehouseResource(dg.ConfigurableResource):
    """SQLAlchemy warehouse; DATABASE_URL or a SQLite file in the output folder. One engine per run:
    `open()` gives every step of the run the same `Warehouse`, disposed when the run ends."""

    database_url: str = ""  # empty = DATABASE_URL at open time (never stored in run config), else SQLite
    output_dir: str = ""  # empty = INDUSTRY_GAP_OUTPUT, else output
    # PostgreSQL schema of the tables; empty = INDUSTRY_GAP_DB_SCHEMA, else the URL's search_path if it
    # sets one, else "industry_gap". Ignored on SQLite.
    db_schema: str = ""
    _store: Warehouse | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _environment_settings(self) -> WarehouseResource:
        _fill_from_environment(self, "output_dir", "db_schema")
        return self

    def resolved_url(self) -> str:
        return Settings(database_url=self.database_url, output_dir=self.output_dir).database()

    def _key(self) -> tuple[str, str]:
        return self.resolved_url(), self.db_schema

    def open(self) -> Warehouse:
        """The run's warehouse (the one `industry-gap run` lent, else one opened on first use)."""
        lent = _LENT.get(self._key())
        if lent is not None:
            return lent
        if self._store is None:
            self._store = Warehouse(self.resolved_url(), schema=self.db_schema or None)
        return self._store

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._store is not None:
            self._store.dispose()


@contextlib.contextmanager
def lend_warehouse(resource: WarehouseResource) -> Iterator[Warehouse]:
    """Open `resource`'s warehouse for the length of a run in this process: the run's steps use it too."""
    key = resource._key()
    store = Warehouse(key[0], schema=key[1] or None)
    _LENT[key] = store
    try:
        yield store
    finally:
        del _LENT[key]
        store.dispose()


_Resource = TypeVar("_Resource", bound=dg.ConfigurableResource)


def from_settings(cls: type[_Resource], settings: Settings, **values: object) -> _Resource:
    """`cls` with each field that `settings` has of the same name (a new setting reaches its resource by
    its name alone), then `values`."""
    known = {spec.name for spec in fields(settings)}
    given = {name: getattr(settings, name) for name in cls.model_fields if name in known}
    return cls(**{**given, **values})


def default_resources(settings: Settings) -> dict[str, Any]:
    """The resources of a run, made from its settings (the UI and the schedule: from the environment)."""
    return {
        "input_files": from_settings(InputFiles, settings, **settings.input_paths()),
        "settings": from_settings(PipelineSettings, settings),
        "model_settings": from_settings(ModelSettings, settings),
        "warehouse": from_settings(WarehouseResource, settings),
        "city_inputs": from_settings(CityInputs, settings),
        "city_io_manager": dg.FilesystemIOManager(base_dir=city_storage_dir(settings.output_dir)),
    }
