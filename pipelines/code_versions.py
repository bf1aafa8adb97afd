"""Code versions derived from the source an asset runs, instead of hand-bumped literals.

An asset's code version is a short hash of the source of its compute function's module plus
every project module that module imports, transitively, the lazy imports inside functions
included (as tests/test_import_graph.py counts them) and the packages' ``__init__`` modules too,
since importing a module runs them. Project modules are those of ``reference``, ``classifiers``,
``industry_gap`` and ``assets`` (and ``pipelines``, for an asset defined there). Not counted:
third-party packages (a dagster or pandas upgrade changes no version) and data files
(reference/data, reference/policy).

Any edit of a counted module, a comment or a reformat included, gives a new version: that only
marks the asset's materializations as made by older code in the UI; nothing reruns by itself.

Definitions load this in every run and step process, so it must be fast: the import statements
are found with a regular expression and each one parsed with `ast` (a module where one does
not parse, e.g. a docstring line starting with "import", is parsed whole instead), and every
module is read and scanned once per process. `derived_code_version` is a pure function of a
``{module name: source}`` mapping; `with_derived_code_versions` takes the installed project's.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import dagster as dg

ROOT = Path(__file__).resolve().parents[1]  # the folder holding the project's top-level packages
PROJECT_PACKAGES = ("reference", "classifiers", "industry_gap", "assets", "pipelines")
VERSION_LENGTH = 12  # hex digits of sha256 kept

# A line starting (after any indentation) an import statement, through its closing parenthesis.
_IMPORT_STATEMENT = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t]*(?:\([^)]*\)|.*)|import[ \t].*)", re.M)


@cache
def project_sources(root: Path = ROOT) -> Mapping[str, str]:
    """``{module name: source}`` of every module of the project's packages (a package by its ``__init__``)."""
    sources: dict[str, str] = {}
    for package in PROJECT_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            sources[module] = path.read_text(encoding="utf-8")
    return sources


def import_statements(source: str) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of `source` that starts a line, at any depth: what walking the whole syntax
    tree finds (tests check it on the project), plus any import-like line of a docstring that parses."""
    statements: list[ast.Import | ast.ImportFrom] = []
    for match in _IMPORT_STATEMENT.finditer(source):
        try:
            body = ast.parse(match.group(0).lstrip()).body
        except SyntaxError:  # not code (text in a string), or a form the expression misses
            return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import | ast.ImportFrom)]
        statements.extend(node for node in body if isinstance(node, ast.Import | ast.ImportFrom))
    return statements


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Absolute names `source` imports: ``from a import b`` gives ``a`` and ``a.b`` (b may be a module)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    names: set[str] = set()
    for node in import_statements(source):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return {name for name in names if name}


def module_closure(module: str, sources: Mapping[str, str]) -> frozenset[str]:
    """`module` and the project modules it imports, transitively, with their parent packages.

    Names not in `sources` (third-party modules, or names imported from a module) are dropped.
    """
    packages = _packages(sources)
    seen: set[str] = set()
    pending = [module]
    while pending:
        for candidate in _with_parents(pending.pop()):
            if candidate in seen or candidate not in sources:
                continue
            seen.add(candidate)
            pending.extend(_imports(candidate, candidate in packages, sources[candidate]))
    return frozenset(seen)


def derived_code_version(modules: Iterable[str], sources: Mapping[str, str]) -> str:
    """The short hash of the modules in `modules` and every project module they import."""
    modules = list(modules)
    closure = sorted(frozenset[str]().union(*(module_closure(module, sources) for module in modules)))
    if not closure:
        raise ValueError(f"none of {modules} is in the sources")
    digest = hashlib.sha256()
    for name in closure:
        digest.update(f"{name}\0{_source_hash(sources[name])}\0".encode())
    return digest.hexdigest()[:VERSION_LENGTH]


def compute_modules(assets_def: dg.AssetsDefinition) -> list[str]:
    """The modules defining the functions that compute `assets_def` (every op of a graph-backed asset)."""
    node = assets_def.node_def
    ops = [node] if isinstance(node, dg.OpDefinition) else list(node.iterate_op_defs())
    modules = set()
    for op in ops:
        compute: Any = op.compute_fn  # a DecoratedOpFunction for @asset / @op: the user's function inside
        modules.add(inspect.unwrap(getattr(compute, "decorated_fn", compute)).__module__)
    return sorted(modules)


def with_derived_code_versions(
    assets: Sequence[dg.AssetsDefinition], sources: Mapping[str, str] | None = None
) -> list[dg.AssetsDefinition]:
    """`assets` with each asset's code version set to `derived_code_version` of its compute modules.

    Asset checks and non-executable assets pass through unchanged. `sources` defaults to the
    installed project's; a compute module outside it (a test's, say) is read from its file.
    """
    sources = dict(project_sources() if sources is None else sources)
    result = []
    for assets_def in assets:
        if not assets_def.specs or not assets_def.is_executable:  # asset checks have no code version
            result.append(assets_def)
            continue
        modules = compute_modules(assets_def)
        for module in modules:
            if module not in sources:
                sources[module] = inspect.getsource(sys.modules[module])
        version = derived_code_version(modules, sources)
        result.append(assets_def.map_asset_specs(_set_code_version(version)))
    return result


def _set_code_version(version: str) -> Callable[[dg.AssetSpec], dg.AssetSpec]:
    return lambda spec: spec.replace_attributes(code_version=version)


def _packages(sources: Mapping[str, str]) -> set[str]:
    """The names in `sources` that are packages (some other name sits below them)."""
    return {".".join(name.split(".")[:i]) for name in sources for i in range(1, name.count(".") + 1)}


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@lru_cache(maxsize=1024)
def _imports(module: str, is_package: bool, source: str) -> frozenset[str]:
    return frozenset(imported_modules(source, module, is_package))


@lru_cache(maxsize=1024)
def _source_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()
