"""Code versions derived from the source each asset runs (pipelines/code_versions.py)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.analysis import analysis_assets
from assets.changes import report_changes
from assets.city import city_assets
from assets.classification import classification_assets
from assets.ingestion import ingestion_assets
from assets.overrides import overrides
from assets.warehouse import office_workbooks, warehouse_tables
from pipelines.code_versions import (
    compute_modules,
    derived_code_version,
    import_statements,
    module_closure,
    project_sources,
    with_derived_code_versions,
)

REPO = Path(__file__).resolve().parents[1]
ALL_ASSETS = [
    *ingestion_assets,
    overrides,
    *classification_assets,
    *analysis_assets,
    report_changes,
    warehouse_tables,
    office_workbooks,
    *city_assets,
]


def versions(assets: list[dg.AssetsDefinition]) -> dict[str, str | None]:
    return {key.to_user_string(): v for a in assets for key, v in a.code_versions_by_key.items()}


def modules_of(asset_name: str) -> list[str]:
    [assets_def] = [a for a in ALL_ASSETS if dg.AssetKey(asset_name) in a.keys]
    return compute_modules(assets_def)


def test_every_asset_gets_a_short_hash_and_keeps_the_rest_of_its_definition():
    derived = with_derived_code_versions(ALL_ASSETS)
    assert len(derived) == len(ALL_ASSETS)
    for before, after in zip(ALL_ASSETS, derived, strict=True):
        assert after.keys == before.keys
        assert after.partitions_def == before.partitions_def
        assert after.check_keys == before.check_keys
        assert after.asset_deps == before.asset_deps
        assert after.required_resource_keys == before.required_resource_keys
        for version in after.code_versions_by_key.values():
            assert version is not None and re.fullmatch(r"[0-9a-f]{12}", version)


def test_versions_are_stable_across_calls_and_processes():
    first, second = versions(with_derived_code_versions(ALL_ASSETS)), versions(with_derived_code_versions(ALL_ASSETS))
    assert first == second
    script = (
        "from pipelines.code_versions import derived_code_version, project_sources\n"
        "print(derived_code_version(['assets.classification'], project_sources()))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == first["scope_model"]


def test_assets_differ_exactly_when_what_they_run_differs():
    sources = project_sources()
    derived = versions(with_derived_code_versions(ALL_ASSETS))
    closures = {name: frozenset().union(*(module_closure(m, sources) for m in modules_of(name))) for name in derived}
    for a in derived:
        for b in derived:
            assert (derived[a] == derived[b]) == (closures[a] == closures[b]), (a, b)
    # the layers show: classification runs the classifiers, ingestion does not
    assert "classifiers.model" in closures["scope_model"]
    assert "classifiers.model" not in closures["registry"]
    assert derived["scope_model"] != derived["registry"]
    assert derived["coverage"] == derived["gap_flags"]  # one module, one version


def test_a_change_in_a_dependency_changes_the_version_of_the_assets_that_import_it():
    sources = dict(project_sources())
    before = versions(with_derived_code_versions(ALL_ASSETS, sources))
    sources["classifiers.model"] += "\n\ndef _added_in_a_test():\n    return 1\n"
    after = versions(with_derived_code_versions(ALL_ASSETS, sources))
    assert after["scope_model"] != before["scope_model"]  # imports classifiers.model
    assert after["registry"] == before["registry"]  # ingestion does not
    assert project_sources()["classifiers.model"] != sources["classifiers.model"]  # the real mapping is untouched


SYNTHETIC = {
    "pkg": "",
    "pkg.sub": "from .leaf import VALUE\n",
    "pkg.sub.leaf": "VALUE = 1\n",
    "pkg.lazy": "def run():\n    from pkg.sub import leaf\n    return leaf.VALUE\n",
    "pkg.alone": "import json\n",
    "pkg.relative": "from . import alone\n",
}


def test_closures_follow_lazy_relative_and_from_imports_and_parent_packages():
    assert module_closure("pkg.lazy", SYNTHETIC) == {"pkg", "pkg.lazy", "pkg.sub", "pkg.sub.leaf"}
    assert module_closure("pkg.sub", SYNTHETIC) == {"pkg", "pkg.sub", "pkg.sub.leaf"}
    assert module_closure("pkg.relative", SYNTHETIC) == {"pkg", "pkg.relative", "pkg.alone"}
    assert module_closure("pkg.alone", SYNTHETIC) == {"pkg", "pkg.alone"}  # json is not a project module


def test_the_pure_version_follows_the_sources():
    lazy, alone = derived_code_version(["pkg.lazy"], SYNTHETIC), derived_code_version(["pkg.alone"], SYNTHETIC)
    assert lazy != alone
    changed = {**SYNTHETIC, "pkg.sub.leaf": "VALUE = 2\n"}
    assert derived_code_version(["pkg.lazy"], changed) != lazy  # a transitive, lazily imported dependency
    assert derived_code_version(["pkg.alone"], changed) == alone
    assert derived_code_version(["pkg.lazy"], dict(reversed(SYNTHETIC.items()))) == lazy  # order does not count


def test_the_fast_import_scan_misses_no_import_of_the_project():
    """The regular-expression scan may find more (an example in a docstring), never fewer."""
    for module, source in project_sources().items():
        found = {ast.dump(node) for node in import_statements(source)}
        every = {
            ast.dump(node) for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import | ast.ImportFrom)
        }
        assert every <= found, (module, every - found)


def test_an_import_the_scan_cannot_parse_falls_back_to_the_whole_tree():
    source = '"""Notes.\n\nimport the registry first.\n"""\n\nimport json\n'
    assert [ast.dump(n) for n in import_statements(source)] == [ast.dump(ast.parse("import json").body[0])]


# A multi-asset, a graph-backed asset and an asset check defined here, outside the project's packages.
@dg.multi_asset(
    specs=[dg.AssetSpec("toy_a", code_version="1"), dg.AssetSpec("toy_b")],
    partitions_def=dg.StaticPartitionsDefinition(["x", "y"]),
    check_specs=[dg.AssetCheckSpec("toy_ok", asset="toy_a")],
)
def toy_pair():
    yield dg.MaterializeResult(asset_key="toy_a")
    yield dg.MaterializeResult(asset_key="toy_b")
    yield dg.AssetCheckResult(asset_key="toy_a", check_name="toy_ok", passed=True)


@dg.op
def toy_step() -> int:
    return 1


@dg.graph_asset
def toy_graph() -> int:
    return toy_step()


@dg.asset_check(asset="toy_b")
def toy_b_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_multi_graph_and_check_definitions_from_outside_the_project(tmp_path):
    derived = with_derived_code_versions([toy_pair, toy_graph, toy_b_check])
    pair, graph, check = derived
    [version] = set(pair.code_versions_by_key.values())
    here = {**project_sources(), __name__: Path(__file__).read_text(encoding="utf-8")}
    assert version == derived_code_version([__name__], here)  # this module and the project modules it imports
    assert graph.code_versions_by_key[dg.AssetKey("toy_graph")] == version  # its op is defined here too
    assert check is toy_b_check  # an asset check has no code version
    assert pair.partitions_def == toy_pair.partitions_def and pair.check_keys == toy_pair.check_keys
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = dg.materialize([pair], instance=instance, partition_key="x")
        tags = [event.tags for event in result.asset_materializations_for_node("toy_pair")]
    assert [t["dagster/code_version"] for t in tags] == [version, version]
