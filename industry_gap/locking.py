"""An exclusive lock file, so two runs (the schedule and a manual run) never interleave exports."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from industry_gap.errors import UserError


@contextmanager
def exclusive_lock(path: Path, timeout_seconds: float = 900.0, poll_seconds: float = 0.2) -> Iterator[None]:
    """Hold an OS-level lock on `path` (released by the OS even if the process is killed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise UserError(
                        f"另一次运行正在写入“{path.parent}”，等待 {timeout_seconds:.0f} 秒后仍未结束"
                    ) from None
                time.sleep(poll_seconds)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
