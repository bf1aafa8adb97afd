"""`industry-gap run`: the whole pipeline in-process, then a Chinese summary."""

from __future__ import annotations

import argparse
from dataclasses import fields

from industry_gap.schema import DATASET_LABELS
from industry_gap.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="运行整条流水线（默认使用自带样例数据）",
        description="在本进程内通过 Dagster 物化全部资产：读取名录、分类、计算门类缺口、生成报送清单，"
        "并写入数据库。未指定任何输入文件时使用 sample_data/ 中的样例区县数据。",
    )
    parser.add_argument("--registry", metavar="文件", help="规下企业名录（CSV/XLSX）")
    parser.add_argument("--above-scale", metavar="文件", help="规上工业企业名录（含行业代码）")
    parser.add_argument("--targets", metavar="文件", help="扩增门类目标清单（附件2/附件3）")
    parser.add_argument("--projects", metavar="文件", help="项目清单（附件4 样式）")
    parser.add_argument(
        "--output",
        metavar="目录",
        default=None,
        help="输出目录（默认环境变量 INDUSTRY_GAP_OUTPUT，否则 ./output/），内含 industry_gap.sqlite 与 exports/",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        default="",
        help="数据库地址（SQLAlchemy URL，如 postgresql+psycopg://用户@主机/库）；"
        "默认读取环境变量 DATABASE_URL，否则使用输出目录中的 SQLite 文件",
    )
    parser.add_argument(
        "--db-schema",
        metavar="模式",
        default="",
        help="PostgreSQL 中存放各表的模式（schema），默认 industry_gap；"
        "数据库地址中用 options=-csearch_path=… 指定了模式时默认用该模式；SQLite 忽略此项",
    )
    parser.add_argument(
        "--run-date", metavar="YYYY-MM-DD", default="", help="运行日期（数据库中按此日期保存本次结果；默认今天）"
    )
    parser.add_argument(
        "--code-edition", choices=["2017", "2011"], default="2017", help="输入文件中行业代码的版本（默认 2017）"
    )
    parser.add_argument(
        "--policy", metavar="文件", default="", help="政策配置文件（TOML；默认 reference/policy/dongsheng_2023.toml）"
    )
    parser.add_argument(
        "--city-coverage",
        metavar="文件",
        default="",
        help="全市门类表（列：行业代码、规上已有、全口径已有）；不提供时以本区门类判断空白",
    )
    parser.add_argument(
        "--overrides",
        metavar="文件",
        default="",
        help="填好的复核工作簿（核定行业代码、核定人、核定日期），作为人工核定生效并保存",
    )
    parser.add_argument(
        "--model",
        metavar="目录",
        default="",
        help="使用 industry-gap train 训练保存的模型（默认使用参考模型并在名录标注上训练）",
    )
    parser.add_argument(
        "--baseline",
        metavar="文件",
        default="",
        help="规划基期门类表（发布规划时已有的门类；列：行业代码、规上已有、全口径已有）；"
        "不提供时用政策文件 [baseline] 中的设置，否则以首次运行的覆盖为基期",
    )
    parser.add_argument("--quiet", action="store_true", help="不显示各环节进度，只在结束时输出汇总")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.runner import StagePrinter, run_pipeline  # Dagster import is slow: only here

    settings = settings_of(args)
    args.output = settings.output_dir  # error logs go beside the run's outputs
    print("正在运行流水线……")
    outcome = run_pipeline(settings, on_stage=None if args.quiet else StagePrinter())
    for line in summary_lines_for(outcome):
        print(line)
    return 0


# Options whose name is not their setting's; every other option of `run` is named as its setting (--run-date: run_date)
OPTION_SETTINGS = {
    "output": "output_dir",
    "database": "database_url",
    "policy": "policy_file",
    "city_coverage": "city_coverage_file",
    "model": "model_dir",
    "baseline": "baseline_file",
}


def settings_of(args: argparse.Namespace) -> Settings:
    """The run's settings: these options first, then INDUSTRY_GAP_* environment, then defaults."""
    known = {spec.name for spec in fields(Settings)}
    options = {OPTION_SETTINGS.get(name, name): value for name, value in vars(args).items()}
    return Settings.load({name: value for name, value in options.items() if name in known})


def summary_lines_for(outcome) -> list[str]:
    """Ingestion counts, the analysis summary and where the outputs are."""
    from industry_gap.summary import summary_lines

    values = outcome.values
    lines = [
        "运行完成。",
        *(f"提示：{message}" for message in outcome.recovered),
        "一、数据接入（读入 = 清洁 + 隔离 + 剔除）",
    ]
    for dataset, label in DATASET_LABELS.items():
        result = values[dataset]
        counts = result.accounting()
        source = result.file or "未提供"
        lines.append(
            f"  {label}：读入 {counts['in']} 行，清洁 {counts['clean']}，隔离 {counts['quarantined']}，"
            f"剔除 {counts['set_aside']}（{source}）"
        )
        for reason, count in sorted(result.reasons_summary().items(), key=lambda kv: -kv[1]):
            lines.append(f"      - {reason}：{count}")
        lines.extend(f"      提示：{note}" for note in result.notes)
    override_set = values["overrides"]
    if override_set.messages or len(override_set.accepted):
        lines.append(f"  人工核定：生效 {len(override_set.accepted)} 条，退回 {len(override_set.rejected)} 行")
        lines.extend(f"      {message}" for message in override_set.messages)
    model = values["scope_model"]
    classified = values["classified_registry"]
    lines.append("二、经营范围分类")
    lines.append(
        f"  模型版本：{model.version}；已分类 {int(classified['pred_code_1'].astype(str).str.len().gt(0).sum())} 户，"
        f"预测为工业 {int(classified['is_industrial'].fillna(False).astype(bool).sum())} 户"
    )
    lines.append("三、门类缺口与入规培育")
    lines.extend(f"  {line}" for line in summary_lines(outcome.summary))
    lines.append("四、输出位置")
    lines.append(f"  数据库：{outcome.database}（quarantine 表为隔离行及原因，set_aside 表为剔除行）")
    lines.append(f"  报送工作簿文件夹：{values['office_workbooks'].folder}")
    if outcome.stage_seconds:
        from pipelines.runner import stage_label

        total = sum(outcome.stage_seconds.values())
        lines.append(f"五、各环节用时（合计 {total:.1f} 秒，从长到短）")
        for step, seconds in sorted(outcome.stage_seconds.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {stage_label(step)}（{step}）：{seconds:.1f} 秒")
    return lines
