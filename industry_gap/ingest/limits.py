"""Size limits on input files, checked before and while parsing, so a hostile or broken file
fails in seconds with a clear message instead of exhausting memory.

An .xlsx is a zip: a few MB can unpack to gigabytes ("zip bomb"). Its members' sizes are read
from the zip's central directory (nothing is decompressed; zipfile never returns more than the
declared size), then each sheet's declared <dimension>, then rows, columns and cell lengths as
they are read. A CSV is checked row by row while it streams.

Defaults keep every real file readable: a full Excel sheet (1,048,576 rows; openpyxl writes about
1 KB of XML per 14-column row) is about 1 GB of XML at a ratio near 10-25:1, and a 3,000,000-row
registry CSV is within the row limit. Each limit can be changed by an environment variable:

    INDUSTRY_GAP_MAX_ROWS             rows of a sheet or CSV (5,000,000)
    INDUSTRY_GAP_MAX_COLUMNS          last filled column of a row (500)
    INDUSTRY_GAP_MAX_CELL_CHARS       characters in one cell (1,000,000; Excel's own limit is 32,767,
                                      but system exports to CSV hold longer 经营范围)
    INDUSTRY_GAP_MAX_XLSX_MEMBER_MB   uncompressed size of one part of an .xlsx (2048)
    INDUSTRY_GAP_MAX_XLSX_TOTAL_MB    uncompressed size of all parts of an .xlsx (3072)
    INDUSTRY_GAP_MAX_XLSX_RATIO       uncompressed:compressed size of a part above 10 MB (100)
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields

from industry_gap.errors import InputFileError, UserError

ENV_PREFIX = "INDUSTRY_GAP_"
MB = 1 << 20


@dataclass(frozen=True)
class InputLimits:
    max_rows: int = 5_000_000
    max_columns: int = 500
    max_cell_chars: int = 1_000_000
    max_xlsx_member_mb: int = 2048
    max_xlsx_total_mb: int = 3072
    max_xlsx_ratio: int = 100
    ratio_min_mb: int = 10  # small parts (styles, shared formats) may compress far better; not a setting

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> InputLimits:
        """The defaults, with each INDUSTRY_GAP_MAX_… variable that is set; UserError when one is not a number."""
        environ = os.environ if environ is None else environ
        values = {}
        for item in fields(cls):
            name = env_name(item.name)
            raw = environ.get(name, "").strip() if item.name.startswith("max_") else ""
            if not raw:
                continue
            try:
                number = int(raw.replace("_", "").replace(",", ""))
            except ValueError:
                number = 0
            if number <= 0:
                raise UserError(f"环境变量 {name} 的值“{raw}”无效，应为正整数（默认 {item.default}）")
            values[item.name] = number
        return cls(**values)


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def _limit(field: str) -> str:
    return f"（环境变量 {env_name(field)} 可调整）"


def check_archive(path: object, archive: zipfile.ZipFile, limits: InputLimits) -> None:
    """The zip's declared sizes against the limits, before anything is decompressed."""
    total = 0
    for info in archive.infolist():
        size = info.file_size
        total += size
        if size > limits.max_xlsx_member_mb * MB:
            raise InputFileError(
                path,
                f"Excel 工作簿中的“{info.filename}”解压后有{size / MB:,.0f}MB，超过单个部件"
                f"{limits.max_xlsx_member_mb}MB的上限{_limit('max_xlsx_member_mb')}，未读取",
            )
        ratio = size / max(info.compress_size, 1)
        if size > limits.ratio_min_mb * MB and ratio > limits.max_xlsx_ratio:
            raise InputFileError(
                path,
                f"Excel 工作簿中的“{info.filename}”压缩了{ratio:,.0f}倍（解压后{size / MB:,.0f}MB，"
                f"压缩后{info.compress_size / MB:,.1f}MB），超过{limits.max_xlsx_ratio}倍的压缩比上限"
                f"{_limit('max_xlsx_ratio')}。正常表格很少超过30倍，这可能是“压缩炸弹”或异常文件，"
                "未读取；请在 Excel/WPS 中打开后另存为 .xlsx 或 CSV 再试",
            )
    if total > limits.max_xlsx_total_mb * MB:
        raise InputFileError(
            path,
            f"Excel 工作簿解压后共有{total / MB:,.0f}MB，超过{limits.max_xlsx_total_mb}MB的上限"
            f"{_limit('max_xlsx_total_mb')}，未读取",
        )


def check_dimension(path: object, sheet: str, rows: int | None, columns: int | None, limits: InputLimits) -> None:
    """A sheet's declared size (<dimension>; may be missing or too small, never trusted to be complete)."""
    if rows is not None and rows > limits.max_rows:
        raise InputFileError(
            path, f"工作表“{sheet}”声明有{rows:,}行，超过{limits.max_rows:,}行的上限{_limit('max_rows')}，未读取"
        )
    if columns is not None and columns > limits.max_columns:
        raise InputFileError(
            path,
            f"工作表“{sheet}”声明有{columns:,}列，超过{limits.max_columns:,}列的上限"
            f"{_limit('max_columns')}，未读取。若数据其实没有这么多列，多半是右侧远处的空白"
            "单元格设置了格式：删除数据右侧的整列后保存再试",
        )


class RecordGuard:
    """Checks each record (sheet row number, cells) as it is read: rows, last filled column, cell length.

    `check` returns the record, cut to the column limit when only empty cells lie beyond it
    (trailing commas of a CSV exported from a formatted sheet, styled empty cells in an .xlsx).
    """

    def __init__(self, path: object, limits: InputLimits):
        self.path, self.limits = path, limits

    def check(self, number: int, record: list[str]) -> list[str]:
        limits = self.limits
        if number > limits.max_rows:
            raise InputFileError(
                self.path,
                f"文件超过{limits.max_rows:,}行的上限{_limit('max_rows')}，"
                f"读到第{number:,}行时已停止；请把文件拆成几个后分别检查",
            )
        if len(record) > limits.max_columns:
            last = next((i + 1 for i in range(len(record) - 1, -1, -1) if record[i]), 0)
            if last > limits.max_columns:
                raise InputFileError(
                    self.path,
                    f"第{number:,}行有{last:,}列，超过{limits.max_columns:,}列的上限{_limit('max_columns')}，未读取",
                )
            record = record[: limits.max_columns]
        if record and max(map(len, record)) > limits.max_cell_chars:
            column = max(range(len(record)), key=lambda i: len(record[i]))
            raise InputFileError(
                self.path,
                f"第{number:,}行第{column + 1}列的单元格有{len(record[column]):,}字，"
                f"超过单元格{limits.max_cell_chars:,}字的上限{_limit('max_cell_chars')}"
                "（Excel 单元格最多32,767字），未读取。常见原因是某个单元格中有"
                "不成对的英文双引号，把后面的内容都并了进来",
            )
        return record
