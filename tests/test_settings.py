"""One settings object: options first, then INDUSTRY_GAP_* environment, then defaults; resources made from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.resources import default_resources
from industry_gap.errors import UserError
from industry_gap.settings import ENVIRONMENT, SAMPLE_FILES, Settings


def test_options_win_over_the_environment_which_wins_over_defaults():
    environ = {
        "INDUSTRY_GAP_OUTPUT": "/srv/out",
        "INDUSTRY_GAP_POLICY": "/srv/plan.toml",
        "INDUSTRY_GAP_WORKERS": "3",
        "DATABASE_URL": "postgresql+psycopg://u:secret@h/db",
    }
    settings = Settings.load({"output_dir": "/tmp/mine", "policy_file": "", "run_date": None}, environ)
    assert settings.output_dir == "/tmp/mine"  # the option
    assert settings.policy_file == "/srv/plan.toml"  # an empty option falls through to the environment
    assert settings.workers == 3 and isinstance(settings.workers, int)
    assert settings.database_url == ""  # a password in DATABASE_URL is read at open, never kept in run config
    assert settings.run_date == "" and settings.code_edition == "2017"  # defaults
    assert Settings.load({}, {}) == Settings()


def test_every_documented_variable_is_a_setting():
    names = {field for field in ENVIRONMENT}
    assert names <= set(Settings.__dataclass_fields__)
    for field, variable in ENVIRONMENT.items():
        value = "2" if field == "workers" else "x"
        assert str(getattr(Settings.load({}, {variable: value}), field)) == value


def test_a_bad_number_or_date_is_the_users_error():
    with pytest.raises(UserError, match="INDUSTRY_GAP_WORKERS"):
        Settings.load({}, {"INDUSTRY_GAP_WORKERS": "two"})
    with pytest.raises(UserError, match="无法识别"):
        Settings(run_date="2026-13-01").resolved_run_date()
    with pytest.raises(TypeError):
        Settings.load({"outptu_dir": "x"}, {})


def test_sample_data_only_when_no_input_file_is_named(tmp_path):
    assert Settings().input_paths() == {name: str(path) for name, path in SAMPLE_FILES.items()}
    registry = tmp_path / "名录.csv"
    registry.write_text("x", encoding="utf-8")
    assert Settings(registry=str(registry)).input_paths() == {
        "registry": str(registry),
        "above_scale": "",
        "targets": "",
        "projects": "",
    }
    with pytest.raises(UserError, match="找不到输入文件"):
        Settings(registry=str(tmp_path / "missing.csv")).check_files_exist()


def test_the_resources_are_made_from_the_settings(tmp_path):
    settings = Settings(
        output_dir=str(tmp_path),
        run_date="2026-11-20",
        policy_file="/p.toml",
        workers=2,
        db_schema="district_a",
        baseline_file="基期.csv",
        model_dir="/m",
    )
    resources = default_resources(settings)
    assert resources["settings"].output_dir == resources["warehouse"].output_dir == str(tmp_path)
    assert resources["settings"].run_date == "2026-11-20" and resources["settings"].policy_file == "/p.toml"
    assert resources["settings"].baseline_file == str(Path("基期.csv").resolve())
    assert resources["model_settings"].workers == 2 and resources["model_settings"].model_dir == "/m"
    assert resources["warehouse"].db_schema == "district_a"
    assert resources["input_files"].registry == str(SAMPLE_FILES["registry"])
    assert Path(resources["city_io_manager"].base_dir) == tmp_path.resolve() / "city" / "storage"


def test_the_inbox_defaults_to_the_output_folder():
    assert Settings(output_dir="/srv/out").inbox() == Path("/srv/out/inbox")
    assert Settings(output_dir="/srv/out", inbox_dir="/srv/in").inbox() == Path("/srv/in")


@pytest.mark.slow  # a subprocess: the defaults are read when assets.resources is imported
def test_run_config_for_one_field_keeps_the_environments_settings(tmp_path):
    """The schedule and the UI's launchpad send run config for one field (run_date); Dagster then
    builds the resource from that config alone, so the other fields must default to the settings."""
    import subprocess
    import sys

    script = (
        "import dagster as dg\n"
        "from assets.resources import ModelSettings, PipelineSettings, default_resources\n"
        "from industry_gap.settings import Settings\n"
        "@dg.asset\n"
        "def probe(settings: PipelineSettings, model_settings: ModelSettings):\n"
        "    print('VALUES', settings.output_dir, settings.policy_file, settings.run_date, model_settings.workers)\n"
        "defs = dg.Definitions(assets=[probe], jobs=[dg.define_asset_job('j')],\n"
        "                      resources=default_resources(Settings.load()))\n"
        "defs.resolve_job_def('j').execute_in_process(\n"
        "    run_config={'resources': {'settings': {'config': {'run_date': '2026-11-20'}}}})\n"
    )
    env = {
        **__import__("os").environ,
        "INDUSTRY_GAP_OUTPUT": str(tmp_path / "out"),
        "INDUSTRY_GAP_POLICY": "/srv/plan.toml",
        "INDUSTRY_GAP_WORKERS": "2",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    values = next(line for line in done.stdout.splitlines() if line.startswith("VALUES")).split()
    assert values[1:] == [str(tmp_path / "out"), "/srv/plan.toml", "2026-11-20", "2"]


@pytest.mark.parametrize("run_date", ["2025-13-45", "明天"])
def test_a_bad_run_date_creates_nothing(tmp_path, run_date):
    """Issue 23: an invalid --run-date stops the run before the output folder or database exists."""
    from pipelines.runner import run_pipeline

    output = tmp_path / "out"
    with pytest.raises(UserError, match=f"运行日期“{run_date}”无法识别"):
        run_pipeline(Settings(output_dir=str(output), run_date=run_date))
    assert not output.exists()
