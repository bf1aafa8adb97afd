"""`industry-gap run`: the whole pipeline in-process, then a Chinese summary."""

from __future__ import annotations

import argparse

from industry_gap.schema import DATASET_LABELS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="运行整条流水线（默认使用自带样例数据）",
        description="在本进程内通过 Dagster 物化全部资产：读取名录、分类、计算门类缺口、生成报送清单，"
                    "并写入数据库。未指定任何输入文件时使用 sample_data/ 中的样例区县数据。",
    )
    parser.add_argument("--registry", metavar="文件", help="规下企业名录（CSV/XLSX）")
    parser.add_argument("--above-scale", metavar="文件", help="规上工业企业名录（含行业代码）")
    parser.add_argument("--targets", metavar="文件", help="扩增门类目标清单（附件2/附件3）")
    parser.add_argument("--projects", metavar="文件", help="项目清单（附件4 样式）")
    parser.add_argument("--output", metavar="目录", default="output",
                        help="输出目录（默认 ./output/），内含 industry_gap.sqlite 与 exports/")
    parser.add_argument("--database", metavar="URL", default="",
                        help="数据库地址（SQLAlchemy URL，如 postgresql+psycopg://用户@主机/库）；"
                             "默认读取环境变量 DATABASE_URL，否则使用输出目录中的 SQLite 文件")
    parser.add_argument("--run-date", metavar="YYYY-MM-DD", default="",
                        help="运行日期（数据库中按此日期保存本次结果；默认今天）")
    parser.add_argument("--code-edition", choices=["2017", "2011"], default="2017",
                        help="输入文件中行业代码的版本（默认 2017）")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.runner import RunOptions, run_pipeline  # Dagster import is slow: only here

    print("正在运行流水线……")
    outcome = run_pipeline(RunOptions(
        registry=args.registry, above_scale=args.above_scale, targets=args.targets,
        projects=args.projects, output_dir=args.output, database_url=args.database,
        run_date=args.run_date, code_edition=args.code_edition,
    ))
    print_summary(outcome)
    return 0


def print_summary(outcome) -> None:
    values = outcome.values
    print("运行完成。")
    print("一、数据接入（读入 = 清洁 + 隔离 + 剔除）")
    for dataset, label in DATASET_LABELS.items():
        result = values[dataset]
        counts = result.accounting()
        source = result.file or "未提供"
        print(f"  {label}：读入 {counts['in']} 行，清洁 {counts['clean']}，隔离 {counts['quarantined']}，"
              f"剔除 {counts['set_aside']}（{source}）")
        for reason, count in sorted(result.reasons_summary().items(), key=lambda kv: -kv[1]):
            print(f"      - {reason}：{count}")
    print("二、输出")
    print(f"  数据库：{outcome.database}")
    print("  数据表：registry（清洁名录）、quarantine（隔离行及原因）、set_aside（剔除行及原因）、row_accounting 等")
