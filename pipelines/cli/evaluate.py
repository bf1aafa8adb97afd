"""`industry-gap evaluate`: accuracy of the business-scope classifier on labelled enterprises."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="用已标注行业代码的企业评估分类准确率",
        description="在带行业代码的企业名录上评估经营范围分类：输出标注所含各层级的 top-1/top-3/top-5 准确率、"
        "按门类的准确率、不同置信度阈值下的准确率及其覆盖比例、校准误差（首选得分与实际准确率之差）、"
        "复核曲线（把最不确定的 5%/10%/20% 送人工复核后其余行的准确率），以及最常见的混淆。"
        "表中同时有经营范围和主要业务活动两列时两者合并使用。",
    )
    parser.add_argument("--labelled", required=True, metavar="文件", help="带行业代码的企业名录（CSV 或 XLSX）")
    parser.add_argument("--model", metavar="模型目录", help="模型目录（默认：仅用注释构建的内置模型）")
    parser.add_argument(
        "--text-column",
        default="经营范围",
        metavar="列名",
        help="经营范围所在列（默认：经营范围，并自动识别主要业务活动列）",
    )
    parser.add_argument(
        "--name-column", default=None, metavar="列名", help="企业名称所在列（默认自动识别；名称参与分类）"
    )
    parser.add_argument("--code-column", default="行业代码", metavar="列名", help="行业代码所在列（默认：行业代码）")
    parser.add_argument("--code-edition", choices=["2017", "2011"], default="2017", help="标注代码的版本（默认 2017）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from classifiers.evaluation import evaluate_model
    from industry_gap.scope_tables import (
        CODE_ALIASES,
        find_column,
        find_name_column,
        gbt_labels,
        read_table,
        scope_texts,
        set_aside_message,
    )
    from pipelines.cli.classify import load_model

    df = read_table(args.labelled, (args.text_column, args.name_column, args.code_column))
    for note in df.attrs.get("notes", []):
        print(f"读取 {args.labelled}：{note}", file=sys.stderr)
    texts, used = scope_texts(df, args.text_column, args.labelled)
    code_col = find_column(df, args.code_column, CODE_ALIASES, args.labelled, "行业代码")
    assert code_col is not None  # a required column: found, or InputFileError
    name_col = find_name_column(df, args.name_column, args.labelled)
    model = load_model(args.model)
    labels, set_aside = gbt_labels(df, code_col)
    names = df[name_col].tolist() if name_col else None
    report = evaluate_model(model, texts, labels, args.code_edition, names=names)
    print(
        f"模型：版本 {model.version}，{'仅注释' if model.info.get('mode') == 'reference' else '已训练'}"
        f"（训练数据哈希 {model.training_hash}）"
    )
    print(f"分类文本：{used}" + (f"；企业名称列“{name_col}”" if name_col else "；无企业名称列"))
    head, _, rest = report.format().partition("\n")
    print(head)
    if set_aside:
        print(set_aside_message(set_aside))
    print(rest)
    return 0
