"""The export lock really excludes a second process."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from industry_gap.errors import UserError
from industry_gap.locking import exclusive_lock

pytestmark = pytest.mark.slow  # every test holds the lock in a second Python process

HOLDER = """
import sys, time
from pathlib import Path
from industry_gap.locking import exclusive_lock
with exclusive_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_process_waits_for_the_lock(tmp_path):
    lock = tmp_path / "exports" / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), "1.5"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    start = time.monotonic()
    with exclusive_lock(lock, timeout_seconds=30):
        waited = time.monotonic() - start
    holder.wait(timeout=30)
    assert waited > 0.5  # it could not enter while the other process held it


def test_timeout_gives_a_chinese_message(tmp_path):
    lock = tmp_path / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), "5"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(UserError, match="另一次运行"), exclusive_lock(lock, timeout_seconds=0.3):
        pass
    holder.kill()
    holder.wait()


def test_a_killed_holder_releases_the_lock(tmp_path):
    lock = tmp_path / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), "60"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    with exclusive_lock(lock, timeout_seconds=5):
        pass
