"""`industry-gap run` shows each stage as it finishes (count and seconds), plain when not a terminal;
`--quiet` leaves only the summary. Two sample runs as a user starts them (a subprocess, stdout a pipe)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.runner import STEP_NAMES, Stage, StagePrinter, stage_label

ROOT = Path(__file__).resolve().parents[1]
STAGE_LINE = re.compile(r"^\[(\d+)/(\d+)\] (\S+?)：(?:([\d,]+) (?:行|个文件|个门类)，)?(\d+\.\d) 秒$")
BEFORE_DEADLINE = "2025-11-24"  # the plan's goals end 2025-12-31


def run_cli(output: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--output", str(output), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_stage_lines_appear_in_order_with_counts_and_seconds(tmp_path):
    printed = run_cli(tmp_path / "out").stdout
    lines = printed.splitlines()
    assert lines[0] == "正在运行流水线……"
    stages = [STAGE_LINE.match(line) for line in lines[1 : len(STEP_NAMES) + 1]]
    assert all(stages), lines[: len(STEP_NAMES) + 2]
    assert [int(m.group(1)) for m in stages] == list(range(1, len(STEP_NAMES) + 1))
    assert {int(m.group(2)) for m in stages} == {len(STEP_NAMES)}
    assert sorted(m.group(3) for m in stages) == sorted(stage_label(step) for step in STEP_NAMES)
    assert lines[len(STEP_NAMES) + 1] == "运行完成。"
    by_label = {m.group(3): m for m in stages}
    assert by_label["规下企业名录"].group(4) == "8,008"  # rows read
    assert by_label["规下企业经营范围分类"].group(4)  # rows classified
    assert "\r" not in printed and "\x1b" not in printed  # not a terminal: plain lines only


@pytest.mark.slow
def test_quiet_prints_only_the_summary_and_a_baseline_file_counts(tmp_path):
    """Also the plan's 基期 file end to end: new categories counted against it, deadline not passed."""
    baseline = tmp_path / "基期.csv"
    baseline.write_text("行业代码,规上已有,全口径已有\n3670,是,是\n1391,否,是\n", encoding="utf-8-sig")
    printed = run_cli(tmp_path / "out", "--quiet", "--run-date", BEFORE_DEADLINE, "--baseline", str(baseline)).stdout
    assert not [line for line in printed.splitlines() if line.startswith("[")]
    assert printed.splitlines()[:2] == ["正在运行流水线……", "运行完成。"]
    assert "以规划基期文件“基期.csv”为基期" in printed
    assert "首次运行" not in printed and "已到期" not in printed
    assert "距截止 37 天" in printed
    new = [int(n) for n in re.findall(r"较基期新增(\d+)个", printed)]
    assert len(new) == 2 and all(n > 0 for n in new)


def test_printer_redraws_on_a_terminal_and_writes_plain_lines_elsewhere():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    started, finished = (
        Stage(3, 17, "classified_registry", "规下企业经营范围分类"),
        Stage(3, 17, "classified_registry", "规下企业经营范围分类", 2.13, (8008, "行")),
    )
    assert finished.line() == "[3/17] 规下企业经营范围分类：8,008 行，2.1 秒"
    terminal, pipe = Terminal(), io.StringIO()
    for printer in (StagePrinter(terminal), StagePrinter(pipe)):
        printer(started)
        printer(finished)
    assert (
        terminal.getvalue()
        == "\r\x1b[K[3/17] 规下企业经营范围分类……\r\x1b[K[3/17] 规下企业经营范围分类：8,008 行，2.1 秒\n"
    )
    assert pipe.getvalue() == "[3/17] 规下企业经营范围分类：8,008 行，2.1 秒\n"
