"""Changes between runs: candidates, stages, categories filled and reopened, the 本月变化 sheet."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from industry_gap.changes import (
    CHANGE_COLUMNS,
    CHANGES_HEADERS,
    CHANGES_SHEET,
    DROP_COLUMNS,
    FIRST_RUN_TEXT,
    LEFT_ABOVE_COLUMNS,
    NO_CHANGES_TEXT,
    RunSnapshot,
    change_summary,
    choose_comparison_dates,
    compare_runs,
    coverage_drops,
    left_above_scale,
    month_label,
    monthly_changes,
    previous_run_label,
    write_changes_sheet,
)
from industry_gap.coverage import build_coverage
from industry_gap.entry_pipeline import CANDIDATE_COLUMNS
from industry_gap.exports.excel_style import save_atomically
from industry_gap.schema import ABOVE_SCALE_COLUMNS, REGISTRY_COLUMNS
from tests.factories import make_uscc

CURRENT_DATE = dt.date(2026, 11, 24)
PREVIOUS_DATE = dt.date(2026, 11, 19)
LAST_MONTH_DATE = dt.date(2026, 10, 28)
LABEL = previous_run_label(PREVIOUS_DATE)

STAGE_NAMES = {"ready": "已达标待入库", "near": "临近", "nurture": "培育", "reserve": "储备"}
FIRMS = {n: (make_uscc(n), f"鄂尔多斯市企业{n}有限公司") for n in range(1, 10)}


def above_row(n: int, code: str) -> dict:
    uscc, name = FIRMS[n]
    return dict(
        uscc=uscc,
        name=name.replace("企业", "规上企业"),
        industry_code=code,
        revenue_wan=5000.0,
        town="罕台镇",
        source_file="above.csv",
        source_row=n + 1,
    )


def above_list(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=ABOVE_SCALE_COLUMNS)


def registry_row(n: int, code: str) -> dict:
    row: dict[str, object] = {column: "" for column in REGISTRY_COLUMNS}
    uscc, name = FIRMS[n]
    row.update(
        uscc=uscc,
        name=name,
        scope="乳制品生产",
        status="存续",
        enterprise_type="有限责任公司",
        town="罕台镇",
        industry_code=code,
        revenue_wan=math.nan,
        revenue_prev_wan=math.nan,
    )
    return row


def candidate(
    n: int,
    stage: str,
    rank: float,
    *,
    included: bool = True,
    code: str = "1441",
    revenue: float = 900.0,
    gap: str = "class",
    reason: str = "",
) -> dict:
    row: dict[str, object] = {column: "" for column in CANDIDATE_COLUMNS}
    uscc, name = FIRMS[n]
    row.update(
        uscc=uscc,
        name=name,
        code=code,
        code_name="液体乳制造" if code == "1441" else "",
        gap_level_above=gap,
        revenue_wan=revenue,
        stage=stage if included else "",
        stage_name=STAGE_NAMES[stage] if included and stage else "",
        included=included,
        exclusion_reason=reason,
        rank=rank if included else math.nan,
    )
    return row


def candidates(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=CANDIDATE_COLUMNS)


# Previous run: 规上 firms 8 (1391 淀粉) and 9 (3670 汽车零部件); current: 9 stays, 7 (3311 金属结构) enters,
# and 规下 firm 6 is counted in 全口径 by its registered code 1441 (乳制品).
PREVIOUS_ABOVE = above_list(above_row(8, "1391"), above_row(9, "3670"))
CURRENT_ABOVE = above_list(above_row(9, "3670"), above_row(7, "3311"))
PREVIOUS_CANDIDATES = candidates(
    candidate(1, "near", 1),
    candidate(2, "nurture", 2),
    candidate(3, "reserve", 3, revenue=math.nan),
    candidate(4, "nurture", 4),
    candidate(5, "", 0, included=False, reason="个体工商户，非独立法人"),
    candidate(9, "", 0, included=False, reason="已在规上工业企业名录"),
)
CURRENT_CANDIDATES = candidates(
    candidate(6, "nurture", 3, gap="none"),
    candidate(1, "ready", 1, revenue=2100.0),
    candidate(5, "near", 2),
    candidate(2, "reserve", 4, revenue=700.0),
    candidate(3, "", 0, included=False, reason="已在规上工业企业名录"),
    candidate(9, "", 0, included=False, reason="已在规上工业企业名录"),
)


@pytest.fixture(scope="module")
def previous(policy):
    coverage = build_coverage(pd.DataFrame(), PREVIOUS_ABOVE, policy)
    return RunSnapshot(PREVIOUS_DATE, PREVIOUS_CANDIDATES, coverage, PREVIOUS_ABOVE)


@pytest.fixture(scope="module")
def current(policy):
    registry = pd.DataFrame([registry_row(6, "1441")])
    coverage = build_coverage(registry, CURRENT_ABOVE, policy)
    return RunSnapshot(CURRENT_DATE, CURRENT_CANDIDATES, coverage, CURRENT_ABOVE)


@pytest.fixture(scope="module")
def changes(current, previous):
    return compare_runs(current, previous, LABEL)


def rows_of(changes: pd.DataFrame, kind: str, scope: str | None = None) -> pd.DataFrame:
    selected = changes[changes["change_kind"] == kind]
    return selected if scope is None else selected[selected["scope"] == scope]


def test_first_run_gives_an_empty_frame_with_the_columns(current):
    result = compare_runs(current, None, "上次运行（—）")
    assert result.empty
    assert list(result.columns) == CHANGE_COLUMNS


def test_columns_labels_and_kind_order(changes):
    assert list(changes.columns) == CHANGE_COLUMNS
    assert set(changes["compared_with"]) == {"上次运行（2026-11-19）"}
    kinds = list(dict.fromkeys(changes["change_kind"]))
    assert kinds == ["new_candidate", "dropped_candidate", "stage_up", "stage_down", "gap_filled", "gap_reopened"]
    names = dict(zip(changes["change_kind"], changes["change_kind_name"]))
    assert names == {
        "new_candidate": "新增候选企业",
        "dropped_candidate": "移出候选",
        "stage_up": "阶段提升",
        "stage_down": "阶段回落",
        "gap_filled": "门类填补",
        "gap_reopened": "门类重新空缺",
    }


def test_new_candidates_in_rank_order_with_their_history(changes):
    new = rows_of(changes, "new_candidate")
    assert new["uscc"].tolist() == [FIRMS[5][0], FIRMS[6][0]]  # ranks 2 and 3
    first, second = new.to_dict("records")
    assert "入规阶段“临近”" in first["detail"] and "比较时未纳入：个体工商户，非独立法人" in first["detail"]
    assert first["level"] == "class" and "可填补规上小类空白" in first["detail"]
    assert "比较时无该企业记录" in second["detail"] and second["level"] == ""
    assert second["code"] == "1441" and second["name"] == FIRMS[6][1]


def test_dropped_candidates_say_why(changes):
    dropped = rows_of(changes, "dropped_candidate").set_index("uscc")["detail"]
    assert list(dropped.index) == [FIRMS[3][0], FIRMS[4][0]]
    assert dropped[FIRMS[3][0]] == "比较时入规阶段“储备”；已进入规上工业企业名录"
    assert "本次无该企业记录" in dropped[FIRMS[4][0]]


def test_stage_moves(changes):
    up = rows_of(changes, "stage_up")
    down = rows_of(changes, "stage_down")
    assert up["uscc"].tolist() == [FIRMS[1][0]]
    assert up["detail"].iloc[0] == "入规阶段由“临近”提升为“已达标待入库”，上年营业收入由900.0万元变为2,100.0万元"
    assert down["uscc"].tolist() == [FIRMS[2][0]]
    assert down["detail"].iloc[0].startswith("入规阶段由“培育”回落为“储备”")


def test_excluded_firms_never_count_as_candidates(changes):
    assert FIRMS[9][0] not in set(changes["uscc"])  # excluded in both runs


def test_categories_filled_per_scope_and_level(changes):
    above = rows_of(changes, "gap_filled", "above")
    assert above[["level", "code"]].values.tolist() == [["division", "33"], ["group", "331"], ["class", "3311"]]
    assert above["detail"].iloc[0] == "规上口径大类“33 金属制品业”由空缺变为已有（规上企业1家）"
    all_scope = rows_of(changes, "gap_filled", "all")
    assert set(all_scope["code"]) == {"33", "331", "3311", "14", "144", "1441"}
    dairy = all_scope.set_index("code").loc["1441", "detail"]
    assert "规下企业（登记行业代码）" in dairy
    assert set(rows_of(changes, "gap_filled", "above")["code"]).isdisjoint({"14", "144", "1441"})
    assert (changes.loc[changes["change_kind"].str.startswith("gap"), "uscc"] == "").all()


def test_categories_reopened_name_the_firm_that_left(changes):
    reopened = rows_of(changes, "gap_reopened", "above")
    assert reopened["code"].tolist() == ["13", "139", "1391"]
    assert "移出规上名录的企业：鄂尔多斯市规上企业8有限公司（" + FIRMS[8][0] + "）" in reopened["detail"].iloc[0]
    assert "由已有变为空缺（比较时有1家）" in reopened["detail"].iloc[0]


def test_left_above_scale():
    left = left_above_scale(CURRENT_ABOVE, PREVIOUS_ABOVE)
    assert list(left.columns) == LEFT_ABOVE_COLUMNS
    assert left.to_dict("records") == [
        dict(uscc=FIRMS[8][0], name="鄂尔多斯市规上企业8有限公司", industry_code="1391", code_name="淀粉及淀粉制品制造")
    ]
    assert left_above_scale(PREVIOUS_ABOVE, PREVIOUS_ABOVE).empty
    assert left_above_scale(CURRENT_ABOVE, None).empty
    no_uscc = above_list(dict(above_row(9, "3670"), uscc=""))
    assert left_above_scale(above_list(above_row(9, "3670")), no_uscc).empty  # matched by name


def test_coverage_drops_list_nodes_and_the_enterprises_that_left(current, previous):
    left = left_above_scale(current.above_scale, previous.above_scale)
    drops = coverage_drops(current.coverage, previous.coverage, left)
    assert list(drops.columns) == DROP_COLUMNS
    assert drops[["scope", "code"]].values.tolist() == [
        ["all", "13"],
        ["all", "139"],
        ["all", "1391"],
        ["above", "13"],
        ["above", "139"],
        ["above", "1391"],
    ]
    assert (drops["n_before"] == 1).all()
    assert drops["left_enterprises"].str.contains("规上企业8").all()
    assert coverage_drops(previous.coverage, previous.coverage).empty
    without = coverage_drops(current.coverage, previous.coverage)
    assert (without["left_enterprises"] == "").all()


def test_flags_read_from_a_warehouse(current, previous):
    stored_coverage = previous.coverage.assign(
        present_above=previous.coverage["present_above"].map({True: "1", False: "0"}),
        present_all=previous.coverage["present_all"].map({True: "true", False: "false"}),
    )
    stored_candidates = previous.candidates.assign(included=previous.candidates["included"].astype(int))
    stored = RunSnapshot(str(PREVIOUS_DATE), stored_candidates, stored_coverage, previous.above_scale)
    assert compare_runs(current, stored, LABEL).equals(compare_runs(current, previous, LABEL))


def test_comparison_dates_and_labels():
    runs = ["2026-09-30", LAST_MONTH_DATE, dt.date(2026, 10, 2), PREVIOUS_DATE, CURRENT_DATE, "2026-12-01"]
    assert choose_comparison_dates(runs, CURRENT_DATE) == (PREVIOUS_DATE, LAST_MONTH_DATE)
    assert choose_comparison_dates([CURRENT_DATE], CURRENT_DATE) == (None, None)
    assert choose_comparison_dates([LAST_MONTH_DATE], CURRENT_DATE) == (LAST_MONTH_DATE, LAST_MONTH_DATE)
    assert choose_comparison_dates([PREVIOUS_DATE], CURRENT_DATE) == (PREVIOUS_DATE, None)
    assert previous_run_label("2026-11-19") == "上次运行（2026-11-19）"
    assert month_label(LAST_MONTH_DATE, CURRENT_DATE) == "上月（2026-10）"
    assert month_label("2026-08-31", CURRENT_DATE) == "此前月份（2026-08）"
    assert month_label("2025-12-31", "2026-01-05") == "上月（2025-12）"


def test_monthly_changes_two_comparisons(current, previous):
    last_month = RunSnapshot(
        LAST_MONTH_DATE, candidates(candidate(1, "near", 1)), previous.coverage, previous.above_scale
    )
    result = monthly_changes(current, previous, last_month)
    assert list(dict.fromkeys(result["compared_with"])) == ["上次运行（2026-11-19）", "上月（2026-10）"]
    month = result[result["compared_with"] == "上月（2026-10）"]
    assert set(rows_of(month, "new_candidate")["uscc"]) == {FIRMS[n][0] for n in (2, 5, 6)}
    assert monthly_changes(current, None, None).empty


def test_monthly_changes_same_snapshot_is_compared_once(current, previous):
    same = RunSnapshot(LAST_MONTH_DATE, previous.candidates, previous.coverage, previous.above_scale)
    result = monthly_changes(current, same, same)
    assert set(result["compared_with"]) == {"上次运行（2026-10-28），即上月（2026-10）"}
    assert len(result) == len(compare_runs(current, previous, LABEL))


def test_change_summary(changes):
    summary = change_summary(changes)
    assert summary["上次运行（2026-11-19）·新增候选企业"] == 2
    assert summary["上次运行（2026-11-19）·门类填补"] == 9
    assert sum(summary.values()) == len(changes)


def test_changes_sheet(tmp_path, changes):
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.create_sheet("门类覆盖情况")
    hostile = pd.concat([changes, changes.head(1).assign(name='=HYPERLINK("http://x","y")')], ignore_index=True)
    write_changes_sheet(workbook, hostile, CURRENT_DATE, district="东胜区")
    path = save_atomically(workbook, tmp_path / "book.xlsx")

    ws = load_workbook(path)[CHANGES_SHEET]
    assert ws["A1"].value == CHANGES_SHEET
    assert ws["A2"].value == "东胜区扩增工业门类本月变化情况"
    assert "上次运行（2026-11-19）" in ws["A3"].value and "2026-11-24" in ws["A3"].value
    assert [c.value for c in ws[4]] == CHANGES_HEADERS
    assert ws.freeze_panes == "A5"
    assert ws.max_row == 4 + len(hostile)
    assert [ws.cell(row=5, column=c).value for c in range(1, 4)] == [1, "上次运行（2026-11-19）", "新增候选企业"]
    last = ws.max_row
    assert ws.cell(row=last, column=7).value == '=HYPERLINK("http://x","y")'
    assert ws.cell(row=last, column=7).data_type == "s"
    scopes = {ws.cell(row=r, column=4).value for r in range(5, last + 1)}
    assert scopes == {None, "全口径", "规上口径"}


def test_changes_sheet_without_rows(tmp_path):
    empty = pd.DataFrame(columns=CHANGE_COLUMNS)
    workbook = Workbook()
    write_changes_sheet(workbook, empty, "2026-11-24")
    assert workbook[CHANGES_SHEET]["A5"].value == FIRST_RUN_TEXT
    write_changes_sheet(workbook, empty, "2026-11-24", compared_with=["上月（2026-10）"], index=0)
    assert workbook.sheetnames[0] == CHANGES_SHEET and workbook.sheetnames.count(CHANGES_SHEET) == 1
    assert workbook[CHANGES_SHEET]["A5"].value == NO_CHANGES_TEXT
    save_atomically(workbook, tmp_path / "empty.xlsx")
