"""Convert the shared GB/T 4754 reference tables into the project's own copy.

A user's clone has no ../shared, so the project ships reference/data/*.csv.
This script is how those files were made; run it again when the shared
reference changes:

    python scripts/build_reference.py --source ../shared/reference
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "reference" / "data"

NODE_COLUMNS = [
    "code",
    "level",
    "section",
    "division",
    "group",
    "name",
    "parent",
    "notes",
    "definition",
    "includes",
    "excludes",
    "excludes_ref_codes",
]


def clean(text: str | None) -> str:
    """NFC-normalise and trim; keep the standard's own punctuation otherwise."""
    return unicodedata.normalize("NFC", (text or "")).strip()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(source: Path) -> None:
    tree_file = source / "gbt4754_2017.csv"
    notes_file = source / "gbt4754_2017_annotations.csv"
    cross_file = source / "gbt4754_2011_to_2017.csv"
    tree = read_csv(tree_file)
    annotations = {row["code"]: row for row in read_csv(notes_file)}

    codes = {row["code"] for row in tree}
    nodes = []
    for row in tree:
        note = annotations.get(row["code"], {})
        nodes.append(
            {
                "code": row["code"],
                "level": row["level"],
                "section": row["section"],
                "division": row["division"],
                "group": row["group"],
                "name": clean(row["name"]),
                "parent": row["parent"],
                "notes": clean(row["notes"]),
                "definition": clean(note.get("definition")),
                "includes": clean(note.get("includes")),
                "excludes": clean(note.get("excludes")),
                "excludes_ref_codes": clean(note.get("excludes_ref_codes")),
            }
        )
        if row["parent"] and row["parent"] not in codes:
            sys.exit(f"{row['code']}: parent {row['parent']} is missing")

    crosswalk = read_csv(cross_file)
    for pair in crosswalk:
        if pair["code_2017"] not in codes:
            sys.exit(f"crosswalk names unknown 2017 code {pair['code_2017']}")

    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "gbt4754_2017.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=NODE_COLUMNS)
        writer.writeheader()
        writer.writerows(nodes)
    with (OUT / "gbt4754_2011_to_2017.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["code_2011", "code_2017"])
        writer.writeheader()
        writer.writerows({"code_2011": p["code_2011"], "code_2017": p["code_2017"]} for p in crosswalk)
    with (OUT / "SOURCES.txt").open("w", encoding="utf-8") as handle:
        handle.write("Built by scripts/build_reference.py from the shared reference tables:\n")
        for path in (tree_file, notes_file, cross_file):
            handle.write(f"{path.name}\tsha256={sha256(path)}\n")
        handle.write("registry_terms.csv is not built: it is compiled by the project (see reference/README.md).\n")
    print(f"wrote {len(nodes)} nodes and {len(crosswalk)} crosswalk pairs to {OUT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "reference")
    build(parser.parse_args().source)


if __name__ == "__main__":
    main()
