"""`industry-gap classify`: predict GB/T 4754-2017 小类 from business scopes in a CSV/XLSX."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from industry_gap.errors import UserError
from industry_gap.progress import PROGRESS_MIN_ROWS, ProgressBar


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classify",
        help="按经营范围预测国民经济行业小类",
        description="读取 CSV 或 XLSX，按经营范围预测 GB/T 4754-2017 小类。输出 CSV（UTF-8 带 BOM，Excel 可直接打开）"
        "保留全部输入列，并增加 pred_code_1..k（4 位小类代码）、pred_name_1..k、pred_score_1..k（降序）、"
        "evidence（依据）、reason（无预测的原因）、pred_division、pred_section、is_industrial。"
        "表中同时有经营范围和主要业务活动两列时两者合并用于预测；有企业名称列时名称也参与分类。",
    )
    parser.add_argument("input", metavar="输入文件", help="CSV 或 XLSX 文件")
    parser.add_argument("--output", required=True, metavar="输出.csv", help="输出 CSV 文件")
    add_model_options(parser)
    parser.add_argument(
        "--text-column",
        default="经营范围",
        metavar="列名",
        help="经营范围所在列（默认：经营范围，并自动识别主要业务活动列）",
    )
    parser.add_argument(
        "--name-column", default=None, metavar="列名", help="企业名称所在列（默认自动识别；名称参与分类）"
    )
    parser.add_argument("--top-k", type=int, default=3, metavar="K", help="输出前 K 个预测（默认 3）")
    parser.add_argument(
        "--chinese-headers",
        action="store_true",
        help="新增列使用中文列名（候选1代码、候选1名称、候选1置信度……判定依据）；默认列名不变",
    )
    parser.set_defaults(func=run)


CHINESE_HEADERS = {
    "evidence": "判定依据",
    "reason": "无预测原因",
    "pred_division": "预测大类",
    "pred_section": "预测门类",
    "is_industrial": "是否工业",
}


def chinese_headers(columns, top_k: int) -> dict[str, str]:
    """Renames for the added columns only (input columns keep their names), for --chinese-headers."""
    names = dict(CHINESE_HEADERS)
    for i in range(1, top_k + 1):
        names |= {
            f"pred_code_{i}": f"候选{i}代码",
            f"pred_name_{i}": f"候选{i}名称",
            f"pred_score_{i}": f"候选{i}置信度",
        }
    return {old: new for old, new in names.items() if old in columns and new not in columns}


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--model / --reference / --run-output: which model classify and evaluate use (the same for both)."""
    parser.add_argument(
        "--model",
        metavar="模型目录",
        help="用 train 保存的模型（默认：--run-output 输出目录中最新的本单位模型，没有时用仅注释构建的参考模型）",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="用仅注释构建的参考模型，即使输出目录中有本单位模型",
    )
    parser.add_argument(
        "--run-output",
        default=None,
        metavar="输出目录",
        help="industry-gap run 的输出目录，默认使用其 models/ 中最新的本单位模型"
        "（默认：环境变量 INDUSTRY_GAP_OUTPUT，否则 ./output）",
    )


def choose_model(args: argparse.Namespace):
    """(model, Chinese sentence naming it): --model, else --reference, else the output's office model."""
    from industry_gap.model_training import latest_office_model
    from industry_gap.settings import environment_settings

    if args.model and args.reference:
        raise UserError("--model 与 --reference 只能选一个")
    if args.model:
        return load_model(args.model), f"使用模型：--model 指定的模型 {args.model}"
    if args.reference:
        return load_model(None), "使用模型：参考模型（仅用国民经济行业分类注释构建，--reference 指定）"
    output = args.run_output or environment_settings().output_dir
    office = latest_office_model(output)
    if office is None:
        return load_model(None), (
            f"使用模型：参考模型（仅用国民经济行业分类注释构建；输出目录 {output} 中没有本单位模型，"
            "可用 --run-output 指定 industry-gap run 的输出目录）"
        )
    return load_model(str(office.path)), (
        f"使用模型：{office.describe()}；改用参考模型请加 --reference，指定其他模型请用 --model"
    )


def load_model(path):
    from classifiers import ScopeClassifier, load_default_model

    if not path:
        return load_default_model()
    try:
        return ScopeClassifier.load(path)
    except FileNotFoundError as error:
        raise UserError(f"找不到模型：{path}（请先用 industry-gap train --output {path} 训练）") from error
    except Exception as error:  # noqa: BLE001 - a broken or foreign file
        raise UserError(f"无法读取模型 {path}：{type(error).__name__}: {error}") from error


def run(args: argparse.Namespace) -> int:
    from industry_gap.scope_tables import find_name_column, read_table, scope_texts, write_csv

    if args.top_k < 1 or args.top_k > 20:
        raise UserError("--top-k 应在 1 到 20 之间")
    from industry_gap.environment import check_not_locked_by_office, check_writable_folder

    check_writable_folder(Path(args.output).parent, label="输出目录", create=False)
    check_not_locked_by_office(args.output)
    started = time.perf_counter()
    df = read_table(args.input, (args.text_column, args.name_column))
    for note in df.attrs.get("notes", []):
        print(f"读取 {args.input}：{note}", file=sys.stderr)
    texts, _ = scope_texts(df, args.text_column, args.input)
    name_col = find_name_column(df, args.name_column, args.input)
    # The text to classify goes in a temporary column, dropped again: the output keeps the input columns.
    text_col = "_分类文本"
    while text_col in df.columns:
        text_col = "_" + text_col
    df = df.assign(**{text_col: texts})
    model, which = choose_model(args)
    print(which)
    total = len(df)
    out = model.classify_frame(
        df,
        text_col,
        name_column=name_col,
        top_k=args.top_k,
        progress=ProgressBar() if total >= PROGRESS_MIN_ROWS else None,
    ).drop(columns=[text_col])
    empty = int((out["pred_code_1"] == "").sum()) if total else 0
    if args.chinese_headers:
        out = out.rename(columns=chinese_headers(out.columns, args.top_k))
    # personal numbers in any input column (a 身份证号 or 手机号 column, a scope quoting one) are masked
    from industry_gap.privacy import is_identifier_column, mask_frame

    write_csv(mask_frame(out, [c for c in out.columns if not is_identifier_column(c)]), args.output)
    reason = "无预测原因" if args.chinese_headers else "reason"
    print(
        f"已写出 {args.output}：{total} 行，其中 {empty} 行无预测（原因见 {reason} 列）；"
        f"模型版本 {model.version}（{model.training_hash}），用时 {time.perf_counter() - started:.1f} 秒"
    )
    return 0
