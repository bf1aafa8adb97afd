"""Stage → commit with a manifest → swap: the pieces, and department file names that never collide."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from openpyxl import Workbook

from industry_gap.errors import UserError
from industry_gap.exports import department_file_names, department_row_problems, publishing
from industry_gap.exports.publishing import (
    STAGING,
    folder_token,
    open_staging,
    publish,
    published_folder,
    recover_exports,
    seal,
    staged_manifest,
)
from industry_gap.exports.workbooks import ANNEX4_HEADERS, ANNEX4_SHEET, ANNEX5_HEADERS, ANNEX5_SHEET, ExportPaths

MONTH = "2026-11"
DAY = dt.date(2026, 11, 20)


def stage(root, content: str, run_id: str = "run") -> tuple[str, pd.DataFrame]:
    token, folder = open_staging(root, MONTH, run_id)
    (folder / "汇总.xlsx").write_text(content, encoding="utf-8")
    (folder / "农牧局.xlsx").write_text(content + "-dept", encoding="utf-8")
    return token, seal(folder, MONTH, token)


def published_files(root) -> dict[str, str]:
    folder = published_folder(root, MONTH)
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if not p.name.startswith(".")}


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_publish_swaps_the_whole_month(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(publishing, "_exchange", lambda a, b: False)
    token, manifest = stage(tmp_path, "old")
    publish(tmp_path, MONTH, token)
    assert published_files(tmp_path) == {"汇总.xlsx": "old", "农牧局.xlsx": "old-dept"}
    new, manifest = stage(tmp_path, "new")
    assert set(manifest["file"]) == {"汇总.xlsx", "农牧局.xlsx"} and manifest["token"].eq(new).all()
    assert staged_manifest(tmp_path / "exports" / STAGING / f"{MONTH}-{new}").equals(manifest)
    publish(tmp_path, MONTH, new)
    assert published_files(tmp_path) == {"汇总.xlsx": "new", "农牧局.xlsx": "new-dept"}
    assert folder_token(published_folder(tmp_path, MONTH)) == new
    assert not list((tmp_path / "exports" / STAGING).iterdir())  # the old month is gone, nothing left staged
    assert publish(tmp_path, MONTH, new) == published_folder(tmp_path, MONTH)  # again: already done


def test_recovery_completes_committed_and_discards_uncommitted(tmp_path):
    first, committed = stage(tmp_path, "v1")
    publish(tmp_path, MONTH, first)
    second, manifest2 = stage(tmp_path, "v2")  # committed, killed before the swap
    committed = pd.concat([committed, manifest2], ignore_index=True)
    orphan, _ = stage(tmp_path, "v3", run_id="dead")  # killed before its commit
    active, _ = stage(tmp_path, "v4", run_id="alive")  # another run, still staging
    recovery = recover_exports(tmp_path, committed, is_active=lambda run_id: run_id == "alive")
    assert recovery.completed == [MONTH]
    assert recovery.discarded == [f"{MONTH}-{orphan}"]
    assert published_files(tmp_path)["汇总.xlsx"] == "v2"
    left = sorted(p.name for p in (tmp_path / "exports" / STAGING).iterdir())
    assert left == [f"{MONTH}-{active}"]
    assert any("已补完" in m for m in recovery.messages()) and any("已删除" in m for m in recovery.messages())
    # nothing to do the second time
    again = recover_exports(tmp_path, committed, is_active=lambda run_id: run_id == "alive")
    assert again.completed == [] and again.discarded == []


def test_recovery_after_a_kill_between_the_two_renames(tmp_path, monkeypatch):
    """Without renameat2 the swap is two renames: killed between them, the month folder is missing."""
    old, manifest_old = stage(tmp_path, "old")
    publish(tmp_path, MONTH, old)
    new, manifest_new = stage(tmp_path, "new")
    staged = tmp_path / "exports" / STAGING / f"{MONTH}-{new}"
    published_folder(tmp_path, MONTH).rename(staged.with_name(staged.name + ".old"))  # first rename only
    assert not published_folder(tmp_path, MONTH).exists()
    recovery = recover_exports(tmp_path, pd.concat([manifest_old, manifest_new], ignore_index=True))
    assert recovery.completed == [MONTH]
    assert published_files(tmp_path)["汇总.xlsx"] == "new"
    assert not list((tmp_path / "exports" / STAGING).iterdir())


def test_the_newest_commit_of_a_month_wins(tmp_path):
    a, manifest_a = stage(tmp_path, "a")
    b, manifest_b = stage(tmp_path, "b")
    manifest_a["committed_at"] = "2026-11-20T02:00:00+00:00"
    manifest_b["committed_at"] = "2026-11-20T01:00:00+00:00"  # b committed first, a last
    recovery = recover_exports(tmp_path, pd.concat([manifest_b, manifest_a], ignore_index=True))
    assert recovery.completed == [MONTH]
    assert published_files(tmp_path)["汇总.xlsx"] == "a"
    assert json.loads((published_folder(tmp_path, MONTH) / ".manifest.json").read_text("utf-8"))["token"] == a


def test_department_file_names_never_collide(monkeypatch):
    departments = [
        "a/b",
        "a_b",
        "a:b",
        "工信和科技局",
        "工信和科技局/",
        "农" * 70,
        "农" * 60 + "局",
        "ABC",
        "abc",
        "区农牧局",
    ]
    names = department_file_names(departments, DAY)
    assert len(set(n.casefold() for n in names.values())) == len(departments)
    assert names["区农牧局"] == "附件4附件5_区农牧局_2026-11.xlsx"  # an ordinary name is unchanged
    assert names == department_file_names(list(reversed(departments)), DAY)  # deterministic
    for name in ("a/b", "工信和科技局", "农" * 70, "ABC"):
        assert len(names[name].rsplit("_", 2)[-2]) == 6  # hashed: clashed or shortened

    class SameDigest:  # a hash collision, to show the run stops before writing rather than overwrite
        def __init__(self, *_):
            pass

        def hexdigest(self):
            return "000000"

    import industry_gap.exports.workbooks as workbooks

    monkeypatch.setattr(workbooks.hashlib, "sha1", SameDigest)
    with pytest.raises(UserError, match="文件名相同"):
        department_file_names(["a/b", "a:b"], DAY)


def _annex_book(path, rows4: list[list], rows5: list[list]):
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook has one sheet
    book.remove(first)
    for sheet, headers, rows in ((ANNEX4_SHEET, ANNEX4_HEADERS, rows4), (ANNEX5_SHEET, ANNEX5_HEADERS, rows5)):
        ws = book.create_sheet(sheet)
        for column, header in enumerate(headers, start=1):
            ws.cell(row=4, column=column, value=header)
        for r, row in enumerate(rows, start=5):
            for column, value in enumerate(row, start=1):
                ws.cell(row=r, column=column, value=value)
    book.save(path)
    return path


def _row5(number: int, name: str, department: str) -> list:
    row = [number, name] + [""] * (len(ANNEX5_HEADERS) - 2)
    row[ANNEX5_HEADERS.index("责任单位")] = department
    return row


def test_department_rows_check_finds_a_lost_row(tmp_path):
    consolidated = _annex_book(tmp_path / "all.xlsx", [], [_row5(1, "甲", "农牧局"), _row5(2, "乙", "工信局")])
    farm = _annex_book(tmp_path / "farm.xlsx", [], [_row5(1, "甲", "农牧局")])
    industry = _annex_book(tmp_path / "industry.xlsx", [], [_row5(1, "乙", "工信局")])
    paths = ExportPaths(tmp_path, consolidated, {"农牧局": farm, "工信局": industry})
    assert department_row_problems(paths) == []
    _annex_book(industry, [], [])  # the department lost its row (what a file-name collision did)
    problems = department_row_problems(paths)
    assert problems == ["工信局：附件5汇总中 1 行，本单位工作簿中 0 行"]
    assert department_row_problems(ExportPaths(tmp_path, consolidated, {"农牧局": farm})) == [
        "工信局：汇总中有该单位的行，但没有生成它的工作簿"
    ]
