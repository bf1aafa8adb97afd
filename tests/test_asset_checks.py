"""Each asset check passes on good data and fails on purpose, through real materialisations."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.resources import InputFiles, ModelSettings, PipelineSettings, WarehouseResource
from assets.warehouse import workbooks_present_check
from pipelines.definitions import all_assets
from tests.factories import REGISTRY_HEADER, make_uscc, registry_row, write_csv

ABOVE_HEADER = ["统一社会信用代码", "单位名称", "行业代码", "主营业务收入（万元）", "所属镇街"]
TARGET_HEADER = ["口径", "行业代码", "行业名称", "责任单位", "目标年份"]

# Eight clear product families with their official 小类, three wordings each.
FAMILIES = [
    ("水泥制品制造", "C3021"),
    ("乳制品生产", "C1441"),
    ("煤炭开采；煤炭洗选", "B0610"),
    ("黑色金属铸件铸造", "C3391"),
    ("塑料管材制造", "C2922"),
    ("木质家具制造", "C2110"),
    ("服装加工", "C1810"),
    ("火力发电", "D4411"),
]
SECOND_ITEMS = ["五金产品销售", "货物进出口", "技术咨询服务"]


def labelled_registry(path, *, scrambled: bool):
    """24 firms with 行业代码; `scrambled` gives each wording a code unrelated to its text."""
    rows = []
    for variant, second in enumerate(SECOND_ITEMS):
        for family, (scope, code) in enumerate(FAMILIES):
            if scrambled:
                code = FAMILIES[(family + variant + 1) % len(FAMILIES)][1]
            sequence = 100 + variant * len(FAMILIES) + family
            rows.append(registry_row(sequence, f"鄂尔多斯市测试{sequence}有限公司", f"{scope}；{second}。", code=code))
    return write_csv(path, REGISTRY_HEADER, rows)


def materialize(
    tmp_path,
    *,
    registry,
    run_date="2026-11-20",
    selection=None,
    above_scale="",
    targets="",
    model: ModelSettings | None = None,
    instance=None,
):
    output = tmp_path / "out"
    resources = {
        "input_files": InputFiles(
            registry=str(registry), above_scale=str(above_scale), targets=str(targets), projects=""
        ),
        "settings": PipelineSettings(output_dir=str(output), run_date=run_date),
        "model_settings": model or ModelSettings(),
        "warehouse": WarehouseResource(database_url=f"sqlite:///{tmp_path / 'w.sqlite'}", output_dir=str(output)),
    }
    return dg.materialize(
        all_assets,
        resources=resources,
        selection=selection,
        instance=instance,
        partition_key=f"{run_date[:7]}-01" if selection is None else None,
    )


def check(result, asset: str, name: str) -> dg.AssetCheckEvaluation:
    [evaluation] = [
        e for e in result.get_asset_check_evaluations() if e.asset_key == dg.AssetKey(asset) and e.check_name == name
    ]
    return evaluation


MODEL_SELECTION = dg.AssetSelection.assets("registry", "overrides", "projects", "scope_model")


@pytest.mark.parametrize("scrambled, passed", [(False, True), (True, False)])
@pytest.mark.slow
def test_holdout_accuracy_check(tmp_path, scrambled, passed):
    model = ModelSettings(min_labels=10, holdout_share=0.3, accuracy_floor=0.6)
    result = materialize(
        tmp_path,
        registry=labelled_registry(tmp_path / "r.csv", scrambled=scrambled),
        selection=MODEL_SELECTION,
        model=model,
    )
    assert result.success  # a failed check is reported, it does not crash the run
    evaluation = check(result, "scope_model", "holdout_accuracy")
    assert evaluation.passed is passed
    assert "留出样本" in evaluation.description and "下限 60%" in evaluation.description
    metadata = result.asset_materializations_for_node("scope_model")[0].metadata
    assert 0.0 <= metadata["大类 校准误差（ECE）"].value <= 1.0
    assert metadata["大类 top-1"].value >= 0.6 if passed else metadata["大类 top-1"].value < 0.6


def above_scale_file(path, firms: list[tuple[int, str, str]]):
    return write_csv(
        path,
        ABOVE_HEADER,
        [[make_uscc(n, "150603"), name, code, "2600", "罕台镇"] for n, name, code in firms],
        encoding="gbk",
    )


@pytest.mark.slow
def test_no_silent_decrease_check_names_the_firm_that_left(tmp_path):
    registry = write_csv(
        tmp_path / "r.csv",
        REGISTRY_HEADER,
        [registry_row(1, "鄂尔多斯市甲商贸有限公司", "日用百货销售。", revenue="300")],
    )
    both = above_scale_file(
        tmp_path / "above_oct.csv", [(1, "鄂尔多斯市甲乳业有限公司", "C1441"), (2, "鄂尔多斯市乙水泥有限公司", "C3021")]
    )
    one = above_scale_file(tmp_path / "above_nov.csv", [(2, "鄂尔多斯市乙水泥有限公司", "C3021")])
    with dg.instance_for_test() as instance:
        first = materialize(tmp_path, registry=registry, above_scale=both, run_date="2026-10-20", instance=instance)
        same = materialize(tmp_path, registry=registry, above_scale=both, run_date="2026-10-25", instance=instance)
        dropped = materialize(tmp_path, registry=registry, above_scale=one, run_date="2026-11-20", instance=instance)
    assert first.success and same.success and dropped.success  # a warning, not a stop
    assert check(first, "coverage", "no_silent_decrease").passed
    assert check(same, "coverage", "no_silent_decrease").passed
    evaluation = check(dropped, "coverage", "no_silent_decrease")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    left = evaluation.metadata["移出规上名录的企业"].value
    assert make_uscc(1, "150603") in left or "甲乳业" in left
    assert "1441" in evaluation.metadata["消失的门类"].value
    assert check(dropped, "registry", "valid_uscc_share").passed


@pytest.mark.slow
def test_department_workbooks_check_passes_then_fails_on_an_empty_file(tmp_path):
    registry = write_csv(
        tmp_path / "r.csv",
        REGISTRY_HEADER,
        [registry_row(1, "鄂尔多斯市甲水泥制品有限公司", "水泥制品制造。", revenue="1700")],
    )
    targets = write_csv(
        tmp_path / "targets.csv",
        TARGET_HEADER,
        [
            ["规上口径", "3021", "水泥制品制造", "工信和科技局", "2025"],
            ["全口径", "1441", "液体乳及乳制品制造", "农牧局", "2025"],
        ],
    )
    result = materialize(tmp_path, registry=registry, targets=targets)
    evaluation = check(result, "office_workbooks", "department_workbooks_present")
    assert evaluation.passed

    paths = result.output_for_node("office_workbooks")
    assert set(paths.departments) == {"工信和科技局", "农牧局"}
    paths.departments["农牧局"].write_bytes(b"")
    failed = workbooks_present_check(paths, ["工信和科技局", "农牧局", "商务局"])
    assert not failed.passed
    assert "农牧局：文件缺失或为空" in failed.description and "商务局：未生成" in failed.description
