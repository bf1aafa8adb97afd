"""A progress bar for long work (classifying a big registry): rows done, rate and ETA."""

from __future__ import annotations

import sys
import time

PROGRESS_MIN_ROWS = 20_000  # below this the work takes seconds: no bar


class ProgressBar:
    """Rows done, rate and ETA on stderr: one redrawn bar on a terminal, plain lines otherwise
    (a log file or a pipe gets no carriage returns)."""

    WIDTH = 30

    def __init__(self, label: str = "已分类", stream=None, min_interval: float = 1.0):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self.min_interval = min_interval
        self.last = -min_interval

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self.last < self.min_interval:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else 0.0
        text = f"{self.label} {done:,}/{total:,} 行（{rate:,.0f} 行/秒，预计还需 {eta:.0f} 秒）"
        if self.tty:
            filled = int(self.WIDTH * done / total) if total else self.WIDTH
            bar = "█" * filled + "░" * (self.WIDTH - filled)
            self.stream.write(f"\r{bar} {text}" + ("\n" if done >= total else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
