"""Optional coverage tables supplied by the office (the city's 全市门类表)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from industry_gap.errors import InputFileError
from industry_gap.ingest.reading import read_table
from reference import normalize_code, standard

_COLUMNS = {
    "code": ("行业代码", "代码", "code"),
    "present_above": ("规上已有", "规上口径已有", "present_above"),
    "present_all": ("全口径已有", "present_all"),
}
_YES = {"是", "有", "1", "true", "TRUE", "True", "√", "Y", "y"}


def read_city_coverage(path: Path) -> pd.DataFrame:
    """code, present_above, present_all for every node the city table names.

    Headers: 行业代码, 规上已有, 全口径已有 (values 是/否, 1/0). A code that is not
    in the standard makes the whole file unusable: a silently ignored row would
    change who gets paid.
    """
    table = read_table(path, "above_scale")  # any dataset works for plain reading
    index = {}
    for column, aliases in _COLUMNS.items():
        found = [i for i, header in enumerate(table.headers) if header in aliases]
        if not found:
            raise InputFileError(path, f"缺少必需的列“{aliases[0]}”（找到的列：{'、'.join(table.headers)}）")
        index[column] = found[0]
    records = []
    for row, number in zip(table.rows, table.row_numbers):
        raw = row[index["code"]]
        code = normalize_code(raw)
        if code is None or standard().find(code) is None:
            raise InputFileError(path, f"第{number}行“行业代码”列的值“{raw}”不是有效的 GB/T 4754-2017 代码")
        records.append(
            {
                "code": code,
                "present_above": row[index["present_above"]].strip() in _YES,
                "present_all": row[index["present_all"]].strip() in _YES,
            }
        )
    return pd.DataFrame(records, columns=list(_COLUMNS))
