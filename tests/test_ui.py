"""`industry-gap ui` as an analyst starts it: a relative output folder, `dg dev`, a real headless browser."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts dg dev (webserver, daemon, code server) and a browser

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)


def page_text(url: str) -> str:
    """The page's text after its JavaScript ran, as Chromium renders it headless."""
    assert BROWSER is not None
    # --dump-dom prints the DOM once the virtual-time budget is spent (the UI's GraphQL fetches included)
    result = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        + ["--virtual-time-budget=30000", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=180,
    )
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", result.stdout, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["data"]


@pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (apt-get install chromium)")
def test_ui_opens_on_the_outputs_history_and_the_browser_shows_the_asset_graph(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "INDUSTRY_GAP_OUTPUT")}
    command = Path(sys.executable).with_name("industry-gap")
    process = subprocess.Popen(
        [str(command), "ui", "--output", "out"],  # relative, as README writes it
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: stopped below as Ctrl+C stops it
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True).start()
    printed: list[str] = []
    try:
        deadline = time.monotonic() + 360
        while not any("Dagster 界面已启动" in line for line in printed):
            assert process.poll() is None, printed
            assert time.monotonic() < deadline, printed
            with contextlib.suppress(queue.Empty):
                printed.append(lines.get(timeout=5))
        [url] = re.findall(r"(http://127\.0\.0\.1:\d+)（", printed[-1])
        home = tmp_path / "out" / "dagster_home"
        assert str(home) in printed[0]  # an absolute DAGSTER_HOME under the output folder
        info = graphql(url, "{ instance { info } }")["instance"]["info"]
        assert str(home) in info

        lineage = page_text(f"{url}/asset-groups")
        assert "Global asset lineage" in lineage
        for group in ("ingest", "classify", "analyse", "report", "city"):
            assert group in lineage
        coverage = page_text(f"{url}/assets/coverage")
        assert "门类覆盖" in coverage and "classified_registry" in coverage  # description and upstream asset
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl+C in the analyst's terminal
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    time.sleep(1)
    while not lines.empty():
        printed.append(lines.get())
    assert any("Dagster 界面已关闭" in line for line in printed), printed
    with pytest.raises(OSError):  # the webserver went with it
        urllib.request.urlopen(f"{url}/server_info", timeout=5)
