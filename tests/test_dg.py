"""`dg` (dagster-dg-cli) loads the project from pyproject's [tool.dg], beside `dagster dev -w workspace.yaml`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dg_command() -> list[str]:
    """The venv's `dg` next to this Python (the package is a dependency), else the one on PATH."""
    beside = Path(sys.executable).with_name("dg")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("dg")
    if found is None:
        pytest.fail("dg not installed: pip install -e . installs dagster-dg-cli")
    return [found]


def test_tool_dg_names_the_same_definitions_as_the_workspace():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["dg"]
    assert config["directory_type"] == "project"
    assert config["project"]["code_location_target_module"] == "pipelines.definitions"
    assert "module_name: pipelines.definitions" in (ROOT / "workspace.yaml").read_text(encoding="utf-8")


@pytest.mark.slow
def test_dg_check_and_list_defs(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "HOME": str(tmp_path)}  # no user dg.toml
    checked = subprocess.run(
        [*dg_command(), "check", "defs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = subprocess.run(
        [*dg_command(), "list", "defs", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    for name in ("nightly_schedule", "inbox_sensor", "classified_registry", "coverage"):
        assert name in listed.stdout
