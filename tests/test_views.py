"""Read-only views for BI tools and Excel Power Query (issue 26, item 6), on SQLite and PostgreSQL: coverage by
month, candidates with their evidence, progress per target; each reported month once, in the workbooks' words."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from industry_gap.settings import Settings
from industry_gap.tables import VIEWS, render_markdown
from industry_gap.warehouse import Warehouse
from pipelines.runner import run_pipeline
from tests.factories import REGISTRY_HEADER, registry_row, write_csv

pytestmark = pytest.mark.slow  # two small pipeline runs per database


def test_every_view_is_documented():
    docs = render_markdown()
    for view in VIEWS:
        assert f"## {view.name}：{view.label_zh}" in docs
        for name, _ in view.columns:
            assert f"| `{name}` |" in docs


def run_on(tmp_path, database_url: str, run_date: str) -> None:
    registry = write_csv(
        tmp_path / f"名录_{run_date}.csv",
        REGISTRY_HEADER,
        [
            registry_row(1, "鄂尔多斯市甲羊绒制品有限公司", "羊绒制品加工；针纺织品销售。", revenue="1900"),
            registry_row(2, "鄂尔多斯市乙水泥制品有限公司", "水泥制品制造；建材销售。", revenue="2150"),
            registry_row(3, "鄂尔多斯市丙商贸有限公司", "日用百货、五金交电销售。", revenue="300"),
        ],
    )
    targets = write_csv(
        tmp_path / "目标.csv",
        ["口径", "行业代码", "行业名称", "责任单位", "目标年份"],
        [
            ["全口径", "302", "石膏、水泥制品及类似制品制造", "工信和科技局", "2025"],
            ["规上口径", "1951", "", "工信和科技局", "2025"],
        ],
    )
    settings = Settings(
        output_dir=str(tmp_path / "out"),
        run_date=run_date,
        registry=str(registry),
        targets=str(targets),
        database_url=database_url,
    )
    run_pipeline(settings)


def test_views_show_each_month_once_in_the_workbooks_words(tmp_path, database_url):
    for day in ("2026-10-15", "2026-10-20", "2026-11-20"):  # October ran twice: its later run is the report
        run_on(tmp_path, database_url, day)
    store = Warehouse(database_url)
    prefix = f'"{store.schema}".' if store.dialect == "postgresql" and store.schema else ""
    engine = create_engine(store.url)
    try:
        assert {v.name for v in VIEWS} <= set(inspect(engine).get_view_names(schema=store.schema or None))
        with engine.connect() as connection:

            def view(name: str) -> pd.DataFrame:
                return pd.read_sql(text(f"SELECT * FROM {prefix}{name}"), connection)

            coverage = view("v_coverage_by_month")
            assert sorted(set(coverage["month"])) == ["2026-10", "2026-11"]
            assert set(coverage["run_date"].astype(str)) == {"2026-10-20", "2026-11-20"}
            assert set(coverage["level_name"]) == {"大类", "中类", "小类"}
            classes = coverage[(coverage["month"] == "2026-11") & (coverage["level_name"] == "小类")].iloc[0]
            assert classes["standard_nodes"] == 666 and 1 <= classes["present_all_nodes"] <= 3

            candidates = view("v_candidates")
            november = candidates[candidates["month"] == "2026-11"]
            assert len(november) == 3 and len(candidates) == 6
            cement = november[november["name"].str.contains("水泥")].iloc[0]
            assert cement["industry_code"].startswith("302") and cement["evidence"]  # its classifier evidence
            assert set(november["gap_level_all"].dropna()) <= {"大类", "中类", "小类"}
            assert not (november[["stage_name", "department", "basis", "evidence"]] == "").any().any()  # NULL

            targets = view("v_target_progress")
            november = targets[targets["month"] == "2026-11"].set_index("industry_code")
            assert set(november.index) == {"302", "1951"}
            assert november.loc["302", "level_name"] == "中类" and november.loc["302", "scope_name"] == "全口径"
            assert bool(november.loc["302", "achieved"]) and not bool(november.loc["1951", "achieved"])

        with pytest.raises(DBAPIError), engine.begin() as connection:  # read-only: no write through a view
            connection.execute(text(f"DELETE FROM {prefix}v_coverage_by_month"))
    finally:
        engine.dispose()
        store.dispose()
