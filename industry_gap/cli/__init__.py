"""The `industry-gap` console command: one sub-module per sub-command.

Each module in COMMANDS defines `register(subparsers)`, which adds its parser
and sets `func(args) -> int`. User errors print one Chinese message and exit
with their code; anything unexpected is logged, summarised in Chinese, and
exits 3, so no traceback reaches a user.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import tempfile
import traceback
from pathlib import Path

from industry_gap.errors import UserError

COMMANDS = ["run", "check_registry", "code", "train", "classify", "evaluate"]


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with Chinese usage errors (exit 2)."""

    def error(self, message: str):  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：参数错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="industry-gap",
        description="扩增工业门类数据流水线：经营范围分类、门类缺口识别、小升规培育清单。",
    )
    parser._positionals.title = "位置参数"
    parser._optionals.title = "选项"
    subparsers = parser.add_subparsers(title="子命令", dest="command", metavar="命令",
                                       parser_class=ChineseArgumentParser)
    for name in COMMANDS:
        module = importlib.import_module(f"industry_gap.cli.{name}")
        module.register(subparsers)
    return parser


def mask_logs() -> None:
    """ID and phone numbers never reach a terminal or log file through Python logging."""
    from industry_gap.privacy import MaskingFilter

    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING)
    for handler in root.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())


def main(argv: list[str] | None = None) -> int:
    mask_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as error:
        print(f"错误：{error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as error:  # last resort: never show a traceback to a user
        log = Path(tempfile.gettempdir()) / "industry-gap-error.log"
        from industry_gap.privacy import mask_text
        log.write_text(mask_text(traceback.format_exc()), encoding="utf-8")
        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        print(f"内部错误：{type(error).__name__}: {error}。详细信息已写入 {log}，请将该文件反馈给维护人员。",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
