"""Traditional-character scopes are read as simplified (OpenCC in the ingestion layer), so they get their twin's class."""

from __future__ import annotations

import pytest

from classifiers import build_reference_model
from industry_gap.ingest import ingest_file
from industry_gap.ingest.values import to_simplified
from tests.factories import REGISTRY_HEADER, registry_row, write_csv

TWINS = [
    (
        "電子產品銷售；電子元器件製造；計算機軟硬件及輔助設備零售",
        "电子产品销售；电子元器件制造；计算机软硬件及辅助设备零售",
    ),
    ("羊絨製品加工；針紡織品銷售", "羊绒制品加工；针纺织品销售"),
    ("礦山機械設備維修；機電設備安裝", "矿山机械设备维修；机电设备安装"),
]


def test_simplified_text_is_unchanged():
    for _, simplified in TWINS:
        assert to_simplified(simplified) == simplified
    assert to_simplified("") == "" and to_simplified("ABC 123") == "ABC 123"


@pytest.mark.slow
def test_traditional_scopes_get_their_twins_class(tmp_path):
    rows = [registry_row(i, f"测试{i}号有限公司", scope) for i, (scope, _) in enumerate(TWINS, start=1)]
    result = ingest_file(write_csv(tmp_path / "名录.csv", REGISTRY_HEADER, rows), "registry")
    assert list(result.clean["scope"]) == [simplified for _, simplified in TWINS]
    model = build_reference_model()
    read = model.predict(list(result.clean["scope"]))
    twins = model.predict([simplified for _, simplified in TWINS])
    assert [p.code for p in read] == [p.code for p in twins]
