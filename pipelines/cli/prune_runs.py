"""`industry-gap prune-runs`: delete old Dagster run history, keeping the runs of the published months."""

from __future__ import annotations

import argparse

from industry_gap.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    from pipelines.retention import DEFAULT_MONTHS

    parser = subparsers.add_parser(
        "prune-runs",
        help="清理早于 N 个月的 Dagster 运行记录（保留已报送月份对应的运行）",
        description="删除早于 N 个月（默认 24）且已结束的 Dagster 运行记录及其事件日志；数据库中已报送的每个月份，"
        "保留该月最近一次成功的运行（界面中该月分区的工作簿与元数据），尚未结束的运行不受影响。"
        "定时运行与传感器的 tick 记录由 dagster.yaml 的 retention 设置自动清理。",
    )
    parser.add_argument(
        "--output",
        metavar="输出目录",
        help="industry-gap run 的输出目录（默认：环境变量 INDUSTRY_GAP_OUTPUT，否则 ./output）",
    )
    parser.add_argument(
        "--months",
        type=int,
        default=DEFAULT_MONTHS,
        metavar="N",
        help=f"保留最近 N 个月的运行记录（默认 {DEFAULT_MONTHS}）",
    )
    parser.add_argument(
        "--database", metavar="URL", help="数据库地址（默认：环境变量 DATABASE_URL，否则输出目录中的 SQLite）"
    )
    parser.add_argument("--dry-run", action="store_true", help="只列出将删除的运行记录数，不删除")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dagster as dg

    from assets.resources import WarehouseResource, default_resources, lend_warehouse
    from industry_gap.settings import Settings
    from pipelines.instance import instance_home
    from pipelines.retention import prune_run_history, published_months

    if args.months < 1:
        raise UserError("--months 至少为 1")
    settings = Settings.load({"output_dir": args.output, "database_url": args.database})
    warehouse = default_resources(settings)["warehouse"]
    assert isinstance(warehouse, WarehouseResource)
    with lend_warehouse(warehouse) as store:
        store.ensure_schema()
        months = published_months(store)
    with dg.DagsterInstance.from_config(str(instance_home(settings.output_dir))) as instance:
        report = prune_run_history(instance, months, args.months, dry_run=args.dry_run)
    print(report.message(args.dry_run))
    return 0
