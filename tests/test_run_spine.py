"""The spine of a run (issue 25): settings with one precedence, one warehouse per run, the policy parsed once,
and the end of a run gathered in one typed object."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assets.resources import (
    CityInputs,
    InputFiles,
    ModelSettings,
    PipelineSettings,
    WarehouseResource,
    default_resources,
    lend_warehouse,
)
from industry_gap.policy import DEFAULT_POLICY_PATH, load_policy
from industry_gap.settings import SAMPLE_FILES, Settings, environment_settings

ROOT = Path(__file__).resolve().parents[1]


def test_a_resource_field_left_empty_takes_the_environments_setting(monkeypatch):
    """Explicit value > INDUSTRY_GAP_* > default, as `Settings.load`: read when the resource is built."""
    monkeypatch.setenv("INDUSTRY_GAP_OUTPUT", "/srv/out")
    monkeypatch.setenv("INDUSTRY_GAP_POLICY", "/srv/plan.toml")
    monkeypatch.setenv("INDUSTRY_GAP_WORKERS", "3")
    monkeypatch.setenv("INDUSTRY_GAP_CITY_DIR", "/srv/city")
    assert PipelineSettings().output_dir == "/srv/out"
    assert PipelineSettings(output_dir="/mine").output_dir == "/mine"
    assert PipelineSettings(run_date="2026-11-20").policy_file == "/srv/plan.toml"
    assert ModelSettings().workers == 3 and ModelSettings(workers=2).workers == 2
    assert CityInputs().city_dir == "/srv/city"
    assert WarehouseResource().output_dir == "/srv/out"
    monkeypatch.delenv("INDUSTRY_GAP_OUTPUT")
    assert PipelineSettings().output_dir == "output"  # the default once the environment names none


def test_input_files_are_the_sample_only_when_none_is_named_anywhere(monkeypatch):
    monkeypatch.delenv("INDUSTRY_GAP_REGISTRY", raising=False)
    monkeypatch.delenv("INDUSTRY_GAP_TARGETS", raising=False)
    assert InputFiles().registry == str(SAMPLE_FILES["registry"])
    assert InputFiles(registry="/data/名录.xlsx").targets == ""  # an office's file is never mixed with samples
    monkeypatch.setenv("INDUSTRY_GAP_TARGETS", "/data/目标.xlsx")
    assert InputFiles(registry="/data/名录.xlsx").targets == "/data/目标.xlsx"


def test_the_environment_settings_are_built_once_per_environment(monkeypatch):
    monkeypatch.setenv("INDUSTRY_GAP_OUTPUT", "/srv/a")
    first = environment_settings()
    assert environment_settings() is first and first.output_dir == "/srv/a"
    monkeypatch.setenv("INDUSTRY_GAP_OUTPUT", "/srv/b")
    assert environment_settings().output_dir == "/srv/b"


def test_the_resources_carry_every_setting_of_their_name(tmp_path):
    settings = Settings(
        output_dir=str(tmp_path), policy_file="/p.toml", model_dir="/m", workers=4, db_schema="s", report_from="2026-01"
    )
    resources = default_resources(settings)
    assert resources["settings"].policy_file == "/p.toml" and resources["settings"].report_from == "2026-01"
    assert resources["model_settings"].model_dir == "/m" and resources["model_settings"].workers == 4
    assert resources["warehouse"].db_schema == "s" and resources["warehouse"].output_dir == str(tmp_path)


def test_database_precedence_is_decided_once(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings(database_url="sqlite:///x.db").database() == "sqlite:///x.db"
    assert Settings(output_dir=str(tmp_path)).database() == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("DATABASE_URL")
    assert Settings(output_dir=str(tmp_path)).database().startswith("sqlite:///")
    assert WarehouseResource(output_dir=str(tmp_path)).resolved_url() == Settings(output_dir=str(tmp_path)).database()


def test_one_warehouse_per_run(tmp_path):
    """Every step of a run gets the same Warehouse (one engine); `industry-gap run` lends its own to the run."""
    resource = WarehouseResource(output_dir=str(tmp_path / "a"))
    assert resource.open() is resource.open()
    other = WarehouseResource(output_dir=str(tmp_path / "b"))
    with lend_warehouse(other) as lent:
        assert WarehouseResource(output_dir=str(tmp_path / "b")).open() is lent  # the run's copy of the resource
        assert resource.open() is not lent  # another database
    assert WarehouseResource(output_dir=str(tmp_path / "b")).open() is not lent  # returned when the run ends


def test_the_policy_is_parsed_once_per_file_version(tmp_path):
    assert load_policy(None) is load_policy(DEFAULT_POLICY_PATH)
    path = tmp_path / "plan.toml"
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = load_policy(path)
    assert load_policy(str(path)) is first
    path.write_text(text.replace(f'"{first.district}"', '"测试区"', 1), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # an edit within the clock's resolution is still seen: the size or time differs
    assert load_policy(path).district == "测试区"


def test_importing_the_definitions_reads_no_setting():
    """Nothing is read at import: a broken INDUSTRY_GAP_WORKERS fails only when definitions are built."""
    env = {**os.environ, "INDUSTRY_GAP_WORKERS": "two"}
    script = (
        "import pipelines.definitions as d, pipelines.runner\n"
        "try:\n    d.defs()\nexcept Exception as error:\n    print('BUILT', type(error).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "BUILT UserError" in done.stdout
