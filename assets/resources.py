"""Configurable resources: where the inputs are, where outputs go, which database."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from industry_gap.coverage_files import read_city_coverage
from industry_gap.policy import Policy, load_policy
from industry_gap.warehouse import Warehouse, default_database_url

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "sample_data"
DISTRICT_TIMEZONE = ZoneInfo("Asia/Shanghai")

def from_env(name: str, default: str) -> str:
    """A setting's default, overridable by INDUSTRY_GAP_<NAME> in the code server's environment.

    Read when the class is defined, so run config that sets one field (the
    schedule's run_date, say) keeps every other field at this default.
    """
    return os.environ.get(f"INDUSTRY_GAP_{name.upper()}", default)


SAMPLE_FILES = {
    "registry": SAMPLE_DIR / "registry.csv",
    "above_scale": SAMPLE_DIR / "above_scale.csv",
    "targets": SAMPLE_DIR / "targets.csv",
    "projects": SAMPLE_DIR / "projects.xlsx",
}


class InputFiles(dg.ConfigurableResource):
    """The office's input files. An empty path means "not provided this run"."""

    registry: str = from_env("registry", str(SAMPLE_FILES["registry"]))
    above_scale: str = from_env("above_scale", str(SAMPLE_FILES["above_scale"]))
    targets: str = from_env("targets", str(SAMPLE_FILES["targets"]))
    projects: str = from_env("projects", str(SAMPLE_FILES["projects"]))
    overrides: str = ""  # a filled review workbook (人工核定); empty = only the stored ones
    code_edition: str = "2017"

    def path_for(self, dataset: str) -> Path | None:
        value = getattr(self, dataset)
        return Path(value) if value else None


class PipelineSettings(dg.ConfigurableResource):
    """Run-wide settings: output folder, run date, the district's policy file."""

    output_dir: str = from_env("output", "output")
    run_date: str = ""  # YYYY-MM-DD; empty = today in the district's time zone
    policy_file: str = from_env("policy", "")  # empty = reference/policy/dongsheng_2023.toml
    city_coverage_file: str = ""  # optional 全市门类表 (code, present_above, present_all)
    baseline_file: str = from_env("baseline", "")  # the plan's 基期 coverage table; empty = the policy's
    min_valid_uscc_share: float = 0.95  # data-quality floor for the valid_uscc_share check

    def policy(self) -> Policy:
        return load_policy(self.policy_file or None)

    def city_coverage(self) -> pd.DataFrame | None:
        if not self.city_coverage_file:
            return None
        return read_city_coverage(Path(self.city_coverage_file))

    def resolved_run_date(self) -> dt.date:
        if self.run_date:
            return dt.date.fromisoformat(self.run_date)
        return dt.datetime.now(DISTRICT_TIMEZONE).date()

    def output_path(self) -> Path:
        path = Path(self.output_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path


class ModelSettings(dg.ConfigurableResource):
    """How the scope model is chosen: a saved model, or reference-only plus the office's labels."""

    model_dir: str = from_env("model_dir", "")  # saved by `industry-gap train`; empty = build here
    train_on_registry_codes: bool = True  # registry rows with 行业代码 are labels
    min_labels: int = 50                 # fewer labels than this: reference-only model
    holdout_share: float = 0.2           # labels held out to measure accuracy
    max_training_rows: int = 20_000      # more labels: a seeded sample of this many is trained on
    accuracy_floor: float = 0.5          # 大类 top-1 on held-out labels below this fails a check
    workers: int = int(from_env("workers", "1"))  # processes classifying a large registry


class CityInputs(dg.ConfigurableResource):
    """A city's folder: one sub-folder per district with its registry and 规上 list (`industry_gap.city`)."""

    city_dir: str = from_env("city_dir", "")
    code_edition: str = "2017"


def city_storage_dir(output_dir: str) -> str:
    """Where the district partitions' values are kept between runs (and read by the city-wide step)."""
    return str(Path(output_dir).resolve() / "city" / "storage")


class WarehouseResource(dg.ConfigurableResource):
    """SQLAlchemy warehouse; DATABASE_URL or a SQLite file in the output folder."""

    database_url: str = ""  # empty = DATABASE_URL, else SQLite in output_dir
    output_dir: str = from_env("output", "output")
    # PostgreSQL schema of the tables; empty = the URL's search_path if it sets one, else "industry_gap".
    # Ignored on SQLite.
    db_schema: str = from_env("db_schema", "")

    def resolved_url(self) -> str:
        return self.database_url or default_database_url(self.output_dir)

    def open(self) -> Warehouse:
        return Warehouse(self.resolved_url(), schema=self.db_schema or None)


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources for the UI and the schedule: sample data unless INDUSTRY_GAP_* env vars say otherwise."""
    return {
        "input_files": InputFiles(),
        "settings": PipelineSettings(),
        "model_settings": ModelSettings(),
        "warehouse": WarehouseResource(),
        "city_inputs": CityInputs(),
        "city_io_manager": dg.FilesystemIOManager(base_dir=city_storage_dir(from_env("output", "output"))),
    }
