"""Small real input files for tests (valid USCCs, Chinese headers)."""

from __future__ import annotations

import csv
from pathlib import Path

from stdnum.cn import uscc

REGISTRY_HEADER = ["统一社会信用代码", "企业名称", "经营范围", "登记状态", "企业类型", "成立日期",
                   "注册资本", "营业收入（万元）", "上年营业收入（万元）", "从业人员", "所属镇街",
                   "行业代码", "法定代表人"]


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


def registry_row(sequence: int, name: str, scope: str, *, status: str = "存续",
                 revenue: object = "800", code: str = "", kind: str = "有限责任公司（自然人投资或控股）",
                 uscc_value: str | None = None) -> list[object]:
    return [uscc_value or make_uscc(sequence), name, scope, status, kind, "2018-05-06", "500万元",
            revenue, "600", "25", "罕台镇", code, "张三"]


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


def pipeline_resources(output_dir: Path, database_url: str, *, registry: Path | str = "",
                       run_date: str = "", **files: str) -> dict:
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

    row = {column: "" for column in REGISTRY_COLUMNS}
    row.update(uscc=uscc, name=f"企业{uscc[-4:]}", scope="生产销售", status="存续",
               enterprise_type="有限责任公司", town="交通街道", revenue_wan=math.nan, revenue_prev_wan=math.nan)
    for rank in (1, 2, 3):
        row[f"pred_code_{rank}"] = ""
        row[f"pred_score_{rank}"] = math.nan
    row.update(evidence="", reason="")
    row.update(values)
    return row


def project_row(name: str, code: str, investment: float, **values) -> dict:
    """A clean project-list row for the analysis tests."""
    from industry_gap.schema import PROJECT_COLUMNS

    row = {column: "" for column in PROJECT_COLUMNS}
    row.update(project_name=name, builder=f"{name}建设公司", investment_wan=investment, stage="签约",
               signed_date="2025-02-01", planned_production="2026-06", intended_code=code,
               source_file="projects.xlsx", source_row=0)
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
