"""Column-wise masking (`mask_series`, `mask_frame`) gives exactly the cell-by-cell `mask_text` result."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from industry_gap import privacy
from industry_gap.privacy import id_check_char, mask_frame, mask_series, mask_text, safe_for_output


def full_mask(text: str) -> str:
    """`mask_text` without its fast path: every pattern tried, always."""
    return privacy._mask_full(text)


def personal_texts() -> list[str]:
    first17 = "11010119900307123"
    return [
        f"身份证{first17}{id_check_char(first17)}，电话13812345678",
        "联系+86 139-1234-5678；座机0477-8123456，0477－81234567",
        "旧证150602850307123，手机8613912345678",
        "138 1234 5678",
        "1381234-5678",
        "010-1234567",
        "电话:15912345678。",
        "１３８１２３４５６７８",
        "911506020000000018",
        "行业代码“9999”不是有效的代码",
        "3021 水泥制品",
        "2026-11-20",
        "12345678",
        "",
        "无数字的经营范围",
        "a1b2c3",
        "0477-812345",
        "ID 11010119900307123X",
    ]


def random_texts(count: int, seed: int = 7) -> list[str]:
    """Digits, separators, letters, full-width and CJK characters in random runs."""
    rng = random.Random(seed)
    alphabet = list("0123456789" * 6) + list("-－ +\u3000\t.Xx86aZ号电话：，") + ["１", "２", "中", "\n"]
    texts = []
    for _ in range(count):
        length = rng.randint(0, 40)
        prefix = rng.choice(["", "1", "13", "0477-", "+86 ", "110101", "86"])
        texts.append(prefix + "".join(rng.choice(alphabet) for _ in range(length)))
    return texts


def test_mask_text_fast_path_changes_nothing():
    """The prefilter only skips texts none of the patterns matches."""
    for text in personal_texts() + random_texts(20000):
        assert mask_text(text) == full_mask(text), text


def test_mask_series_equals_mapping_mask_text_over_text_dtype():
    values = personal_texts() * 3 + random_texts(3000, seed=11)
    series = pd.Series(values + [None, np.nan], dtype="str", index=np.arange(len(values) + 2)[::-1])
    expected = series.map(lambda v: mask_text(v) if isinstance(v, str) else v).astype(series.dtype)
    got = mask_series(series)
    pd.testing.assert_series_equal(got, expected)
    assert got.dtype == series.dtype
    assert (got != series).sum() >= 10  # something was masked


def test_mask_series_on_mixed_object_columns_keeps_non_text_cells():
    values = [
        *personal_texts(),
        13812345678,
        1.5,
        None,
        np.nan,
        pd.NA,
        True,
        b"13812345678",
        np.str_("电话13812345678"),
        ("tuple", 1),
    ]
    series = pd.Series(values, dtype=object, index=["k"] * len(values))  # duplicate labels
    expected = series.map(lambda v: mask_text(v) if isinstance(v, str) else v)
    got = mask_series(series)
    assert got.dtype == object
    assert len(got) == len(expected)
    for a, b in zip(got.tolist(), expected.tolist()):
        assert a is b or a == b or (a != a and b != b), (a, b)
    assert got.iloc[len(personal_texts())] == 13812345678  # a number is not text: unchanged


def test_mask_series_returns_the_same_series_when_nothing_changes():
    clean = pd.Series(["羊绒制品加工", "行业代码 3021", None], dtype="str")
    assert mask_series(clean) is clean
    numbers = pd.Series([13812345678, 2], dtype="int64")
    assert mask_series(numbers) is numbers
    integers_as_objects = pd.Series([13812345678, 2], dtype=object)
    assert mask_series(integers_as_objects) is integers_as_objects


def reference_mask_frame(df: pd.DataFrame, columns=None) -> pd.DataFrame:
    """The former cell-by-cell `mask_frame`."""
    out = df.copy()
    chosen = [c for c in (columns if columns is not None else out.columns) if c in out.columns]
    for column in chosen:
        series = out[column]
        if not privacy._is_text_column(series):
            continue
        masked = series.map(lambda value: mask_text(value) if isinstance(value, str) else value)
        out[column] = masked.astype(series.dtype)
    return out


def test_mask_frame_and_safe_for_output_equal_the_cell_by_cell_version():
    texts = personal_texts() + random_texts(500, seed=3)
    n = len(texts)
    frame = pd.DataFrame(
        {
            "uscc": pd.Series(["110101199003071233"] * n, dtype="str"),  # identifier: stays exact
            "name": pd.Series(texts, dtype="str"),
            "evidence": pd.Series(list(reversed(texts)), dtype=object),
            "mixed": pd.Series([t if i % 3 else i for i, t in enumerate(texts)], dtype=object),
            "revenue_wan": np.arange(n, dtype=float),
            "phone": pd.Series(["13812345678"] * n, dtype="str"),  # personal column: dropped
        }
    )
    pd.testing.assert_frame_equal(mask_frame(frame), reference_mask_frame(frame))
    pd.testing.assert_frame_equal(mask_frame(frame, ["name"]), reference_mask_frame(frame, ["name"]))
    kept = privacy.drop_personal_columns(frame)
    expected = reference_mask_frame(kept, [c for c in kept.columns if not privacy.is_identifier_column(c)])
    pd.testing.assert_frame_equal(safe_for_output(frame), expected)
    assert (safe_for_output(frame)["uscc"] == "110101199003071233").all()
    assert "phone" not in safe_for_output(frame).columns
