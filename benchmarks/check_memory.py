"""Memory benchmark: `industry-gap check-registry` on N generated registry rows, chunked against whole-file.

    python benchmarks/check_memory.py                       # 3,000,000 rows
    python benchmarks/check_memory.py --rows 1m --rows 3m   # several sizes (k / m suffixes are accepted)
    python benchmarks/check_memory.py --rows 200k --skip-whole --chunk-rows 50000

The registry is generated as in `benchmarks/whole_run.py` (the sample's rows repeated, each
with a fresh valid unique 统一社会信用代码). Each run is a child process; its figures are wall
seconds and peak RSS (the process tree polled with psutil, else wait4's maxrss). "分块" is the
command as users run it; "整体读入" is the same command with `--chunk-rows 0`, which reads and
validates the whole file at once as before chunking (the baseline; --skip-whole leaves it out,
it needs about 2 GB per million rows). Both must print the same summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.whole_run import (  # noqa: E402
    Measure,
    child_env,
    industry_gap_command,
    make_registry,
    parse_rows,
    run_measured,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", action="append", help="registry rows (default 3m); repeat or comma-separate")
    parser.add_argument("--chunk-rows", type=int, default=None, help="rows per chunk (default: the CLI's)")
    parser.add_argument("--skip-whole", action="store_true", help="do not run the whole-file baseline")
    parser.add_argument("--workdir", type=Path, help="keep the generated files here")
    args = parser.parse_args(argv)
    sizes = parse_rows(args.rows or ["3m"])
    print(
        f"check-registry 内存基准 {dt.datetime.now():%Y-%m-%d %H:%M}；Python {platform.python_version()}；"
        f"{os.cpu_count()} 核"
    )
    with tempfile.TemporaryDirectory(prefix="check_memory_") as temp:
        work = args.workdir or Path(temp)
        env = child_env(work / "cache")
        for rows in sizes:
            registry = work / f"registry_{rows}.csv"
            if not registry.exists():
                make_registry(rows, registry)
            size_mb = registry.stat().st_size / 2**20
            print(f"\n{rows:,} 行，文件 {size_mb:,.0f} MB")
            chunked = ["--chunk-rows", str(args.chunk_rows)] if args.chunk_rows is not None else []
            runs = [("分块", chunked)] + ([] if args.skip_whole else [("整体读入", ["--chunk-rows", "0"])])
            summaries = {}
            results: list[Measure] = []
            for label, extra in runs:
                log = work / f"check_{rows}_{len(results)}.log"
                command = industry_gap_command() + ["check-registry", str(registry), *extra]
                measure = run_measured(label, rows, command, env, log)
                text = log.read_text(encoding="utf-8", errors="replace")
                summaries[label] = [line for line in text.splitlines() if not line.startswith("文件：")]
                results.append(measure)
                status = "" if measure.returncode in (0, 1) else f"  退出码 {measure.returncode}，见 {log}"
                print(f"  {label}：{measure.wall:7.1f} 秒  峰值内存 {measure.peak_rss_mb:7,.0f} MB{status}")
            if len(results) == 2 and results[0].peak_rss_mb:
                same = "相同" if summaries["分块"] == summaries["整体读入"] else "不同！"
                print(
                    f"  内存：整体读入 / 分块 = {results[1].peak_rss_mb / results[0].peak_rss_mb:.1f} 倍；"
                    f"用时：{results[1].wall / results[0].wall:.2f} 倍；检查结果{same}"
                )
            print("  " + "\n  ".join(summaries["分块"][:8]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
