"""`industry-gap train`: build the business-scope classifier, from the standard alone or with labels."""

from __future__ import annotations

import argparse
import sys
import time

from industry_gap.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="训练经营范围行业分类模型（无标注数据时仅用国民经济行业分类注释）",
        description="训练经营范围 → GB/T 4754-2017 小类的分类模型。不给 --labelled 时只用国民经济行业分类及其注释"
        "构建模型；给出已标注行业代码的企业名录（如规上企业名录）时，在其上训练大类层并用标注中的小类分布作先验。"
        "代码可为 C1311、1311、131、C13、13、C 等任意层级写法。表中同时有经营范围和主要业务活动两列时两者合并使用；"
        "有企业名称列时名称也参与训练。",
    )
    parser.add_argument(
        "--labelled", nargs="+", metavar="文件", default=[], help="带行业代码的企业名录（CSV 或 XLSX，可给多个）"
    )
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
    parser.add_argument(
        "--code-edition",
        choices=["2017", "2011"],
        default="2017",
        help="标注代码的版本（默认 2017；2011 版代码按对照表转换）",
    )
    parser.add_argument("--output", required=True, metavar="模型目录", help="模型保存目录")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from classifiers import build_reference_model, load_default_model, train_model
    from industry_gap.environment import check_writable_folder
    from industry_gap.scope_tables import (
        CODE_ALIASES,
        find_column,
        find_name_column,
        gbt_labels,
        read_table,
        scope_texts,
        set_aside_message,
    )

    check_writable_folder(args.output, label="模型目录")  # before minutes of training, not after
    started = time.perf_counter()
    if not args.labelled:
        print("未提供标注数据：仅用国民经济行业分类注释构建模型……", file=sys.stderr)
        model = build_reference_model()
    else:
        texts: list = []
        labels: list = []
        names: list = []
        any_names = False
        for path in args.labelled:
            df = read_table(path, (args.text_column, args.name_column, args.code_column))
            for note in df.attrs.get("notes", []):
                print(f"读取 {path}：{note}", file=sys.stderr)
            file_texts, used = scope_texts(df, args.text_column, path)
            code_col = find_column(df, args.code_column, CODE_ALIASES, path, "行业代码")
            assert code_col is not None  # a required column: found, or InputFileError
            name_col = find_name_column(df, args.name_column, path)
            file_labels, set_aside = gbt_labels(df, code_col)
            texts.extend(file_texts)
            labels.extend(file_labels)
            # One name per row across files: '' for a file without a name column.
            names.extend(df[name_col].tolist() if name_col else [""] * len(df))
            any_names = any_names or name_col is not None
            shown_name = f"，企业名称列“{name_col}”" if name_col else ""
            print(f"读取 {path}：{len(df)} 行（{used}，代码列“{code_col}”{shown_name}）", file=sys.stderr)
            if set_aside:
                print(set_aside_message(set_aside), file=sys.stderr)
        print("构建基础模型并训练……", file=sys.stderr)
        try:
            model = train_model(
                texts,
                labels,
                label_edition=args.code_edition,
                base=load_default_model(),
                names=names if any_names else None,  # None: train_model's default
            )
        except ValueError as error:
            raise UserError(f"无法训练：{error}") from error
    model.save(args.output)
    elapsed = time.perf_counter() - started
    print(
        f"模型已保存到 {args.output}（版本 {model.version}，训练数据哈希 {model.training_hash}，用时 {elapsed:.1f} 秒）"
    )
    metrics = model.metrics
    if "cv_division" in metrics:
        cv = metrics["cv_division"]
        ref = metrics["reference_division"]
        print(f"使用标注 {cv['n']} 行（跳过无法识别的代码 {metrics.get('skipped_labels', 0)} 行）")
        print(
            f"大类准确率（{metrics['cv_folds']} 折交叉验证）：top-1 {cv['top1']:.3f}  top-3 {cv['top3']:.3f}"
            f"（仅用注释的基础模型：top-1 {ref['top1']:.3f}  top-3 {ref['top3']:.3f}）"
        )
    if "cv_class" in metrics:
        cv, ref = metrics["cv_class"], metrics["reference_class"]
        print(
            f"小类准确率（{metrics['cv_folds']} 折交叉验证）：top-1 {cv['top1']:.3f}  top-3 {cv['top3']:.3f}"
            f"（仅用注释的基础模型：top-1 {ref['top1']:.3f}  top-3 {ref['top3']:.3f}）"
        )
        if metrics.get("not_class_level"):
            print(f"代码只到大类/中类/门类的 {metrics['not_class_level']} 行未用于小类模型")
    return 0
