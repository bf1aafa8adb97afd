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

SAMPLE_FILES = {
    "registry": SAMPLE_DIR / "registry.csv",
    "above_scale": SAMPLE_DIR / "above_scale.csv",
    "targets": SAMPLE_DIR / "targets.csv",
    "projects": SAMPLE_DIR / "projects.xlsx",
}


class InputFiles(dg.ConfigurableResource):
    """The office's input files. An empty path means "not provided this run"."""

    registry: str = str(SAMPLE_FILES["registry"])
    above_scale: str = str(SAMPLE_FILES["above_scale"])
    targets: str = str(SAMPLE_FILES["targets"])
    projects: str = str(SAMPLE_FILES["projects"])
    overrides: str = ""  # a filled review workbook (人工核定); empty = only the stored ones
    code_edition: str = "2017"

    def path_for(self, dataset: str) -> Path | None:
        value = getattr(self, dataset)
        return Path(value) if value else None


class PipelineSettings(dg.ConfigurableResource):
    """Run-wide settings: output folder, run date, the district's policy file."""

    output_dir: str = "output"
    run_date: str = ""  # YYYY-MM-DD; empty = today in the district's time zone
    policy_file: str = ""  # empty = reference/policy/dongsheng_2023.toml
    city_coverage_file: str = ""  # optional 全市门类表 (code, present_above, present_all)
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

    model_dir: str = ""                  # a model saved by `industry-gap train`; empty = build here
    train_on_registry_codes: bool = True  # registry rows with 行业代码 are labels
    min_labels: int = 50                 # fewer labels than this: reference-only model
    holdout_share: float = 0.2           # labels held out to measure accuracy
    accuracy_floor: float = 0.5          # 大类 top-1 on held-out labels below this fails a check


class WarehouseResource(dg.ConfigurableResource):
    """SQLAlchemy warehouse; DATABASE_URL or a SQLite file in the output folder."""

    database_url: str = ""
    output_dir: str = "output"

    def resolved_url(self) -> str:
        return self.database_url or default_database_url(self.output_dir)

    def open(self) -> Warehouse:
        return Warehouse(self.resolved_url())


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources for the UI and the schedule: sample data unless env vars say otherwise."""
    output_dir = os.environ.get("INDUSTRY_GAP_OUTPUT", "output")
    files = {name: os.environ.get(f"INDUSTRY_GAP_{name.upper()}", str(path))
             for name, path in SAMPLE_FILES.items()}
    return {
        "input_files": InputFiles(**files),
        "settings": PipelineSettings(output_dir=output_dir,
                                     policy_file=os.environ.get("INDUSTRY_GAP_POLICY", "")),
        "model_settings": ModelSettings(model_dir=os.environ.get("INDUSTRY_GAP_MODEL_DIR", "")),
        "warehouse": WarehouseResource(output_dir=output_dir),
    }
