"""Problems with the user's own machine, told in Chinese: a full or read-only disk, no permission,
a database that cannot be reached, a workbook open in Excel/WPS.

These are not our bugs, so the CLI reports them like input errors (exit 2)
instead of "内部错误": `explain_environment_error` recognises them anywhere in
an exception chain. `check_writable_folder` and `check_not_locked_by_office`
let a command stop before any work when the place it writes to is unusable.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from pathlib import Path

from industry_gap.errors import UserError

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NO_PERMISSION = {errno.EACCES, errno.EPERM}

# psycopg / libpq connection failures (lower case) -> what went wrong, what to do
_DATABASE_PROBLEMS = [
    ("connection refused", "连接被拒绝。请确认数据库服务已启动、地址和端口正确"),
    ("password authentication failed", "用户名或密码错误。请确认数据库地址中的用户名和密码"),
    ("no password supplied", "服务器要求密码，但地址中没有密码。请在数据库地址中写上密码"),
    ("role", "数据库用户不存在。请确认数据库地址中的用户名"),  # FATAL: role "x" does not exist
    ("database", "数据库不存在。请先创建该数据库，或改正地址中的库名"),  # FATAL: database "x" does not exist
    ("failed to resolve host", "找不到数据库主机。请确认地址中的主机名"),
    ("could not translate host name", "找不到数据库主机。请确认地址中的主机名"),
    ("timeout expired", "连接超时。请确认数据库主机可以访问、防火墙已放行该端口"),
    ("timed out", "连接超时。请确认数据库主机可以访问、防火墙已放行该端口"),
    ("no route to host", "无法到达数据库主机。请确认网络和地址"),
    ("server closed the connection", "连接在运行中断开。请确认数据库服务正常后重新运行"),
    ("terminating connection", "连接在运行中被服务器关闭。请确认数据库服务正常后重新运行"),
    ("ssl", "安全连接（SSL）失败。请确认数据库地址中的 sslmode 设置"),
]
# SQLite errors (lower case) that mean the disk, not our code
_SQLITE_DISK_FULL = ("database or disk is full", "disk i/o error")
_SQLITE_READ_ONLY = "attempt to write a readonly database"
_SQLITE_CANNOT_OPEN = "unable to open database file"


def explain_environment_error(
    error: BaseException, *, database_url: str = "", output_dir: str = ""
) -> UserError | None:
    """A Chinese UserError when `error` (or anything it wraps) is the user's environment, else None.

    `database_url` and `output_dir` are what the command was given: driver
    errors do not say which database or folder they were about.
    """
    for current in _chain(error):
        if isinstance(current, UserError):
            return current  # already explained by the code that raised it (e.g. inside a Dagster step)
        if isinstance(current, RuntimeError) and str(current).startswith("Symlink loop from "):
            return symlink_loop_error(str(current).removeprefix("Symlink loop from ").strip("'\""))  # pathlib, 3.11
        explained = _explain_database(current, database_url, output_dir)
        if explained is None and isinstance(current, OSError):
            explained = _explain_os_error(current, output_dir)
        if explained is not None:
            return explained
    return None


def _chain(error: BaseException) -> list[BaseException]:
    """`error` and everything it wraps: causes, contexts, Dagster's `user_exception`, SQLAlchemy's `orig`."""
    found: list[BaseException] = []
    seen: set[int] = set()
    stack: list[object] = [error]
    while stack:
        current = stack.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        stack.extend(
            [
                getattr(current, "user_exception", None),
                getattr(current, "orig", None),
                current.__cause__,
                current.__context__,
            ]
        )
    return found


def _explain_os_error(error: OSError, output_dir: str, label: str = "输出目录") -> UserError | None:
    path = error.filename or output_dir
    where = _where(path, output_dir, label)
    if error.errno in _DISK_FULL:
        return UserError(f"{where}所在磁盘已满，请清理磁盘空间后重新运行")
    if error.errno == errno.EROFS:
        return UserError(f"{where}所在磁盘是只读的，无法写入。请换一个可写的位置（或重新挂载为可写）后重新运行")
    if error.errno in _NO_PERMISSION:
        lock = office_lock_file(path) if error.filename else None
        if lock is not None:
            return _locked_by_office(Path(path), lock)
        return UserError(f"没有权限读写{where}。请换一个当前用户可读写的位置，或请管理员开放权限后重新运行")
    if error.errno == errno.ELOOP:
        return symlink_loop_error(path, label if path == output_dir else "路径")
    if error.errno == errno.EIO:
        return UserError(f"读写{where}时发生磁盘 I/O 错误。请检查磁盘（U 盘、网络盘是否已断开）后重新运行")
    return None


def _where(path: str | os.PathLike | None, output_dir: str, label: str = "输出目录") -> str:
    """输出目录“x” when `path` is inside the output folder, else the path (a temporary's folder)."""
    if not path:
        return "输出位置"
    if Path(path).name.startswith(".") and ".tmp" in Path(path).name:
        path = Path(path).parent  # our temporary file's name helps nobody: name its folder
    if output_dir:
        try:
            if Path(path).resolve().is_relative_to(Path(output_dir).resolve()):
                return f"{label}“{output_dir}”"
        except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop (pathlib, Python 3.11)
            pass
    return f"“{path}”"


def _explain_database(error: BaseException, database_url: str, output_dir: str) -> UserError | None:
    if not _is_database_error(error):
        return None
    message = str(getattr(error, "orig", None) or error).lower()
    name = display_database(database_url)
    sqlite_file = name if database_url.startswith("sqlite") else ""
    if any(text in message for text in _SQLITE_DISK_FULL):
        where = f"数据库文件{sqlite_file}" if sqlite_file else _where(output_dir, output_dir)
        problem = "磁盘已满" if "full" in message else "发生磁盘 I/O 错误（常见于磁盘已满或已断开）"
        return UserError(f"{where}所在{problem}。请清理磁盘空间、确认磁盘可写后重新运行")
    if _SQLITE_READ_ONLY in message:
        return UserError(f"数据库文件{sqlite_file}是只读的，无法写入。请确认文件和所在目录可写后重新运行")
    if _SQLITE_CANNOT_OPEN in message:
        return UserError(f"无法打开数据库文件{sqlite_file}。请确认所在目录存在、可写后重新运行")
    if not any(word in message for word in ("connect", "server", "host")):
        return None  # a failing SQL statement is our bug, not the user's database
    for text, problem in _DATABASE_PROBLEMS:
        if text in message and (text not in ("role", "database") or "does not exist" in message):
            return UserError(f"数据库 {name or '（地址未知）'} 无法连接：{problem}")
    return None


def _is_database_error(error: BaseException) -> bool:
    """SQLAlchemy's OperationalError, or the raw driver error (sqlite3, psycopg, psycopg2)."""
    if isinstance(error, sqlite3.OperationalError):
        return True
    module = type(error).__module__.split(".")[0]
    return module in ("sqlalchemy", "psycopg", "psycopg2") and type(error).__name__ == "OperationalError"


def display_database(url: str) -> str:
    """The database URL with its password hidden; for SQLite, the file's path."""
    if not url:
        return ""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # not a URL at all: show nothing that could hold a password
        return "（地址无法解析）"
    if parsed.get_backend_name() == "sqlite":
        return f"“{parsed.database}”"
    return parsed.render_as_string(hide_password=True)


def is_symlink_loop(path: str | os.PathLike) -> bool:
    """Whether `path`, or a folder on the way to it, is a symbolic link that ends up pointing at itself."""
    try:
        os.stat(path)
    except OSError as error:
        return error.errno == errno.ELOOP
    return False


def symlink_loop_error(path: object, label: str = "路径") -> UserError:
    return UserError(
        f"{label}“{path}”是循环的符号链接（链接最终又指回自己），无法使用。请删除或改正该链接，或换一个目录"
    )


def check_writable_folder(path: str | os.PathLike, label: str = "输出目录", create: bool = True) -> None:
    """Stop before any work when `path` cannot hold our files (created first when `create`).

    Writability is tested by creating a file, not by permission bits: as
    root they allow everything, yet a read-only mount or a full disk does not.
    """
    folder = Path(path)
    if is_symlink_loop(folder):
        raise symlink_loop_error(folder, label)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{label}“{folder}”不是文件夹，请换一个目录")
    if not folder.exists() and not create:
        raise UserError(f"{label}“{folder}”不存在，请先创建该目录或换一个已有的目录")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".industry-gap-write-test-") as probe:
            probe.write(b"x")  # an empty file takes no space: only a written byte meets a full disk
            probe.flush()
    except OSError as error:
        explained = _explain_os_error(error, str(folder), label)
        if explained is not None:
            raise explained from None
        if error.errno in (errno.ENOENT, errno.ENOTDIR, errno.EEXIST):
            raise UserError(f"{label}“{folder}”无法创建：上级路径不存在或不是文件夹，请换一个目录") from None
        raise UserError(f"{label}“{folder}”无法创建或写入（{error.strerror or error}），请换一个可写的目录") from None


def office_lock_file(path: str | os.PathLike) -> Path | None:
    """Excel/WPS's `~$<name>` owner file beside an open workbook, if there is one.

    Office sometimes replaces the name's first two characters instead
    (Document.xlsx → ~$cument.xlsx), so that form is accepted too.
    """
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".et", ".csv"):
        return None
    exact = path.with_name("~$" + path.name)
    if exact.exists():
        return exact
    shortened = path.with_name("~$" + path.name[2:])
    return shortened if len(path.stem) > 2 and shortened.exists() else None


def check_not_locked_by_office(path: str | os.PathLike) -> None:
    """Refuse to overwrite a workbook that is open in Excel/WPS: the office would lose the file or its edits."""
    lock = office_lock_file(path)
    if lock is not None:
        raise _locked_by_office(Path(path), lock)


def _locked_by_office(path: Path, lock: Path) -> UserError:
    return UserError(f"工作簿“{path}”正在被 Excel/WPS 打开（发现锁定文件 {lock.name}），请关闭后重新运行")
