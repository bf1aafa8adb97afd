"""Reading the tables of the classifier commands (classify, train, evaluate), and finding their columns.

Read through the ingestion reader (`industry_gap.ingest.reading`, dataset "scopes") like every
other input, so a table that `check-registry` accepts reads here too: title rows above the
header, any common Chinese encoding, XLSX, HTML saved as .xls, the same size limits and Chinese
errors. The column aliases live in `industry_gap.ingest.aliases.ALIASES["scopes"]`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from industry_gap.errors import InputFileError
from industry_gap.ingest.aliases import ALIASES, match_header, normalize_header
from industry_gap.ingest.decoding import rows_text
from industry_gap.ingest.reading import read_table as read_raw_table
from industry_gap.ingest.values import to_simplified

DATASET = "scopes"
SCOPE_ALIASES = ALIASES[DATASET]["scope"]
# The statistical register's 主要业务活动: what the firm actually does, shorter and truer than its scope.
MAIN_ACTIVITY_ALIASES = ALIASES[DATASET]["main_activity"]
TEXT_ALIASES = SCOPE_ALIASES[:1] + MAIN_ACTIVITY_ALIASES + SCOPE_ALIASES[1:]
CODE_ALIASES = ALIASES[DATASET]["code"]
CODE_SYSTEM_ALIASES = ALIASES[DATASET]["code_system"]
NAME_ALIASES = ALIASES[DATASET]["name"]
# Codes of another industry code system that have no GB/T 4754 counterpart. The securities
# regulator's CSRC-2012 divisions use the GB/T 4754-2011 numbering, except S90 综合
# (conglomerates), which in GB/T 4754-2011 would read as 中国共产党机关.
NO_GBT_COUNTERPART = {"CSRC": frozenset({"S90"})}


def read_table(path, columns: tuple[str | None, ...] = ()) -> pd.DataFrame:
    """All cells as text ('' for empty), under the header row the ingestion reader found.

    `columns`: the column names the user gave (--text-column …), so a header naming only those
    is found under a title row too. Blank-headed columns with data are named 未命名列N, repeated
    headers get ".1", ".2"; `attrs["notes"]` holds the reader's repairs (Chinese). Raises
    InputFileError with a Chinese message.
    """
    raw = read_raw_table(path, DATASET, header_names=tuple(c for c in columns if c))
    longer = [number for number, extra in zip(raw.row_numbers, raw.overflow) if extra]
    if longer:
        raise InputFileError(
            path,
            f"{rows_text(longer)}的单元格比表头（第{raw.header_row}行）多，无法确定各列的内容。"
            "常见原因是经营范围中有英文逗号而单元格没有加英文双引号；"
            "请在 Excel/WPS 中打开后“另存为” .xlsx 或 CSV（UTF-8）格式再试",
        )
    keep, names, seen = [], [], set()
    for j, header in enumerate(raw.headers):
        if not header:
            if not any(row[j] for row in raw.rows):
                continue  # an empty column without a header (trailing separators, a wide sheet)
            header = f"未命名列{j + 1}"
        name, k = header, 0
        while name in seen:
            k += 1
            name = f"{header}.{k}"
        seen.add(name)
        keep.append(j)
        names.append(name)
    df = pd.DataFrame([[row[j] for j in keep] for row in raw.rows], columns=names, dtype=object)
    df.attrs["notes"] = list(raw.notes)
    return df


def _alias_column(df: pd.DataFrame, aliases: tuple[str, ...]) -> str | None:
    """The column named by the earliest alias (compared as the reader compares headers), else one
    whose header stands for the same schema column ("经营范围（全文）"), else None."""
    keys: dict[str, str] = {}
    for column in df.columns:
        keys.setdefault(normalize_header(column), column)
    for alias in aliases:
        found = keys.get(normalize_header(alias))
        if found is not None:
            return found
    wanted = {match_header(DATASET, alias) for alias in aliases}
    return next((c for c in df.columns if match_header(DATASET, c) in wanted), None)


def find_column(
    df: pd.DataFrame, wanted: str | None, aliases: tuple[str, ...], path, what: str, required: bool = True
) -> str | None:
    """`wanted` if present; else (when `wanted` is the default) the first alias present."""
    if wanted and wanted in df.columns:
        return wanted
    if wanted:
        same = [c for c in df.columns if normalize_header(c) == normalize_header(wanted)]
        if same:
            return same[0]
    if wanted is None or wanted == aliases[0]:
        column = _alias_column(df, aliases)
        if column is not None:
            return column
    if not required:
        return None
    shown = "、".join(map(str, df.columns[:20]))
    raise InputFileError(path, f"找不到{what}列“{wanted}”（现有列：{shown}）；请用参数指定列名")


def scope_texts(df: pd.DataFrame, text_column: str | None, path) -> tuple[list[str], str]:
    """One text per row to classify, and a Chinese description of the columns it came from.

    With the default `text_column`, a table holding both a scope column and a 主要业务活动 column
    is classified on both (`combine_activity_and_scope`); a named column is used alone. Traditional
    characters are read as simplified ones, as the pipeline's ingestion reads them.
    """
    texts, what = _scope_texts(df, text_column, path)
    return [to_simplified(t) if isinstance(t, str) else t for t in texts], what


def _scope_texts(df: pd.DataFrame, text_column: str | None, path) -> tuple[list[str], str]:
    """`scope_texts` before the conversion to simplified characters."""
    from classifiers.text import combine_activity_and_scope

    if text_column is None or text_column == TEXT_ALIASES[0]:
        scope = _alias_column(df, SCOPE_ALIASES)
        main = _alias_column(df, MAIN_ACTIVITY_ALIASES)
        if scope is not None and main is not None:
            texts = [combine_activity_and_scope(m, s) for m, s in zip(df[main].tolist(), df[scope].tolist())]
            return texts, f"主要业务活动列“{main}”与经营范围列“{scope}”合并"
    column = find_column(df, text_column, TEXT_ALIASES, path, "经营范围")
    what = "主要业务活动" if match_header(DATASET, column) == "main_activity" else "经营范围"
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
    system_col = _alias_column(df, CODE_SYSTEM_ALIASES)
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
    return f"其中 {n} 行的代码在其分类体系中没有对应的国民经济行业（如证监会行业分类“S90 综合”），未计入" if n else ""


def write_csv(df: pd.DataFrame, path) -> None:
    """UTF-8 with BOM, so that Excel opens it with Chinese intact."""
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False, encoding="utf-8-sig")
