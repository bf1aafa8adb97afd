"""`industry-gap ui`: the Dagster UI (`dg dev`) on one output folder's run history.

Dagster needs an absolute DAGSTER_HOME; the command makes `<output>/dagster_home` absolute (the folder
`industry-gap run` records its runs in), points the UI's own runs at the same output folder, and prints
the address once the webserver answers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from industry_gap.errors import UserError

DEFAULT_PORT = 3000
START_TIMEOUT = 300  # seconds; loading the definitions takes a while on a busy machine


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ui",
        help="打开 Dagster 界面，查看该输出目录的资产图、检查结果和运行记录",
        description="用 dg dev 启动 Dagster 界面（网页服务与守护进程），运行记录保存在 输出目录/dagster_home"
        "（与 industry-gap run 相同）；界面中启动的运行也写入该输出目录。界面可用后输出网址，按 Ctrl+C 关闭。"
        "守护进程运行时，每晚 02:00 的定时运行和收件箱传感器默认开启（可在界面的 Automation 页停用）。",
    )
    parser.add_argument(
        "--output",
        metavar="输出目录",
        help="industry-gap run 的输出目录（默认：环境变量 INDUSTRY_GAP_OUTPUT，否则 ./output）",
    )
    parser.add_argument(
        "--port", type=int, default=None, metavar="端口", help=f"网页端口（默认 {DEFAULT_PORT}，被占用时另选空闲端口）"
    )
    parser.add_argument("--host", default="127.0.0.1", metavar="地址", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    parser.set_defaults(func=run)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def dg_command() -> str:
    """The `dg` of this environment (beside its Python), else the one on PATH."""
    beside = Path(sys.executable).with_name("dg")
    found = str(beside) if beside.exists() else shutil.which("dg")
    if not found:
        raise UserError("找不到 dg 命令（dagster-dg-cli）：请在本项目的虚拟环境中运行 pip install -e .")
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    from industry_gap.environment import check_writable_folder
    from industry_gap.settings import environment_settings
    from pipelines.instance import instance_home

    output = Path(args.output or environment_settings().output_dir).expanduser().resolve()
    check_writable_folder(output, label="输出目录")
    os.environ.pop("DAGSTER_HOME", None)  # this output's history, not whatever the shell pointed at
    home = instance_home(str(output)).resolve()
    port = args.port or DEFAULT_PORT
    if not port_is_free(args.host, port):
        if args.port:
            raise UserError(f"端口 {port} 已被占用，请用 --port 换一个端口")
        port = free_port(args.host)
    display_host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
    url = f"http://{display_host}:{port}"
    env = {**os.environ, "DAGSTER_HOME": str(home), "INDUSTRY_GAP_OUTPUT": str(output)}
    print(f"正在启动 Dagster 界面（dg dev）：输出目录 {output}，运行记录 {home}……", flush=True)
    command = [dg_command(), "dev", "-m", "pipelines.definitions", "-a", "defs", "-h", args.host, "-p", str(port)]
    # dg dev and its webserver, daemon and code server in a process group of their own, stopped as one
    # (Ctrl+C, or a service manager's SIGTERM, reaches this process and is passed on to the group)
    process = subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_default_sigint)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(url):
            if process.poll() is not None:
                raise UserError(f"Dagster 界面未能启动（dg dev 退出码 {process.returncode}），详见上方输出")
            if time.monotonic() > deadline:
                raise UserError(f"Dagster 界面 {START_TIMEOUT} 秒内未启动，详见上方输出")
            time.sleep(1)
        print(
            f"Dagster 界面已启动：{url}（资产图：{url}/asset-groups，运行记录：{url}/runs）；按 Ctrl+C 关闭。",
            flush=True,
        )
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(process)
        signal.signal(signal.SIGTERM, previous)


def _default_sigint() -> None:
    """In the child: Ctrl+C's signal acts, even when this command was started with SIGINT ignored (`cmd &`)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen) -> None:
    """SIGINT to the group (dg dev shuts its services down, as on Ctrl+C); SIGKILL after a minute."""
    with contextlib.suppress(ProcessLookupError):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            print("Dagster 界面已关闭。", flush=True)
