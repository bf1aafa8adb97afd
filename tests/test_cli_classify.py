"""The train / classify / evaluate commands (the CLI contract the acceptance checks call)."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from pipelines.cli import main

ROWS = [
    ("甲机械有限公司", "汽车零部件的研发、生产和销售；货物进出口。", "C3670"),
    ("乙软件有限公司", "软件开发；信息系统集成服务；信息技术咨询服务", "6513"),
    ("丙商贸有限公司", "五金产品零售；日用百货销售；家用电器销售", "F52"),
    ("丁空壳公司", "", "C13"),
    ("戊乱码公司", "asdfgh", "C13"),
]


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory):
    old = os.environ.get("INDUSTRY_GAP_CACHE")
    os.environ["INDUSTRY_GAP_CACHE"] = str(tmp_path_factory.mktemp("model-cache"))
    yield
    if old is None:
        os.environ.pop("INDUSTRY_GAP_CACHE", None)
    else:
        os.environ["INDUSTRY_GAP_CACHE"] = old


def _frame():
    return pd.DataFrame(
        {
            "企业名称": [r[0] for r in ROWS],
            "经营范围": [r[1] for r in ROWS],
            "行业代码": [r[2] for r in ROWS],
            "注册资本": ["0100", "50", "", "1", "2"],
        }
    )


def _read_out(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "output must be UTF-8 with BOM"
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_classify_csv_and_xlsx(tmp_path, kind, capsys):
    src = tmp_path / f"in.{kind}"
    if kind == "csv":
        _frame().to_csv(src, index=False, encoding="utf-8-sig")
    else:
        _frame().to_excel(src, index=False)
    out = tmp_path / "out.csv"
    assert main(["classify", str(src), "--output", str(out), "--name-column", "企业名称", "--top-k", "3"]) == 0
    df = _read_out(out)
    assert list(df.columns[:4]) == ["企业名称", "经营范围", "行业代码", "注册资本"]
    assert df["注册资本"].tolist() == ["0100", "50", "", "1", "2"]  # input cells unchanged
    for i in (1, 2, 3):
        assert {f"pred_code_{i}", f"pred_name_{i}", f"pred_score_{i}"} <= set(df.columns)
    assert {"evidence", "reason"} <= set(df.columns)
    assert df.loc[0, "pred_code_1"] == "3670" and len(df.loc[0, "pred_code_2"]) == 4
    scores = [float(df.loc[0, f"pred_score_{i}"]) for i in (1, 2, 3)]
    assert scores == sorted(scores, reverse=True)
    assert df.loc[1, "pred_code_1"].startswith("65")
    for row in (3, 4):
        assert df.loc[row, "pred_code_1"] == "" and df.loc[row, "reason"] != ""
    assert "已写出" in capsys.readouterr().out


def test_classify_missing_column_is_a_clean_error(tmp_path, capsys):
    src = tmp_path / "in.csv"
    pd.DataFrame({"名称": ["x"]}).to_csv(src, index=False)
    assert main(["classify", str(src), "--output", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "经营范围" in err and "Traceback" not in err


def test_classify_missing_file_and_bad_model(tmp_path, capsys):
    assert main(["classify", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.csv")]) == 2
    src = tmp_path / "in.csv"
    _frame().to_csv(src, index=False)
    assert main(["classify", str(src), "--output", str(tmp_path / "o.csv"), "--model", str(tmp_path / "none")]) == 2
    assert "模型" in capsys.readouterr().err


@pytest.mark.slow
def test_train_reference_then_classify_and_evaluate_with_it(tmp_path, capsys):
    model_dir = tmp_path / "model"
    assert main(["train", "--output", str(model_dir)]) == 0
    assert (model_dir / "model.joblib").exists() and (model_dir / "model.json").exists()
    src = tmp_path / "labelled.csv"
    _frame().to_csv(src, index=False, encoding="utf-8-sig")
    out = tmp_path / "out.csv"
    assert main(["classify", str(src), "--output", str(out), "--model", str(model_dir), "--top-k", "1"]) == 0
    df = _read_out(out)
    assert "pred_code_1" in df.columns and "pred_code_2" not in df.columns
    capsys.readouterr()
    assert main(["evaluate", "--labelled", str(src), "--model", str(model_dir)]) == 0
    text = capsys.readouterr().out
    for needle in (
        "小类",
        "大类",
        "门类",
        "top-1",
        "top-3",
        "top-5",
        "≥0.5",
        "混淆",
        "期望校准误差",
        "按门类",
        "送复核最不确定的 5%",
        "企业名称列“企业名称”",
    ):
        assert needle in text


@pytest.mark.slow
def test_train_with_labels(tmp_path, capsys):
    rows = [
        ("汽车零部件的研发、生产和销售", "C36"),
        ("汽车座椅制造", "C36"),
        ("软件开发", "I65"),
        ("应用软件开发与销售", "I65"),
        ("五金产品零售", "F52"),
        ("服装零售", "F52"),
        ("塑料制品制造", "C29"),
        ("橡胶制品生产", "C29"),
        ("物业管理", "K70"),
        ("房地产开发经营", "K70"),
    ] * 2
    src = tmp_path / "labels.xlsx"
    pd.DataFrame({"scope": [r[0] for r in rows], "csrc": [r[1] for r in rows]}).to_excel(src, index=False)
    model_dir = tmp_path / "trained"
    assert (
        main(
            [
                "train",
                "--labelled",
                str(src),
                "--text-column",
                "scope",
                "--code-column",
                "csrc",
                "--code-edition",
                "2011",
                "--output",
                str(model_dir),
            ]
        )
        == 0
    )
    assert "交叉验证" in capsys.readouterr().out
    assert (
        main(
            [
                "evaluate",
                "--labelled",
                str(src),
                "--model",
                str(model_dir),
                "--text-column",
                "scope",
                "--code-column",
                "csrc",
                "--code-edition",
                "2011",
            ]
        )
        == 0
    )
    assert "大类（20 行）" in capsys.readouterr().out


def test_csrc_s90_labels_are_set_aside_not_read_as_gbt(tmp_path, capsys):
    """CSRC-2012 "S90 综合" has no GB/T 4754 counterpart (GB/T 2011 S90 would be 中国共产党机关)."""
    from industry_gap.scope_tables import gbt_labels

    frame = pd.DataFrame(
        {
            "business_scope": [
                "汽车零部件的研发、生产和销售",
                "实业投资；房地产开发；酒店管理",
                "软件开发；信息系统集成服务",
            ],
            "division_code": ["C36", "S90", "I65"],
            "code_system": ["CSRC-2012"] * 3,
        }
    )
    assert gbt_labels(frame, "division_code") == (["C36", None, "I65"], 1)
    assert gbt_labels(frame.drop(columns="code_system"), "division_code") == (["C36", "S90", "I65"], 0)
    src = tmp_path / "csrc.csv"
    frame.to_csv(src, index=False)
    assert (
        main(
            [
                "evaluate",
                "--labelled",
                str(src),
                "--text-column",
                "business_scope",
                "--code-column",
                "division_code",
                "--code-edition",
                "2011",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "标注行数：3（可用 2，" in out and "大类（2 行）" in out and "S90 综合" in out


PRED_COLUMNS = {"evidence", "reason", "pred_division", "pred_section", "is_industrial"}


def test_classify_combines_main_activity_and_scope_and_keeps_the_input_columns(tmp_path, capsys):
    frame = pd.DataFrame(
        {
            "企业名称": ["甲公司", "乙公司", "丙公司"],
            "经营范围": ["技术服务；货物进出口", "", "软件开发；信息系统集成服务"],
            "主要业务活动": ["汽车座椅制造", "汽车零部件制造", ""],
            "备注": ["a", "b", "c"],
        }
    )
    src = tmp_path / "both.csv"
    frame.to_csv(src, index=False, encoding="utf-8-sig")
    out = tmp_path / "out.csv"
    assert main(["classify", str(src), "--output", str(out)]) == 0
    df = _read_out(out)
    assert list(df.columns[:4]) == list(frame.columns)
    added = set(df.columns[4:])
    assert all(c.startswith("pred_") or c in PRED_COLUMNS for c in added), added  # no temporary column
    assert df[list(frame.columns)].equals(frame)
    assert df.loc[0, "pred_division"] == "36" and df.loc[1, "pred_division"] == "36"
    assert df.loc[2, "pred_division"] == "65"


def test_classify_recognises_a_main_activity_column_alone(tmp_path):
    src = tmp_path / "main.csv"
    pd.DataFrame({"单位名称": ["甲公司"], "主要业务活动": ["汽车零部件的研发、生产和销售"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert main(["classify", str(src), "--output", str(out)]) == 0
    df = _read_out(out)
    assert list(df.columns[:2]) == ["单位名称", "主要业务活动"] and df.loc[0, "pred_code_1"] == "3670"


def test_scope_texts_and_combine_activity_and_scope(tmp_path):
    from classifiers.text import combine_activity_and_scope
    from industry_gap.scope_tables import TEXT_ALIASES, scope_texts

    assert combine_activity_and_scope("汽车座椅制造", "技术服务") == "主营业务：汽车座椅制造；技术服务"
    assert combine_activity_and_scope("", "技术服务") == "技术服务"
    assert combine_activity_and_scope(" 汽车座椅制造 ", float("nan")) == "汽车座椅制造"
    assert combine_activity_and_scope(None, None) == ""
    assert TEXT_ALIASES[:5] == ("经营范围", "主要业务活动", "main_activity", "主营业务活动", "主要经济活动")
    both = pd.DataFrame({"business_scope": ["技术服务", "x"], "主要经济活动": ["汽车座椅制造", ""]})
    assert scope_texts(both, "经营范围", "f.csv") == (
        ["主营业务：汽车座椅制造；技术服务", "x"],
        "主要业务活动列“主要经济活动”与经营范围列“business_scope”合并",
    )
    assert scope_texts(both, "business_scope", "f.csv") == (["技术服务", "x"], "经营范围列“business_scope”")
    assert scope_texts(both.drop(columns="business_scope"), None, "f.csv")[1] == "主要业务活动列“主要经济活动”"


def test_help_is_chinese(capsys):
    for command in ("train", "classify", "evaluate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "显示本帮助并退出" in text and "show this help" not in text
        assert "名称参与分类" in text and "主要业务活动" in text


DEFAULT_ADDED = [
    "pred_code_1",
    "pred_name_1",
    "pred_score_1",
    "pred_code_2",
    "pred_name_2",
    "pred_score_2",
    "evidence",
    "reason",
    "pred_division",
    "pred_section",
    "is_industrial",
]


def test_chinese_headers_rename_only_the_added_columns(tmp_path, capsys):
    src = tmp_path / "in.csv"
    _frame().to_csv(src, index=False, encoding="utf-8-sig")
    plain, chinese = tmp_path / "plain.csv", tmp_path / "chinese.csv"
    assert main(["classify", str(src), "--output", str(plain), "--top-k", "2"]) == 0
    assert main(["classify", str(src), "--output", str(chinese), "--top-k", "2", "--chinese-headers"]) == 0
    default, renamed = _read_out(plain), _read_out(chinese)
    assert list(default.columns) == list(_frame().columns) + DEFAULT_ADDED  # the default contract
    assert list(renamed.columns) == list(_frame().columns) + [
        "候选1代码",
        "候选1名称",
        "候选1置信度",
        "候选2代码",
        "候选2名称",
        "候选2置信度",
        "判定依据",
        "无预测原因",
        "预测大类",
        "预测门类",
        "是否工业",
    ]
    assert renamed.to_numpy().tolist() == default.to_numpy().tolist()  # same values
    assert "无预测原因" in capsys.readouterr().out


class _Stream:
    def __init__(self, tty: bool):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text += text

    def flush(self):
        pass


@pytest.mark.parametrize("tty", [True, False])
def test_progress_bar_on_a_terminal_and_plain_lines_otherwise(tty):
    from pipelines.cli.classify import ProgressBar

    stream = _Stream(tty)
    bar = ProgressBar(stream=stream, min_interval=0)
    for done in (10_000, 20_000, 25_000):
        bar(done, 25_000)
    assert "25,000/25,000 行" in stream.text and "预计还需" in stream.text
    if tty:
        assert stream.text.count("\r") == 3 and "█" in stream.text and stream.text.endswith("\n")
    else:
        assert "\r" not in stream.text and "█" not in stream.text
        assert len(stream.text.splitlines()) == 3


# -- tables as offices send them: read by the ingestion reader, like check-registry reads them -------
TITLE = "某某区企业名单（2024年）"


def _with_title_rows(path, frame):
    """`frame` under a title row and a blank row, as an office's export often has it."""
    if path.suffix == ".xlsx":
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append([TITLE])
        sheet.append([])
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append(list(row))
        workbook.save(path)
    else:
        path.write_text(f"{TITLE}\n\n" + frame.to_csv(index=False), encoding="gb18030")
    return path


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_classify_reads_a_table_with_a_title_row_above_the_header(tmp_path, kind, capsys):
    src = _with_title_rows(tmp_path / f"titled.{kind}", _frame())
    out = tmp_path / "out.csv"
    assert main(["classify", str(src), "--output", str(out)]) == 0
    df = _read_out(out)
    assert list(df.columns[:4]) == list(_frame().columns) and "pred_code_3" in df.columns
    assert df[list(_frame().columns)].equals(_frame())  # no title row among the data, cells unchanged
    assert df.loc[0, "pred_code_1"] == "3670" and df.loc[1, "pred_code_1"].startswith("65")
    assert "已写出" in capsys.readouterr().out


def test_a_named_text_column_is_found_under_a_title_row(tmp_path):
    frame = pd.DataFrame({"描述": ["汽车零部件的研发、生产和销售"], "备注": ["x"]})
    src = _with_title_rows(tmp_path / "own.csv", frame)
    out = tmp_path / "out.csv"
    assert main(["classify", str(src), "--output", str(out), "--text-column", "描述"]) == 0
    df = _read_out(out)
    assert list(df.columns[:2]) == ["描述", "备注"] and df.loc[0, "pred_code_1"] == "3670"


@pytest.mark.slow
def test_train_and_evaluate_read_tables_with_a_title_row(tmp_path, capsys):
    rows = [
        ("汽车零部件的研发、生产和销售", "C36"),
        ("汽车座椅制造", "C36"),
        ("软件开发", "I65"),
        ("应用软件开发与销售", "I65"),
        ("五金产品零售", "F52"),
        ("服装零售", "F52"),
        ("塑料制品制造", "C29"),
        ("橡胶制品生产", "C29"),
        ("物业管理", "K70"),
        ("房地产开发经营", "K70"),
    ] * 2
    frame = pd.DataFrame({"经营范围": [r[0] for r in rows], "行业代码": [r[1] for r in rows]})
    src = _with_title_rows(tmp_path / "labels.xlsx", frame)
    model_dir = tmp_path / "trained"
    assert main(["train", "--labelled", str(src), "--code-edition", "2011", "--output", str(model_dir)]) == 0
    captured = capsys.readouterr()
    assert "交叉验证" in captured.out and "20 行（经营范围列“经营范围”，代码列“行业代码”" in captured.err
    assert main(["evaluate", "--labelled", str(src), "--model", str(model_dir), "--code-edition", "2011"]) == 0
    assert "标注行数：20（" in (text := capsys.readouterr().out) and "大类（20 行）" in text


def test_a_row_longer_than_the_header_is_a_clean_error(tmp_path, capsys):
    src = tmp_path / "commas.csv"
    src.write_text("企业名称,经营范围\n甲公司,软件开发\n乙公司,软件开发,信息咨询\n", encoding="utf-8")
    assert main(["classify", str(src), "--output", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "第3行" in err and "英文逗号" in err and "Traceback" not in err


def test_classify_reads_traditional_characters_as_their_simplified_twin(tmp_path):
    """ "電子產品銷售" is classified as "电子产品销售" is, as the pipeline's ingestion reads it."""
    frame = pd.DataFrame(
        {
            "经营范围": ["汽車零部件的研發、生產和銷售", "汽车零部件的研发、生产和销售"],
            "企业名称": ["甲有限公司", "甲有限公司"],
        }
    )
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    frame.to_csv(src, index=False, encoding="utf-8-sig")
    assert main(["classify", str(src), "--output", str(out), "--top-k", "3"]) == 0
    df = _read_out(out)
    assert df.loc[0, "经营范围"] == "汽車零部件的研發、生產和銷售"  # the input cell as given
    assert df.loc[0, "pred_code_1"] == df.loc[1, "pred_code_1"] != ""
    assert df.loc[0, "pred_score_1"] == df.loc[1, "pred_score_1"]
