"""A month's workbooks and the warehouse rows switch together: stage, commit with a manifest, swap.

1. The run writes all of the month's workbooks into a staging folder,
   ``exports/.staging/YYYY-MM-<token>/``, with a ``.manifest.json`` naming the token.
2. The warehouse commit carries the manifest (the ``export_manifest`` table:
   month, token, file names, sizes, SHA-256) in the same transaction as the tables.
3. The staging folder is swapped with ``exports/YYYY-MM/`` in one step
   (Linux ``renameat2(RENAME_EXCHANGE)``; two renames elsewhere), and the old
   folder is deleted.

A reader therefore sees the old month or the new one, never a mix. A run
killed before (2) leaves a staging folder the database does not know: the
next start deletes it. A run killed between (2) and (3) leaves a staging
folder the database names as the newest for its month: the next start
finishes the swap. `recover_exports` does both, under the exports lock.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from industry_gap.environment import check_not_locked_by_office
from industry_gap.failpoints import EXPORT_BEFORE_PUBLISH, failpoint
from industry_gap.inbox import file_sha256
from industry_gap.tables import TABLES

STAGING = ".staging"
MANIFEST_FILE = ".manifest.json"
OWNER_FILE = ".owner"
MANIFEST_COLUMNS = TABLES["export_manifest"].frame_columns  # declared in industry_gap/tables.py
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def new_token() -> str:
    return uuid.uuid4().hex[:12]


def month_of(run_date: dt.date) -> str:
    return f"{run_date.year:04d}-{run_date.month:02d}"


def published_folder(output_root: str | Path, month: str) -> Path:
    return Path(output_root) / "exports" / month


def staging_folder(output_root: str | Path, month: str, token: str) -> Path:
    return Path(output_root) / "exports" / STAGING / f"{month}-{token}"


def open_staging(output_root: str | Path, month: str, run_id: str) -> tuple[str, Path]:
    """A new, empty staging folder for one run's workbooks of `month`, labelled with the run."""
    token = new_token()
    folder = staging_folder(output_root, month, token)
    folder.mkdir(parents=True)
    (folder / OWNER_FILE).write_text(json.dumps({"run_id": run_id}), encoding="utf-8")
    return token, folder


def _owner(folder: Path) -> str:
    try:
        return str(json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))["run_id"])
    except (OSError, ValueError, KeyError):
        return ""


def staged_manifest(folder: Path) -> pd.DataFrame:
    """The manifest rows `seal` wrote into a staging folder."""
    data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    return pd.DataFrame(data["files"], columns=MANIFEST_COLUMNS)


def seal(folder: Path, month: str, token: str) -> pd.DataFrame:
    """Write the staging folder's manifest file; return the manifest rows for the warehouse."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    # one instant for the whole month's files: the newest commit of a month wins in recovery
    committed_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    rows = [
        {
            "month": month,
            "token": token,
            "file": p.name,
            "bytes": p.stat().st_size,
            "sha256": file_sha256(p),
            "committed_at": committed_at,
        }
        for p in files
    ]
    (folder / MANIFEST_FILE).write_text(
        json.dumps({"month": month, "token": token, "files": rows}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return pd.DataFrame(rows, columns=MANIFEST_COLUMNS)


def folder_token(folder: Path) -> str | None:
    """The token of a published or staged folder (None when it has no readable manifest)."""
    try:
        return str(json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))["token"])
    except (OSError, ValueError, KeyError):
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the call is not available."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot exchange
        return False
    raise OSError(errno, os.strerror(errno), str(a))


def publish(output_root: str | Path, month: str, token: str) -> Path:
    """Swap the staged folder in as ``exports/<month>``; the old month's folder is deleted.

    Call under the exports lock, after the warehouse commit that names `token`.
    """
    staged = staging_folder(output_root, month, token)
    target = published_folder(output_root, month)
    failpoint(EXPORT_BEFORE_PUBLISH)
    if not staged.is_dir() and folder_token(target) == token:
        return target  # a recovery already finished this swap
    for workbook in staged.glob("*.xlsx"):
        check_not_locked_by_office(target / workbook.name)
    if target.exists():
        if not _exchange(staged, target):
            retired = staged.with_name(staged.name + ".old")
            os.replace(target, retired)
            os.replace(staged, target)
            staged = retired
        shutil.rmtree(staged, ignore_errors=True)  # after the exchange it holds the old month
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
    (target / OWNER_FILE).unlink(missing_ok=True)  # only staging needs to say whose it is
    return target


@dataclass(frozen=True)
class Recovery:
    completed: list[str]  # months whose committed staging folder was swapped in now
    discarded: list[str]  # staging folders no commit refers to (a run killed before its commit)

    def messages(self) -> list[str]:
        return [f"上次运行在数据库提交后中断，已补完 {m} 报送工作簿的替换" for m in self.completed] + [
            f"已删除上次中断运行未提交的暂存工作簿：{name}" for name in self.discarded
        ]


def latest_tokens(manifest: pd.DataFrame) -> dict[str, str]:
    """month → token of the newest commit (by commit time) in the manifest table."""
    if manifest.empty:
        return {}
    newest = manifest.sort_values("committed_at", kind="stable").groupby("month").tail(1)
    return dict(zip(newest["month"].astype(str), newest["token"].astype(str)))


def recover_exports(
    output_root: str | Path, manifest: pd.DataFrame, is_active: Callable[[str], bool] = lambda run_id: False
) -> Recovery:
    """Finish or discard what a killed run left in ``exports/.staging`` (call under the exports lock).

    `manifest` is the warehouse's ``export_manifest`` table; `is_active(run_id)` says whether
    the run that opened a staging folder is still going (its folder is then left alone).
    """
    root = Path(output_root) / "exports" / STAGING
    completed: list[str] = []
    discarded: list[str] = []
    if not root.is_dir():
        return Recovery(completed, discarded)
    latest = latest_tokens(manifest)
    for folder in sorted(root.iterdir()):
        parts = folder.name.split("-")
        month, token = "-".join(parts[:2]), "-".join(parts[2:])
        published = published_folder(output_root, month)
        if (
            folder.is_dir()
            and not token.endswith(".old")
            and latest.get(month) == token
            and folder_token(published) != token
            and folder_token(folder) == token
        ):
            publish(output_root, month, token)
            completed.append(month)
        elif latest.get(month) == token and folder_token(published) == token:
            shutil.rmtree(folder, ignore_errors=True)  # published; only the removal was cut short
        elif folder.is_dir() and is_active(_owner(folder)):
            continue
        else:
            shutil.rmtree(folder, ignore_errors=True) if folder.is_dir() else folder.unlink(missing_ok=True)
            discarded.append(folder.name)
    return Recovery(completed, discarded)
