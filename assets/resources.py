"""Configurable resources: where the inputs are, where outputs go, which database.

Their values come from the run's one `Settings` (`default_resources(settings)`). The field
defaults are the settings of the code server's environment (`ENVIRONMENT_SETTINGS`), because
run config that sets one field of a resource (the schedule's run_date, an edit in the UI's
launchpad) replaces the values it was built with: every other field falls back to its default,
which must then be the configured one, not a bare "output".
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import PrivateAttr

from industry_gap.coverage_files import read_city_coverage
from industry_gap.policy import Policy, load_policy
from industry_gap.settings import (
    DISTRICT_TIMEZONE,
    SAMPLE_BASELINE,
    SAMPLE_FILES,
    Settings,
    absolute_path,
    resolved_run_date,
)
from industry_gap.warehouse import Warehouse, default_database_url

ENVIRONMENT_SETTINGS = Settings.load()  # INDUSTRY_GAP_* of this process, read once at import
_INPUTS = ENVIRONMENT_SETTINGS.input_paths()
MONTH_PLACEHOLDER = "{month}"
_MONTH_KEY = re.compile(r"\d{4}-\d{2}-01")


def run_month_partition(context: dg.InitResourceContext) -> str:
    """The run's monthly partition key ('2026-11-01'), or '' (no partition, or a district's)."""
    run = context.run
    key = run.tags.get("dagster/partition", "") if run is not None else ""
    return key if _MONTH_KEY.fullmatch(key) else ""


class InputFiles(dg.ConfigurableResource):
    """The office's input files. An empty path means "not provided this run"."""

    registry: str = _INPUTS["registry"]
    above_scale: str = _INPUTS["above_scale"]
    targets: str = _INPUTS["targets"]
    projects: str = _INPUTS["projects"]
    overrides: str = ""  # a filled review workbook (人工核定); empty = only the stored ones
    code_edition: str = "2017"

    _month: str = PrivateAttr(default="")  # YYYY-MM of the run's monthly partition, for {month} in a path

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

    output_dir: str = ENVIRONMENT_SETTINGS.output_dir
    run_date: str = ""  # YYYY-MM-DD; empty = today in the district's time zone
    policy_file: str = ENVIRONMENT_SETTINGS.policy_file  # empty = reference/policy/dongsheng_2023.toml
    city_coverage_file: str = ""  # optional 全市门类表 (code, present_above, present_all)
    baseline_file: str = absolute_path(
        ENVIRONMENT_SETTINGS.baseline_file
    )  # the plan's 基期 coverage table; empty = the policy's
    min_valid_uscc_share: float = 0.95  # data-quality floor for the valid_uscc_share check
    report_from: str = ENVIRONMENT_SETTINGS.report_from  # YYYY-MM: past months from here may be backfilled
    _partition: str = PrivateAttr(default="")  # the run's monthly partition key, when it has one

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._partition = run_month_partition(context)

    def policy(self) -> Policy:
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

    model_dir: str = ENVIRONMENT_SETTINGS.model_dir  # saved by `industry-gap train`; empty = build here
    train_on_registry_codes: bool = True  # registry rows with 行业代码 are labels
    min_labels: int = 50  # fewer labels than this: reference-only model
    holdout_share: float = 0.2  # labels held out to measure accuracy
    max_training_rows: int = 20_000  # more labels: a seeded sample of this many is trained on
    accuracy_floor: float = 0.5  # 大类 top-1 on held-out labels below this fails a check
    workers: int = ENVIRONMENT_SETTINGS.workers  # processes classifying a large registry


class CityInputs(dg.ConfigurableResource):
    """A city's folder: one sub-folder per district with its registry and 规上 list (`industry_gap.city`)."""

    city_dir: str = ENVIRONMENT_SETTINGS.city_dir
    code_edition: str = "2017"


def city_storage_dir(output_dir: str) -> str:
    """Where the district partitions' values are kept between runs (and read by the city-wide step)."""
    return str(Path(output_dir).resolve() / "city" / "storage")


class WarehouseResource(dg.ConfigurableResource):
    """SQLAlchemy warehouse; DATABASE_URL or a SQLite file in the output folder."""

    database_url: str = ""  # empty = DATABASE_URL at open time (never stored in run config), else SQLite
    output_dir: str = ENVIRONMENT_SETTINGS.output_dir
    # PostgreSQL schema of the tables; empty = the URL's search_path if it sets one, else "industry_gap".
    # Ignored on SQLite.
    db_schema: str = ENVIRONMENT_SETTINGS.db_schema

    def resolved_url(self) -> str:
        return self.database_url or default_database_url(self.output_dir)

    def open(self) -> Warehouse:
        return Warehouse(self.resolved_url(), schema=self.db_schema or None)


def default_resources(settings: Settings) -> dict[str, Any]:
    """The resources of a run, made from its settings (the UI and the schedule: from the environment)."""
    output = settings.output_dir
    return {
        "input_files": InputFiles(
            **settings.input_paths(), overrides=settings.overrides, code_edition=settings.code_edition
        ),
        "settings": PipelineSettings(
            output_dir=output,
            run_date=settings.run_date,
            policy_file=settings.policy_file,
            city_coverage_file=settings.city_coverage_file,
            baseline_file=absolute_path(settings.baseline_file),
            report_from=settings.report_from,
        ),
        "model_settings": ModelSettings(model_dir=settings.model_dir, workers=settings.workers),
        "warehouse": WarehouseResource(
            database_url=settings.database_url, output_dir=output, db_schema=settings.db_schema
        ),
        "city_inputs": CityInputs(city_dir=settings.city_dir, code_edition=settings.code_edition),
        "city_io_manager": dg.FilesystemIOManager(base_dir=city_storage_dir(output)),
    }
