"""Errors whose message is meant for the user (Chinese, names file/row/column)."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or settings; the CLI prints the message, no traceback.

    `exit_code` follows the CLI contract: 2 = the input cannot be used at all.
    """

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class InputFileError(UserError):
    """A whole input file is unusable (unreadable, not a table, a required column missing)."""

    def __init__(self, path: object, problem: str):
        super().__init__(f"文件“{path}”无法使用：{problem}", exit_code=2)
        self.path = str(path)
        self.problem = problem
