"""`industry-gap check-registry FILE`: check one input file before running the pipeline.

Exit codes: 0 every row is clean (closed firms / older duplicates set aside
are fine), 1 some rows were quarantined, 2 the file cannot be used at all
(including a file with a header but no data rows: ingestion accepts it as an
empty table, but an office checking its registry has exported the wrong thing).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from industry_gap.environment import (
    check_not_locked_by_office,
    check_writable_folder,
    explain_environment_error,
    is_symlink_loop,
    symlink_loop_error,
)
from industry_gap.errors import UserError
from industry_gap.exports.excel_style import csv_safe
from industry_gap.ingest import CHUNK_ROWS, CODE_EDITIONS, DATASETS, IngestResult, accounting_problem, ingest_file
from industry_gap.privacy import mask_text, safe_for_output
from industry_gap.schema import DATASET_LABELS, QUARANTINE_COLUMNS

QUARANTINE_HEADERS = {
    "dataset": "数据集",
    "file": "文件",
    "row": "行号",
    "column": "列",
    "value": "值",
    "reason": "原因",
}
assert list(QUARANTINE_HEADERS) == QUARANTINE_COLUMNS


def register(subparsers) -> None:
    datasets = "、".join(f"{k}={DATASET_LABELS[k]}" for k in DATASETS)
    parser = subparsers.add_parser(
        "check-registry",
        help="检查企业名录等输入文件：读入多少行、多少行合格、哪些行需要修正",
        description=(
            "检查一个输入文件（CSV 或 XLSX）能否被流水线使用，并列出需要修正的行。"
            "退出码：0 = 全部合格；1 = 有行被隔离（需修正）；2 = 文件无法使用。"
        ),
    )
    parser.add_argument("file", metavar="文件", help="要检查的文件路径（.csv / .xlsx）")
    parser.add_argument(
        "--quarantine-out",
        metavar="隔离明细.csv",
        help="把被隔离的行写入此 CSV 文件（UTF-8 带 BOM，可直接用 Excel/WPS 打开）",
    )
    parser.add_argument(
        "--dataset",
        default="registry",
        choices=list(DATASETS),
        metavar="数据集",
        help=f"文件类型，默认 registry。可选：{datasets}",
    )
    parser.add_argument(
        "--code-edition",
        default="2017",
        choices=list(CODE_EDITIONS),
        metavar="版本",
        help="文件中行业代码所用的 GB/T 4754 版本：2017（默认）或 2011",
    )
    # Data rows read at a time; 0 reads the whole file at once (the old way, for benchmarks/check_memory.py).
    parser.add_argument("--chunk-rows", type=int, default=CHUNK_ROWS, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Only counts of the clean rows are needed: a 3,000,000-row registry is checked in about 1 GB.
    if args.quarantine_out:  # an unwritable destination is reported before the file is read
        if is_symlink_loop(args.quarantine_out):
            raise symlink_loop_error(args.quarantine_out, "隔离明细文件")
        check_writable_folder(Path(args.quarantine_out).parent or Path("."), label="隔离明细目录", create=False)
        check_not_locked_by_office(args.quarantine_out)
    result = ingest_file(args.file, args.dataset, args.code_edition, chunk_rows=args.chunk_rows, keep_clean=False)
    if result.rows_in == 0:
        where = f"工作表“{result.sheet}”" if result.sheet else "文件"
        raise UserError(
            f"文件“{result.file}”无法使用：{where}只有表头（第{result.header_row}行），没有数据行。"
            "请确认导出时选中了全部数据"
        )
    problem = accounting_problem(result)
    _print_summary(result)
    if args.quarantine_out:
        write_quarantine_csv(result, args.quarantine_out)
        print(f"隔离明细已写入：{args.quarantine_out}（{len(result.quarantine)} 行）")
    if problem:
        print(f"错误：{mask_text(problem)}", file=sys.stderr)
        return 3
    if len(result.quarantine):
        if not args.quarantine_out:
            print("提示：加上 --quarantine-out 隔离明细.csv 可导出每一行的问题，修正后重新检查。")
        return 1
    return 0


def _print_summary(result: IngestResult) -> None:
    counts = result.accounting()
    where = f"，工作表“{result.sheet}”" if result.sheet else ""
    print(f"文件：{result.file}（{result.label}{where}，表头在第{result.header_row}行）")
    print(f"读入数据行：{counts['in']}")
    print(f"  合格：{counts['clean']}")
    print(f"  隔离（需修正）：{counts['quarantined']}")
    _print_reasons(result.reasons_summary("quarantine"))
    print(f"  暂不纳入：{counts['set_aside']}")
    _print_reasons(result.reasons_summary("set_aside"))
    if result.ignored_columns:
        print(f"未使用的列：{'、'.join(result.ignored_columns)}")
    for note in result.notes:
        print(f"提示：{mask_text(note)}")


def _print_reasons(reasons: dict[str, int]) -> None:
    for reason, count in reasons.items():
        print(f"    {mask_text(reason)}：{count}")


def write_quarantine_csv(result: IngestResult, path: str | os.PathLike) -> None:
    """Quarantine table with Chinese headers, UTF-8 with BOM (Excel opens it correctly), written atomically."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"无法写入隔离明细：目录“{directory}”不存在")
    table = safe_for_output(result.quarantine).copy()  # a bad cell may be an ID typed in the wrong column
    table["dataset"] = table["dataset"].map(lambda d: DATASET_LABELS.get(d, d))
    table = csv_safe(table.rename(columns=QUARANTINE_HEADERS))  # "=HYPERLINK(…)" must not run in Excel
    temp = ""
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
            table.to_csv(out, index=False)
        os.chmod(temp, 0o644)  # mkstemp creates 0600; the list is meant to be shared
        os.replace(temp, target)
    except OSError as error:
        if temp:
            Path(temp).unlink(missing_ok=True)
        explained = explain_environment_error(error, output_dir=str(directory))
        raise (explained or UserError(f"无法写入隔离明细“{path}”：{error.strerror or error}")) from None
    except BaseException:
        if temp:
            Path(temp).unlink(missing_ok=True)
        raise
