"""Named pause points for crash tests: a real process can be SIGKILLed at an exact moment.

Inactive unless INDUSTRY_GAP_FAILPOINT names the point. When it does, the
process writes the marker file INDUSTRY_GAP_FAILPOINT_MARKER and waits, so a
test can kill it in the middle of a database transaction or a file write and
then check that nothing half-done is left behind.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

WAREHOUSE_BEFORE_COMMIT = "warehouse_before_commit"
EXPORT_BEFORE_RENAME = "export_before_rename"
EXPORT_BEFORE_PUBLISH = "export_before_publish"  # warehouse committed, staged workbooks not yet swapped in


def failpoint(name: str) -> None:
    if os.environ.get("INDUSTRY_GAP_FAILPOINT") != name:
        return
    marker = os.environ.get("INDUSTRY_GAP_FAILPOINT_MARKER")
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    while True:  # wait to be killed
        time.sleep(0.5)
