"""A city as several districts: where each district's files are, and the city-wide coverage.

Plain pandas, no Dagster. A city folder holds one sub-folder per district,
named after it (东胜区/, 康巴什区/ …), with that district's 规下 registry and,
where the district has one, its 规上 list; which file is which is recognised
from its name and columns, as in the inbox. "填补全市工业门类空白" needs the
union over districts: a 小类 is present in the city when any district has it,
and a 规下 firm fills a city gap only when no district has the class at 规上.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from industry_gap.errors import UserError

# Dagster partition keys may not contain these; a district folder name becomes a partition key.
_FORBIDDEN_IN_KEY = re.compile(r"[,\[\]{}()\x00-\x1f/\\|*?]")

CITY_COVERAGE_COLUMNS = [
    "code",
    "level",
    "level_name",
    "name",
    "division",
    "present_above",
    "present_all",
    "districts_above",
    "districts_all",
    "n_above",
    "n_all",
    "above_in",
    "all_in",
]
CITY_CANDIDATE_COLUMNS = [
    "district",
    "uscc",
    "name",
    "code",
    "code_name",
    "code_level",
    "code_source",
    "confidence",
    "districts_all",
    "decision",
]
SUMMARY_COLUMNS = ["scope_name", "level_name", "district", "present"]


@dataclass(frozen=True)
class DistrictFiles:
    """One district of the city: its name (the partition key) and its input files."""

    district: str
    registry: Path
    above_scale: Path | None = None


def discover_districts(city_dir: str | Path) -> list[DistrictFiles]:
    """Every district sub-folder of `city_dir` with its registry (required) and 规上 list (optional).

    A folder whose files cannot be told apart, or with two registries, stops the
    run with a message naming the folder: a district silently left out would
    make a city gap look open.
    """
    from industry_gap.inbox import ACCEPTED_SUFFIXES, detect_dataset

    root = Path(city_dir)
    if not root.is_dir():
        raise UserError(f"全市数据目录“{root}”不存在或不是文件夹")
    districts = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if _FORBIDDEN_IN_KEY.search(folder.name) or not folder.name.strip():
            raise UserError(f"区县文件夹名“{folder.name}”含有不能使用的字符（, [ ] {{ }} ( ) / \\ | * ?），请改名")
        found: dict[str, list[Path]] = {}
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in ACCEPTED_SUFFIXES and not path.name.startswith(("~$", ".")):
                found.setdefault(_dataset_of(path, detect_dataset), []).append(path)
        registries = found.get("registry", [])
        above = found.get("above_scale", [])
        if not registries:
            raise UserError(
                f"区县文件夹“{folder}”中没有找到规下企业名录（需含企业名称、统一社会信用代码、经营范围等列）"
            )
        for label, paths in (("规下企业名录", registries), ("规上工业企业名录", above)):
            if len(paths) > 1:
                names = "、".join(p.name for p in paths)
                raise UserError(f"区县文件夹“{folder}”中有多个{label}（{names}），请只保留一个")
        districts.append(DistrictFiles(folder.name, registries[0], above[0] if above else None))
    if not districts:
        raise UserError(f"全市数据目录“{root}”中没有区县子文件夹（每个区县一个文件夹，内放该区县的名录文件）")
    return districts


def _dataset_of(path: Path, detect) -> str:
    """By file name when it says (规上… / …名录), else by reading the columns (slow on a big registry)."""
    if any(word in path.name for word in ("规上", "规模以上", "above_scale")):
        return "above_scale"
    if any(word in path.name for word in ("名录", "规下", "registry")):
        return "registry"
    return detect(path)


def city_coverage(district_coverage: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Coverage of the city from each district's coverage table (`industry_gap.coverage.build_coverage`).

    One row per industrial node: present at a scope when any district has it,
    how many districts have it, firm counts summed, and which districts (、-joined).
    """
    names = sorted(district_coverage)
    if not names:
        return pd.DataFrame(columns=CITY_COVERAGE_COLUMNS)
    base = district_coverage[names[0]][["code", "level", "level_name", "name", "division"]].reset_index(drop=True)
    above = pd.DataFrame(
        {n: district_coverage[n]["present_above"].fillna(False).astype(bool).to_numpy() for n in names}
    )
    present_all = pd.DataFrame(
        {n: district_coverage[n]["present_all"].fillna(False).astype(bool).to_numpy() for n in names}
    )
    for name in names:
        if not district_coverage[name]["code"].reset_index(drop=True).equals(base["code"]):
            raise ValueError(f"coverage of {name} is not in the standard's node order")
    n_above = sum(district_coverage[n]["n_above"].to_numpy() for n in names)
    n_all = sum(district_coverage[n]["n_all"].to_numpy() for n in names)
    table = base.assign(
        present_above=above.any(axis=1).to_numpy(),
        present_all=present_all.any(axis=1).to_numpy(),
        districts_above=above.sum(axis=1).to_numpy(),
        districts_all=present_all.sum(axis=1).to_numpy(),
        n_above=n_above,
        n_all=n_all,
        above_in=_joined_names(above),
        all_in=_joined_names(present_all),
    )
    return table[CITY_COVERAGE_COLUMNS]


def _joined_names(flags: pd.DataFrame) -> list[str]:
    columns = list(flags.columns)
    return ["、".join(c for c, hit in zip(columns, row) if hit) for row in flags.itertuples(index=False)]


def coverage_summary(city: pd.DataFrame, district_coverage: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Counts of present nodes per level and scope, for the city and each district (the summary sheet)."""
    from reference import LEVEL_NAMES

    rows = []
    tables = {"全市": city, **{name: district_coverage[name] for name in sorted(district_coverage)}}
    for scope, scope_name in (("above", "规上口径"), ("all", "全口径")):
        for level in ("division", "group", "class"):
            for district, table in tables.items():
                at_level = table[table["level"] == level]
                rows.append(
                    {
                        "scope_name": scope_name,
                        "level_name": LEVEL_NAMES[level],
                        "district": district,
                        "present": int(at_level[f"present_{scope}"].fillna(False).astype(bool).sum()),
                    }
                )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def city_gap_candidates(city: pd.DataFrame, district_codes: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """规下 firms, in any district, whose counted 小类 is missing at 规上 scope everywhere in the city.

    `district_codes` are the districts' `resolve_enterprise_codes` tables. These
    are the firms whose 入规 would fill a city-wide 规上 gap (a district's own gap
    that another district already covers does not count for the city).
    """
    missing = set(city.loc[(city["level"] == "class") & ~city["present_above"].astype(bool), "code"])
    districts_all = dict(zip(city["code"], city["districts_all"]))
    frames = []
    for district in sorted(district_codes):
        codes = district_codes[district]
        below = codes[(codes["scale"] == "below") & codes["counted_in_all"].astype(bool) & codes["code"].isin(missing)]
        if below.empty:
            continue
        frames.append(below.assign(district=district, districts_all=below["code"].map(districts_all)))
    if not frames:
        return pd.DataFrame(columns=CITY_CANDIDATE_COLUMNS)
    found = pd.concat(frames, ignore_index=True)
    found = found.sort_values(["code", "district", "confidence"], ascending=[True, True, False], kind="stable")
    return found[CITY_CANDIDATE_COLUMNS].reset_index(drop=True)


def city_table_for_districts(city: pd.DataFrame) -> pd.DataFrame:
    """The 全市门类表 a district run reads with `--city-coverage` (行业代码, 规上已有, 全口径已有)."""
    return pd.DataFrame(
        {
            "行业代码": city["code"].astype(str),
            "门类名称": city["name"],
            "规上已有": city["present_above"].map({True: "是", False: "否"}),
            "全口径已有": city["present_all"].map({True: "是", False: "否"}),
        }
    )


# -- progress inside a district ----------------------------------------------------------------
# A district's steps run in other processes (or on Celery workers sharing the output folder): they
# write how far they are into a small file and `industry-gap city` reads it to show the office.
PROGRESS_FOLDER = Path("city") / "progress"


@dataclass(frozen=True)
class DistrictProgress:
    """How far one district's step is: `done` of `total` rows of `stage`, after `seconds`."""

    district: str
    stage: str  # Chinese, e.g. "已分类"
    done: int
    total: int
    seconds: float

    def line(self) -> str:
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        return (
            f"区县“{self.district}”：{self.stage} {self.done:,}/{self.total:,} 行"
            f"（{rate:,.0f} 行/秒，预计还需 {left:.0f} 秒）"
        )


def progress_path(output_root: str | Path, district: str) -> Path:
    return Path(output_root) / PROGRESS_FOLDER / f"{district}.json"


class ProgressFile:
    """A `progress(done, total)` callback that keeps a district's progress file current (at most once
    a `min_interval`, and always at the end); written whole and renamed, so a reader never sees half."""

    def __init__(self, output_root: str | Path, district: str, stage: str, min_interval: float = 1.0):
        self.path = progress_path(output_root, district)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.district, self.stage, self.min_interval = district, stage, min_interval
        self.started = time.perf_counter()
        self.last = -min_interval

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self.last < self.min_interval:
            return
        self.last = now
        record = {"stage": self.stage, "done": int(done), "total": int(total), "seconds": now - self.started}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


def read_progress(output_root: str | Path, district: str) -> DistrictProgress | None:
    """The district's last progress record, or None when there is none (yet) or it cannot be read."""
    try:
        record = json.loads(progress_path(output_root, district).read_text(encoding="utf-8"))
        return DistrictProgress(
            district, str(record["stage"]), int(record["done"]), int(record["total"]), float(record["seconds"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_progress(output_root: str | Path) -> None:
    """Forget the progress of an earlier run, so its finished districts are not shown as this run's."""
    folder = Path(output_root) / PROGRESS_FOLDER
    for path in folder.glob("*.json") if folder.is_dir() else []:
        path.unlink(missing_ok=True)
