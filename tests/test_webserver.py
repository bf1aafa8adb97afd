"""The Dagster UI as analysts use it: a real dagster-webserver on localhost, queried over GraphQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts a real dagster-webserver and launches a run from it

REPO_ROOT = Path(__file__).resolve().parents[1]
INSTANCE_YAML = """
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
"""

ASSETS_QUERY = """
{ assetNodes { assetKey { path } groupName description hasAssetChecks isPartitioned } }
"""
REPOSITORY_QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name }
  schedules { name cronSchedule executionTimezone } sensors { name } } } } }
"""
CHECKS_QUERY = """
query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } } }
"""
LAUNCH_MUTATION = """
mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } }
  ... on PythonError { message } ... on RunConfigValidationInvalid { errors { message } } } }
"""
RUN_QUERY = """
query($id: ID!) { runOrError(runId: $id) { ... on Run { status tags { key value } } } }
"""
PARTITIONS_QUERY = """
query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  partitionKeys assetPartitionStatuses { ... on TimePartitionStatuses {
    ranges { status startKey endKey } } } } } }
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    output = tmp_path_factory.mktemp("ui_output")
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "INDUSTRY_GAP_OUTPUT": str(output),
        "INDUSTRY_GAP_INBOX": str(output / "inbox"),
        "INDUSTRY_GAP_REPORT_FROM": "2026-11",  # the months from 2026-11 are shown (and can be backfilled)
    }
    webserver_bin = Path(sys.executable).with_name("dagster-webserver")
    process = subprocess.Popen(
        [str(webserver_bin), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 180
        while True:
            try:
                graphql(port, "{ version }")
                break
            except Exception as error:
                if process.poll() is not None or time.time() > deadline:
                    raise RuntimeError("dagster-webserver did not start") from error
                time.sleep(1)
        yield port, output
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_ui_shows_every_asset_with_groups(webserver):
    port, _ = webserver
    nodes = graphql(port, ASSETS_QUERY)["assetNodes"]
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    assert {"registry", "classified_registry", "coverage", "entry_candidates", "office_workbooks"} <= keys
    assert {n["groupName"] for n in nodes} == {"ingest", "classify", "analyse", "report", "city"}
    partitioned = {"/".join(n["assetKey"]["path"]) for n in nodes if n["isPartitioned"]}
    assert partitioned == {
        "report_changes",
        "warehouse_tables",
        "office_workbooks",  # by month
        "district_inputs",
        "district_labels",
        "district_classified",
        "district_coverage",
    }  # by district (city)


def test_ui_shows_checks_schedule_and_sensor(webserver):
    port, _ = webserver
    checks = graphql(port, CHECKS_QUERY, {"key": {"path": ["registry"]}})
    names = {c["name"]: c["blocking"] for c in checks["assetNodeOrError"]["assetChecksOrError"]["checks"]}
    assert names.get("row_accounting") is True
    repository = graphql(port, REPOSITORY_QUERY)["repositoriesOrError"]["nodes"][0]
    schedules = {s["name"]: s for s in repository["schedules"]}
    assert schedules["nightly_schedule"]["executionTimezone"] == "Asia/Shanghai"
    assert "inbox_sensor" in {s["name"] for s in repository["sensors"]}


def test_a_run_launched_from_the_ui_succeeds(webserver):
    port, output = webserver
    repository = graphql(port, REPOSITORY_QUERY)["repositoriesOrError"]["nodes"][0]
    params = {
        "selector": {
            "repositoryLocationName": repository["location"]["name"],
            "repositoryName": repository["name"],
            "jobName": "full_refresh",
        },
        "runConfigData": {"resources": {"settings": {"config": {"run_date": "2026-11-20"}}}},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2026-11-01"}]},
    }
    launched = graphql(port, LAUNCH_MUTATION, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.time() + 900
    status = ""
    while time.time() < deadline:
        run = graphql(port, RUN_QUERY, {"id": run_id})["runOrError"]
        status = run["status"]
        if status in {"SUCCESS", "FAILURE", "CANCELED"}:
            break
        time.sleep(3)
    assert status == "SUCCESS"
    assert {"key": "dagster/partition", "value": "2026-11-01"} in run["tags"]
    assert (output / "industry_gap.sqlite").exists()
    assert list((output / "exports" / "2026-11").glob("*.xlsx"))
    node = graphql(port, PARTITIONS_QUERY, {"key": {"path": ["office_workbooks"]}})["assetNodeOrError"]
    assert node["partitionKeys"][0] == "2026-11-01"  # not every month since the plan was issued
    ranges = node["assetPartitionStatuses"]["ranges"]
    assert {"status": "MATERIALIZED", "startKey": "2026-11-01", "endKey": "2026-11-01"} in ranges
