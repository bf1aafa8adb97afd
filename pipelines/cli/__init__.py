"""The `industry-gap` console command: one sub-module per sub-command.

Each module in COMMANDS defines `register(subparsers)`, which adds its parser
and sets `func(args) -> int`. User errors print one Chinese message and exit
with their code; so do problems with the user's own machine (full or
read-only disk, no permission, unreachable database: see
`industry_gap.environment`). Anything else is logged under the output folder
(or the user's cache), summarised in Chinese, and exits 3, so no traceback
reaches a user.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
import traceback
from pathlib import Path

from industry_gap.errors import UserError

COMMANDS = ["run", "city", "check_registry", "code", "train", "classify", "evaluate", "ui", "prune_runs"]


# argparse's own error phrases, in Chinese (the rest of each message is names and values)
ARGPARSE_PHRASES = {
    "the following arguments are required": "缺少必需的参数",
    "unrecognized arguments": "无法识别的参数",
    "invalid choice": "无效的选项值",
    "choose from": "可选",
    "expected one argument": "需要提供一个值",
    "invalid int value": "不是整数",
    "invalid float value": "不是数字",
    "argument ": "参数 ",
}


def translate_argparse(message: str) -> str:
    for english, chinese in ARGPARSE_PHRASES.items():
        message = message.replace(english, chinese)
    return message


class ChineseHelpFormatter(argparse.HelpFormatter):
    """Usage lines start with 用法： instead of argparse's English prefix."""

    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, prefix if prefix is not None else "用法：")


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with Chinese help, section titles and usage errors (exit 2)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str):  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：参数错误：{translate_argparse(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="industry-gap",
        description="扩增工业门类数据流水线：经营范围分类、门类缺口识别、小升规培育清单。",
    )
    subparsers = parser.add_subparsers(
        title="子命令", dest="command", metavar="命令", parser_class=ChineseArgumentParser
    )
    for name in COMMANDS:
        module = importlib.import_module(f"pipelines.cli.{name}")
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
    except UserError as error:  # a message may quote a cell (a header row that was data), so it is masked
        from industry_gap.privacy import mask_text

        print(f"错误：{mask_text(error.message)}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as error:  # last resort: never show a traceback to a user
        explained = environment_problem(error, args)
        if explained is not None:
            from industry_gap.privacy import mask_text

            print(f"错误：{mask_text(explained.message)}", file=sys.stderr)
            sys.unraisablehook = quiet_unraisable  # e.g. a half-written file's close() hits the full disk again
            return explained.exit_code
        from industry_gap.privacy import mask_text

        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        log = write_error_log(traceback.format_exc(), getattr(args, "output", None))
        where = (
            f"详细信息已写入 {log}，请将该文件反馈给维护人员。"
            if log
            else "错误日志也无法写入，请将本信息反馈给维护人员。"
        )
        print(f"内部错误：{type(error).__name__}: {mask_text(str(error))}。{where}", file=sys.stderr)
        return 3


def environment_problem(error: Exception, args: argparse.Namespace) -> UserError | None:
    """The user's machine (disk, permission, database), explained in Chinese; None for our own bugs."""
    try:
        from industry_gap.environment import explain_environment_error

        return explain_environment_error(
            error, database_url=database_url_of(args), output_dir=str(getattr(args, "output", "") or "")
        )
    except Exception:  # explaining must never hide the original error behind a new one
        logging.getLogger(__name__).debug("could not explain the error", exc_info=True)
        return None


def quiet_unraisable(unraisable) -> None:
    """After an environment error the user has their message; later cleanup failures go to debug logging only."""
    logging.getLogger(__name__).debug("ignored during cleanup: %r", unraisable.exc_value)


def database_url_of(args: argparse.Namespace) -> str:
    """The database a command uses (`run`: --database, DATABASE_URL, else SQLite in the output folder)."""
    if not hasattr(args, "database"):
        return os.environ.get("DATABASE_URL", "")
    from industry_gap.settings import Settings

    return Settings(database_url=args.database or "", output_dir=getattr(args, "output", None) or "output").database()


def error_log_folders(output: str | None) -> list[Path]:
    """Where an unexpected error's log may go: the command's output folder, then the user's cache.

    Never a shared temporary folder: another user could read it (or plant a link there).
    """
    folders = [Path(output) / "logs"] if output and Path(output).is_dir() else []
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return folders + [Path(cache) / "industry-gap" / "logs"]


def write_error_log(text: str, output: str | None) -> Path | None:
    """Write the masked traceback to the first usable folder; None when none can be written."""
    from industry_gap.privacy import mask_text

    name = f"industry-gap-error-{time.strftime('%Y%m%d-%H%M%S')}"
    for folder in error_log_folders(output):
        for log in (folder / f"{name}.log", folder / f"{name}-{os.getpid()}.log"):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with log.open("x", encoding="utf-8") as handle:
                    handle.write(mask_text(text))
                return log
            except FileExistsError:
                continue
            except OSError:
                break
    return None


if __name__ == "__main__":
    sys.exit(main())
