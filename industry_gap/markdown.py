"""Markdown previews of a table for the metadata the Dagster UI shows beside each asset.

The UI is read by more people than the workbooks, so every cell goes through
`privacy.mask_text` and is cut short; the headers are the Chinese names the office uses.
"""

from __future__ import annotations

import pandas as pd

from industry_gap.privacy import mask_text


def markdown_table(frame: pd.DataFrame, columns: dict[str, str], limit: int = 15) -> str:
    """The first `limit` rows of `columns` (column → Chinese header), masked, as a Markdown table."""
    if frame.empty:
        return "（无）"
    shown = frame[list(columns)].head(limit)
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + "---|" * len(columns)]
    for row in shown.itertuples(index=False):
        cells = ["" if pd.isna(v) else mask_text(str(v)).replace("|", "／").replace("\n", " ")[:60] for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    if len(frame) > limit:
        lines.append(f"\n（共 {len(frame)} 行，仅显示前 {limit} 行）")
    return "\n".join(lines)
