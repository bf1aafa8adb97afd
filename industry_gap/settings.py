"""The one settings object of a run: CLI options first, then `INDUSTRY_GAP_*` environment, then defaults.

Built once per process or run and handed down: the CLI builds it from its options
(`Settings.load`), `dagster dev`, the schedule and a run's step processes from the
environment (`environment_settings`, built once per process). The Dagster resources,
the monthly partitions (from the policy file's issue month) and the city run are all
made from it, so an option such as ``--policy`` or ``--output`` reaches every step.
Nothing is read at import: the resources fill a field left empty from
`environment_settings()` when they are built (`setting_or_environment`), with the
same precedence as `Settings.load`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from industry_gap.errors import UserError
from industry_gap.policy import Policy, load_policy

DISTRICT_TIMEZONE = ZoneInfo("Asia/Shanghai")
REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "sample_data"
SAMPLE_FILES = {
    "registry": SAMPLE_DIR / "registry.csv",
    "above_scale": SAMPLE_DIR / "above_scale.csv",
    "targets": SAMPLE_DIR / "targets.csv",
    "projects": SAMPLE_DIR / "projects.xlsx",
}
INPUT_DATASETS = tuple(SAMPLE_FILES)
SAMPLE_BASELINE = SAMPLE_DIR / "baseline.csv"  # the sample district's 基期, so its first run reports progress

# The environment variable of each setting that has one (documented in README, "Settings").
ENVIRONMENT = {
    "registry": "INDUSTRY_GAP_REGISTRY",
    "above_scale": "INDUSTRY_GAP_ABOVE_SCALE",
    "targets": "INDUSTRY_GAP_TARGETS",
    "projects": "INDUSTRY_GAP_PROJECTS",
    "output_dir": "INDUSTRY_GAP_OUTPUT",
    "policy_file": "INDUSTRY_GAP_POLICY",
    "baseline_file": "INDUSTRY_GAP_BASELINE",
    "db_schema": "INDUSTRY_GAP_DB_SCHEMA",
    "model_dir": "INDUSTRY_GAP_MODEL_DIR",
    "workers": "INDUSTRY_GAP_WORKERS",
    "city_dir": "INDUSTRY_GAP_CITY_DIR",
    "inbox_dir": "INDUSTRY_GAP_INBOX",
    "city_executor": "INDUSTRY_GAP_CITY_EXECUTOR",
    "report_from": "INDUSTRY_GAP_REPORT_FROM",
}


@dataclass(frozen=True)
class Settings:
    """Where the inputs are, where outputs go, which plan and database: everything a run is told."""

    registry: str = ""  # the four input files; all empty = the bundled sample data
    above_scale: str = ""
    targets: str = ""
    projects: str = ""
    overrides: str = ""  # a filled review workbook (人工核定)
    code_edition: str = "2017"  # edition of the codes in the input files
    output_dir: str = "output"
    run_date: str = ""  # YYYY-MM-DD; empty = today in the district's time zone
    policy_file: str = ""  # empty = reference/policy/dongsheng_2023.toml
    city_coverage_file: str = ""  # the city's 全市门类表
    baseline_file: str = ""  # the plan's 基期 coverage table; empty = the policy's
    # --database only: DATABASE_URL may hold a password, so it is read when the database is opened
    # (industry_gap.warehouse.default_database_url), never copied into Dagster's stored run config.
    database_url: str = ""  # empty = DATABASE_URL, else SQLite in the output folder
    db_schema: str = ""  # PostgreSQL schema; empty = the URL's search_path, else industry_gap
    model_dir: str = ""  # saved by `industry-gap train`; empty = build one in the run
    workers: int = 1  # processes classifying a large registry
    city_dir: str = ""  # a city's folder of district sub-folders
    inbox_dir: str = ""  # empty = <output>/inbox
    city_executor: str = "multiprocess"  # how the UI runs district steps: multiprocess, celery, k8s
    report_from: str = ""  # YYYY-MM: monthly partitions from here (a backfill of past months); empty = first run's

    @classmethod
    def load(cls, options: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Options given (not None, not "") win, then the environment, then the defaults."""
        environ = os.environ if environ is None else environ
        options = options or {}
        values: dict[str, object] = {}
        for spec in fields(cls):
            given = options.get(spec.name)
            if given is None or given == "":
                name = ENVIRONMENT.get(spec.name)
                given = environ.get(name, "").strip() if name else ""
            if given is None or given == "":
                continue
            values[spec.name] = _coerce(spec.name, given, spec.type)
        unknown = set(options) - {spec.name for spec in fields(cls)}
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        return cls(**values)  # type: ignore[arg-type]

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def input_paths(self) -> dict[str, str]:
        """The sample data when no input file is named; otherwise only the files named ("" = not given)."""
        given = {name: getattr(self, name) for name in INPUT_DATASETS}
        if self.uses_sample_data():
            return {name: str(path) for name, path in SAMPLE_FILES.items()}
        return given

    def uses_sample_data(self) -> bool:
        return not any(getattr(self, name) for name in INPUT_DATASETS)

    def check_files_exist(self) -> None:
        """Every named file exists: said before anything runs, in Chinese."""
        for value in self.input_paths().values():
            if value and not Path(value).exists():
                raise UserError(f"找不到输入文件“{value}”")
        if self.overrides and not Path(self.overrides).exists():
            raise UserError(f"找不到人工核定文件“{self.overrides}”")
        if self.baseline_file and not Path(self.baseline_file).exists():
            raise UserError(f"找不到规划基期文件“{self.baseline_file}”")

    def policy(self) -> Policy:
        """The run's policy; parsed once per file version (`industry_gap.policy.load_policy`)."""
        return load_policy(self.policy_file or None)

    def database(self) -> str:
        """The one precedence of the database: --database, else DATABASE_URL, else SQLite in the output folder.

        DATABASE_URL may hold a password: it is read here, when the database is opened, never copied
        into a setting or Dagster's stored run config."""
        from industry_gap.warehouse import default_database_url  # SQLAlchemy: only where a database is opened

        return self.database_url or default_database_url(self.output_dir)

    def resolved_run_date(self) -> dt.date:
        return resolved_run_date(self.run_date)

    def inbox(self) -> Path:
        return Path(self.inbox_dir) if self.inbox_dir else Path(self.output_dir) / "inbox"


_ENVIRONMENT_SETTINGS: dict[tuple[str, ...], Settings] = {}


def environment_settings() -> Settings:
    """The settings of this process's environment, built once per process (again only if INDUSTRY_GAP_*
    changes, as in a test): what the UI, the schedule and a run's steps use for a setting not given."""
    key = tuple(os.environ.get(name, "") for name in ENVIRONMENT.values())
    if key not in _ENVIRONMENT_SETTINGS:
        _ENVIRONMENT_SETTINGS.clear()
        _ENVIRONMENT_SETTINGS[key] = Settings.load()
    return _ENVIRONMENT_SETTINGS[key]


def setting_or_environment(name: str, given: object) -> object:
    """`given` when set (not None, not ""), else the environment's setting `name`: `Settings.load`'s rule."""
    return given if given is not None and given != "" else getattr(environment_settings(), name)


def configured_run_date(text: str) -> dt.date | None:
    """The run date a user wrote (None when empty); a badly written one is the user's error, in Chinese."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"运行日期“{text}”无法识别，请写作 YYYY-MM-DD") from None


def resolved_run_date(text: str) -> dt.date:
    """The configured run date, else today in the district's time zone."""
    return configured_run_date(text) or dt.datetime.now(DISTRICT_TIMEZONE).date()


def absolute_path(path: str) -> str:
    """An absolute path (step processes and workers may run in another folder), or "" for none."""
    if not path:
        return ""
    try:
        return str(Path(path).resolve())
    except (RuntimeError, OSError) as error:  # Python 3.11 raises RuntimeError for a symlink loop, later ones OSError
        from industry_gap.environment import is_symlink_loop, symlink_loop_error

        if is_symlink_loop(path):
            raise symlink_loop_error(path) from None
        raise UserError(f"路径“{path}”无法使用：{error}") from None


def _coerce(name: str, value: object, annotation: object) -> object:
    if annotation in (int, "int"):
        try:
            return int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise UserError(f"设置 {ENVIRONMENT.get(name, name)} 应为整数，现为“{value}”") from None
    return str(value)


__all__ = [
    "DISTRICT_TIMEZONE",
    "ENVIRONMENT",
    "INPUT_DATASETS",
    "SAMPLE_DIR",
    "SAMPLE_FILES",
    "Settings",
    "absolute_path",
    "environment_settings",
    "setting_or_environment",
]
