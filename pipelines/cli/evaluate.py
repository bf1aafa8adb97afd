"""`industry-gap evaluate`: accuracy of the business-scope classifier on labelled enterprises."""

from __future__ import annotations

import argparse
import sys

from industry_gap.errors import UserError
from pipelines.cli.classify import add_model_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="用已标注行业代码的企业评估分类准确率",
        description="在带行业代码的企业名录上评估经营范围分类：输出标注所含各层级的 top-1/top-3/top-5 准确率、"
        "按门类的准确率、不同置信度阈值下的准确率及其覆盖比例、校准误差（首选得分与实际准确率之差）、"
        "复核曲线（把最不确定的 5%/10%/20% 送人工复核后其余行的准确率），以及最常见的混淆。"
        "有 500 条以上小类标注时，另做开放场景评估：留出整类企业模拟本单位的空白门类，用其余标注的 500/1,000/3,000/"
        "10,000/全部条训练本单位模型，报告无标注类别和少标注类别的准确率、缺口查找的精确率与召回率、"
        "错误率不超过 3% 时可自动编码的比例、有/无标注类别的校准误差，以及与仅注释模型的对比（学习曲线）。"
        "表中同时有经营范围和主要业务活动两列时两者合并使用。",
    )
    parser.add_argument("--labelled", required=True, metavar="文件", help="带行业代码的企业名录（CSV 或 XLSX）")
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
    parser.add_argument("--code-column", default="行业代码", metavar="列名", help="行业代码所在列（默认：行业代码）")
    parser.add_argument("--code-edition", choices=["2017", "2011"], default="2017", help="标注代码的版本（默认 2017）")
    parser.add_argument(
        "--learning-curve",
        default="500,1000,3000,10000,all",
        metavar="条数",
        help="开放场景评估的训练标注条数，逗号分隔，all 为全部（默认：500,1000,3000,10000,all）",
    )
    parser.add_argument("--no-open-world", action="store_true", help="不做开放场景评估（只评估给定模型）")
    parser.add_argument(
        "--flag-score",
        type=float,
        default=None,
        metavar="得分",
        help="缺口查找的标记阈值（默认：政策文件的 count_in_all_min_score，即流水线标记缺口企业所用的阈值）",
    )
    parser.add_argument("--policy", metavar="文件", help="政策文件（默认：内置政策文件），只用于读取标记阈值")
    parser.add_argument("--json", metavar="文件", help="把全部评估数字另存为 JSON 文件")
    parser.set_defaults(func=run)


def _curve_sizes(text: str) -> list[int | None]:
    sizes: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part == "all":
            sizes.append(None)
        elif part.isdigit() and int(part) > 0:
            sizes.append(int(part))
        else:
            raise UserError(f"--learning-curve 应为逗号分隔的正整数或 all，而不是“{part}”")
    return sizes


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
    from pipelines.cli.classify import choose_model

    sizes = _curve_sizes(args.learning_curve)  # refused before any work
    df = read_table(args.labelled, (args.text_column, args.name_column, args.code_column))
    for note in df.attrs.get("notes", []):
        print(f"读取 {args.labelled}：{note}", file=sys.stderr)
    texts, used = scope_texts(df, args.text_column, args.labelled)
    code_col = find_column(df, args.code_column, CODE_ALIASES, args.labelled, "行业代码")
    assert code_col is not None  # a required column: found, or InputFileError
    name_col = find_name_column(df, args.name_column, args.labelled)
    model, which = choose_model(args)
    labels, set_aside = gbt_labels(df, code_col)
    names = df[name_col].tolist() if name_col else None
    report = evaluate_model(model, texts, labels, args.code_edition, names=names)
    print(which)
    if which.startswith("使用模型：本单位模型"):
        print(
            "注意：本单位模型若用这些企业训练过，以下准确率偏高；无偏的数字见开放场景评估，或加 --reference 对比参考模型。"
        )
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
    figures: dict = {"model": report.to_dict()}
    if not args.no_open_world:
        figures["open_world"] = _open_world(args, texts, labels, names, sizes)
    if args.json:
        import json
        from pathlib import Path

        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
        print(f"评估数字已写入 {args.json}")
    return 0


def _open_world(args: argparse.Namespace, texts, labels, names, sizes: list[int | None]) -> dict | None:
    from classifiers import load_default_model
    from classifiers.office_trust import office_trust_report
    from classifiers.training import MIN_CLASS_LABELS, normalize_label
    from industry_gap.policy import load_policy
    from reference import standard

    s = standard()
    n_class = sum(
        1
        for c in (normalize_label(v, args.code_edition) for v in labels)
        if c is not None and s.nodes[c].level == "class"
    )
    print("")
    if n_class < MIN_CLASS_LABELS:
        print(f"开放场景评估：小类（4 位）标注 {n_class} 条，少于 {MIN_CLASS_LABELS} 条，不训练本单位小类模型，略过。")
        return None
    flag = args.flag_score if args.flag_score is not None else load_policy(args.policy).count_in_all_min_score
    report = office_trust_report(
        texts,
        labels,
        names=names,
        base=load_default_model(),
        edition=args.code_edition,
        flag_score=flag,
        sizes=sizes,
        on_step=lambda message: print(f"  开放场景评估：{message}……", file=sys.stderr, flush=True),
    )
    print(report.format())
    return report.to_dict()
