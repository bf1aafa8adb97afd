"""Size limits checked before and while parsing (industry_gap.ingest.limits): zip bombs, huge sheets,
runaway rows, columns and cells fail fast with a Chinese message naming the limit and the file."""

from __future__ import annotations

import inspect
import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

import pipelines.cli as cli
from industry_gap.errors import InputFileError, UserError
from industry_gap.ingest import ingest_file
from industry_gap.ingest.limits import InputLimits
from industry_gap.ingest.reading import open_table, read_table
from tests.corpus.cases import _zip_bomb_xlsx
from tests.factories import REGISTRY_HEADER, registry_row, write_csv

SCOPE = "塑料制品制造；塑料制品销售"


def _row(seq: int) -> list[object]:
    return registry_row(seq, f"鄂尔多斯市测试{seq}号有限公司", SCOPE)


def zip_bomb_xlsx(path: Path, megabytes: int = 100) -> Path:
    """A real workbook whose sheet XML is `megabytes` MB of one repeated row (about 1000:1), built in 1 MB blocks."""
    _zip_bomb_xlsx(path, megabytes)
    return path


@pytest.fixture
def main(monkeypatch):
    """`pipelines.cli.main`; only check_registry when colleagues' sub-commands cannot load (as in the corpus)."""
    try:
        cli.build_parser()
    except Exception:
        monkeypatch.setattr(cli, "COMMANDS", ["check_registry"])
    return cli.main


def _error(path: Path, **kwargs) -> str:
    with pytest.raises(InputFileError) as info:
        ingest_file(path, "registry", **kwargs)
    assert str(path) in info.value.message and info.value.exit_code == 2
    return info.value.message


# -- XLSX ------------------------------------------------------------------------------------------------
def test_zip_bomb_fails_in_seconds_without_unpacking(tmp_path):
    path = zip_bomb_xlsx(tmp_path / "名录.xlsx")
    assert path.stat().st_size < 2 << 20  # ~100 MB of XML in well under 2 MB
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = _error(path)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 5, elapsed
    assert peak < 30 << 20, peak  # the file's bytes, not its unpacked size
    assert "xl/worksheets/sheet1.xml" in message and "压缩比上限" in message, message
    assert "INDUSTRY_GAP_MAX_XLSX_RATIO" in message and "压缩炸弹" in message


def test_check_registry_exits_2_on_a_zip_bomb(tmp_path, main, capsys):
    path = zip_bomb_xlsx(tmp_path / "名录.xlsx", megabytes=20)
    code = main(["check-registry", str(path)])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.out + captured.err
    assert captured.err.startswith(f"错误：文件“{path}”无法使用：") and "压缩比上限" in captured.err
    assert captured.err.count("\n") == 1 and captured.out == ""


def test_uncompressed_size_limits(tmp_path):
    path = zip_bomb_xlsx(tmp_path / "名录.xlsx", megabytes=30)
    loose = dict(max_xlsx_ratio=10_000)
    with pytest.raises(
        InputFileError, match="超过单个部件20MB的上限（环境变量 INDUSTRY_GAP_MAX_XLSX_MEMBER_MB 可调整）"
    ):
        read_table(path, "registry", InputLimits(max_xlsx_member_mb=20, **loose))
    with pytest.raises(InputFileError, match="超过25MB的上限（环境变量 INDUSTRY_GAP_MAX_XLSX_TOTAL_MB 可调整）"):
        read_table(path, "registry", InputLimits(max_xlsx_total_mb=25, **loose))


def _xlsx(path: Path, fill) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "名录"
    sheet.append(REGISTRY_HEADER)
    sheet.append(_row(1))
    fill(sheet)
    workbook.save(path)
    return path


def test_declared_dimension_over_the_limits(tmp_path):
    def wide(sheet):
        sheet.cell(row=3, column=700).font = openpyxl.styles.Font(bold=True)  # a styled empty cell far right

    path = _xlsx(tmp_path / "宽.xlsx", wide)
    message = _error(path)
    assert "工作表“名录”声明有700列，超过500列的上限（环境变量 INDUSTRY_GAP_MAX_COLUMNS 可调整）" in message
    table = read_table(path, "registry", InputLimits(max_columns=1000))  # the same file with the limit raised
    assert len(table.rows) == 1
    with pytest.raises(InputFileError, match="声明有3行，超过2行的上限"):
        read_table(
            _xlsx(tmp_path / "长.xlsx", lambda sheet: sheet.append(_row(2))), "registry", InputLimits(max_rows=2)
        )


def test_xlsx_rows_columns_and_cells_while_reading(tmp_path):
    def filled(sheet):
        sheet.append(_row(2))
        sheet.cell(row=3, column=30, value="备注")

    path = _xlsx(tmp_path / "名录.xlsx", filled)
    with pytest.raises(InputFileError, match="第3行有30列，超过20列的上限"):
        # The <dimension> is gone (as in many generated files): the row itself is checked.
        read_table(_strip_dimension(path), "registry", InputLimits(max_columns=20))
    path = _xlsx(tmp_path / "长单元格.xlsx", lambda sheet: sheet.append(_row(2)[:2] + ["经营" * 10_000]))
    with pytest.raises(InputFileError, match=r"第3行第3列的单元格有20,000字，超过单元格10,000字的上限"):
        read_table(path, "registry", InputLimits(max_cell_chars=10_000))


def _strip_dimension(path: Path) -> Path:
    import re

    data = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
            target.writestr(info, content)
    path.write_bytes(out.getvalue())
    return path


# -- CSV -------------------------------------------------------------------------------------------------
def test_csv_over_the_row_limit_stops_while_streaming(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "名录.csv", REGISTRY_HEADER, [_row(i) for i in range(1, 1001)])
    monkeypatch.setenv("INDUSTRY_GAP_MAX_ROWS", "100")
    message = _error(path, chunk_rows=10)
    assert "文件超过100行的上限（环境变量 INDUSTRY_GAP_MAX_ROWS 可调整），读到第101行时已停止" in message
    monkeypatch.delenv("INDUSTRY_GAP_MAX_ROWS")
    assert ingest_file(path, "registry").accounting()["clean"] == 1000


def test_csv_too_many_columns(tmp_path):
    wide = _row(2) + [""] * 10 + ["x"] * 600
    path = write_csv(tmp_path / "名录.csv", REGISTRY_HEADER, [_row(1), wide])
    message = _error(path)
    assert "第3行有623列，超过500列的上限（环境变量 INDUSTRY_GAP_MAX_COLUMNS 可调整）" in message
    # Trailing empty cells (a CSV saved from a sheet with formatted columns) are not columns.
    path = write_csv(tmp_path / "空列.csv", REGISTRY_HEADER + [""] * 800, [_row(1) + [""] * 800, _row(2)])
    assert ingest_file(path, "registry").accounting()["clean"] == 2


def test_csv_too_long_cell(tmp_path):
    long_scope = "塑料制品制造；" * 200_000  # 1,400,000 characters
    path = write_csv(tmp_path / "名录.csv", REGISTRY_HEADER, [_row(1), _row(2)[:2] + [long_scope] + _row(2)[3:]])
    message = _error(path)
    assert (
        "第3行第3列的单元格有1,400,000字，超过单元格1,000,000字的上限（环境变量 INDUSTRY_GAP_MAX_CELL_CHARS 可调整）"
        in message
    )


def test_check_registry_exits_2_on_a_too_wide_csv(tmp_path, main, capsys):
    path = write_csv(tmp_path / "名录.csv", REGISTRY_HEADER, [_row(1) + ["x"] * 600])
    code = main(["check-registry", str(path)])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.out + captured.err
    assert (
        captured.err
        == f"错误：文件“{path}”无法使用：第2行有613列，超过500列的上限（环境变量 INDUSTRY_GAP_MAX_COLUMNS 可调整），未读取\n"
    )


# -- settings ---------------------------------------------------------------------------------------------
def test_limits_overridable_by_environment(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "名录.csv", REGISTRY_HEADER, [_row(1), _row(2)])
    monkeypatch.setenv("INDUSTRY_GAP_MAX_CELL_CHARS", "10")
    assert "超过单元格10字的上限" in _error(path)
    monkeypatch.setenv("INDUSTRY_GAP_MAX_CELL_CHARS", "1_000")
    assert ingest_file(path, "registry").accounting()["clean"] == 2
    monkeypatch.setenv("INDUSTRY_GAP_MAX_COLUMNS", "很多")
    with pytest.raises(UserError, match="环境变量 INDUSTRY_GAP_MAX_COLUMNS 的值“很多”无效，应为正整数（默认 500）"):
        ingest_file(path, "registry")


def test_from_env_reads_every_documented_name():
    import industry_gap.ingest.limits as module

    environ = {
        "INDUSTRY_GAP_MAX_ROWS": "7",
        "INDUSTRY_GAP_MAX_COLUMNS": "8",
        "INDUSTRY_GAP_MAX_CELL_CHARS": "9",
        "INDUSTRY_GAP_MAX_XLSX_MEMBER_MB": "10",
        "INDUSTRY_GAP_MAX_XLSX_TOTAL_MB": "11",
        "INDUSTRY_GAP_MAX_XLSX_RATIO": "12",
        "INDUSTRY_GAP_RATIO_MIN_MB": "1",
    }
    assert InputLimits.from_env(environ) == InputLimits(7, 8, 9, 10, 11, 12)  # ratio_min_mb is no setting
    assert all(name in module.__doc__ for name in environ if "MAX" in name)
    assert InputLimits.from_env({}) == InputLimits()


def test_defaults_keep_real_files_readable():
    limits = InputLimits()
    assert limits.max_rows >= 3_000_000 and limits.max_rows >= 1_048_576  # a 3M-row CSV, a full Excel sheet
    assert limits.max_xlsx_member_mb >= 1500  # ~1 KB of sheet XML per row
    assert limits.max_cell_chars >= 50_000  # long 经营范围 in system exports


def test_open_table_takes_limits(tmp_path):
    path = write_csv(tmp_path / "名录.csv", REGISTRY_HEADER, [_row(i) for i in range(1, 6)])
    with pytest.raises(InputFileError, match="读到第4行时已停止"):
        open_table(path, "registry", InputLimits(max_rows=3))  # the first rows are read to find the header
    path = write_csv(tmp_path / "长.csv", REGISTRY_HEADER, [_row(i) for i in range(1, 41)])
    stream = open_table(path, "registry", InputLimits(max_rows=30))
    try:
        with pytest.raises(InputFileError, match="读到第31行时已停止"):
            list(stream.chunks(5))
    finally:
        stream.close()


@pytest.mark.skipif(
    "limits" not in inspect.signature(ingest_file).parameters,
    reason="ingest_file(..., limits=...) needs the small change to industry_gap/ingest/__init__.py",
)
def test_ingest_file_takes_limits(tmp_path):
    path = write_csv(tmp_path / "名录.csv", REGISTRY_HEADER, [_row(i) for i in range(1, 6)])
    with pytest.raises(InputFileError, match="读到第4行时已停止"):
        ingest_file(path, "registry", limits=InputLimits(max_rows=3))
    with pytest.raises(InputFileError, match="读到第4行时已停止"):
        ingest_file(path, "registry", chunk_rows=0, limits=InputLimits(max_rows=3))
