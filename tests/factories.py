"""Small real input files for tests (valid USCCs, Chinese headers)."""

from __future__ import annotations

import csv
from pathlib import Path

from stdnum.cn import uscc

TEST_POLICY_PATH = Path(__file__).resolve().parent / "data" / "policy_test.toml"

REGISTRY_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "经营范围",
    "登记状态",
    "企业类型",
    "成立日期",
    "注册资本",
    "营业收入（万元）",
    "上年营业收入（万元）",
    "从业人员",
    "所属镇街",
    "行业代码",
    "法定代表人",
]


def make_uscc(sequence: int, region: str = "150602") -> str:
    """A valid 统一社会信用代码 for a test firm."""
    body = f"91{region}{sequence:09d}"
    return body + uscc.calc_check_digit(body)


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def registry_row(
    sequence: int,
    name: str,
    scope: str,
    *,
    status: str = "存续",
    revenue: object = "800",
    code: str = "",
    kind: str = "有限责任公司（自然人投资或控股）",
    uscc_value: str | None = None,
) -> list[object]:
    return [
        uscc_value or make_uscc(sequence),
        name,
        scope,
        status,
        kind,
        "2018-05-06",
        "500万元",
        revenue,
        "600",
        "25",
        "罕台镇",
        code,
        "张三",
    ]


def small_registry(path: Path) -> Path:
    """5 clean rows, 1 bad USCC, 1 empty scope, 1 closed firm, 1 older duplicate."""
    rows = [
        registry_row(1, "鄂尔多斯市甲羊绒制品有限公司", "羊绒制品加工；针纺织品销售。", revenue="1900"),
        registry_row(2, "鄂尔多斯市乙矿山机械维修有限公司", "矿山机械设备维修；机电设备安装。", revenue="2100"),
        registry_row(3, "鄂尔多斯市丙乳业有限公司", "许可项目：乳制品生产。一般项目：食用农产品初加工。", code="C1441"),
        registry_row(4, "鄂尔多斯市丁商贸有限公司", "日用百货、五金交电销售。", revenue="300"),
        registry_row(5, "鄂尔多斯市戊软件有限公司", "软件开发；信息技术咨询服务。", revenue="150"),
        registry_row(6, "鄂尔多斯市己建材有限公司", "水泥制品制造；建材销售。", uscc_value="91150602000000006X"),
        registry_row(7, "鄂尔多斯市庚食品有限公司", ""),
        registry_row(8, "鄂尔多斯市辛煤炭有限公司", "煤炭洗选；煤炭销售。", status="注销"),
        registry_row(1, "鄂尔多斯市甲羊绒制品有限公司（旧）", "羊绒制品加工。"),
    ]
    # the older duplicate must come first: the newest (last) record wins
    rows.insert(0, rows.pop())
    return write_csv(path, REGISTRY_HEADER, rows)


def pipeline_resources(
    output_dir: Path, database_url: str, *, registry: Path | str = "", run_date: str = "", **files: str
) -> dict:
    """Every resource the Definitions need, pointed at test files (unnamed inputs: not provided)."""
    from assets.resources import InputFiles, ModelSettings, PipelineSettings, WarehouseResource

    paths = {"above_scale": "", "targets": "", "projects": "", **files}
    return {
        "input_files": InputFiles(registry=str(registry), **paths),
        "settings": PipelineSettings(output_dir=str(output_dir), run_date=run_date),
        "model_settings": ModelSettings(),
        "warehouse": WarehouseResource(database_url=database_url, output_dir=str(output_dir)),
    }


def classified_firm(uscc: str, **values) -> dict:
    """A clean registry row with empty classifier columns, for the analysis tests."""
    import math

    from industry_gap.schema import REGISTRY_COLUMNS

    row: dict[str, object] = {column: "" for column in REGISTRY_COLUMNS}
    row.update(
        uscc=uscc,
        name=f"企业{uscc[-4:]}",
        scope="生产销售",
        status="存续",
        enterprise_type="有限责任公司",
        town="交通街道",
        revenue_wan=math.nan,
        revenue_prev_wan=math.nan,
    )
    for rank in (1, 2, 3):
        row[f"pred_code_{rank}"] = ""
        row[f"pred_score_{rank}"] = math.nan
    row.update(evidence="", reason="")
    row.update(values)
    return row


def project_row(name: str, code: str, investment: float, **values) -> dict:
    """A clean project-list row for the analysis tests."""
    from industry_gap.schema import PROJECT_COLUMNS

    row: dict[str, object] = {column: "" for column in PROJECT_COLUMNS}
    row.update(
        project_name=name,
        builder=f"{name}建设公司",
        investment_wan=investment,
        stage="签约",
        signed_date="2025-02-01",
        planned_production="2026-06",
        intended_code=code,
        source_file="projects.xlsx",
        source_row=0,
    )
    row.update(values)
    return row


def service_unavailable(what: str, error: object = "") -> None:
    """A local service the test needs does not answer: fail in CI (it must be there), skip elsewhere."""
    import os

    import pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} does not answer in CI: {error}")
    pytest.skip(f"{what} not available: {error}")


def all_digit_usccs() -> list[str]:
    """Valid USCCs made of digits only: enterprises (91, 92, 93), a 社会组织 (51) and a 事业单位 (12)."""
    codes = []
    for prefix in ("91150602", "92150602", "93150602", "51150602", "12150602"):
        for sequence in range(200):
            body = f"{prefix}{sequence:09d}"
            code = body + uscc.calc_check_digit(body)
            if code.isdigit():
                codes.append(code)
                break
    return codes


def load_test_policy():
    """The tests' own policy (tests/data/policy_test.toml): round numbers, none of them 东胜区's.

    Tests read amounts, thresholds and goals from it (`policy.rule("project_fill").amount_for("class")`)
    instead of writing one district's numbers; the `policy` fixture in conftest.py returns it.
    """
    from industry_gap.policy import load_policy

    return load_policy(TEST_POLICY_PATH)


# -- the production asset graph on classified rows -----------------------------------------------
def ingested(dataset: str, clean=None):
    """`clean` as the ingestion asset hands it on (nothing quarantined or set aside); None: file not provided.

    Dates are written as ingestion writes them ("2026-06" → "2026-06-01"); other values are taken as given.
    """
    from assets.ingestion import empty_result
    from industry_gap.ingest import IngestResult
    from industry_gap.ingest.result import empty_quarantine, empty_set_aside
    from industry_gap.schema import DATASET_COLUMNS

    if clean is None:
        return empty_result(dataset)
    frame = with_dates_as_ingested(dataset, clean)
    frame = frame.reindex(columns=DATASET_COLUMNS[dataset], fill_value="")  # exactly the schema's columns
    return IngestResult(
        dataset=dataset,
        file=f"{dataset}.csv",
        clean=frame,
        quarantine=empty_quarantine(),
        set_aside=empty_set_aside(),
        rows_in=len(frame),
    )


def with_dates_as_ingested(dataset: str, frame):
    """A copy of `frame` with the dataset's date columns as ISO dates, as ingestion writes them."""
    from industry_gap.ingest.datasets import DATASETS
    from industry_gap.ingest.values import parse_date

    frame = frame.copy()
    for spec in DATASETS[dataset].fields:
        if spec.kind == "date" and spec.column in frame.columns:
            frame[spec.column] = [parse_date(value)[0] or value for value in frame[spec.column]]
    return frame


def with_classifier_columns(frame):
    """`frame` with every column the classification step adds, blank where the test gave none."""
    from industry_gap.schema import REGISTRY_COLUMNS
    from industry_gap.warehouse import CLASSIFICATION_COLUMNS

    frame = frame.copy()
    for column in [*REGISTRY_COLUMNS, *CLASSIFICATION_COLUMNS]:
        if column not in frame.columns:
            frame[column] = float("nan") if column.startswith("pred_score_") else ""
    return frame


class AnalysisRun:
    """The values of one materialisation of the real analysis and report assets."""

    def __init__(self, values: dict, settings, output: Path):
        self.values, self.settings, self.output = values, settings, output

    @property
    def exports(self):
        """The published workbooks (`office_workbooks`)."""
        return self.values["office_workbooks"]

    @property
    def result(self):
        """The run's tables as `pipelines.runner` gathers them for the summary."""
        from industry_gap.summary import AnalysisResult

        return AnalysisResult.from_assets(self.values, self.settings.resolved_run_date())


def materialize_analysis(
    folder: Path,
    classified_registry,
    *,
    run_date,
    above_scale=None,
    targets=None,
    projects=None,
    policy_file: str | Path = "",
    baseline_file: str | Path = "",
) -> AnalysisRun:
    """Materialise the real assets downstream of classification (coverage … office_workbooks, warehouse_tables)
    into `folder`, on rows the classifier has already labelled.

    The classified rows, the inputs and the (empty) overrides are given as the values of the upstream
    assets, so a test states each firm's candidate codes instead of depending on the model; everything
    after classification runs as in production, workbooks published and tables in a SQLite warehouse.
    """
    import datetime as dt

    import dagster as dg
    import pandas as pd

    from assets.partitions import report_months, with_report_months
    from assets.resources import PipelineSettings
    from industry_gap.review import OverrideSet, conform_overrides
    from industry_gap.schema import PROJECT_COLUMNS
    from pipelines.definitions import all_assets

    class GivenValues(dg.IOManager):
        """Every value in memory; the upstream assets left out of the run are served from `given`."""

        def __init__(self, given: dict):
            self.values = dict(given)

        def handle_output(self, context, obj):
            self.values[context.asset_key.to_user_string()] = obj

        def load_input(self, context):
            return self.values[context.asset_key.to_user_string()]

    day = run_date if isinstance(run_date, dt.date) else dt.date.fromisoformat(str(run_date))
    given = {
        "registry": ingested("registry", classified_registry),
        "above_scale": ingested("above_scale", above_scale),
        "targets": ingested("targets", targets),
        "projects": ingested("projects", projects),
        "overrides": OverrideSet(accepted=conform_overrides(None)),
        "classified_registry": with_classifier_columns(with_dates_as_ingested("registry", classified_registry)),
        "classified_projects": (
            with_dates_as_ingested("projects", projects)
            if projects is not None
            else pd.DataFrame(columns=PROJECT_COLUMNS)
        ),
    }
    output = Path(folder) / "output"
    resources = pipeline_resources(output, f"sqlite:///{Path(folder) / 'warehouse.sqlite'}", run_date=day.isoformat())
    resources["settings"] = PipelineSettings(
        output_dir=str(output), run_date=day.isoformat(), policy_file=str(policy_file), baseline_file=str(baseline_file)
    )
    io_manager = GivenValues(given)
    resources["io_manager"] = dg.IOManagerDefinition.hardcoded_io_manager(io_manager)
    selection = dg.AssetSelection.assets("classified_registry", "classified_projects").downstream(include_self=False)
    assets = with_report_months(all_assets, report_months(resources["settings"].policy()))  # as the runner does
    dg.materialize(assets, selection=selection, resources=resources, partition_key=f"{day:%Y-%m}-01")
    return AnalysisRun(io_manager.values, resources["settings"], output)


def above_scale_frame(*firms: tuple[str, str, str, float]):
    """A clean 规上 list: (uscc, name, industry code, revenue in 万元) per firm, rows 2, 3, … of a.csv."""
    import pandas as pd

    from industry_gap.schema import ABOVE_SCALE_COLUMNS

    rows = [
        dict(
            uscc=firm_uscc,
            name=name,
            industry_code=code,
            revenue_wan=revenue,
            town="交通街道",
            source_file="a.csv",
            source_row=number,
        )
        for number, (firm_uscc, name, code, revenue) in enumerate(firms, start=2)
    ]
    return pd.DataFrame(rows, columns=ABOVE_SCALE_COLUMNS)


def sample_coded_firms():
    """The sample district's firms with their true 小类 (sample_data/truth): real scopes and names with the
    code each was generated from, as an office's coded firms (USCC, name, scope, 4-digit code)."""
    import pandas as pd

    root = Path(__file__).resolve().parents[1] / "sample_data"
    registry = pd.read_csv(root / "registry.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(root / "truth" / "registry_true_codes.csv", dtype=str, keep_default_na=False)
    rows = registry.merge(truth[["统一社会信用代码", "true_code"]], on="统一社会信用代码")
    rows = rows[rows["true_code"].str.len() == 4]
    return pd.DataFrame(
        {
            "uscc": rows["统一社会信用代码"],
            "name": rows["企业名称"],
            "text": rows["经营范围"],
            "code": rows["true_code"],
        }
    ).reset_index(drop=True)
