"""Reading files: encodings, file types, header row, blank lines, row numbers."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from industry_gap.errors import InputFileError
from industry_gap.ingest import ingest_file, read_table
from tests.factories import make_uscc

HEADER = ["统一社会信用代码", "企业名称", "经营范围", "成立日期"]


ROWS = [
    [make_uscc(1), "杭州甲机械有限公司", "机械零部件加工；通用设备制造", "2015-03-02"],
    [make_uscc(2), "杭州乙食品有限公司", "食品生产；食品销售", "2018/7/1"],
]


def write_csv(path, rows, encoding="utf-8", delimiter=","):
    text = "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings(tmp_path, encoding):
    path = write_csv(tmp_path / "名录.csv", [HEADER] + ROWS, encoding)
    result = ingest_file(path, "registry")
    assert list(result.clean["name"]) == ["杭州甲机械有限公司", "杭州乙食品有限公司"]
    assert list(result.clean["established"]) == ["2015-03-02", "2018-07-01"]
    assert result.quarantine.empty


def test_tab_separated_and_commas_inside_scope(tmp_path):
    rows = [HEADER, [make_uscc(3), "丙公司", "生产,销售,维修", "2015-03-02"]]
    path = write_csv(tmp_path / "tab.txt", rows, "utf-8", "\t")
    result = ingest_file(path, "registry")
    assert result.clean.loc[0, "scope"] == "生产,销售,维修"


def test_leading_zeros_survive(tmp_path):
    path = write_csv(tmp_path / "a.csv", [HEADER + ["行业代码"], ROWS[0] + ["0610"]])
    assert ingest_file(path, "registry").clean.loc[0, "industry_code"] == "0610"


def test_title_rows_and_blank_lines_in_csv(tmp_path):
    lines = [
        "XX区规下企业名录（2024年）,,,",
        "填报单位：XX区统计局,,,",
        "",
        ",".join(HEADER),
        ",".join(ROWS[0]),
        ",,,",
        "",
        ",".join(ROWS[1]),
    ]
    path = tmp_path / "title.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_table(path, "registry")
    assert table.header_row == 4
    assert table.row_numbers == [5, 8]  # real sheet rows; blank lines are not data rows
    result = ingest_file(path, "registry")
    assert result.rows_in == 2
    assert list(result.clean["source_row"]) == [5, 8]


def test_quoted_multiline_cell_counts_as_one_row(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text(
        ",".join(HEADER)
        + "\n"
        + f'{make_uscc(1)},甲,"第一行\n第二行",2015-03-02\n'
        + f"{make_uscc(2)},乙,生产,2015-03-02\n",
        encoding="utf-8",
    )
    result = ingest_file(path, "registry")
    assert list(result.clean["source_row"]) == [2, 3]
    assert result.clean.loc[0, "scope"] == "第一行\n第二行"


def test_header_whitespace_and_fullwidth_spaces(tmp_path):
    path = write_csv(tmp_path / "a.csv", [[" 统一社会信用代码\u3000", "企业　名称", "经营范围 ", "成立日期"], ROWS[0]])
    result = ingest_file(path, "registry")
    assert result.column_headers["name"] == "企业名称"
    assert len(result.clean) == 1


def test_xlsx_with_title_rows_and_cell_types(tmp_path):
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "说明"
    notes.append(["本表由统计局整理"])
    sheet = workbook.create_sheet("名录")
    sheet.append(["XX区规下工业企业名录"])
    sheet.merge_cells("A1:F1")
    sheet.append(["单位：万元"])
    sheet.append(HEADER + ["营业收入（万元）", "行业代码"])
    sheet.append([make_uscc(1), "甲公司", "机械加工", dt.datetime(2015, 3, 2), 1234.5, "0610"])
    sheet.append([])
    sheet.append([make_uscc(2), "乙公司", "食品生产", 42065, 100, 1311])
    sheet.append([None, None, None, None, None, None, "备注：数据来自市场监管局"])
    path = tmp_path / "名录.xlsx"
    workbook.save(path)
    result = ingest_file(path, "registry")
    assert result.sheet == "名录" and result.header_row == 3
    assert list(result.clean["source_row"]) == [4, 6]
    assert list(result.clean["established"]) == ["2015-03-02", "2015-03-02"]
    assert list(result.clean["revenue_wan"]) == [1234.5, 100.0]
    assert list(result.clean["industry_code"]) == ["0610", "1311"]
    # The stray note in an unnamed column is a row of its own (quarantined, not lost) and its column is listed.
    assert result.accounting() == {"in": 3, "clean": 2, "quarantined": 1, "set_aside": 0, "missing": 0}
    assert result.quarantine.loc[0, "row"] == 7
    assert "（第7列，无表头）" in result.ignored_columns


def test_xlsx_code_cells_typed_as_numbers(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["统一社会信用代码", "单位名称", "行业代码"])
    workbook.active.append([make_uscc(1), "煤矿", 610])  # 0610: the only valid reading
    workbook.active.append([make_uscc(2), "油田", 711])  # 0711 or group 711: ask
    workbook.active.append([make_uscc(3), "加工厂", "0711"])  # text keeps its zero
    path = tmp_path / "规上.xlsx"
    workbook.save(path)
    result = ingest_file(path, "above_scale")
    assert list(result.clean["industry_code"]) == ["0610", "0711"]
    assert result.quarantine.loc[0, "row"] == 3 and "丢失了开头的0" in result.quarantine.loc[0, "reason"]


def test_xlsx_uscc_typed_as_number(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    workbook.active.append([913301000000000001, "甲", "生产", None])
    path = tmp_path / "n.xlsx"
    workbook.save(path)
    result = ingest_file(path, "registry")
    assert result.quarantine.loc[0, "reason"].startswith("统一社会信用代码被转成了科学计数法")


def test_xlsx_content_with_xls_name(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(ROWS[0])
    path = tmp_path / "WPS导出.xls"
    workbook.save(path)
    assert len(ingest_file(path, "registry").clean) == 1


def test_wps_html_saved_as_xls(tmp_path):
    cells = "".join(f"<td>{c}</td>" for c in HEADER)
    data = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in ROWS)
    html = (
        f'<html><head><meta charset="gbk"></head><body><table><tr><td colspan="4">名录</td></tr>'
        f"<tr>{cells}</tr>{data}</table></body></html>"
    )
    path = tmp_path / "导出.xls"
    path.write_bytes(html.encode("gbk"))
    result = ingest_file(path, "registry")
    assert result.header_row == 2
    assert list(result.clean["source_row"]) == [3, 4]


def test_real_old_xls_gives_clear_error(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(InputFileError) as info:
        ingest_file(path, "registry")
    assert "old.xls" in info.value.message and ".xlsx" in info.value.message


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "空"),
        (b"PK\x03\x04broken", "损坏"),
        ("备注,说明\n1,2\n".encode(), "表头"),
    ],
)
def test_unusable_files(tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        ingest_file(path, "registry")
    assert words in info.value.message and "bad.csv" in info.value.message


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="不存在"):
        ingest_file(tmp_path / "nope.csv", "registry")


def test_row_with_more_cells_than_header_is_quarantined(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(",".join(HEADER) + "\n" + f"{make_uscc(1)},甲,生产,销售,2015-03-02\n", encoding="utf-8")
    result = ingest_file(path, "registry")
    assert result.clean.empty
    row = result.quarantine.iloc[0]
    assert row["column"] == "（整行）" and "未加引号的英文逗号" in row["reason"]


# -- the "scopes" tables of classify / train / evaluate --------------------------------------------
def test_scope_tables_find_their_header_under_a_title_row(tmp_path):
    path = tmp_path / "scopes.csv"
    path.write_text("某某区企业名单\n\n企业名称,经营范围,行业代码\n甲公司,软件开发,6513\n", encoding="gbk")
    table = read_table(path, "scopes")
    assert table.header_row == 3 and table.headers == ["企业名称", "经营范围", "行业代码"]
    assert table.rows == [["甲公司", "软件开发", "6513"]] and table.row_numbers == [4]


def test_scope_tables_count_the_column_names_the_user_gave(tmp_path):
    path = write_csv(tmp_path / "own.csv", [["某某区企业名单", ""], ["描述", "标签"], ["软件开发", "I65"]])
    assert read_table(path, "scopes").header_row == 1  # nothing known: the first non-blank row
    table = read_table(path, "scopes", header_names=("描述",))
    assert table.header_row == 2 and table.headers == ["描述", "标签"]


def test_scope_tables_without_a_known_header_take_the_first_row_and_its_delimiter(tmp_path):
    path = write_csv(tmp_path / "own.tsv", [["描述", "标签"], ["软件开发,信息咨询", "I65"]], delimiter="\t")
    table = read_table(path, "scopes")
    assert table.headers == ["描述", "标签"] and table.rows == [["软件开发,信息咨询", "I65"]]
    with pytest.raises(InputFileError, match="表头"):
        read_table(path, "registry")  # the registry still needs a header it knows
