"""`industry-gap evaluate`: accuracy of the business-scope classifier on labelled enterprises."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="用已标注行业代码的企业评估分类准确率",
        description="在带行业代码的企业名录上评估经营范围分类：输出标注所含各层级的 top-1/top-3 准确率、"
                    "不同置信度阈值下的准确率及其覆盖比例，以及最常见的混淆。",
    )
    parser.add_argument("--labelled", required=True, metavar="文件", help="带行业代码的企业名录（CSV 或 XLSX）")
    parser.add_argument("--model", metavar="模型目录", help="模型目录（默认：仅用注释构建的内置模型）")
    parser.add_argument("--text-column", default="经营范围", metavar="列名", help="经营范围所在列（默认：经营范围）")
    parser.add_argument("--code-column", default="行业代码", metavar="列名", help="行业代码所在列（默认：行业代码）")
    parser.add_argument("--code-edition", choices=["2017", "2011"], default="2017",
                        help="标注代码的版本（默认 2017）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from classifiers.evaluation import evaluate_model
    from classifiers.tables import (CODE_ALIASES, TEXT_ALIASES, find_column, gbt_labels, read_table,
                                    set_aside_message)
    from industry_gap.cli.classify import load_model

    df = read_table(args.labelled)
    text_col = find_column(df, args.text_column, TEXT_ALIASES, args.labelled, "经营范围")
    code_col = find_column(df, args.code_column, CODE_ALIASES, args.labelled, "行业代码")
    model = load_model(args.model)
    labels, set_aside = gbt_labels(df, code_col)
    report = evaluate_model(model, df[text_col].tolist(), labels, args.code_edition)
    print(f"模型：版本 {model.version}，{'仅注释' if model.info.get('mode') == 'reference' else '已训练'}"
          f"（训练数据哈希 {model.training_hash}）")
    head, _, rest = report.format().partition("\n")
    print(head)
    if set_aside:
        print(set_aside_message(set_aside))
    print(rest)
    return 0
