"""The inbox folder: offices drop new input files there; each is taken once.

Layout under the inbox folder:

    inbox/                      new files (CSV/XLSX) dropped by the office
    inbox/processed/            accepted files, renamed "<UTC time>_<sha256[:12]>_<dataset>__<name>"
    inbox/failed/               unusable files, each with "<name>.原因.txt" beside it

A file is taken only when it has stopped changing (its size and mtime are older
than `settle_seconds`), so a half-copied file is never read. Moving a file out
of the inbox is what makes it "processed once"; the content hash in the new
name lets the sensor refuse the same content twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from industry_gap.errors import UserError
from industry_gap.ingest import DATASETS, ingest_file, read_table
from industry_gap.ingest.aliases import map_headers
from industry_gap.review.columns import CODE_HEADER
from industry_gap.schema import DATASET_LABELS

ACCEPTED_SUFFIXES = {".csv", ".txt", ".xlsx", ".xls"}
PROCESSED = "processed"
FAILED = "failed"
REASON_SUFFIX = ".原因.txt"

# Filename words that say which dataset a file is (checked before the headers).
OVERRIDES = "overrides"  # a filled review workbook (人工核定), not an ingestion dataset
INBOX_KINDS = (*DATASET_LABELS, OVERRIDES)

FILENAME_HINTS = {
    OVERRIDES: ("复核", "核定", "overrides"),
    "above_scale": ("规上", "规模以上", "above_scale"),
    "targets": ("目标", "附件2", "附件3", "targets"),
    "projects": ("项目", "附件4", "projects"),
    "registry": ("名录", "规下", "登记", "registry"),
}

_PROCESSED_NAME = re.compile(r"^(\d{8}T\d{12}Z)_([0-9a-f]{12})_(.+)$")


@dataclass(frozen=True)
class InboxFile:
    path: Path
    sha256: str


@dataclass(frozen=True)
class Accepted:
    dataset: str
    path: Path  # where it now lies, under processed/
    sha256: str
    duplicate: bool  # the same content was processed before


@dataclass(frozen=True)
class Rejected:
    path: Path  # where it now lies, under failed/
    reason: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_layout(inbox: Path) -> None:
    for folder in (inbox, inbox / PROCESSED, inbox / FAILED):
        folder.mkdir(parents=True, exist_ok=True)


def settled_files(inbox: Path, settle_seconds: float = 5.0, now: float | None = None) -> list[InboxFile]:
    """Files in the inbox (not its sub-folders) that have stopped changing, oldest first."""
    if not inbox.is_dir():
        return []
    now = time.time() if now is None else now
    files = []
    for path in sorted(inbox.iterdir(), key=lambda p: (p.stat().st_mtime, p.name)):
        if not path.is_file() or path.name.startswith((".", "~$")):
            continue  # hidden files and Office lock files are not inputs
        if now - path.stat().st_mtime < settle_seconds:
            continue
        files.append(InboxFile(path=path, sha256=file_sha256(path)))
    return files


def detect_dataset(path: Path) -> str:
    """Which input a file is.

    A filename word (名录, 规上, 目标, 项目 …) limits the choice to that dataset,
    so a registry missing its 经营范围 column is rejected as a registry rather
    than mistaken for a 规上 list. Among the candidates whose required columns
    are all present, the one naming the most columns wins.
    """
    if path.suffix.lower() not in ACCEPTED_SUFFIXES:
        raise UserError(f"文件类型“{path.suffix or '无扩展名'}”不受支持，请提供 CSV 或 XLSX 文件")
    if is_review_workbook(path):
        return OVERRIDES
    hinted = [
        name for name, words in FILENAME_HINTS.items() if name != OVERRIDES and any(w in path.name for w in words)
    ]
    candidates = hinted or list(DATASETS)
    best, best_score, problems = None, -1, []
    for dataset in candidates:
        try:
            table = read_table(path, dataset)
        except UserError as error:
            problems.append(error.message)
            continue
        found = map_headers(dataset, table.headers).columns
        required = [f.column for f in DATASETS[dataset].fields if f.required_column]
        if all(column in found for column in required) and len(found) > best_score:
            best, best_score = dataset, len(found)
    if best is not None:
        return best
    if len(candidates) == 1 and not problems:
        ingest_file(path, candidates[0])  # raises the standard "缺少必需的列" message
    detail = problems[0] if problems else "表头与规下名录、规上名录、目标清单、项目清单都不匹配"
    raise UserError(f"无法判断“{path.name}”是哪类输入文件：{detail}")


def is_review_workbook(path: Path) -> bool:
    """A filled review list: its header has the 核定行业代码 column."""
    try:
        table = read_table(path, "registry")
    except UserError:
        return False
    return any(CODE_HEADER in str(header) for header in table.headers)


def processed_datasets(inbox: Path) -> dict[str, Path]:
    """The newest processed file of each dataset: the inputs the next run should use."""
    latest: dict[str, tuple[str, Path]] = {}
    folder = inbox / PROCESSED
    if not folder.is_dir():
        return {}
    for path in folder.iterdir():
        match = _PROCESSED_NAME.match(path.name)
        if not match:
            continue
        dataset = _dataset_from_processed_name(match.group(3))
        if dataset and (dataset not in latest or match.group(1) > latest[dataset][0]):
            latest[dataset] = (match.group(1), path)
    return {dataset: path for dataset, (_, path) in latest.items()}


def _dataset_from_processed_name(rest: str) -> str | None:
    prefix = rest.split("__", 1)[0]
    return prefix if prefix in INBOX_KINDS else None


def seen_hashes(inbox: Path) -> set[str]:
    folder = inbox / PROCESSED
    if not folder.is_dir():
        return set()
    return {m.group(2) for p in folder.iterdir() if (m := _PROCESSED_NAME.match(p.name))}


def accept(item: InboxFile, dataset: str, inbox: Path, now: dt.datetime | None = None) -> Accepted:
    """Move a usable file to processed/, named so its dataset and content stay visible."""
    ensure_layout(inbox)
    duplicate = item.sha256[:12] in seen_hashes(inbox)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    target = _free_name(inbox / PROCESSED / f"{stamp}_{item.sha256[:12]}_{dataset}__{item.path.name}")
    _move(item.path, target)
    return Accepted(dataset=dataset, path=target, sha256=item.sha256, duplicate=duplicate)


def reject(item: InboxFile, reason: str, inbox: Path) -> Rejected:
    """Move an unusable file to failed/ and write the reason beside it."""
    ensure_layout(inbox)
    target = _free_name(inbox / FAILED / item.path.name)
    _move(item.path, target)
    reason_file = target.with_name(target.name + REASON_SUFFIX)
    reason_file.write_text(
        f"文件：{item.path.name}\n时间：{dt.datetime.now().isoformat(timespec='seconds')}\n原因：{reason}\n",
        encoding="utf-8",
    )
    return Rejected(path=target, reason=reason)


def _free_name(target: Path) -> Path:
    """failed/ keeps every file: a second "名录.csv" becomes "名录 (2).csv"."""
    if not target.exists():
        return target
    for number in range(2, 10_000):
        candidate = target.with_name(f"{target.stem} ({number}){target.suffix}")
        if not candidate.exists():
            return candidate
    raise UserError(f"失败文件夹中同名文件过多：{target.name}")


def _move(source: Path, target: Path) -> None:
    """Rename within a file system; copy-then-delete across file systems."""
    try:
        os.replace(source, target)
    except OSError:
        shutil.copy2(source, target)
        source.unlink()
