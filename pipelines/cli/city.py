"""`industry-gap city FOLDER`: every district of a city, then the city-wide coverage."""

from __future__ import annotations

import argparse
import logging


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "city",
        help="全市运行：按区县分区处理各区县名录，汇总全市门类覆盖",
        description="全市数据目录下每个区县一个子文件夹（文件夹名即区县名），内放该区县的规下企业名录"
        "（文件名含“名录”）和规上工业企业名录（文件名含“规上”，可缺）。每个区县作为一个 Dagster 分区"
        "运行（读取、用全市统一模型分类、计算门类覆盖；模型由全部区县的标注样本训练一次），全部完成后汇总全市门类覆盖，写出全市门类覆盖工作簿和"
        "全市门类表（可供各区县 industry-gap run --city-coverage 使用）。",
    )
    parser.add_argument("city_dir", metavar="全市数据目录", help="每个区县一个子文件夹的目录")
    parser.add_argument(
        "--output",
        metavar="目录",
        default=None,
        help="输出目录（默认环境变量 INDUSTRY_GAP_OUTPUT，否则 ./output/）；全市结果在其中的 city/ 文件夹",
    )
    parser.add_argument("--run-date", metavar="YYYY-MM-DD", default="", help="统计日期（默认今天）")
    parser.add_argument(
        "--policy", metavar="文件", default="", help="政策配置文件（TOML；默认 reference/policy/dongsheng_2023.toml）"
    )
    parser.add_argument(
        "--code-edition", choices=["2017", "2011"], default="2017", help="名录中行业代码的版本（默认 2017）"
    )
    parser.add_argument("--model", metavar="目录", default="", help="使用 industry-gap train 训练保存的模型")
    parser.add_argument(
        "--executor",
        choices=["multiprocess", "celery", "in_process"],
        default="multiprocess",
        help="执行方式：multiprocess（默认，本机多进程）、celery（分发给 dagster-celery 工作进程）、"
        "in_process（单进程，便于排查）",
    )
    parser.add_argument(
        "--max-concurrent", type=int, default=2, metavar="N", help="同时运行的区县数（默认 2；in_process 方式一次一个）"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="每个区县分类时使用的进程数（默认环境变量 INDUSTRY_GAP_WORKERS，否则 1）",
    )
    parser.add_argument(
        "--broker",
        metavar="URL",
        default="",
        help="celery 方式的消息队列地址（默认 pyamqp://guest:guest@127.0.0.1:5672//）",
    )
    parser.add_argument(
        "--queue", metavar="队列", default="dagster", help="celery 方式的队列名（默认 dagster，与工作进程的 -Q 一致）"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipelines.city import DEFAULT_BROKER, CityOptions, run_city  # Dagster import is slow: only here

    logging.getLogger("dagster").setLevel(logging.WARNING)  # step-process notices are not for the office
    options = CityOptions(
        city_dir=args.city_dir,
        output_dir=args.output or "",
        run_date=args.run_date,
        policy_file=args.policy,
        code_edition=args.code_edition,
        model_dir=args.model,
        executor=args.executor,
        max_concurrent=args.max_concurrent,
        workers=args.workers,
        broker=args.broker or DEFAULT_BROKER,
        queue=args.queue,
    )
    args.output = options.settings().output_dir  # error logs go beside the run's outputs
    outcome = run_city(options)
    meta = outcome.metadata
    print("全市运行完成。")
    print(f"  区县（{meta['区县数']} 个）：{meta['区县']}")
    print(f"  分类模型（全市统一）：{outcome.model_mode}")
    print(f"  全市规上已有小类：{meta['全市规上已有小类数']}；全口径已有小类：{meta['全市全口径已有小类数']}")
    print(f"  可填补全市规上空白小类的规下企业：{meta['全市空白可填补企业数']} 户")
    print(f"  全市门类覆盖工作簿：{meta['全市门类覆盖工作簿']}")
    print(f"  全市门类表（供各区县 --city-coverage 使用）：{meta['全市门类表']}")
    total = sum(outcome.district_seconds.values())
    print(
        f"  各区县用时（合计 {total:.1f} 秒）："
        + "；".join(f"{name} {seconds:.1f} 秒" for name, seconds in outcome.district_seconds.items())
    )
    return 0
