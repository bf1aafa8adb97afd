"""A saved classifier loads quickly and exactly: arrays memory-mapped, no scikit-learn at load,
damaged directories refused with a Chinese message (classifiers.persistence)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from classifiers import ScopeClassifier, load_default_model
from classifiers.persistence import ARRAYS_FILE, META_FILE, MODEL_FILE, ModelFileError, forget_loaded

REPO = Path(__file__).resolve().parents[1]
REGISTRY = REPO / "sample_data" / "registry.csv"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    model = load_default_model()
    path = tmp_path_factory.mktemp("model") / "m"
    model.save(path)
    return model, path


@pytest.fixture(scope="module")
def scopes() -> list[str]:
    df = pd.read_csv(REGISTRY, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return df["经营范围"].iloc[::20].tolist()


def test_a_saved_model_predicts_what_the_original_predicts(saved, scopes):
    model, path = saved
    forget_loaded()
    loaded = ScopeClassifier.load(path)
    assert loaded is not model
    frame = pd.DataFrame({"经营范围": scopes})
    pd.testing.assert_frame_equal(loaded.classify_frame(frame, "经营范围"), model.classify_frame(frame, "经营范围"))
    assert ScopeClassifier.load(path) is loaded  # once per process while the files are unchanged


def test_the_estimators_of_a_loaded_model_are_built_on_demand_and_equal(saved):
    model, path = saved
    forget_loaded()
    scorer = ScopeClassifier.load(path).scorer
    assert "div_vectorizer" not in scorer.__dict__
    assert scorer.div_vectorizer.vocabulary_ == model.scorer.div_vectorizer.vocabulary_
    assert scorer.bm_vectorizer.vocabulary_ == model.scorer.bm_vectorizer.vocabulary_
    assert np.array_equal(scorer.div_model.coef_, model.scorer.div_model.coef_)
    queries = ["汽车零部件", "ＡＢ  c", "软件开发"]
    X = scorer.div_vectorizer.transform(queries)
    assert np.array_equal(scorer.div_model.predict_proba(X), model.scorer.div_model.predict_proba(X))


def test_loading_imports_no_scikit_learn_and_maps_the_arrays(saved):
    _, path = saved
    script = (
        "import sys\n"
        "from classifiers import ScopeClassifier\n"
        f"m = ScopeClassifier.load({str(path)!r})\n"
        "[p] = m.predict(['汽车零部件的研发、生产和销售'])\n"
        "print(p.code, 'sklearn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    code, imported = out.stdout.split()
    assert code == load_default_model().predict(["汽车零部件的研发、生产和销售"])[0].code
    assert imported == "False"
    meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    assert meta["format"]["version"] == 2 and meta["format"]["arrays"]
    assert (path / ARRAYS_FILE).stat().st_size > 10_000_000  # the large arrays are outside the pickle


@pytest.mark.parametrize("damage", ["truncate_arrays", "missing_arrays", "garbage_pickle", "bad_json", "old_format"])
def test_a_damaged_model_directory_is_refused_in_chinese(saved, tmp_path, damage):
    _, path = saved
    copy = tmp_path / "m"
    copy.mkdir()
    for name in (MODEL_FILE, META_FILE, ARRAYS_FILE):
        (copy / name).write_bytes((path / name).read_bytes())
    if damage == "truncate_arrays":
        with open(copy / ARRAYS_FILE, "r+b") as f:
            f.truncate(1000)
    elif damage == "missing_arrays":
        (copy / ARRAYS_FILE).unlink()
    elif damage == "garbage_pickle":
        (copy / MODEL_FILE).write_bytes(b"\x80\x05not a pickle")
    elif damage == "bad_json":
        (copy / META_FILE).write_text("{", encoding="utf-8")
    else:
        meta = json.loads((copy / META_FILE).read_text(encoding="utf-8"))
        meta["format"]["version"] = 99
        (copy / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFileError, match="模型"):
        ScopeClassifier.load(copy)


def test_a_missing_model_file_is_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="模型文件不存在"):
        ScopeClassifier.load(tmp_path)


def test_a_damaged_model_named_for_a_run_is_a_user_error(saved, tmp_path):
    """`industry-gap run --model DIR` (and a city's model) on a damaged directory: one Chinese message."""
    from industry_gap.errors import UserError
    from industry_gap.model_training import train_office_model

    _, path = saved
    copy = tmp_path / "m"
    copy.mkdir()
    for name in (MODEL_FILE, META_FILE):
        (copy / name).write_bytes((path / name).read_bytes())  # arrays.npy missing
    with pytest.raises(UserError, match="模型"):
        train_office_model(None, model_dir=str(copy))


def test_saving_over_a_loaded_model_leaves_it_working(saved, scopes, tmp_path):
    """A model memory-mapped by one process while the same folder is saved again (a retrain, or
    load-then-save into its own folder) keeps its arrays: files are swapped in, never rewritten."""
    model, path = saved
    copy = tmp_path / "m"
    model.save(copy)
    forget_loaded()
    loaded = ScopeClassifier.load(copy)
    frame = pd.DataFrame({"经营范围": scopes})
    expected = model.classify_frame(frame, "经营范围")
    loaded.save(copy)  # from its own memory-mapped arrays, into the same files
    pd.testing.assert_frame_equal(loaded.classify_frame(frame, "经营范围"), expected)
    forget_loaded()
    pd.testing.assert_frame_equal(ScopeClassifier.load(copy).classify_frame(frame, "经营范围"), expected)
    assert not list(copy.glob(".*.tmp"))
