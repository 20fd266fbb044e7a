"""No code decides anything by reading an exception's text, outside the per-protocol
classifiers (issue 13). An AST scan of tuimail/: inside an `except ... as exc` block or
a function taking an exception, `exc.args`, and `str(exc)` (or a name assigned from it)
tested with `in`, `==`, a string method (`lower`, `startswith`, ...) or `re.*`, are
refused. The classifiers turn library exceptions into typed errors
(tuimail/core/errors.py); everything else decides by type."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "tuimail"
CLASSIFIERS = {
    "core/net_errors.py",  # sockets, DNS, TLS
    "core/tls.py",  # the TLS classifier (tls_reason: verify codes, reason names)
    "core/imap/errors.py",
    "core/pop3_errors.py",
    "core/smtp_errors.py",
    "core/login_errors.py",  # which usual cause a login refusal's words name
}
STRING_TESTS = {
    "lower",
    "upper",
    "casefold",
    "startswith",
    "endswith",
    "find",
    "rfind",
    "index",
    "count",
    "partition",
    "rpartition",
    "split",
}
REGEX = {"search", "match", "fullmatch", "findall", "finditer"}


def _exception_params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for arg in [*func.args.args, *func.args.kwonlyargs, *func.args.posonlyargs]:
        note = ast.unparse(arg.annotation) if arg.annotation is not None else ""
        if "Exception" in note or "Error" in note:
            names.add(arg.arg)
    return names


class _Scan(ast.NodeVisitor):
    def __init__(self, path: str, lines: list[str]) -> None:
        self.path = path
        self.lines = lines
        self.exc_names: list[set[str]] = [set()]
        self.tainted: list[set[str]] = [set()]
        self.found: list[str] = []

    # scopes
    def _function(self, node) -> None:
        self.exc_names.append(self.exc_names[-1] | _exception_params(node))
        self.tainted.append(set())
        self.generic_visit(node)
        self.exc_names.pop()
        self.tainted.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.exc_names[-1] = self.exc_names[-1] | {node.name}
        self.generic_visit(node)

    # what is the exception's text
    def _is_text(self, node: ast.AST) -> bool:
        names = self.exc_names[-1]
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in self.tainted[-1]:
                return True
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Name)
                and sub.func.id in ("str", "repr", "format")
                and sub.args
                and isinstance(sub.args[0], ast.Name)
                and sub.args[0].id in names
            ):
                return True
            if isinstance(sub, ast.FormattedValue) and isinstance(sub.value, ast.Name):
                if sub.value.id in names:
                    return True
            if (
                isinstance(sub, ast.Attribute)
                and sub.attr == "args"
                and isinstance(sub.value, ast.Name)
                and sub.value.id in names
            ):
                return True
        return False

    def _flag(self, node: ast.AST, what: str) -> None:
        near = self.lines[max(0, node.lineno - 2) : node.lineno]
        if any("# text-ok:" in line for line in near):
            return  # reviewed: wording only (the comment says why)
        self.found.append(f"{self.path}:{node.lineno}: {what}: {ast.unparse(node)[:100]}")

    def visit_Assign(self, node: ast.Assign) -> None:
        if self._is_text(node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.tainted[-1].add(target.id)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if (
            node.attr == "args"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.exc_names[-1]
        ):
            self._flag(node, "reads exc.args")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        sides = [node.left, *node.comparators]
        if any(isinstance(op, ast.In | ast.NotIn | ast.Eq | ast.NotEq) for op in node.ops):
            if any(self._is_text(side) for side in sides):
                self._flag(node, "tests the exception's text")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr in STRING_TESTS and self._is_text(func.value):
                self._flag(node, f"calls .{func.attr}() on the exception's text")
            if (
                func.attr in REGEX
                and isinstance(func.value, ast.Name)
                and func.value.id == "re"
                and any(self._is_text(a) for a in node.args[1:2])
            ):
                self._flag(node, "matches a regex on the exception's text")
            if func.attr in REGEX and any(self._is_text(a) for a in node.args[:1]):
                if not (isinstance(func.value, ast.Name) and func.value.id == "re"):
                    self._flag(node, "matches a regex on the exception's text")
        self.generic_visit(node)


def scan(source: str, path: str = "<test>") -> list[str]:
    visitor = _Scan(path, source.splitlines())
    visitor.visit(ast.parse(source))
    return visitor.found


def test_no_module_outside_the_classifiers_decides_by_an_errors_text() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in CLASSIFIERS:
            continue
        found += scan(path.read_text(encoding="utf-8"), rel)
    assert not found, "decisions by an error's text:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    f()\nexcept OSError as exc:\n    if 'timed out' in str(exc):\n        pass\n",
        "try:\n    f()\nexcept Exception as e:\n    text = str(e).lower()\n",
        "try:\n    f()\nexcept Exception as e:\n    text = str(e)\n    ok = 'login' in text\n",
        "def g(exc: BaseException):\n    return exc.args[0]\n",
        "def g(exc: Exception):\n    return str(exc).startswith('-ERR')\n",
        "import re\ntry:\n    f()\nexcept Exception as e:\n    re.search('x', str(e))\n",
        "try:\n    f()\nexcept Exception as e:\n    low = f'{e}'.lower()\n",
    ],
)
def test_the_scan_finds_each_kind_of_text_test(source: str) -> None:
    assert scan(source)


def test_a_reviewed_line_says_why_it_reads_text() -> None:
    source = (
        "try:\n    f()\nexcept Exception as e:\n"
        "    # text-ok: the library keeps the position only in its text\n"
        "    where = str(e).split(' at ')[1]\n"
    )
    assert scan(source) == []


def test_the_scan_lets_typed_decisions_and_plain_wording_through() -> None:
    source = (
        "try:\n    f()\nexcept OSError as exc:\n"
        "    if isinstance(exc, TimeoutError):\n        pass\n"
        "    message = f'failed: {exc}'\n    print(str(exc))\n"
        "    code = exc.code\n"
    )
    assert scan(source) == []
