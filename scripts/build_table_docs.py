"""Write docs/tables.md from the table specification in industry_gap/tables.py.

Run it after changing a table (a test fails while the committed file differs)::

    python scripts/build_table_docs.py           # (re)write docs/tables.md
    python scripts/build_table_docs.py --check   # exit 1 when docs/tables.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from industry_gap.tables import DOCS_PATH, render_markdown

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成数据库表说明 docs/tables.md（来自 industry_gap/tables.py）")
    parser.add_argument("--check", action="store_true", help="只检查文件是否与表定义一致，不一致时退出码为 1")
    args = parser.parse_args(argv)
    path = REPO / DOCS_PATH
    text = render_markdown()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{DOCS_PATH} 与表定义不一致，请运行 python scripts/build_table_docs.py 重新生成", file=sys.stderr)
            return 1
        print(f"{DOCS_PATH} 与表定义一致")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"已写入 {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
