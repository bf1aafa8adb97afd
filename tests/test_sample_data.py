"""The committed sample district is reproducible and its defects are where the manifest says.

The generator runs once into a temporary directory (about a second); the
committed files in sample_data/ must be byte-identical to that run, so a change
to the generator without regenerating the data fails here.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import sys
from pathlib import Path

import openpyxl
import pytest
from stdnum.cn import uscc

from reference import standard

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO_ROOT / "sample_data"
GENERATOR = REPO_ROOT / "scripts" / "make_sample_data.py"
FILES = [
    "registry.csv",
    "above_scale.csv",
    "targets.csv",
    "projects.xlsx",
    "truth/registry_true_codes.csv",
    "bad_rows.csv",
    "README.md",
]
ENCODINGS = {
    "registry.csv": "utf-8-sig",
    "above_scale.csv": "gbk",
    "targets.csv": "utf-8",
    "truth/registry_true_codes.csv": "utf-8",
    "bad_rows.csv": "utf-8",
}
SET_ASIDE_KINDS = {"duplicate", "closed_status"}
KINDS = {
    "bad_uscc",
    "empty_scope",
    "duplicate",
    "closed_status",
    "bad_amount",
    "bad_date",
    "negative_amount",
    "bad_code",
    "missing_code",
}


def load_generator():
    """Import scripts/make_sample_data.py (not a package); dataclasses need it in sys.modules."""
    spec = importlib.util.spec_from_file_location("make_sample_data", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("sample")
    load_generator().main(["--output", str(out)])
    return out, 0.0


def read_table(directory: Path, name: str) -> list[list]:
    """Rows including the header, as the pipeline would see them (row i = spreadsheet row i + 1)."""
    path = directory / name
    if name.endswith(".xlsx"):
        sheet = openpyxl.load_workbook(path, read_only=True)["项目清单"]
        return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(path.read_bytes().decode(ENCODINGS[name]), newline="")))


@pytest.fixture(scope="module")
def manifest() -> list[dict]:
    return [dict(r) for r in csv.DictReader(io.StringIO((SAMPLE_DIR / "bad_rows.csv").read_text("utf-8")))]


# -- reproducibility --------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_committed_files_match_a_fresh_run(generated, name):
    out, _ = generated
    assert (SAMPLE_DIR / name).read_bytes() == (out / name).read_bytes(), (
        f"sample_data/{name} is stale: run python scripts/make_sample_data.py"
    )


# -- shapes and encodings ---------------------------------------------------


@pytest.mark.parametrize(
    "name, low, high",
    [
        ("registry.csv", 7500, 8500),
        ("above_scale.csv", 380, 420),
        ("targets.csv", 216, 216),
        ("projects.xlsx", 25, 35),
        ("truth/registry_true_codes.csv", 7000, 8500),
    ],
)
def test_row_counts(name, low, high):
    assert low <= len(read_table(SAMPLE_DIR, name)) - 1 <= high


def test_headers():
    assert read_table(SAMPLE_DIR, "registry.csv")[0] == [
        "统一社会信用代码",
        "企业名称",
        "经营范围",
        "登记状态",
        "企业类型",
        "成立日期",
        "注册资本",
        "营业收入（万元）",
        "上年营业收入（万元）",
        "从业人员",
        "所属镇街",
        "行业代码",
        "法定代表人",
    ]
    assert read_table(SAMPLE_DIR, "above_scale.csv")[0] == [
        "统一社会信用代码",
        "单位名称",
        "行业代码",
        "主营业务收入（万元）",
        "所属镇街",
    ]
    assert read_table(SAMPLE_DIR, "targets.csv")[0] == ["口径", "行业代码", "行业名称", "责任单位", "目标年份"]
    assert read_table(SAMPLE_DIR, "projects.xlsx")[0] == [
        "项目名称",
        "建设单位",
        "统一社会信用代码",
        "总投资（万元）",
        "建设阶段",
        "签约日期",
        "计划投产时间",
        "拟扩增门类代码",
        "建设内容",
        "责任单位",
    ]
    assert read_table(SAMPLE_DIR, "truth/registry_true_codes.csv")[0] == ["统一社会信用代码", "企业名称", "true_code"]


def test_registry_has_bom_and_above_scale_is_gbk():
    assert (SAMPLE_DIR / "registry.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    raw = (SAMPLE_DIR / "above_scale.csv").read_bytes()
    raw.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


# -- identifiers -------------------------------------------------------------


def uscc_cells() -> list[tuple[str, int, str]]:
    """(file, spreadsheet row, value) for every non-empty USCC cell of every input."""
    cells = []
    for name in ("registry.csv", "above_scale.csv", "projects.xlsx"):
        rows = read_table(SAMPLE_DIR, name)
        column = rows[0].index("统一社会信用代码")
        cells += [(name, i + 1, str(r[column])) for i, r in enumerate(rows) if i and str(r[column]).strip()]
    return cells


def test_every_uscc_outside_the_manifest_validates(manifest):
    flagged = {(m["file"], int(m["row"])) for m in manifest if m["kind"] == "bad_uscc"}
    bad = [(f, r, v) for f, r, v in uscc_cells() if (f, r) not in flagged and not uscc.is_valid(v)]
    assert not bad


def test_uscc_unique_except_listed_duplicates(manifest) -> None:
    stale = {int(m["row"]) for m in manifest if m["file"] == "registry.csv" and m["kind"] == "duplicate"}
    seen: dict[str, int] = {}
    for name, row, value in uscc_cells():
        if name == "projects.xlsx" or not uscc.is_valid(value):
            continue  # projects reuse registry builders on purpose
        key = uscc.compact(value)
        if key in seen:
            assert name == "registry.csv" and seen[key] in stale, (name, row, value)
        seen[key] = row


def test_truth_covers_clean_registry_rows(manifest):
    flagged = {int(m["row"]) for m in manifest if m["file"] == "registry.csv"}
    rows = read_table(SAMPLE_DIR, "registry.csv")
    clean = {uscc.compact(r[0]) for i, r in enumerate(rows) if i and i + 1 not in flagged}
    truth = read_table(SAMPLE_DIR, "truth/registry_true_codes.csv")[1:]
    assert {t[0] for t in truth} == clean
    assert len(truth) == len(clean)
    assert all(standard().get(t[2]).level == "class" for t in truth)


# -- the manifest ------------------------------------------------------------


def is_number(text: str) -> bool:
    try:
        float(str(text).replace(",", ""))
    except ValueError:
        return False
    return True


def is_date(text: str) -> bool:
    import datetime as dt

    text = str(text).strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d"):
        try:
            dt.datetime.strptime(text, pattern)
            return True
        except ValueError:
            continue
    return False


def test_manifest_kinds_and_counts(manifest):
    assert {m["kind"] for m in manifest} <= KINDS
    counts = {k: sum(m["kind"] == k for m in manifest if m["file"] == "registry.csv") for k in KINDS}
    assert counts["bad_uscc"] == 12 and counts["empty_scope"] == 6 and counts["duplicate"] == 8
    assert 150 <= counts["closed_status"] <= 350
    above = {m["kind"] for m in manifest if m["file"] == "above_scale.csv"}
    assert above == {"bad_uscc", "missing_code", "bad_code"}


def test_manifest_rows_exist_and_are_bad(manifest):
    tables = {name: read_table(SAMPLE_DIR, name) for name in ("registry.csv", "above_scale.csv", "projects.xlsx")}
    std = standard()
    for entry in manifest:
        rows = tables[entry["file"]]
        row = int(entry["row"])
        assert 2 <= row <= len(rows), entry
        record = rows[row - 1]
        header = rows[0]
        if entry["kind"] in SET_ASIDE_KINDS:
            assert entry["column"] == ""
        value = str(record[header.index(entry["column"])]) if entry["column"] else ""
        kind = entry["kind"]
        if kind == "bad_uscc":
            assert not uscc.is_valid(value), entry
        elif kind == "empty_scope":
            assert not value.strip(), entry
        elif kind == "closed_status":
            assert record[header.index("登记状态")] in {"注销", "吊销", "迁出"}, entry
        elif kind == "duplicate":
            key = uscc.compact(record[0])
            later = [i + 1 for i, r in enumerate(rows) if i + 1 > row and uscc.compact(str(r[0])) == key]
            assert len(later) == 1 and f"(row {later[0]})" in entry["note"], entry
        elif kind == "bad_amount":
            assert value and not is_number(value), entry
        elif kind == "negative_amount":
            assert is_number(value) and float(value) < 0, entry
        elif kind == "bad_date":
            assert not is_date(value), entry
        elif kind == "bad_code":
            assert std.find(value) is None, entry
        elif kind == "missing_code":
            assert not value.strip(), entry


# -- content sanity -----------------------------------------------------------


def test_targets_mirror_the_plan() -> None:
    std = standard()
    rows = read_table(SAMPLE_DIR, "targets.csv")[1:]
    levels: dict[tuple[str, str], int] = {}
    for scope, code, name, unit, year in rows:
        node = std.get(code)
        assert node.is_industrial and node.name == name and year in {"2023", "2024", "2025"} and unit
        levels[(scope, node.level)] = levels.get((scope, node.level), 0) + 1
    assert levels == {
        ("全口径", "group"): 8,
        ("全口径", "class"): 48,
        ("规上口径", "division"): 7,
        ("规上口径", "group"): 46,
        ("规上口径", "class"): 107,
    }


def test_above_scale_targets_have_no_above_scale_firm():
    std = standard()
    above = {std.get(r[2]).code for r in read_table(SAMPLE_DIR, "above_scale.csv")[1:] if std.find(r[2])}
    targets = [std.get(r[1]).code for r in read_table(SAMPLE_DIR, "targets.csv")[1:] if r[0] == "规上口径"]
    assert not [(t, c) for t in targets for c in above if c.startswith(t)]
    assert 60 <= len(above) <= 90


def test_registry_mix_and_revenue_band():
    rows = read_table(SAMPLE_DIR, "truth/registry_true_codes.csv")[1:]
    std = standard()
    industrial = sum(std.is_industrial(r[2]) for r in rows) / len(rows)
    assert 0.35 <= industrial <= 0.45
    registry = read_table(SAMPLE_DIR, "registry.csv")
    revenue = [float(r[7]) for r in registry[1:] if re.fullmatch(r"-?\d+(\.\d+)?", r[7])]
    assert sum(1000 <= v < 2000 for v in revenue) >= 50
    assert sum(2000 <= v <= 4000 for v in revenue) >= 20
