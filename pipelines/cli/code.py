"""`industry-gap code CODE`: a code's level, name and path in GB/T 4754-2017."""

from __future__ import annotations

import argparse

from industry_gap.errors import UserError
from reference import UnknownCodeError, normalize_code, standard


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "code",
        help="查询行业代码的层级、名称和路径",
        description="查询 GB/T 4754-2017 行业代码，例如 1311、C1311、C13、13（可用全角数字）。",
    )
    parser.add_argument("code", metavar="代码", help="行业代码，如 1311 或 C13")
    parser.add_argument(
        "--edition",
        choices=["2017", "2011"],
        default="2017",
        help="代码所属版本；2011 表示先按对照表转换为 2017 版（默认 2017）",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    reference = standard()
    if normalize_code(args.code) is None:
        raise UserError(f"“{args.code}”不是行业代码的格式（应为门类字母和/或 2-4 位数字，如 C1311、13）")
    try:
        codes = reference.to_2017(args.code, args.edition)
    except UnknownCodeError as error:
        raise UserError(str(error)) from error
    if not codes:
        raise UserError(f"2011 版代码“{args.code}”在对照表中没有对应的 2017 版代码")
    if args.edition == "2011":
        print(f"2011 版代码 {normalize_code(args.code)} 对应 2017 版：{'、'.join(codes)}")
    for code in codes:
        node = reference.get(code)
        industrial = "是" if node.is_industrial else "否"
        print(f"{node.code}\t{node.level_name}\t{node.name}\t工业：{industrial}")
        print(f"  {reference.path_text(code)}")
    return 0
