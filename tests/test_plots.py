"""PNG charts for asset metadata: valid small PNGs, 无数据 charts, always drawn with the bundled CJK font."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib.image import imread
from matplotlib.text import Text

from industry_gap import plots
from industry_gap.coverage import build_coverage, coverage_by_division, coverage_progress, resolve_baseline
from industry_gap.entry_pipeline import CANDIDATE_COLUMNS, STAGE_ORDER
from industry_gap.schema import ABOVE_SCALE_COLUMNS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 150_000
ROOT = Path(__file__).resolve().parents[1]
RUN_DATE = "2025-11-24"


@pytest.fixture(scope="module")
def coverage(policy):
    codes = ["1391", "3670", "3311", "1441", "3612", "2614", "0610"]
    above = pd.DataFrame(
        [
            dict(
                uscc=f"91150602MA00000{i:03d}",
                name=f"规上企业{i}",
                industry_code=code,
                revenue_wan=5000.0,
                town="交通街道",
                source_file="a.csv",
                source_row=i + 2,
            )
            for i, code in enumerate(codes)
        ],
        columns=ABOVE_SCALE_COLUMNS,
    )
    return build_coverage(pd.DataFrame(), above, policy)


@pytest.fixture(scope="module")
def divisions(coverage):
    return coverage_by_division(coverage)


@pytest.fixture(scope="module")
def progress(coverage, policy):
    empty = coverage.assign(present_above=False, present_all=False)
    baseline = resolve_baseline(empty, None, run_date=RUN_DATE, policy=policy)
    table = coverage_progress(coverage, baseline, policy, RUN_DATE)
    table.loc[(table["scope"] == "above") & (table["level"] == "group"), "lost_nodes"] = 2
    return table


def candidates(stages: list[str], included: list[bool]) -> pd.DataFrame:
    rows = []
    for index, (stage, flag) in enumerate(zip(stages, included)):
        row: dict[str, object] = {column: "" for column in CANDIDATE_COLUMNS}
        row.update(uscc=f"91150602MA00001{index:03d}", name=f"企业{index}", stage=stage if flag else "", included=flag)
        rows.append(row)
    return pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)


CANDIDATES = candidates(
    ["ready", "near", "near", "nurture", "nurture", "nurture", "reserve", "reserve", "near"], [True] * 8 + [False]
)


def assert_png(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    assert 0 < len(data) < MAX_BYTES
    image = imread(io.BytesIO(data), format="png")
    height, width = image.shape[:2]
    assert 300 <= width <= 1200 and 100 <= height <= 1400
    return width, height


@pytest.fixture
def captured(monkeypatch):
    """Figures passed to the PNG renderer (still rendered), to inspect their text."""
    figures = []
    real_render = plots._render

    def render(figure):
        figures.append(figure)
        return real_render(figure)

    monkeypatch.setattr(plots, "_render", render)
    return figures


def texts(figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text) if t.get_text()]


def test_coverage_chart_is_a_small_png(divisions):
    assert len(divisions) == 41
    width, height = assert_png(plots.coverage_by_division_png(divisions))
    assert height > width  # one row per 大类


def test_funnel_and_progress_are_small_pngs(progress, policy):
    assert_png(plots.entry_funnel_png(CANDIDATES, policy.stage_names))
    assert_png(plots.progress_png(progress))


def test_same_input_gives_same_bytes(divisions):
    assert plots.coverage_by_division_png(divisions) == plots.coverage_by_division_png(divisions)


def test_empty_inputs_give_a_no_data_chart(policy, captured):
    outputs = [
        plots.coverage_by_division_png(pd.DataFrame(columns=["division", "name"])),
        plots.entry_funnel_png(pd.DataFrame(columns=CANDIDATE_COLUMNS), policy.stage_names),
        plots.entry_funnel_png(candidates(["near"], [False]), policy.stage_names),  # nobody included
        plots.progress_png(pd.DataFrame()),
    ]
    for data in outputs:
        assert_png(data)
    assert all(plots.NO_DATA_TEXT in texts(figure) for figure in captured)


def test_funnel_counts_only_included_firms_in_stage_order(policy, captured):
    plots.entry_funnel_png(CANDIDATES, policy.stage_names)
    ax = captured[0].axes[0]
    labels = [label.get_text() for label in ax.get_yticklabels()]
    counts = [t.get_text() for t in ax.texts]
    assert labels == [policy.stage_names[key] for key in reversed(STAGE_ORDER)]  # 储备 at the bottom
    assert counts == ["2", "3", "2", "1"]  # the excluded 'near' firm is not counted


def test_progress_chart_shows_both_scopes_and_losses(progress, captured):
    plots.progress_png(progress)
    figure = captured[0]
    assert len(figure.axes) == 2
    shown = " ".join(texts(figure))
    assert "减少2" in shown or "-2" in shown


def test_bundled_font_has_chinese_glyphs_and_its_licence():
    assert plots.find_cjk_family() == plots.CJK_FAMILY
    assert plots.has_glyphs(plots.CJK_FAMILY, "制造规上全口径储备培育临近已达标待入库较基期新增")
    assert not plots.has_glyphs("DejaVu Sans", "制造")
    assert (plots.FONT_FILE.parent / "OFL.txt").read_text(encoding="utf-8").count("SIL Open Font License") >= 1
    assert plots.FONT_FILE.stat().st_size < 2_500_000


FRESH_RENDER = """
import warnings, matplotlib.font_manager as fm
from matplotlib.text import Text
warnings.simplefilter("error")
import pandas as pd
from industry_gap import plots
fonts = set()
real_render = plots._render
def render(figure):
    figure.canvas.draw()
    for text in figure.findobj(Text):
        if text.get_text():
            fonts.add(fm.findfont(text.get_fontproperties(), fallback_to_default=False))
    return real_render(figure)
plots._render = render
progress = pd.DataFrame([dict(scope="all", scope_name="全口径", level="class", level_name="小类", goal=48,
                              new_nodes=3, lost_nodes=1)])
plots.progress_png(progress)
plots.entry_funnel_png(pd.DataFrame(), {})
print("\\n".join(sorted(fonts)))
"""


@pytest.mark.slow
def test_fresh_matplotlib_config_draws_with_the_bundled_font(tmp_path):
    """A machine with no CJK font and an empty matplotlib cache still gets Chinese labels."""
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path), "PYTHONWARNINGS": "error::UserWarning"}
    done = subprocess.run(
        [sys.executable, "-c", FRESH_RENDER], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Glyph" not in done.stderr and "missing from" not in done.stderr and "findfont" not in done.stderr
    used = done.stdout.split()
    assert used == [str(plots.FONT_FILE)], used


def test_no_missing_glyph_warnings(divisions, progress, policy):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.coverage_by_division_png(divisions)
        plots.entry_funnel_png(CANDIDATES, policy.stage_names)
        plots.progress_png(progress)
        plots.progress_png(pd.DataFrame())


def test_drawing_leaves_matplotlib_settings_alone(divisions):
    keys = ("font.family", "font.sans-serif", "axes.unicode_minus", "figure.dpi")
    before = {key: matplotlib.rcParams[key] for key in keys}
    plots.coverage_by_division_png(divisions)
    assert {key: matplotlib.rcParams[key] for key in keys} == before
    assert not hasattr(plots, "plt")


def test_png_markdown_inlines_the_image(policy):
    png = plots.entry_funnel_png(CANDIDATES, policy.stage_names)
    markdown = plots.png_markdown(png, "入规培育梯队 [8家]\n第二行")
    assert markdown.startswith("![入规培育梯队 （8家） 第二行](data:image/png;base64,")
    assert markdown.endswith(")")
    encoded = markdown.split("base64,", 1)[1][:-1]
    assert base64.b64decode(encoded) == png
