"""Fanning classification out to processes gives exactly the single-process result."""

from __future__ import annotations

import pandas as pd
import pytest

from classifiers import load_default_model
from classifiers.parallel import classify_in_processes

pytestmark = pytest.mark.slow  # classifies in worker processes

SCOPES = [
    "羊绒制品加工；针纺织品销售。",
    "矿山机械设备维修；机电设备安装。",
    "",
    "软件开发；信息技术咨询服务。",
    "许可项目：乳制品生产。一般项目：食用农产品初加工。",
    "煤炭洗选；煤炭销售。",
]


def test_two_processes_match_one():
    frame = pd.DataFrame({"scope": SCOPES * 5, "name": [f"企业{i}" for i in range(30)]})
    model = load_default_model()
    single = classify_in_processes(model, frame, "scope", "name", workers=1)
    fanned = classify_in_processes(model, frame, "scope", "name", workers=2, chunk_rows=7)
    pd.testing.assert_frame_equal(single.reset_index(drop=True), fanned.reset_index(drop=True))
    assert list(fanned["name"]) == list(frame["name"])  # rows keep their order


def test_progress_is_reported_with_one_and_with_two_processes() -> None:
    frame = pd.DataFrame({"scope": SCOPES * 5, "name": [f"企业{i}" for i in range(30)]})
    model = load_default_model()
    for workers in (1, 2):
        seen: list[tuple[int, int]] = []
        classify_in_processes(
            model,
            frame,
            "scope",
            "name",
            workers=workers,
            chunk_rows=7,
            progress=lambda done, total, seen=seen: seen.append((done, total)),
        )
        assert seen and seen[-1] == (30, 30), (workers, seen)
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)
