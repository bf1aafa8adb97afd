"""The city run: districts as Dagster partitions, the city-wide coverage, on the multiprocess
executor and through real dagster-celery workers on the RabbitMQ at 127.0.0.1:5672."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from openpyxl import load_workbook

from industry_gap.city import (
    ProgressFile,
    city_coverage,
    city_gap_candidates,
    city_table_for_districts,
    clear_progress,
    coverage_summary,
    discover_districts,
    read_progress,
)
from industry_gap.coverage import build_coverage
from industry_gap.coverage_files import read_city_coverage
from industry_gap.errors import UserError
from industry_gap.exports.city_workbook import CANDIDATE_SHEET, SUMMARY_SHEET, TABLE_SHEET
from tests.factories import load_test_policy, service_unavailable

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
RUN_DATE = "2025-06-30"
BROKER = os.environ.get("TEST_CELERY_BROKER", "pyamqp://guest:guest@127.0.0.1:5672//")


def make_city(folder: Path, rows: int = 40) -> dict[str, pd.DataFrame]:
    """Two districts cut from the sample district by the USCC's region digits (东胜 150602, 康巴什 150603)."""
    registry = pd.read_csv(SAMPLE / "registry.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    above = pd.read_csv(SAMPLE / "above_scale.csv", dtype=str, keep_default_na=False, encoding="gbk")
    made = {}
    for district, region in (("东胜区", "150602"), ("康巴什区", "150603")):
        target = folder / district
        target.mkdir(parents=True)
        part = registry[registry["统一社会信用代码"].str[2:8] == region].head(rows)
        part.to_csv(target / "规下企业名录.csv", index=False, encoding="utf-8-sig")
        made[district] = part
        if district == "东胜区":  # 康巴什区 has no 规上 list: an optional file
            above[above.iloc[:, 0].str[2:8] == region].head(rows).to_csv(
                target / "规上工业企业名录.csv", index=False, encoding="utf-8-sig"
            )
    return made


# -- pure logic ---------------------------------------------------------------------------------
def _coverage_with(present_above: set[str], present_all: set[str]) -> pd.DataFrame:
    table = build_coverage(pd.DataFrame(), pd.DataFrame(), load_test_policy())
    table["present_above"] = table["code"].isin(present_above)
    table["present_all"] = table["code"].isin(present_all | present_above)
    table["n_above"] = table["present_above"].astype(int)
    table["n_all"] = table["present_all"].astype(int)
    return table


def test_city_coverage_is_the_union_of_districts():
    a = _coverage_with({"1512", "151", "15"}, {"3021", "302", "30"})
    b = _coverage_with({"3021", "302", "30"}, set())
    city = city_coverage({"甲区": a, "乙区": b})
    row = city.set_index("code")
    assert bool(row.loc["1512", "present_above"]) and row.loc["1512", "above_in"] == "甲区"
    assert bool(row.loc["3021", "present_above"]) and row.loc["3021", "districts_all"] == 2
    assert row.loc["3021", "all_in"] == "乙区、甲区" and row.loc["3021", "above_in"] == "乙区"
    assert not bool(row.loc["2611", "present_all"]) and row.loc["2611", "all_in"] == ""
    assert row.loc["3021", "n_all"] == 2
    summary = coverage_summary(city, {"甲区": a, "乙区": b}).set_index(["scope_name", "level_name", "district"])
    assert summary.loc[("规上口径", "小类", "全市"), "present"] == 2
    assert summary.loc[("规上口径", "小类", "乙区"), "present"] == 1
    table = city_table_for_districts(city)
    assert table.set_index("行业代码").loc["1512", "规上已有"] == "是"


def test_candidates_fill_only_gaps_no_district_has_at_above_scale():
    a = _coverage_with({"1512", "151", "15"}, set())
    b = _coverage_with(set(), {"2611", "261", "26"})
    city = city_coverage({"甲区": a, "乙区": b})
    codes = pd.DataFrame(
        [
            # a 规下 firm in 乙区 in 1512: 甲区 has 1512 at 规上, so it fills no city gap
            {
                "uscc": "1",
                "name": "甲",
                "scale": "below",
                "counted_in_all": True,
                "code": "1512",
                "code_name": "白酒制造",
                "code_level": "class",
                "code_source": "classified",
                "confidence": 0.9,
                "decision": "",
            },
            {
                "uscc": "2",
                "name": "乙",
                "scale": "below",
                "counted_in_all": True,
                "code": "2611",
                "code_name": "无机酸制造",
                "code_level": "class",
                "code_source": "registry",
                "confidence": float("nan"),
                "decision": "",
            },
            {
                "uscc": "3",
                "name": "丙",
                "scale": "below",
                "counted_in_all": False,
                "code": "2611",
                "code_name": "无机酸制造",
                "code_level": "class",
                "code_source": "classified",
                "confidence": 0.2,
                "decision": "",
            },
        ]
    )
    found = city_gap_candidates(city, {"乙区": codes})
    assert found["uscc"].tolist() == ["2"]
    assert found["district"].tolist() == ["乙区"] and found["districts_all"].tolist() == [1]


def test_discover_districts_reads_the_folder_and_explains_problems(tmp_path):
    make_city(tmp_path / "city", rows=5)
    found = discover_districts(tmp_path / "city")
    assert [d.district for d in found] == ["东胜区", "康巴什区"]
    assert found[0].above_scale is not None and found[1].above_scale is None
    (tmp_path / "city" / "空区").mkdir()
    with pytest.raises(UserError, match="空区.*没有找到规下企业名录"):
        discover_districts(tmp_path / "city")
    shutil.rmtree(tmp_path / "city" / "空区")
    shutil.copy(found[0].registry, found[0].registry.with_name("规下企业名录2.csv"))
    with pytest.raises(UserError, match="多个规下企业名录"):
        discover_districts(tmp_path / "city")
    with pytest.raises(UserError, match="不存在"):
        discover_districts(tmp_path / "nowhere")
    (tmp_path / "bad" / "a,b").mkdir(parents=True)
    with pytest.raises(UserError, match="不能使用的字符"):
        discover_districts(tmp_path / "bad")


def test_progress_file_is_read_back_and_cleared(tmp_path):
    assert read_progress(tmp_path, "东胜区") is None
    write = ProgressFile(tmp_path, "东胜区", "已分类", min_interval=3600)
    write(10, 100)
    write(50, 100)  # within the interval: not written
    state = read_progress(tmp_path, "东胜区")
    assert state is not None and (state.stage, state.done, state.total) == ("已分类", 10, 100)
    write(100, 100)  # the end is always written
    state = read_progress(tmp_path, "东胜区")
    assert state is not None and state.done == 100
    assert state.line().startswith("区县“东胜区”：已分类 100/100 行")
    clear_progress(tmp_path)
    assert read_progress(tmp_path, "东胜区") is None


# -- real runs ----------------------------------------------------------------------------------
def _expected_class_counts(made: dict[str, pd.DataFrame], output: Path) -> None:
    """Each district's stored coverage equals the coverage computed directly from its own rows."""
    storage = output / "city" / "storage" / "district_coverage"
    assert sorted(p.name for p in storage.iterdir()) == sorted(made)


def _count(value: object) -> int:
    """A count cell of the summary sheet (written as an int)."""
    assert isinstance(value, int), value
    return value


def _check_city_outputs(output: Path, made: dict[str, pd.DataFrame]) -> None:
    book = load_workbook(output / "city" / "全市门类覆盖_20250630.xlsx")
    assert book.sheetnames == [SUMMARY_SHEET, TABLE_SHEET, CANDIDATE_SHEET]
    summary = book[SUMMARY_SHEET]
    headers = [c.value for c in summary[3]]
    assert headers == ["口径", "层级", "全市", "东胜区", "康巴什区"]
    rows = {(r[0], r[1]): tuple(_count(v) for v in r[2:]) for r in summary.iter_rows(min_row=4, values_only=True)}
    city_classes, a, b = rows[("全口径", "小类")]
    assert max(a, b) <= city_classes <= a + b and city_classes > 0
    above_city, above_a, above_b = rows[("规上口径", "小类")]
    assert above_b == 0 and above_city == above_a > 0  # 康巴什区 has no 规上 list
    table = read_city_coverage(output / "city" / "全市门类表.csv")
    assert table["present_all"].sum() >= city_classes
    _expected_class_counts(made, output)


@pytest.mark.slow
def test_city_run_on_the_multiprocess_executor(tmp_path: Path) -> None:
    from pipelines.city import CityOptions, run_city

    made = make_city(tmp_path / "city")
    output = tmp_path / "out"
    lines: list[str] = []
    outcome = run_city(
        CityOptions(city_dir=str(tmp_path / "city"), output_dir=str(output), run_date=RUN_DATE), progress=lines.append
    )
    assert outcome.metadata["区县数"] == 2 and set(outcome.district_seconds) == set(made)
    assert lines[0] == "[1/4] 读取 2 个区县的名录……"
    assert any(line.startswith("      区县“东胜区”：名录读入 ") for line in lines)
    assert "参考模型" in outcome.model_mode  # 40 rows a district: too few labels to train
    _check_city_outputs(output, made)
    with dg.DagsterInstance.from_config(str(output / "dagster_home")) as instance:
        assert sorted(instance.get_dynamic_partitions("city_district")) == sorted(made)
        run = instance.get_run_by_id(outcome.run_ids["东胜区"])
        assert run is not None
        assert run.tags["dagster/partition"] == "东胜区"
        assert run.job_name == "city_districts" and run.tags["industry_gap/district"] == "东胜区"
        assert run.tags["industry_gap/run_date"] == RUN_DATE and run.tags["industry_gap/trigger"] == "city"
        assert run.tags["industry_gap/registry"] in {p.name for p in (tmp_path / "city" / "东胜区").iterdir()}
        [summary] = instance.get_runs(dg.RunsFilter(job_name="city_summary"))
        assert summary.tags["industry_gap/district"] == "全市" and "industry_gap/model_version" in summary.tags
        engine = [e.message for e in instance.all_logs(run.run_id) if "in subprocess" in (e.message or "")]
        assert engine, "district steps ran in their own processes"
        # one office model for the city, read by every district's classification
        [model_run] = instance.get_runs(dg.RunsFilter(job_name="city_model"))
        assert model_run.tags["industry_gap/district"] == "全市"
        inputs = instance.get_runs(dg.RunsFilter(job_name="city_district_inputs"))
        assert sorted(r.tags["dagster/partition"] for r in inputs) == sorted(made)
    # A district removed from the folder is removed from the partitions at the next run.
    shutil.rmtree(tmp_path / "city" / "康巴什区")
    outcome = run_city(
        CityOptions(city_dir=str(tmp_path / "city"), output_dir=str(output), run_date=RUN_DATE, executor="in_process"),
        progress=lines.append,
    )
    assert outcome.metadata["区县"] == "东胜区"


@pytest.mark.slow
def test_city_cli_reports_a_bad_district_in_chinese(tmp_path):
    make_city(tmp_path / "city", rows=5)
    (tmp_path / "city" / "东胜区" / "规下企业名录.csv").write_text("甲,乙\n1,2\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "city",
            str(tmp_path / "city"),
            "--output",
            str(tmp_path / "out"),
            "--run-date",
            RUN_DATE,
            "--executor",
            "in_process",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr
    assert "区县“东胜区”" in done.stderr and "Traceback" not in done.stderr + done.stdout


def _broker_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.fixture
def celery_worker(tmp_path):
    """A real dagster-celery worker process on its own queue of the local RabbitMQ."""
    pytest.importorskip("dagster_celery")
    if not _broker_answers():
        service_unavailable("RabbitMQ at 127.0.0.1:5672")
    queue = f"industry_gap_test_{os.getpid()}_{int(time.time())}"
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dagster_celery.app",
            "-b",
            BROKER,
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "--loglevel=INFO",
            "-n",
            f"{queue}@%h",
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 120
    while "ready." not in (tmp_path / "worker.log").read_text(errors="replace"):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail("celery worker did not start:\n" + (tmp_path / "worker.log").read_text(errors="replace"))
        time.sleep(0.5)
    try:
        yield queue, tmp_path / "worker.log"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


@pytest.mark.slow
def test_city_run_through_celery_workers(tmp_path, celery_worker):
    from pipelines.city import CityOptions, run_city

    queue, worker_log = celery_worker
    made = make_city(tmp_path / "city")
    output = tmp_path / "out"
    outcome = run_city(
        CityOptions(
            city_dir=str(tmp_path / "city"),
            output_dir=str(output),
            run_date=RUN_DATE,
            executor="celery",
            broker=BROKER,
            queue=queue,
        ),
        progress=lambda _: None,
    )
    assert outcome.metadata["区县数"] == 2
    _check_city_outputs(output, made)
    text = worker_log.read_text(errors="replace")
    for step in ("district_inputs", "district_classified", "district_coverage"):
        assert text.count(f"Executing steps {step} in celery worker") == 2, step  # once per district
    with dg.DagsterInstance.from_config(str(output / "dagster_home")) as instance:
        for district in made:
            messages = [e.message or "" for e in instance.all_logs(outcome.run_ids[district])]
            assert any("in celery worker" in m for m in messages), district
