"""No untrusted text reaches Textual as markup: an AST scan of tuimail/ui.

Textual parses ``[...]`` in strings given to ``notify``, ``Label``, ``Static``,
``Button``, ``Option``, ``Tree`` labels and ``.update`` as markup. Anything built from
data (an f-string, a concatenation, ``.format``, ``sanitize(...)``, a variable) must go
through ``tuimail.ui.plain`` (``plain``/``plain_text``/``notify``) or be a Rich ``Text``
/ Textual ``Content`` built in the same function. Plain constant strings are fine; the
few constant strings that *are* markup are listed in ALLOWED.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tuimail.ui

UI = Path(tuimail.ui.__file__).parent

# Calls whose first argument (or the keyword named here) is shown as markup.
WIDGETS = {"Label": "renderable", "Static": "content", "Button": "label", "Option": "prompt"}
METHODS = {"update", "set_label", "add", "add_leaf", "notify", "add_option"}
# Calls that build text that is never parsed as markup.
SAFE_BUILDERS = {
    "plain",
    "plain_text",
    "Text",
    "Content",
    "assemble",
    "styled",
    "copy",
    "Group",
    "badge",  # wizard.py: one of a few constant sentences (BADGES), no brackets
    "grid",  # Table.grid(): its cells are checked as add_row(...) arguments below
    "markup_literal",  # sanitised, every '[' escaped (for markup-only APIs)
}
TEXT_TYPES = {"Text", "Content", "Group"}


def _text_functions() -> set[str]:
    """Functions of tuimail/ui declared to return Text/Content/Group (never markup str)."""
    names = set()
    for path in UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and isinstance(node.returns, ast.Name):
                if node.returns.id in TEXT_TYPES:
                    names.add(node.name)
    return names


# (file, source of the argument) of the few markup-free-by-construction exceptions.
ALLOWED = {
    ("screens/composer.py", 'f"{name}:"'),  # name is "To", "Cc" or "Bcc"
    ("screens/wizard.py", "current"),  # the log's own Text, copied, with sanitize()d lines
    ("app.py", "binding.description"),  # our own Binding(...) descriptions: constants
}


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _safe_names(function: ast.AST) -> set[str]:
    """Local names only ever assigned text built by a safe builder."""
    assigned: dict[str, bool] = {}
    for node in ast.walk(function):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    ok = _is_safe(node.value, set())
                    assigned[target.id] = assigned.get(target.id, True) and ok
    return {name for name, ok in assigned.items() if ok}


def _is_safe(node: ast.expr, safe_names: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return not (isinstance(node.value, str) and "[" in node.value)
    if isinstance(node, ast.IfExp):
        return _is_safe(node.body, safe_names) and _is_safe(node.orelse, safe_names)
    if isinstance(node, ast.Call):
        return _call_name(node) in SAFE_BUILDERS or _call_name(node) in TEXT_FUNCTIONS
    if isinstance(node, ast.Name):
        return node.id in safe_names
    return False  # f-strings, +, %, .format(), sanitize(), attributes, subscripts


def _argument(node: ast.Call, keyword: str) -> ast.expr | None:
    if node.args:
        return node.args[0]
    for kw in node.keywords:
        if kw.arg in (keyword, "message", "label", "content", "prompt", "renderable"):
            return kw.value
    return None


def markup_calls(source: str, filename: str) -> list[str]:
    """Every call in `source` that hands non-constant text to Textual as markup."""
    tree = ast.parse(source)
    found = []
    functions = [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    scopes = [(tree, set())] + [(f, _safe_names(f)) for f in functions]
    seen: set[int] = set()
    for scope, _ in reversed(scopes):  # innermost first: its names decide
        names = _safe_names(scope) if scope is not tree else set()
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call) or id(node) in seen:
                continue
            seen.add(id(node))
            name = _call_name(node)
            if name == "SystemCommand":
                # the palette parses a system command's title and help as markup
                for arg in node.args[:2]:
                    if not _is_safe(arg, names):
                        text = ast.get_source_segment(source, arg) or ast.dump(arg)
                        if (filename, text) not in ALLOWED:
                            found.append(f"{filename}:{node.lineno}: SystemCommand({text})")
                continue
            if name == "add_row" and isinstance(node.func, ast.Attribute):
                # Rich tables render str cells as markup: every cell must be Text/plain
                for arg in node.args:
                    if not _is_safe(arg, names) and not isinstance(arg, ast.Starred):
                        text = ast.get_source_segment(source, arg) or ast.dump(arg)
                        if (filename, text) not in ALLOWED:
                            found.append(f"{filename}:{node.lineno}: add_row({text})")
                continue
            is_widget = isinstance(node.func, ast.Name) and name in WIDGETS
            is_method = isinstance(node.func, ast.Attribute) and name in METHODS
            if not (is_widget or is_method):
                continue
            if name == "notify" and any(
                kw.arg == "markup"
                and isinstance(kw.value, ast.Constant)
                and kw.value.value is False
                for kw in node.keywords
            ):
                continue
            arg = _argument(node, WIDGETS.get(name, "message"))
            if arg is None or isinstance(arg, (ast.Dict, ast.DictComp)):
                continue
            if name in ("update", "add") and isinstance(arg, (ast.Name, ast.Attribute)):
                # dict.update(x)/set.add(x) on data; widgets' update gets Text or Content
                if not _looks_like_widget_call(node):
                    continue
            if _is_safe(arg, names):
                continue
            text = ast.get_source_segment(source, arg) or ast.dump(arg)
            if (filename, text) in ALLOWED:
                continue
            found.append(f"{filename}:{node.lineno}: {name}({text})")
    return found


def _looks_like_widget_call(node: ast.Call) -> bool:
    """`self.query_one(...).update(x)`, `log.update(x)`, `self.update(x)`..."""
    receiver = node.func.value  # type: ignore[attr-defined]
    if isinstance(receiver, ast.Call):
        return _call_name(receiver) in ("query_one", "get_child_by_id")
    if isinstance(receiver, ast.Name):
        return receiver.id in ("self", "log", "target", "widget", "label", "status", "branch")
    if isinstance(receiver, ast.Attribute):
        return receiver.attr in ("root",)
    return False


TEXT_FUNCTIONS = _text_functions()


def scan() -> list[str]:
    problems = []
    for path in sorted(UI.rglob("*.py")):
        rel = path.relative_to(UI).as_posix()
        problems.extend(markup_calls(path.read_text(encoding="utf-8"), rel))
    return problems


def test_no_widget_notification_or_option_is_given_untrusted_markup():
    assert scan() == []


def test_the_scan_catches_fstrings_concatenation_and_sanitized_strings():
    bad = """
def f(self, name, folder):
    self.notify(f"Moved to {folder}")
    self.notify("Saved " + name)
    yield Label(f"Rename {folder} to:")
    yield Static(sanitize(name))
    self.query_one(Static).update("{} x".format(name))
    options = [Option(sanitize(f), id=f) for f in folder]
    yield Label(self.prompt)
    node.set_label(name)
    yield Button(label=f"{name}")
    yield Static("[b]constant markup[/b]")
    grid.add_row(name, Text(name))
"""
    found = markup_calls(bad, "x.py")
    assert len(found) == 11, found


def test_the_scan_accepts_the_helper_text_content_and_constants():
    good = """
def f(self, name, folder):
    notify(self, f"Moved to {folder}")
    self.notify(f"Moved to {folder}", markup=False)
    self.notify("Message sent.")
    self.notify("on" if name else "off")
    yield Label(plain(f"Rename {folder} to:"))
    head = Text()
    head.append(name)
    yield Static(head)
    node.set_label(plain_text(name))
    self._keymap.update(name)
    seen.add(name)
"""
    assert markup_calls(good, "x.py") == []
