"""classify and evaluate use the office model of the run's output folder by default, and say which (issue 26)."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from industry_gap.model_training import latest_office_model, train_office_model
from pipelines.cli import main

ROWS = [
    ("甲汽配有限公司", "汽车零部件的研发、生产和销售", "C3670"),
    ("乙汽配有限公司", "汽车座椅制造", "C3670"),
    ("丙软件有限公司", "软件开发", "I6513"),
    ("丁软件有限公司", "应用软件开发与销售", "I6513"),
    ("戊五金有限公司", "五金产品零售", "F5234"),
    ("己服装有限公司", "服装零售", "F5232"),
    ("庚塑料有限公司", "塑料制品制造", "C2929"),
    ("辛橡胶有限公司", "橡胶制品生产", "C2919"),
] * 3


@pytest.fixture(scope="module")
def run_output(tmp_path_factory):
    """An output folder whose run trained and kept an office model under models/, as `industry-gap run` does."""
    output = tmp_path_factory.mktemp("run-output")
    labelled = pd.DataFrame(
        {
            "uscc": [f"u{i}" for i in range(len(ROWS))],
            "name": [r[0] for r in ROWS],
            "text": [r[1] for r in ROWS],
            "code": [r[2][1:] for r in ROWS],
        }
    )
    trained = train_office_model(labelled, min_labels=10, cache_dir=output / "models")
    assert not trained.report.reused
    return output, trained.model.training_hash


@pytest.fixture
def labelled_file(tmp_path):
    src = tmp_path / "labelled.csv"
    pd.DataFrame(
        {"企业名称": [r[0] for r in ROWS], "经营范围": [r[1] for r in ROWS], "行业代码": [r[2] for r in ROWS]}
    ).to_csv(src, index=False, encoding="utf-8-sig")
    return src


def test_the_latest_office_model_is_found(tmp_path):
    assert latest_office_model(tmp_path) is None  # no run, no models/
    older = tmp_path / "models" / "office-model-old"
    newer = tmp_path / "models" / "office-model-new"
    for folder, stamp in ((older, time.time() - 3600), (newer, time.time())):
        folder.mkdir(parents=True)
        (folder / "model.joblib").write_bytes(b"")
        (folder / "training_report.json").write_text('{"mode": "x", "labelled_rows": 5}', encoding="utf-8")
        os.utime(folder / "model.joblib", (stamp, stamp))
    (tmp_path / "models" / "office-model-half").mkdir()  # a half-written entry is never chosen
    found = latest_office_model(tmp_path)
    assert found is not None and found.path == newer and found.labelled_rows == 5


@pytest.mark.slow  # trains an office model (about a minute on two busy cores)
def test_classify_uses_the_outputs_office_model_and_says_so(run_output, labelled_file, tmp_path, capsys):
    output, training_hash = run_output
    out = tmp_path / "out.csv"
    assert main(["classify", str(labelled_file), "--output", str(out), "--run-output", str(output)]) == 0
    text = capsys.readouterr().out
    assert "使用模型：本单位模型" in text and str(output / "models") in text and "--reference" in text
    assert f"用 {len(ROWS)} 条本单位标注训练" in text
    assert training_hash in text and "reference-only" not in text

    assert main(["classify", str(labelled_file), "--output", str(out), "--run-output", str(output), "--reference"]) == 0
    text = capsys.readouterr().out
    assert "使用模型：参考模型" in text and "--reference 指定" in text and "reference-only" in text


@pytest.mark.slow
def test_the_default_output_folder_comes_from_the_environment(run_output, labelled_file, tmp_path, capsys, monkeypatch):
    output, training_hash = run_output
    monkeypatch.setenv("INDUSTRY_GAP_OUTPUT", str(output))
    assert main(["classify", str(labelled_file), "--output", str(tmp_path / "o.csv")]) == 0
    assert training_hash in capsys.readouterr().out
    monkeypatch.setenv("INDUSTRY_GAP_OUTPUT", str(tmp_path / "empty"))
    assert main(["classify", str(labelled_file), "--output", str(tmp_path / "o.csv")]) == 0
    text = capsys.readouterr().out
    assert "使用模型：参考模型" in text and "没有本单位模型" in text and "reference-only" in text


@pytest.mark.slow
def test_evaluate_uses_the_outputs_office_model_and_says_so(run_output, labelled_file, capsys):
    output, training_hash = run_output
    args = ["evaluate", "--labelled", str(labelled_file), "--no-open-world", "--run-output", str(output)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "使用模型：本单位模型" in text and training_hash in text
    assert main([*args, "--reference"]) == 0
    text = capsys.readouterr().out
    assert "使用模型：参考模型" in text and "reference-only" in text
    assert main([*args, "--reference", "--model", str(output)]) == 2
    assert "只能选一个" in capsys.readouterr().err
