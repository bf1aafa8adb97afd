"""`industry-gap check-registry`: exit codes 0/1/2, Chinese output, quarantine CSV, no traceback."""

from __future__ import annotations

import csv

import pytest

import pipelines.cli as cli
from tests.factories import make_uscc

HEADER = ["统一社会信用代码", "企业名称", "经营范围", "登记状态"]


@pytest.fixture
def main(monkeypatch):
    """`pipelines.cli.main`; while colleagues' sub-command modules are missing or broken,
    only this module is registered, so the test still goes through the real main()."""
    try:
        cli.build_parser()
    except Exception:
        monkeypatch.setattr(cli, "COMMANDS", ["check_registry"])
    return cli.main


def write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER] + rows)
    return path


def test_all_clean_exits_0(tmp_path, main, capsys):
    path = write(tmp_path / "ok.csv", [[make_uscc(1), "甲", "生产", "存续"], [make_uscc(2), "乙", "销售", "注销"]])
    assert main(["check-registry", str(path)]) == 0
    out = capsys.readouterr().out
    assert "读入数据行：2" in out and "合格：1" in out
    assert "暂不纳入：1" in out and "登记状态为注销：1" in out  # set aside is printed, not a failure


def test_quarantined_rows_exit_1_and_csv_written(tmp_path, main, capsys):
    path = write(
        tmp_path / "bad.csv",
        [[make_uscc(1), "甲", "生产", "存续"], ["123", "乙", "", "存续"], [make_uscc(3), "丙", "", "存续"]],
    )
    out_file = tmp_path / "隔离.csv"
    assert main(["check-registry", str(path), "--quarantine-out", str(out_file)]) == 1
    out = capsys.readouterr().out
    assert "隔离（需修正）：2" in out
    assert "经营范围为空：2" in out and "统一社会信用代码长度应为18位：1" in out
    raw = out_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out_file.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["数据集", "文件", "行号", "列", "值", "原因"]
    assert rows[1][:5] == ["规下企业名录", str(path), "3", "统一社会信用代码", "123"]
    assert rows[1][5] == "统一社会信用代码长度应为18位（实际3位）；经营范围为空"
    assert not list(tmp_path.glob("*.tmp"))  # written atomically, no leftovers


def test_missing_column_exits_2_with_one_clear_message(tmp_path, main, capsys):
    path = tmp_path / "名录.csv"
    path.write_text("统一社会信用代码,企业名称,备注\n1,2,3\n", encoding="utf-8")
    assert main(["check-registry", str(path)]) == 2
    captured = capsys.readouterr()
    message = captured.err
    assert "名录.csv" in message and "经营范围" in message and "统一社会信用代码、企业名称、备注" in message
    assert "Traceback" not in captured.err + captured.out
    assert message.count("\n") == 1


@pytest.mark.parametrize("content", [b"", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, b"PK\x03\x04xx"])
def test_unusable_file_exits_2_without_traceback(tmp_path, main, capsys, content):
    path = tmp_path / "x.xls"
    path.write_bytes(content)
    assert main(["check-registry", str(path)]) == 2
    captured = capsys.readouterr()
    assert "x.xls" in captured.err and "Traceback" not in captured.err + captured.out


def test_missing_file_exits_2(tmp_path, main, capsys):
    assert main(["check-registry", str(tmp_path / "none.csv")]) == 2
    assert "不存在" in capsys.readouterr().err


def test_unwritable_quarantine_out_is_a_user_error(tmp_path, main, capsys):
    path = write(tmp_path / "bad.csv", [["123", "乙", "", "存续"]])
    assert main(["check-registry", str(path), "--quarantine-out", str(tmp_path / "no" / "q.csv")]) == 2
    assert "目录" in capsys.readouterr().err


def test_other_dataset_option(tmp_path, main, capsys):
    path = tmp_path / "t.csv"
    path.write_text("口径,行业代码,责任单位,目标年份\n全口径,1311,经信局,2025\n", encoding="utf-8")
    assert main(["check-registry", str(path), "--dataset", "targets"]) == 0
    assert "扩增门类目标清单" in capsys.readouterr().out


def test_help_is_chinese(main, capsys):
    with pytest.raises(SystemExit) as info:
        main(["check-registry", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "隔离" in out and "退出码" in out and "显示本帮助并退出" in out
