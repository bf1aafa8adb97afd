"""The user's own machine is not our bug: full or read-only disks, missing folders, unreachable databases and
workbooks open in Excel end in one Chinese message and exit 2, never "内部错误" or a traceback.

Faults are real where this machine allows it: a read-only bind mount and a tiny tmpfs inside a private mount
namespace (`unshare -m`), the real PostgreSQL server for database errors. A run's unexpected error (a
monkeypatched command raising RuntimeError in a subprocess) is logged under the output folder or the user's
cache, never in the shared temporary folder.
"""

from __future__ import annotations

import errno
import functools
import os
import shlex
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from industry_gap.environment import (
    check_not_locked_by_office,
    check_writable_folder,
    explain_environment_error,
)
from industry_gap.errors import UserError
from tests.conftest import POSTGRES_URL
from tests.factories import service_unavailable, small_registry

CLI = [sys.executable, "-m", "pipelines.cli"]
RUN_DATE = "2026-11-20"


def cli(*args: str, env: dict | None = None, mounts: str = "", timeout: float = 900) -> subprocess.CompletedProcess:
    """`industry-gap ARGS` in a real subprocess; `mounts` (shell commands) first set up a private mount namespace."""
    command = CLI + [str(a) for a in args]
    if mounts:
        command = mount_namespace() + ["sh", "-c", f'{mounts} && exec "$@"', "sh", *command]
    return subprocess.run(
        command,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[1],
    )


@functools.cache
def _working_unshare() -> tuple[list[str], str]:
    """The `unshare` call that lets this process mount a tmpfs privately, and why none does."""
    probe = tempfile.mkdtemp(prefix="ig-unshare-probe-")
    reason = "unshare not found"
    try:
        for command in (["unshare", "-m"], ["unshare", "-rm"]):
            try:
                done = subprocess.run(
                    command + ["sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
                    capture_output=True,
                    text=True,
                    timeout=30,
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                reason = str(error)
                continue
            if done.returncode == 0:
                return command, ""
            reason = done.stderr.strip()
    finally:
        os.rmdir(probe)
    return [], reason


def mount_namespace() -> list[str]:
    """`unshare -m` (root) or `unshare -rm`; worked on the CI machine kind, so CI=true fails without it."""
    command, reason = _working_unshare()
    if not command:
        message = f"cannot mount a read-only or full file system here (unshare -m / -rm): {reason}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return command


def read_only(folder: Path) -> str:
    return (
        f"mount --bind {shlex.quote(str(folder))} {shlex.quote(str(folder))} && "
        f"mount -o remount,bind,ro {shlex.quote(str(folder))}"
    )


def tmpfs(folder: Path, size: str) -> str:
    return f"mount -t tmpfs -o size={size} tmpfs {shlex.quote(str(folder))}"


def assert_environment_error(done: subprocess.CompletedProcess, *phrases: str) -> str:
    """Exit 2, one Chinese 错误： line naming the place, nothing that looks like our bug."""
    assert done.returncode == 2, (done.stdout, done.stderr[-3000:])
    assert "内部错误" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-3000:]
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("错误：")][-1]
    for phrase in phrases:
        assert phrase in line, line
    return line


# --- the output folder of `industry-gap run` ----------------------------------------------------------------


@pytest.mark.slow
def test_run_into_read_only_output_folder(tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    done = cli(
        "run",
        "--registry",
        small_registry(tmp_path / "r.csv"),
        "--output",
        output,
        "--run-date",
        RUN_DATE,
        mounts=read_only(output),
    )
    assert_environment_error(done, f"“{output}”", "只读")


@pytest.mark.slow
def test_run_with_full_disk_under_sqlite_warehouse(tmp_path):
    """The warehouse (SQLite in the output folder) hits the full disk: "database or disk is full"."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = cli(
        "run",
        "--registry",
        small_registry(tmp_path / "r.csv"),
        "--output",
        disk / "out",
        "--run-date",
        RUN_DATE,
        mounts=tmpfs(disk, "64k"),
        env={"DATABASE_URL": ""},
    )
    assert_environment_error(done, str(disk / "out"), "磁盘已满")


@pytest.mark.slow
def test_run_with_full_disk_while_writing_workbooks(tmp_path):
    """Database and Dagster home elsewhere: the workbook export itself gets ENOSPC."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = cli(
        "run",
        "--registry",
        small_registry(tmp_path / "r.csv"),
        "--output",
        disk / "out",
        "--run-date",
        RUN_DATE,
        "--database",
        f"sqlite:///{tmp_path / 'wh.sqlite'}",
        mounts=tmpfs(disk, "12k"),
        env={"DAGSTER_HOME": str(tmp_path / "dagster_home")},
    )
    assert_environment_error(done, f"输出目录“{disk / 'out'}”所在磁盘已满")


# --- check-registry --quarantine-out --------------------------------------------------------------------------


def bad_registry(path: Path) -> Path:
    small_registry(path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("123,无效代码企业,生产,存续\n")
    return path


@pytest.mark.slow
def test_quarantine_out_into_missing_folder(tmp_path):
    done = cli("check-registry", bad_registry(tmp_path / "r.csv"), "--quarantine-out", "/nonexistent/dir/x.csv")
    assert_environment_error(done, "/nonexistent/dir", "不存在")


@pytest.mark.slow
def test_quarantine_out_into_read_only_folder(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    done = cli(
        "check-registry",
        bad_registry(tmp_path / "r.csv"),
        "--quarantine-out",
        folder / "q.csv",
        mounts=read_only(folder),
    )
    assert_environment_error(done, str(folder), "只读")


# --- the database -------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_server_answers() -> None:
    from sqlalchemy import create_engine

    engine = create_engine(POSTGRES_URL)
    try:
        engine.connect().close()
    except Exception as error:
        service_unavailable(f"PostgreSQL at {POSTGRES_URL}", error)
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize(
    "problem",
    [
        "refused",
        pytest.param("no_database", marks=pytest.mark.postgres),
        pytest.param("no_user", marks=pytest.mark.postgres),
    ],
)
def test_run_with_unusable_postgres(tmp_path, problem):
    """The error surfaces at the first step that reads the warehouse (about 10 s in), named without password."""
    url = {
        "refused": f"postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:{free_port()}/test",
        "no_database": "postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:5432/ig_no_such_database",
        "no_user": "postgresql+psycopg://ig_no_such_user:s3cret-pw@127.0.0.1:5432/test",
    }[problem]
    if problem != "refused":
        postgres_server_answers()
    done = cli(
        "run",
        "--registry",
        small_registry(tmp_path / "r.csv"),
        "--output",
        tmp_path / "out",
        "--run-date",
        RUN_DATE,
        "--database",
        url,
    )
    shown = url.replace(":s3cret-pw@", ":***@")
    expected = {"refused": "连接被拒绝", "no_database": "数据库不存在", "no_user": "数据库用户不存在"}[problem]
    assert_environment_error(done, f"数据库 {shown} 无法连接：{expected}")
    assert "s3cret-pw" not in done.stdout + done.stderr


# --- the unexpected-error log ---------------------------------------------------------------------------------

RAISING_RUN = """
import sys
import pipelines.cli.run as command
def boom(args):
    raise RuntimeError("意外：联系人 13812345678")
command.run = boom
import pipelines.cli as cli
sys.exit(cli.main(sys.argv[1:]))
"""


def raising_run(*args: str, env: dict | None = None, mounts: str = "") -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", RAISING_RUN, "run", *map(str, args)]
    if mounts:
        command = mount_namespace() + ["sh", "-c", f'{mounts} && exec "$@"', "sh", *command]
    return subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=300)


def logged_file(done: subprocess.CompletedProcess) -> Path:
    assert done.returncode == 3, done.stderr
    assert "内部错误" in done.stderr and "Traceback" not in done.stderr
    assert "13812345678" not in done.stderr
    path = Path(done.stderr.split("详细信息已写入 ", 1)[1].split("，", 1)[0])
    assert path != Path(tempfile.gettempdir()) / "industry-gap-error.log"
    assert path.name.startswith("industry-gap-error-") and path.suffix == ".log"
    return path


@pytest.mark.slow
def test_unexpected_error_is_logged_in_the_output_folder(tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    done = raising_run("--output", output, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    log = logged_file(done)
    assert log.parent == output / "logs"
    text = log.read_text(encoding="utf-8")
    assert "RuntimeError" in text and "13812345678" not in text


@pytest.mark.slow
def test_unexpected_error_without_writable_output_is_logged_in_the_user_cache(tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    cache = tmp_path / "cache"
    done = raising_run("--output", output, env={"XDG_CACHE_HOME": str(cache)}, mounts=read_only(output))
    log = logged_file(done)
    assert log.parent == cache / "industry-gap" / "logs"
    assert "RuntimeError" in log.read_text(encoding="utf-8")


# --- the explainer and the helpers, directly -----------------------------------------------------------------


class StepFailure(Exception):
    """Stands in for Dagster's step failure: the asset's own error is in `user_exception`."""

    def __init__(self, user_exception: BaseException):
        super().__init__("Error occurred while executing op")
        self.user_exception = user_exception


def test_explains_errors_wrapped_by_dagster_and_sqlalchemy(tmp_path):
    full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    error = explain_environment_error(StepFailure(full), database_url=f"sqlite:///{tmp_path}/w.sqlite")
    assert "磁盘已满" in error.message and str(tmp_path / "w.sqlite") in error.message

    refused = OperationalError(
        None,
        None,
        Exception(
            'connection failed: connection to server at "10.0.0.9", '
            "port 5432 failed: FATAL:  password authentication failed"
        ),
    )
    error = explain_environment_error(refused, database_url="postgresql+psycopg://u:pw@10.0.0.9/db")
    assert error.message == (
        "数据库 postgresql+psycopg://u:***@10.0.0.9/db 无法连接：用户名或密码错误。请确认数据库地址中的用户名和密码"
    )


def test_a_user_error_inside_a_step_failure_is_returned_as_it_is():
    original = UserError("文件“x.csv”无法使用：缺少列")
    assert explain_environment_error(StepFailure(original)) is original


def test_os_errors_name_the_output_folder_or_the_file(tmp_path):
    inside = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / ".a.xlsx.tmp"))
    assert explain_environment_error(RuntimeError("x"), output_dir="o") is None
    wrapped = RuntimeError("export failed")
    wrapped.__cause__ = inside
    assert (
        explain_environment_error(wrapped, output_dir=str(tmp_path / "out")).message
        == f"输出目录“{tmp_path / 'out'}”所在磁盘已满，请清理磁盘空间后重新运行"
    )
    denied = PermissionError(errno.EACCES, "Permission denied", "/srv/share/q.csv")
    assert "没有权限" in explain_environment_error(denied).message
    assert "/srv/share/q.csv" in explain_environment_error(denied).message


def test_our_own_bugs_are_not_explained_away():
    assert explain_environment_error(KeyError("coverage")) is None
    assert (
        explain_environment_error(OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))) is None
    )
    assert explain_environment_error(FileNotFoundError(errno.ENOENT, "missing", "/x")) is None


def test_check_writable_folder(tmp_path):
    check_writable_folder(tmp_path / "new" / "out")
    assert (tmp_path / "new" / "out").is_dir() and not list((tmp_path / "new" / "out").iterdir())
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="不是文件夹"):
        check_writable_folder(tmp_path / "file")
    with pytest.raises(UserError, match="无法创建"):
        check_writable_folder(tmp_path / "file" / "sub")
    with pytest.raises(UserError, match="不存在"):
        check_writable_folder(tmp_path / "missing", create=False)


@pytest.mark.parametrize("size", ["", "4k"])
@pytest.mark.slow
def test_check_writable_folder_on_read_only_and_full_disks(tmp_path, size):
    folder = tmp_path / "mnt"
    folder.mkdir()
    fill = f"(head -c 65536 /dev/zero > {folder}/fill 2>/dev/null; true)"  # fills the disk, then fails
    setup = f"{tmpfs(folder, size)} && {fill}" if size else read_only(folder)
    command = mount_namespace() + [
        "sh",
        "-c",
        f'{setup} && exec "$@"',
        "sh",
        sys.executable,
        "-c",
        "import sys; from industry_gap.environment import check_writable_folder as c; c(sys.argv[1])",
        str(folder / "out" if size else folder),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert ("磁盘已满" if size else "只读") in done.stderr, done.stderr


def test_check_not_locked_by_office(tmp_path):
    workbook = tmp_path / "东胜区附件4.xlsx"
    check_not_locked_by_office(workbook)  # nothing open
    (tmp_path / "~$东胜区附件4.xlsx").write_bytes(b"owner")
    with pytest.raises(UserError) as caught:
        check_not_locked_by_office(workbook)
    assert caught.value.message == (
        f"工作簿“{workbook}”正在被 Excel/WPS 打开（发现锁定文件 ~$东胜区附件4.xlsx），请关闭后重新运行"
    )
    assert caught.value.exit_code == 2
    shortened = tmp_path / "Document.xlsx"
    (tmp_path / "~$cument.xlsx").write_bytes(b"owner")
    with pytest.raises(UserError, match="~\\$cument.xlsx"):
        check_not_locked_by_office(shortened)


def test_symlink_loops_are_named_not_internal_errors(tmp_path, capsys):
    """Issue 23 #12: an output folder or quarantine file that is a symlink loop: exit 2 with the path."""
    import pipelines.cli as cli
    from industry_gap.environment import check_writable_folder, explain_environment_error
    from industry_gap.errors import UserError
    from industry_gap.settings import absolute_path

    loop, back = tmp_path / "a", tmp_path / "b"
    loop.symlink_to(back)
    back.symlink_to(loop)
    with pytest.raises(UserError, match="循环的符号链接"):
        check_writable_folder(loop)
    with pytest.raises(UserError, match=f"“{loop}”是循环的符号链接"):
        absolute_path(str(loop))
    explained = explain_environment_error(RuntimeError(f"Symlink loop from '{loop}'"))
    assert explained is not None and str(loop) in explained.message
    registry = tmp_path / "名录.csv"
    registry.write_text("统一社会信用代码,企业名称,经营范围\n", encoding="utf-8")
    code = cli.main(["check-registry", str(registry), "--quarantine-out", str(loop / "问题行.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "循环的符号链接" in err and str(loop) in err and "Traceback" not in err
