"""Small PNG charts for Dagster asset metadata: coverage by 大类, the 入规 funnel, progress to goals.

The charts are drawn on a bare `matplotlib.figure.Figure` with the Agg
canvas: no pyplot, no ``matplotlib.use``, no change to ``rcParams``, so
importing this module never changes how the importer's own plots behave,
and nothing is left open between calls.

Chinese labels need a CJK font, and an office PC or a server often has none.
The package ships one (`industry_gap/fonts/NotoSansSC-Subset.otf`, a subset of
Noto Sans SC under the SIL OFL 1.1; see `fonts/README.md`). It is registered
with matplotlib's font manager when this module is imported (registering adds
a font, it changes no setting) and every chart uses it, so the PNGs look the
same on every machine. A character outside the subset falls back glyph by
glyph to DejaVu Sans.

PNGs are kept small (about 90 dpi, well under 150 KB) because Dagster stores
metadata with every materialization.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from PIL import Image

FONT_FILE = Path(__file__).with_name("fonts") / "NotoSansSC-Subset.otf"
CJK_FAMILY = "Noto Sans SC Subset"  # the bundled font's family name
GLYPH_PROBE = "制造业规上全口径无数据"
FALLBACK_FAMILY = "DejaVu Sans"  # matplotlib's bundled font: digits, Latin, minus sign
DPI = 90
PALETTE_COLOURS = 64
WIDTH_IN = 8.0
NO_DATA_TEXT = "无数据"
# The same colours as the consolidated workbook's native chart (小类总数, 全口径, 规上).
GREY, BLUE, ORANGE, RED = "#D9D9D9", "#5B9BD5", "#ED7D31", "#C00000"
STAGE_COLOURS = {"ready": "#2E7D32", "near": "#66BB6A", "nurture": "#A5D6A7", "reserve": "#D9D9D9"}
STAGE_ORDER = ("ready", "near", "nurture", "reserve")  # as in entry_pipeline
SCOPE_ORDER = ("all", "above")
LEVEL_ORDER = ("division", "group", "class", "total")
MAX_NAME_CHARS = 12


# -- fonts ------------------------------------------------------------------
def has_glyphs(family: str, text: str = GLYPH_PROBE) -> bool:
    """True when the font matplotlib picks for `family` can draw every character of `text`."""
    try:
        path = font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
        font = font_manager.get_font(path)
    except (ValueError, RuntimeError, OSError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in text if not ch.isspace())


@lru_cache(maxsize=1)
def find_cjk_family() -> str:
    """The bundled CJK family, registered with matplotlib once per process.

    A missing or broken font file is a packaging error: it is raised rather than
    hidden behind charts of empty boxes.
    """
    if CJK_FAMILY not in {entry.name for entry in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(FONT_FILE))
    if not has_glyphs(CJK_FAMILY):
        raise RuntimeError(f"bundled chart font {FONT_FILE} lacks Chinese glyphs")
    return CJK_FAMILY


find_cjk_family()  # register at import: a chart drawn by anyone in this process can name the family


@dataclass(frozen=True)
class _Style:
    """How to write text on one chart: the CJK family, DejaVu Sans for anything it lacks."""

    family: str

    def font(self, size: float = 9) -> FontProperties:
        """Regular weight only: the bundled font has no bold, and a faked one would log a warning."""
        return FontProperties(family=[self.family, FALLBACK_FAMILY], size=size)


def _style() -> _Style:
    return _Style(find_cjk_family())


# -- rendering helpers ------------------------------------------------------
def _figure(height_in: float) -> Figure:
    figure = Figure(figsize=(WIDTH_IN, max(height_in, 1.6)), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _render(figure: Figure) -> bytes:
    """PNG bytes of a figure, reduced to a 64-colour palette.

    Anti-aliased CJK text makes thousands of grey shades; a palette keeps the
    41-row coverage chart at about a third of its RGBA size with no visible
    loss. No metadata is written, so identical charts give identical bytes.
    """
    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # every figure here gets one (_figure)
        raise TypeError(f"expected an Agg canvas, got {type(canvas).__name__}")
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), bytes(canvas.buffer_rgba()), "raw", "RGBA", 0, 1)
    palette = image.convert("RGB").quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _title(figure: Figure, style: _Style, text: str) -> None:
    figure.suptitle(text, fontproperties=style.font(11))


def _no_data(style: _Style, title: str) -> bytes:
    figure = _figure(1.8)
    _title(figure, style, title)
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        NO_DATA_TEXT,
        ha="center",
        va="center",
        transform=ax.transAxes,
        fontproperties=style.font(14),
        color="#606060",
    )
    return _render(figure)


def _tick_fonts(ax: Axes, style: _Style, size: float = 8) -> None:
    """Tick labels in the chart font, also those matplotlib creates later while drawing."""
    ax.tick_params(labelsize=size, labelfontfamily=[style.family, FALLBACK_FAMILY])
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontproperties(style.font(size))


def _short(name: str, limit: int = MAX_NAME_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _int(value: Any) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    return 0 if math.isnan(number) else int(number)


def _legend(figure: Figure, ax: Axes, style: _Style) -> None:
    """One legend under the plot area, outside it, so it never hides a bar."""
    handles, labels = ax.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels), prop=style.font(8), frameon=False)


# -- coverage by 大类 ---------------------------------------------------------
COVERAGE_TITLE = "各大类工业小类覆盖情况（规上口径 / 全口径 / 小类总数）"


def coverage_by_division_png(divisions: pd.DataFrame) -> bytes:
    """Per 大类 (DIVISION_COLUMNS): 小类 present at 规上 and 全口径 scope against the total, as PNG.

    Overlapping horizontal bars in code order (06 at the top): the total in
    grey behind, 全口径 in blue, 规上 in orange in front, since 规上 firms are
    part of 全口径 and both are a share of the total. Each row ends with
    ``规上 / 全口径 / 总数``.
    """
    style = _style()
    if divisions is None or divisions.empty:
        return _no_data(style, COVERAGE_TITLE)
    frame = divisions.assign(division=divisions["division"].astype(str)).sort_values("division")
    codes = frame["division"].tolist()
    names = frame["name"].fillna("").astype(str).tolist()
    total = [_int(v) for v in frame["classes_total"]]
    all_ = [_int(v) for v in frame["classes_all"]]
    above = [_int(v) for v in frame["classes_above"]]
    rows = list(range(len(frame)))

    figure = _figure(0.24 * len(frame) + 1.3)
    _title(figure, style, COVERAGE_TITLE)
    ax = figure.add_subplot()
    ax.barh(rows, total, height=0.8, color=GREY, label="小类总数")
    ax.barh(rows, all_, height=0.55, color=BLUE, label="全口径已有")
    ax.barh(rows, above, height=0.3, color=ORANGE, label="规上口径已有")
    right = max(total + [1])
    for row, values in enumerate(zip(above, all_, total)):
        ax.text(
            values[2] + right * 0.01,
            row,
            " / ".join(str(v) for v in values),
            va="center",
            fontproperties=style.font(7),
            color="#404040",
        )
    ax.set_yticks(rows, [f"{c} {_short(n)}" for c, n in zip(codes, names)])
    ax.set_ylim(len(frame) - 0.5, -0.5)  # code order from the top
    ax.set_xlim(0, right * 1.18)
    ax.set_xlabel("小类数", fontproperties=style.font(8))
    _tick_fonts(ax, style, 7)
    ax.spines[["top", "right"]].set_visible(False)
    _legend(figure, ax, style)
    return _render(figure)


# -- the 入规 funnel ----------------------------------------------------------
FUNNEL_TITLE = "入规培育梯队（纳入清单的规下工业企业数）"


def _stage_counts(candidates: pd.DataFrame, stage_names: Mapping[str, str]) -> list[tuple[str, int]]:
    """(stage key, included firms) from 储备 down to 已达标待入库, known stages first."""
    included = candidates[candidates["included"].fillna(False).astype(bool)]
    stages = included["stage"].fillna("").astype(str)
    keys = [k for k in STAGE_ORDER if k in stage_names] + [k for k in stage_names if k not in STAGE_ORDER]
    keys += sorted(set(stages) - set(keys) - {""})
    return [(key, int((stages == key).sum())) for key in reversed(keys)]


def entry_funnel_png(candidates: pd.DataFrame, stage_names: Mapping[str, str]) -> bytes:
    """Included 入规 candidates (CANDIDATE_COLUMNS) per stage, as a funnel PNG.

    Widest at the top (储备) and narrowing towards 已达标待入库, the order a
    firm moves in. Only rows with ``included == True`` count. ``stage_names``
    is ``policy.stage_names`` (stage key → Chinese name).
    """
    style = _style()
    if candidates is None or candidates.empty or not candidates["included"].fillna(False).astype(bool).any():
        return _no_data(style, FUNNEL_TITLE)
    counts = _stage_counts(candidates, stage_names)
    widest = max(count for _, count in counts) or 1
    rows = list(range(len(counts)))

    figure = _figure(0.45 * len(counts) + 1.2)
    _title(figure, style, f"{FUNNEL_TITLE}，共{sum(c for _, c in counts)}家")
    ax = figure.add_subplot()
    for row, (key, count) in zip(rows, counts):
        ax.barh(
            row,
            max(count, widest * 0.004),
            left=(widest - count) / 2,
            height=0.7,
            color=STAGE_COLOURS.get(key, GREY),
            edgecolor="#808080",
            linewidth=0.5,
        )
        ax.text(widest / 2, row, str(count), ha="center", va="center", fontproperties=style.font(10))
    ax.set_yticks(rows, [stage_names.get(key, key) for key, _ in counts])
    ax.set_ylim(len(counts) - 0.5, -0.5)
    ax.set_xlim(-widest * 0.02, widest * 1.02)
    ax.set_xticks([])
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    _tick_fonts(ax, style, 9)
    return _render(figure)


# -- progress against the plan's goals ---------------------------------------
PROGRESS_TITLE = "较基期新增工业门类与规划目标"


def _progress_rows(progress: pd.DataFrame, scope: str) -> list[dict]:
    records = [r for r in progress.to_dict("records") if str(r.get("scope")) == scope]
    order = {level: i for i, level in enumerate(LEVEL_ORDER)}
    return sorted(records, key=lambda r: order.get(str(r.get("level")), len(order)))


def _progress_panel(ax: Axes, records: list[dict], style: _Style, scope_label: str) -> None:
    rows = list(range(len(records)))
    goals = [_int(r.get("goal")) for r in records]
    new = [_int(r.get("new_nodes")) for r in records]
    lost = [_int(r.get("lost_nodes")) for r in records]
    right = max(goals + new + [1])
    ax.barh(rows, goals, height=0.75, color=GREY, label="规划目标")
    ax.barh(rows, new, height=0.45, color=BLUE, label="较基期新增")
    for row, (n, g, lo) in enumerate(zip(new, goals, lost)):
        label = f"{n} / {g}" + (f" ({n / g:.0%})" if g else "")
        ax.text(max(n, g) + right * 0.02, row, label, va="center", fontproperties=style.font(8))
        if lo:
            ax.text(
                max(n, g) + right * 0.02, row + 0.32, f"减少{lo}", va="center", fontproperties=style.font(7), color=RED
            )
    labels = [str(r.get("level_name") or r.get("level")) for r in records]
    ax.set_yticks(rows, labels)
    ax.set_ylim(len(records) - 0.5, -0.5)
    ax.set_xlim(0, right * 1.45)
    ax.set_title(scope_label, fontproperties=style.font(10))
    ax.spines[["top", "right"]].set_visible(False)
    _tick_fonts(ax, style, 8)


def progress_png(progress: pd.DataFrame) -> bytes:
    """New nodes since the baseline against the goal, per scope (全口径, 规上口径) and level, as PNG.

    One panel per scope; rows 大类, 中类, 小类, 合计. Each row reads
    ``新增 / 目标 (完成率)``; nodes lost since the baseline are noted in red,
    so a decrease is never hidden behind a net figure.
    """
    style = _style()
    if progress is None or progress.empty:
        return _no_data(style, PROGRESS_TITLE)
    scopes = [s for s in SCOPE_ORDER if (progress["scope"].astype(str) == s).any()]
    scopes += sorted(set(progress["scope"].astype(str)) - set(scopes))
    height = max(len(_progress_rows(progress, s)) for s in scopes)
    figure = _figure(0.42 * height + 1.5)
    _title(figure, style, PROGRESS_TITLE)
    axes = figure.subplots(1, len(scopes), squeeze=False)[0]
    for ax, scope in zip(axes, scopes):
        records = _progress_rows(progress, scope)
        names = {str(r.get("scope_name")) for r in records if r.get("scope_name")}
        _progress_panel(ax, records, style, names.pop() if len(names) == 1 else scope)
    _legend(figure, axes[-1], style)
    return _render(figure)


# -- Markdown ---------------------------------------------------------------
def png_markdown(png: bytes, alt: str) -> str:
    """A Markdown image with the PNG inlined as a base64 data URI (for ``MetadataValue.md``).

    Dagster renders Markdown metadata in the UI; an inlined image needs no
    file server and survives moving the Dagster home. Brackets and line
    breaks are removed from `alt` so they cannot break the Markdown.
    """
    safe_alt = " ".join(alt.replace("[", "（").replace("]", "）").split())
    encoded = base64.b64encode(png).decode("ascii")
    return f"![{safe_alt}](data:image/png;base64,{encoded})"


__all__ = [
    "CJK_FAMILY",
    "FONT_FILE",
    "coverage_by_division_png",
    "entry_funnel_png",
    "find_cjk_family",
    "has_glyphs",
    "png_markdown",
    "progress_png",
]
