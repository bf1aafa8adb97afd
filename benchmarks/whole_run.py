"""Whole-run benchmark: `industry-gap run` on N generated registry rows, against a naive pandas script.

    python benchmarks/whole_run.py                          # 8,000 rows
    python benchmarks/whole_run.py --rows 8000,50000        # several sizes (or repeat --rows)
    python benchmarks/whole_run.py --rows 200k --rows 1m    # k / m suffixes are accepted
    python benchmarks/whole_run.py --rows 50000 --skip-naive --keep --workdir /tmp/bench

For each size a registry of N rows is generated from `sample_data/registry.csv`
(same header): its rows are repeated in order until there are N, every row gets
a fresh, unique and valid 统一社会信用代码 (GB 32100 check digits; region and
kind digit of the sample row are kept) and copies after the first get a numeric
suffix on 企业名称. Scopes, revenues, towns and 行业代码 (about a third of the rows
carry one, so the office model has labels to train on) are the sample's. The
sample's above_scale.csv, targets.csv and projects.xlsx are used unchanged.

Each size is measured in separate child processes (a figure, never a timed test):

* 冷启动 — `industry-gap run` with a new output folder and a new, empty
  INDUSTRY_GAP_CACHE (the reference model is rebuilt, the office model trained);
* 热启动 — the same command again on the same output folder and cache (the
  reference model comes from the cache, the trained office model from OUT/models);
* 朴素脚本 — what one would write by hand: pandas read_csv, jieba.lcut of 经营范围,
  TfidfVectorizer, LogisticRegression(max_iter=200) trained on the rows with a
  4-digit 行业代码 and predicting the rest, coverage (classes per 2-digit
  division, a groupby count) and to_excel of the predictions (openpyxl).

Figures per run: wall seconds, CPU seconds (user + sys of the child and the
processes it waited for, from os.wait4), peak RSS (the process tree's summed
RSS polled every 0.2 s with psutil; without psutil the largest single process's
maxrss from wait4) and rows/s; the ratio is naive wall / pipeline wall (above 1
means the pipeline is faster).

Per stage: wall seconds are parsed from the run's "五、各环节用时" section. The run
does not report per-stage CPU or memory, so those are estimated here: each
0.2 s sample of the process tree (RSS, cumulative CPU) is attributed to the step
running at that moment, using the step start/end times in the Dagster event log
the run leaves in OUT/dagster_home (steps run one after another in-process).
Steps shorter than the sampling interval get only a rough figure.

DATABASE_URL, DAGSTER_HOME and the INDUSTRY_GAP_* settings are removed from the
children's environment so every run writes its own SQLite warehouse and Dagster
instance inside its output folder, on the files named here. A temporary work directory is deleted at the end unless --keep;
a --workdir you name is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from industry_gap.settings import ENVIRONMENT

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
REGISTRY = SAMPLE / "registry.csv"
RUN_DATE = "2026-11-20"
POLL_SECONDS = 0.2
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
STAGE_HEADING = re.compile(r"五、各环节用时（合计\s*([\d.]+)\s*秒")
STAGE_LINE = re.compile(r"^\s+(.+?)（([A-Za-z0-9_]+)）：\s*([\d.]+)\s*秒\s*$")


# --------------------------------------------------------------------------
# Registry generation
# --------------------------------------------------------------------------


def _sample_generator():
    """scripts/make_sample_data.py as a module (for its GB 11714 organisation-code check)."""
    spec = importlib.util.spec_from_file_location("make_sample_data", REPO / "scripts" / "make_sample_data.py")
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look themselves up there
        spec.loader.exec_module(module)
    return module


def _org_body(serial: int) -> str:
    """A post-2015 style organisation-code body "MA" + 6 base-31 characters, unique per serial."""
    chars = []
    for _ in range(6):
        serial, digit = divmod(serial, len(USCC_ALPHABET))
        chars.append(USCC_ALPHABET[digit])
    return "MA" + "".join(reversed(chars))


def fresh_uscc(serial: int, old: str, org_check_char) -> str:
    """A valid USCC unique per serial, keeping the old code's kind digit and region when sensible."""
    from stdnum.cn import uscc

    kind = old[1] if len(old) > 1 and old[1] in "123" else "1"
    region = old[2:8] if len(old) >= 8 and old[2:8].isdigit() and old[2:6] == "1506" else "150602"
    body = _org_body(serial)
    base = "9" + kind + region + body + org_check_char(body)
    return base + uscc.calc_check_digit(base)


def make_registry(rows: int, path: Path) -> dict:
    """Write a registry of `rows` rows shaped like the sample; return a few counts."""
    import pandas as pd
    from stdnum.cn import uscc

    org_check_char = _sample_generator().org_check_char
    sample = pd.read_csv(REGISTRY, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    n = len(sample)
    order = [i % n for i in range(rows)]
    frame = sample.iloc[order].reset_index(drop=True)
    copy = [i // n for i in range(rows)]
    frame["统一社会信用代码"] = [
        fresh_uscc(i + 1, old, org_check_char) for i, old in enumerate(frame["统一社会信用代码"])
    ]
    frame["企业名称"] = [name if k == 0 or not name else f"{name}{k}" for name, k in zip(frame["企业名称"], copy)]
    assert frame["统一社会信用代码"].is_unique
    assert all(uscc.is_valid(c) for c in frame["统一社会信用代码"].head(1000))
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return {"rows": rows, "coded": int((frame["行业代码"].str.strip() != "").sum())}


# --------------------------------------------------------------------------
# Measuring a child process
# --------------------------------------------------------------------------


@dataclass
class Measure:
    label: str
    rows: int
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss_mb: float = 0.0
    returncode: int = 0
    log: Path | None = None
    stages: dict[str, tuple[str, float]] = field(default_factory=dict)  # step -> (中文名, seconds)
    stage_total: float | None = None
    stage_usage: dict[str, tuple[float, float]] = field(default_factory=dict)  # step -> (CPU s, peak RSS MB)
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (epoch s, tree RSS MB, tree CPU s)
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall if self.wall else 0.0


def _tree_sample(proc) -> tuple[int, float]:
    """Summed RSS (bytes) and CPU seconds of `proc` and its live descendants (plus what `proc` reaped)."""
    import psutil

    rss, cpu = 0, 0.0
    try:
        members = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0, 0.0
    for member in members:
        try:
            with member.oneshot():
                rss += member.memory_info().rss
                times = member.cpu_times()
        except psutil.Error:
            continue
        cpu += times.user + times.system
        if member is proc:
            cpu += times.children_user + times.children_system
    return rss, cpu


def run_measured(label: str, rows: int, command: list[str], env: dict, log: Path) -> Measure:
    """Run `command`, its stdout and stderr to `log`; wall, CPU and peak RSS of its process tree."""
    try:
        import psutil
    except ImportError:  # psutil is a test extra; fall back to wait4's maxrss
        psutil = None  # type: ignore[assignment]
    log.parent.mkdir(parents=True, exist_ok=True)
    samples: list[tuple[float, float, float]] = []
    done = threading.Event()
    with open(log, "wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)

        def poll() -> None:
            try:
                proc = psutil.Process(child.pid)
            except psutil.Error:
                return
            while not done.is_set():
                rss, cpu = _tree_sample(proc)
                if rss:
                    samples.append((time.time(), rss / 2**20, cpu))
                done.wait(POLL_SECONDS)

        watcher = threading.Thread(target=poll, daemon=True) if psutil else None
        if watcher:
            watcher.start()
        _, status, usage = os.wait4(child.pid, 0)  # rusage of the child and what it reaped
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        if watcher:
            watcher.join()
    largest_mb = usage.ru_maxrss / 1024.0  # KiB on Linux
    peak_mb = max((rss for _, rss, _ in samples), default=0.0)
    result = Measure(
        label=label,
        rows=rows,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=max(peak_mb, largest_mb),
        returncode=child.returncode,
        log=log,
        samples=samples,
    )
    result.extra["largest_process_mb"] = largest_mb
    return result


def child_env(cache: Path) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in ENVIRONMENT.values()}
    env["INDUSTRY_GAP_CACHE"] = str(cache)
    env.pop("DATABASE_URL", None)
    env.pop("DAGSTER_HOME", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def industry_gap_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m pipelines.cli`."""
    script = Path(sys.executable).with_name("industry-gap")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from pipelines.cli import main; sys.exit(main())"]


def parse_stages(text: str) -> tuple[float | None, dict[str, tuple[str, float]]]:
    """The "五、各环节用时" section of a run's output: its total and each step's seconds."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        heading = STAGE_HEADING.search(line)
        if heading:
            stages = {}
            for follow in lines[index + 1 :]:
                match = STAGE_LINE.match(follow)
                if not match:
                    break
                stages[match.group(2)] = (match.group(1), float(match.group(3)))
            return float(heading.group(1)), stages
    return None, {}


def run_pipeline(label: str, rows: int, registry: Path, output: Path, cache: Path, log: Path) -> Measure:
    command = industry_gap_command() + [
        "run",
        "--registry",
        str(registry),
        "--above-scale",
        str(SAMPLE / "above_scale.csv"),
        "--targets",
        str(SAMPLE / "targets.csv"),
        "--projects",
        str(SAMPLE / "projects.xlsx"),
        "--output",
        str(output),
        "--run-date",
        RUN_DATE,
    ]
    result = run_measured(label, rows, command, child_env(cache), log)
    result.stage_total, result.stages = parse_stages(log.read_text(encoding="utf-8", errors="replace"))
    if result.ok and result.samples:
        try:
            result.stage_usage = stage_usage(step_windows(output), result.samples)
        except Exception as error:  # a figure we can do without: say why and carry on
            result.extra["stage_usage_error"] = f"{type(error).__name__}: {error}"
    return result


CITY_SECONDS = re.compile(r"各区县用时（合计\s*([\d.]+)\s*秒）：(.*)$", re.M)


def split_city(registry: Path, districts: int, folder: Path) -> Path:
    """The generated registry dealt out row by row to `districts` district folders (the city layout
    `industry-gap city` reads); the sample's 规上 list goes to the first district."""
    import pandas as pd

    frame = pd.read_csv(registry, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for k in range(districts):
        target = folder / f"区县{k + 1:02d}"
        target.mkdir(parents=True)
        frame.iloc[k::districts].to_csv(
            target / "规下企业名录.csv", index=False, encoding="utf-8-sig", lineterminator="\n"
        )
        if k == 0:
            shutil.copy(SAMPLE / "above_scale.csv", target / "规上工业企业名录.csv")
    return folder


def run_city(label: str, rows: int, city_dir: Path, output: Path, cache: Path, log: Path) -> Measure:
    """`industry-gap city` on the district folders; its stages are the districts (one Dagster run each)."""
    command = industry_gap_command() + ["city", str(city_dir), "--output", str(output), "--run-date", RUN_DATE]
    result = run_measured(label, rows, command, child_env(cache), log)
    found = CITY_SECONDS.search(log.read_text(encoding="utf-8", errors="replace"))
    if found:
        result.stage_total = float(found.group(1))
        for part in found.group(2).split("；"):
            district = re.match(r"\s*(\S+)\s+([\d.]+)\s*秒", part)
            if district:
                result.stages[district.group(1)] = (f"区县 {district.group(1)}", float(district.group(2)))
    return result


def step_windows(output: Path) -> dict[str, tuple[float, float]]:
    """(start, end) epoch seconds of each step of the latest run, from the Dagster event log in OUT."""
    import dagster as dg

    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    windows: dict[str, list[float]] = {}
    with dg.DagsterInstance.from_config(str(output / "dagster_home")) as instance:
        [latest] = instance.get_runs(limit=1)
        for entry in instance.all_logs(latest.run_id, of_type=kinds):
            if entry.step_key is None:
                continue
            span = windows.setdefault(entry.step_key, [entry.timestamp, entry.timestamp])
            span[0], span[1] = min(span[0], entry.timestamp), max(span[1], entry.timestamp)
    return {step: (start, end) for step, (start, end) in windows.items()}


def stage_usage(
    windows: dict[str, tuple[float, float]], samples: list[tuple[float, float, float]]
) -> dict[str, tuple[float, float]]:
    """CPU seconds (cumulative tree CPU interpolated at the step's start and end) and peak RSS (samples
    inside the step, else the first sample after it) of each step; steps run one after another in-process."""
    times = [t for t, _, _ in samples]

    def cpu_at(moment: float) -> float:
        import bisect

        i = bisect.bisect_left(times, moment)
        if i == 0:
            return samples[0][2]
        if i == len(samples):
            return samples[-1][2]
        (t0, _, c0), (t1, _, c1) = samples[i - 1], samples[i]
        return c0 + (c1 - c0) * (moment - t0) / (t1 - t0) if t1 > t0 else c1

    usage = {}
    for step, (start, end) in windows.items():
        inside = [rss for t, rss, _ in samples if start <= t <= end]
        if not inside:
            inside = [rss for t, rss, _ in samples if t > end][:1] or [samples[-1][1]]
        usage[step] = (max(0.0, cpu_at(end) - cpu_at(start)), max(inside))
    return usage


def run_naive(rows: int, registry: Path, folder: Path, cache: Path, log: Path) -> Measure:
    command = [sys.executable, str(Path(__file__).resolve()), "--naive-child", str(registry), "--workdir", str(folder)]
    result = run_measured("朴素脚本", rows, command, child_env(cache), log)
    text = log.read_text(encoding="utf-8", errors="replace")
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            steps = json.loads(line)
            result.extra["naive"] = steps
            result.stages = {
                step: (NAIVE_LABELS.get(step, step), seconds) for step, seconds in steps["seconds"].items()
            }
            break
    return result


# --------------------------------------------------------------------------
# The naive script (runs in its own process)
# --------------------------------------------------------------------------

NAIVE_LABELS = {
    "import": "导入 pandas/jieba/sklearn",
    "read": "读取名录 read_csv",
    "jieba": "jieba 分词",
    "tfidf": "TF-IDF 向量化",
    "fit": "LogisticRegression 训练",
    "predict": "预测未标注行",
    "coverage": "门类覆盖统计 groupby",
    "excel": "to_excel 写出预测",
}


def naive_child(registry: Path, folder: Path) -> None:
    """read + jieba + TF-IDF + LogisticRegression + coverage + to_excel; prints step seconds as JSON."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = round(now - clock, 2)
        clock = now

    import jieba
    import pandas as pd
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    jieba.setLogLevel(60)
    jieba.initialize()
    lap("import")
    df = pd.read_csv(registry, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    lap("read")
    docs = [" ".join(jieba.lcut(scope)) for scope in df["经营范围"]]
    lap("jieba")
    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False)
    features = vectorizer.fit_transform(docs)
    lap("tfidf")
    code = df["行业代码"].str.strip().str.replace(r"^[A-Za-z]", "", regex=True)
    labelled = code.str.fullmatch(r"\d{4}").to_numpy()
    model = LogisticRegression(max_iter=200)
    model.fit(features[labelled], code[labelled])
    lap("fit")
    df["预测行业代码"] = code.where(labelled, "")
    if (~labelled).any():
        df.loc[~labelled, "预测行业代码"] = model.predict(features[~labelled])
    lap("predict")
    df["大类"] = df["预测行业代码"].str[:2]
    coverage = (
        df.groupby(["大类", "预测行业代码"])
        .size()
        .reset_index(name="企业数")
        .groupby("大类")["预测行业代码"]
        .count()
        .rename("已有小类数")
    )
    lap("coverage")
    folder.mkdir(parents=True, exist_ok=True)
    df[["统一社会信用代码", "企业名称", "经营范围", "行业代码", "预测行业代码"]].to_excel(
        folder / "naive_predictions.xlsx", index=False, engine="openpyxl"
    )
    lap("excel")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "labelled": int(labelled.sum()),
                "classes": int(len(model.classes_)),
                "divisions": int(len(coverage)),
                "features": int(features.shape[1]),
            },
            ensure_ascii=False,
        )
    )


# --------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _short(label: str, limit: int = 26) -> str:
    """A stage's Chinese name cut to `limit` display columns (some descriptions are whole sentences)."""
    if _width(label) <= limit:
        return label
    out = ""
    for ch in label:
        if _width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def print_table(headers: list[str], rows: list[list[str]], right: set[int]) -> None:
    widths = [max(_width(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    for row in [headers, ["-" * w for w in widths]] + rows:
        print(("  " + "  ".join(_pad(str(cell), widths[i], i in right) for i, cell in enumerate(row))).rstrip())


def report(rows: int, generated: dict, runs: list[Measure], naive: Measure | None) -> None:
    print()
    print(f"=== {rows:,} 行（其中带行业代码 {generated['coded']:,} 行；名录生成 {generated['seconds']:.1f} 秒）===")
    table = []
    for run in runs + ([naive] if naive else []):
        if not run.ok:
            table.append([f"{rows:,}", run.label, f"失败（退出码 {run.returncode}）", "", "", "", ""])
            continue
        if run is naive:
            ratio = "1.00"
        elif naive and naive.ok:
            ratio = f"{naive.wall / run.wall:.2f}"
        else:
            ratio = "—"
        table.append(
            [
                f"{rows:,}",
                run.label,
                f"{run.wall:.1f}",
                f"{run.cpu:.1f}",
                f"{run.peak_rss_mb:.0f}",
                f"{run.rows_per_s:,.0f}",
                ratio,
            ]
        )
    print_table(["行数", "方式", "墙钟秒", "CPU 秒", "峰值 RSS MB", "行/秒", "朴素/流水线"], table, {0, 2, 3, 4, 5, 6})
    print(
        "  （CPU 秒 = 子进程及其已回收子进程的 user+sys；峰值 RSS = 进程树 RSS 之和的最大值，每 0.2 秒采样；"
        "朴素/流水线 = 朴素脚本墙钟秒 ÷ 流水线墙钟秒，大于 1 表示流水线更快）"
    )

    print()
    print(
        f"  各环节（{rows:,} 行）：墙钟秒取自运行输出“五、各环节用时”；CPU 秒与峰值 RSS 为按 Dagster 事件时间"
        f"对每 0.2 秒进程树采样的归属（近似，短于 0.2 秒的环节尤其粗略）"
    )
    measured = [r for r in runs if r.ok and r.stages]
    if measured:
        steps = sorted(
            {s for r in measured for s in r.stages}, key=lambda s: -max(r.stages.get(s, ("", 0.0))[1] for r in measured)
        )
        names = {s: _short(next(r.stages[s][0] for r in measured if s in r.stages)) for s in steps}
        headers = ["环节"]
        for r in measured:
            headers += [f"{r.label}墙钟秒", "CPU 秒", "峰值 RSS MB"]

        def figures(r: Measure, step: str) -> list[str]:
            wall = f"{r.stages[step][1]:.1f}" if step in r.stages else "—"
            if step in r.stage_usage:
                cpu, rss = r.stage_usage[step]
                return [wall, f"{cpu:.1f}", f"{rss:.0f}"]
            return [wall, "—", "—"]

        body = [[f"{names[s]}（{s}）"] + [x for r in measured for x in figures(r, s)] for s in steps]
        body.append(
            ["各环节合计"] + [x for r in measured for x in (f"{sum(v for _, v in r.stages.values()):.1f}", "", "")]
        )
        body.append(
            ["启动与其他（进程墙钟 − 各环节合计）"]
            + [x for r in measured for x in (f"{r.wall - sum(v for _, v in r.stages.values()):.1f}", "", "")]
        )
        body.append(
            ["整个进程"] + [x for r in measured for x in (f"{r.wall:.1f}", f"{r.cpu:.1f}", f"{r.peak_rss_mb:.0f}")]
        )
        print_table(headers, body, set(range(1, len(headers))))
        for r in measured:
            if "stage_usage_error" in r.extra:
                print(
                    f"  （{r.label}：无法读取 Dagster 事件时间，各环节 CPU 与内存从缺：{r.extra['stage_usage_error']}）"
                )
    else:
        print("  （运行输出中没有“五、各环节用时”一节，无法分环节）")
        for run in runs:
            if run.log:
                print(f"  日志：{run.log}")
    if naive and naive.ok and naive.stages:
        print()
        info = naive.extra.get("naive", {})
        print(
            f"  朴素脚本各步墙钟秒（训练行 {info.get('labelled', 0):,}，类别 {info.get('classes', 0)}，"
            f"词表 {info.get('features', 0):,}，覆盖大类 {info.get('divisions', 0)}）"
        )
        body = [[label, f"{seconds:.1f}"] for label, seconds in naive.stages.values()]
        body.append(["启动与其他", f"{naive.wall - sum(s for _, s in naive.stages.values()):.1f}"])
        print_table(["步骤", "墙钟秒"], body, {1})
    for run in runs + ([naive] if naive else []):
        if not run.ok and run.log:
            print()
            print(f"  {run.label}失败，日志末尾（{run.log}）：")
            for line in run.log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]:
                print(f"    {line}")


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def parse_rows(values: list[str] | None) -> list[int]:
    sizes = []
    for value in values or ["8000"]:
        for part in value.split(","):
            part = part.strip().lower().replace("_", "")
            if not part:
                continue
            factor = {"k": 1_000, "m": 1_000_000}.get(part[-1], 1)
            number = part[:-1] if factor > 1 else part
            try:
                size = int(float(number) * factor)
            except ValueError:
                raise argparse.ArgumentTypeError(f"无法识别的行数：{part}") from None
            if size <= 0:
                raise argparse.ArgumentTypeError(f"行数必须为正：{part}")
            sizes.append(size)
    return sizes


def machine_line() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit, dirty = "", ""
    version = f"{commit}{'（有未提交修改）' if dirty else ''}" or "未知"
    return (
        f"整体运行基准 {dt.datetime.now():%Y-%m-%d %H:%M}；Python {platform.python_version()}；"
        f"{os.cpu_count()} 核；代码版本 {version}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--rows", action="append", metavar="N", help="名录行数，可重复或用逗号分隔，可写 8k、1m（默认 8000）"
    )
    parser.add_argument(
        "--workdir", metavar="DIR", help="工作目录（默认临时目录，结束时删除，除非 --keep；指定的目录不删除）"
    )
    parser.add_argument("--keep", action="store_true", help="保留工作目录（名录、输出、日志）")
    parser.add_argument("--skip-naive", action="store_true", help="不运行朴素 pandas 脚本")
    parser.add_argument(
        "--city",
        type=int,
        default=0,
        metavar="K",
        help="按全市运行：把名录按行轮流分给 K 个区县文件夹，运行 industry-gap city（默认 0 = 单个区县 run）",
    )
    parser.add_argument("--naive-child", metavar="REGISTRY", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.naive_child:
        naive_child(Path(args.naive_child), Path(args.workdir or "."))
        return 0
    try:
        sizes = parse_rows(args.rows)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))

    # A temporary directory is removed at the end unless --keep; a --workdir given by the user is never
    # removed (only its rows-N folders are replaced when the same size is run again).
    workdir = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="whole-run-"))
    workdir.mkdir(parents=True, exist_ok=True)
    keep = args.keep or args.workdir is not None
    print(machine_line())
    print(f"工作目录：{workdir}{'（保留）' if keep else '（结束时删除）'}")
    failed = False
    try:
        for rows in sizes:
            folder = workdir / f"rows-{rows}"
            if folder.exists():
                shutil.rmtree(folder)
            registry = folder / "registry.csv"
            print(f"\n[{rows:,} 行] 生成名录……", flush=True)
            start = time.perf_counter()
            generated = make_registry(rows, registry)
            generated["seconds"] = time.perf_counter() - start
            output, cache, logs = folder / "output", folder / "cache", folder / "logs"
            cache.mkdir(parents=True)
            runs = []
            city = split_city(registry, args.city, folder / "city") if args.city else None
            for label, name in (("冷启动", "cold"), ("热启动", "warm")):
                print(f"[{rows:,} 行] 流水线{label}{f'（全市 {args.city} 个区县）' if city else ''}……", flush=True)
                if city:
                    run = run_city(label, rows, city, output, cache, logs / f"city-{name}.log")
                else:
                    run = run_pipeline(label, rows, registry, output, cache, logs / f"pipeline-{name}.log")
                print(
                    f"[{rows:,} 行] 流水线{label}：{run.wall:.1f} 秒"
                    f"{'' if run.ok else f'，失败（退出码 {run.returncode}）'}",
                    flush=True,
                )
                runs.append(run)
            naive = None
            if not args.skip_naive:
                print(f"[{rows:,} 行] 朴素脚本……", flush=True)
                naive = run_naive(rows, registry, folder / "naive", folder / "naive-cache", logs / "naive.log")
                print(
                    f"[{rows:,} 行] 朴素脚本：{naive.wall:.1f} 秒"
                    f"{'' if naive.ok else f'，失败（退出码 {naive.returncode}）'}",
                    flush=True,
                )
            failed |= not all(r.ok for r in runs + ([naive] if naive else []))
            report(rows, generated, runs, naive)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
