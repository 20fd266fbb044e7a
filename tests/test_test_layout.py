"""The test suite's own layout: helpers are shared from helper modules, never imported from
another test module (importing a test module runs its tests' collection twice and ties
unrelated files together)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append("." * node.level + node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_no_test_module_imports_another_test_module() -> None:
    offenders = [
        f"{path.relative_to(TESTS)} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        if "__snapshots__" not in path.parts
        for name in _imported_modules(path)
        if name.rsplit(".", 1)[-1].startswith("test_")
    ]
    assert offenders == []


def test_test_files_are_not_named_after_history() -> None:
    historic = {"gaps", "audit", "more", "extra", "misc", "new2", "old"}
    named = [p.name for p in TESTS.rglob("test_*.py") if historic & set(p.stem.split("_"))]
    assert named == []
