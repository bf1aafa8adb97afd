"""Reading CSV/XLSX inputs for the classifier commands, and finding their columns.

A small local reader (the project's `industry_gap.ingest.reading` serves the
registry pipeline): every cell is read as text, CSV in UTF-8 (with or without
BOM) or GB18030, XLSX through openpyxl.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from industry_gap.errors import InputFileError
from industry_gap.ingest.reading import read_input_bytes

SCOPE_ALIASES = ("经营范围", "business_scope", "scope", "经营范围（一般项目）", "主营业务", "经营范围及方式")
# The statistical register's 主要业务活动: what the firm actually does, shorter and truer than its scope.
MAIN_ACTIVITY_ALIASES = ("主要业务活动", "main_activity", "主营业务活动", "主要经济活动")
TEXT_ALIASES = SCOPE_ALIASES[:1] + MAIN_ACTIVITY_ALIASES + SCOPE_ALIASES[1:]
CODE_ALIASES = ("行业代码", "division_code", "industry_code", "code", "国民经济行业代码", "行业门类代码",
                "所属行业代码", "行业分类代码", "国民经济行业分类代码", "行业类别代码", "label")
CODE_SYSTEM_ALIASES = ("code_system", "分类体系", "行业分类体系", "行业分类标准")
# Codes of another industry code system that have no GB/T 4754 counterpart. The securities
# regulator's CSRC-2012 divisions use the GB/T 4754-2011 numbering, except S90 综合
# (conglomerates), which in GB/T 4754-2011 would read as 中国共产党机关.
NO_GBT_COUNTERPART = {"CSRC": frozenset({"S90"})}
NAME_ALIASES = ("企业名称", "name", "单位名称", "名称", "企业(机构)名称", "单位详细名称")


def read_table(path) -> pd.DataFrame:
    """All cells as text ('' for empty). Raises InputFileError with a Chinese message."""
    data = read_input_bytes(path)
    try:
        if data.startswith(b"PK\x03\x04"):
            df = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl")
        elif data.startswith(b"\xd0\xcf\x11\xe0"):
            raise InputFileError(path, "这是旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）后再试")
        else:
            text = None
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text = data.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            if text is None:
                raise InputFileError(path, "无法识别文件编码，请另存为 CSV（UTF-8）后再试")
            sep = "\t" if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else ","
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep)
    except InputFileError:
        raise
    except Exception as error:  # noqa: BLE001 - any parser failure is a file problem for the user
        raise InputFileError(path, f"无法作为 CSV/XLSX 表格读取（{type(error).__name__}: {error}）") from None
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    return df


def find_column(df: pd.DataFrame, wanted: str | None, aliases: tuple[str, ...], path, what: str,
                required: bool = True) -> str | None:
    """`wanted` if present; else (when `wanted` is the default) the first alias present."""
    if wanted and wanted in df.columns:
        return wanted
    if wanted is None or wanted == aliases[0]:
        for alias in aliases:
            if alias in df.columns:
                return alias
    if not required:
        return None
    shown = "、".join(map(str, df.columns[:20]))
    raise InputFileError(path, f"找不到{what}列“{wanted}”（现有列：{shown}）；请用参数指定列名")


def scope_texts(df: pd.DataFrame, text_column: str | None, path) -> tuple[list[str], str]:
    """One text per row to classify, and a Chinese description of the columns it came from.

    With the default `text_column`, a table holding both a scope column and a 主要业务活动 column
    is classified on both (`combine_activity_and_scope`); a named column is used alone.
    """
    from classifiers.text import combine_activity_and_scope

    if text_column is None or text_column == TEXT_ALIASES[0]:
        scope = next((c for c in SCOPE_ALIASES if c in df.columns), None)
        main = next((c for c in MAIN_ACTIVITY_ALIASES if c in df.columns), None)
        if scope is not None and main is not None:
            texts = [combine_activity_and_scope(m, s) for m, s in zip(df[main].tolist(), df[scope].tolist())]
            return texts, f"主要业务活动列“{main}”与经营范围列“{scope}”合并"
    column = find_column(df, text_column, TEXT_ALIASES, path, "经营范围")
    what = "主要业务活动" if column in MAIN_ACTIVITY_ALIASES else "经营范围"
    return df[column].tolist(), f"{what}列“{column}”"


def find_name_column(df: pd.DataFrame, wanted: str | None, path) -> str | None:
    """The 企业名称 column: `wanted` (an error when absent), else the first alias present, else None."""
    return find_column(df, wanted, NAME_ALIASES, path, "企业名称", required=wanted is not None)


def gbt_labels(df: pd.DataFrame, code_column: str) -> tuple[list, int]:
    """The code column as labels for training or scoring, and how many were set aside.

    When the table names its code system (a `code_system` column, e.g. "CSRC-2012"), codes that
    system uses without a GB/T 4754 counterpart (CSRC "S90 综合") become None: skipped, not read
    as the GB/T code of the same spelling.
    """
    labels = df[code_column].tolist()
    system_col = next((c for c in CODE_SYSTEM_ALIASES if c in df.columns), None)
    if system_col is None:
        return labels, 0
    set_aside = 0
    for i, (label, system) in enumerate(zip(labels, df[system_col].tolist())):
        system = str(system).strip().upper()
        for prefix, codes in NO_GBT_COUNTERPART.items():
            if system.startswith(prefix) and str(label).strip().upper() in codes:
                labels[i] = None
                set_aside += 1
    return labels, set_aside


def set_aside_message(n: int) -> str:
    return (f"其中 {n} 行的代码在其分类体系中没有对应的国民经济行业（如证监会行业分类“S90 综合”），未计入"
            if n else "")


def write_csv(df: pd.DataFrame, path) -> None:
    """UTF-8 with BOM, so that Excel opens it with Chinese intact."""
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False, encoding="utf-8-sig")
