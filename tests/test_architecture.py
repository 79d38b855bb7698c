"""The shape of the code, checked on every run: who may import whom (parsed from each module's
imports, not run) and how long a module may grow.

- `app/` and `connectors/` never import the sandbox when they load: only `icp-sync sandbox` and
  `icp-sync demo` (`app/cli/sandbox.py`, `app/cli/demo.py`) import it, inside the functions
  that serve it, so the service runs where the sandbox is left out (the production image);
- `crm_sandbox/` imports nothing from `app` or `connectors`: the fake shares no code with what
  it is meant to test;
- `connectors/` never imports `app`;
- outside tests and `bench/`, nothing else imports `crm_sandbox`;
- no module in `app/`, `connectors/` or `crm_sandbox/` is over 400 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES = ("app", "connectors", "crm_sandbox")
SANDBOX_COMMANDS = frozenset({"app.cli.sandbox", "app.cli.demo"})
MAY_IMPORT_THE_SANDBOX = ("tests", "bench", "crm_sandbox")
MAX_LINES = 400


@dataclass(frozen=True)
class Import:
    importer: str  # the importing module, dotted
    target: str  # the imported module, dotted and absolute
    line: int
    at_load: bool  # runs when the importer is imported: not in a function, not TYPE_CHECKING

    @property
    def package(self) -> str:
        return self.target.split(".")[0]

    def __str__(self) -> str:
        where = "at load" if self.at_load else "in a function or TYPE_CHECKING"
        return f"{self.importer} (line {self.line}) imports {self.target} {where}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(*top: str) -> Iterator[Path]:
    """The repository's modules under `top` (all of it when empty), caches and dot-folders
    (the virtualenv, .git) left out."""
    roots = [ROOT / name for name in top] if top else [ROOT]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            relative = path.relative_to(ROOT).parts
            if not any(part.startswith(".") or part == "__pycache__" for part in relative):
                yield path


def imports_in(source: str, importer: str, *, is_package: bool = False) -> list[Import]:
    """Every import statement in `source`, relative ones resolved against `importer`."""
    found: list[Import] = []
    package = importer if is_package else importer.rpartition(".")[0]

    def visit(node: ast.AST, at_load: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            at_load = False
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                visit(statement, False)
            for statement in node.orelse:
                visit(statement, at_load)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(importer, a.name, node.lineno, at_load) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append(Import(importer, _absolute(node, package), node.lineno, at_load))
        for child in ast.iter_child_nodes(node):
            visit(child, at_load)

    visit(ast.parse(source), True)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if node.level == 0:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(path: Path) -> list[Import]:
    return imports_in(
        path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )


def all_imports(*top: str) -> list[Import]:
    return [found for path in python_files(*top) for found in imports_of(path)]


def report(rule: str, violations: list[str]) -> str:
    return f"{rule}:\n  " + "\n  ".join(violations)


# --- the checker itself ---------------------------------------------------------------------


def test_given_imports_at_load_in_functions_and_under_type_checking_then_each_is_told_apart() -> (
    None
):
    source = """
import os.path
from typing import TYPE_CHECKING
from crm_sandbox.sandbox import start_sandbox
from . import sibling
from ..store import repo
if TYPE_CHECKING:
    from connectors.base import Connector
else:
    import json
class Holder:
    import app.settings
def lazy() -> None:
    from crm_sandbox import RunningSandbox
"""
    found = {(i.target, i.at_load) for i in imports_in(source, "app.cli.example")}

    assert found == {
        ("os.path", True),
        ("typing", True),
        ("crm_sandbox.sandbox", True),
        ("app.cli", True),
        ("app.store", True),
        ("connectors.base", False),
        ("json", True),
        ("app.settings", True),
        ("crm_sandbox", False),
    }


def test_given_the_repository_then_every_source_package_is_parsed() -> None:
    modules = {module_name(path) for path in python_files(*SOURCE_PACKAGES)}

    assert {"app.cli.sandbox", "app.cli.demo", "connectors", "crm_sandbox.sandbox"} <= modules
    assert len(modules) > 50


# --- the import rule, both ways -------------------------------------------------------------


def test_given_app_and_connectors_then_only_the_two_sandbox_commands_import_it_and_lazily() -> None:
    violations = [
        str(found)
        for found in all_imports("app", "connectors")
        if found.package == "crm_sandbox"
        and (found.at_load or found.importer not in SANDBOX_COMMANDS)
    ]

    assert not violations, report(
        "app/ and connectors/ import crm_sandbox only inside the functions of "
        f"{', '.join(sorted(SANDBOX_COMMANDS))}",
        violations,
    )


def test_given_the_sandbox_then_it_imports_nothing_from_app_or_connectors() -> None:
    violations = [
        str(found) for found in all_imports("crm_sandbox") if found.package in ("app", "connectors")
    ]

    assert not violations, report("crm_sandbox/ imports nothing from app or connectors", violations)


def test_given_connectors_then_they_never_import_the_app() -> None:
    violations = [str(found) for found in all_imports("connectors") if found.package == "app"]

    assert not violations, report("connectors/ never imports app", violations)


def test_given_the_whole_repository_then_only_tests_bench_and_the_commands_import_the_sandbox() -> (
    None
):
    violations = [
        str(found)
        for path in python_files()
        if module_name(path).split(".")[0] not in MAY_IMPORT_THE_SANDBOX
        for found in imports_of(path)
        if found.package == "crm_sandbox" and found.importer not in SANDBOX_COMMANDS
    ]

    assert not violations, report(
        "crm_sandbox is imported only by tests, bench and the two commands that serve it",
        violations,
    )


# --- the module-size rule -------------------------------------------------------------------


def test_given_app_connectors_and_the_sandbox_then_no_module_is_over_400_lines() -> None:
    violations = [
        f"{module_name(path)} ({path.relative_to(ROOT)}) has {lines} lines"
        for path in python_files(*SOURCE_PACKAGES)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]

    assert not violations, report(f"no module over {MAX_LINES} lines", violations)
