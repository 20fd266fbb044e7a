"""Checking the user's [keys] table against the app's bindings before the app starts.

Every binding with an id in tuimail/ui (the app, its screens, dialogs and widgets) can be
remapped by `id = "key"` (several keys: "a,b"). A [keys] entry whose id names no binding,
or that gives a binding a key another binding of the same screen or widget (or of the app
itself, active everywhere) already has, is a problem: one sentence each, the id first.
The bindings are found by reading the BINDINGS of every class under tuimail.ui, so a new
binding is checked without being listed here.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from dataclasses import dataclass

from textual.binding import Binding

import tuimail.ui

_SKIP_MODULES = ("tuimail.ui.demo",)  # starts the bundled server: no bindings of its own


@dataclass(frozen=True)
class KeyProblem:
    binding_id: str  # the [keys] entry it is about
    sentence: str


def _keys(value: str) -> list[str]:
    return [k.strip() for k in value.split(",") if k.strip()]


def binding_groups() -> dict[str, list[Binding]]:
    """The bindings of each class under tuimail.ui that declares its own, by class name."""
    groups: dict[str, list[Binding]] = {}
    for info in pkgutil.walk_packages(tuimail.ui.__path__, "tuimail.ui."):
        if info.name in _SKIP_MODULES:
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if not isinstance(obj, type) or obj.__module__ != module.__name__:
                continue
            bindings = [
                b for b in obj.__dict__.get("BINDINGS", []) if isinstance(b, Binding) and b.id
            ]
            if bindings:
                groups[obj.__name__] = bindings
    return groups


def _is_app(name: str) -> bool:
    return name.endswith("App")


def keymap_problems(keys: dict[str, object]) -> list[KeyProblem]:
    """What is wrong with a [keys] table (empty when nothing is)."""
    groups = binding_groups()
    known = {b.id for group in groups.values() for b in group if b.id}
    problems: list[KeyProblem] = []
    for binding_id in keys:
        if binding_id not in known:
            guess = difflib.get_close_matches(binding_id, sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            problems.append(
                KeyProblem(binding_id, f"'{binding_id}' names no binding{hint}; see the help (?).")
            )
    app_bindings = [b for name, group in groups.items() if _is_app(name) for b in group]
    # (remapped id, key) -> the other ids that have the key in a scope, and where.
    clashes: dict[tuple[str, str], dict[str, str]] = {}
    for scope, active in _scopes(groups, app_bindings):
        owners: dict[str, list[str]] = {}
        for binding in active:
            remapped = keys.get(binding.id or "")
            chosen = _keys(str(remapped)) if remapped is not None else _keys(binding.key)
            for key in chosen:
                owners.setdefault(key, []).append(binding.id or "")
        for key, ids in owners.items():
            ids = list(dict.fromkeys(ids))
            if len(ids) < 2 or not any(i in keys for i in ids):
                continue
            first = next(i for i in ids if i in keys)
            if any((other, key) in clashes and first in clashes[(other, key)] for other in ids):
                continue  # the same clash, already reported from the other side
            found = clashes.setdefault((first, key), {})
            for other in ids:
                if other != first:
                    found.setdefault(other, scope)
    defined_in = {b.id: name for name, group in groups.items() for b in group}
    for (first, key), others in clashes.items():
        names = [f"'{other}' ({_where(defined_in.get(other, scope))})" for other in others]
        listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
        problems.append(
            KeyProblem(first, f"'{first}' = \"{key}\" clashes: that is also the key of {listed}.")
        )
    return problems


# Widgets whose bindings are active together with their screen's (when they have focus).
_INSIDE = {"MessageList": "MainScreen", "FolderTree": "MainScreen"}


def _scopes(groups: dict[str, list[Binding]], app_bindings: list[Binding]):
    """(name, bindings active at once): each screen or dialog with the app's; each widget
    with its screen's and the app's."""
    for name, group in sorted(groups.items()):
        if _is_app(name):
            yield name, group
        elif name in _INSIDE:
            yield name, group + groups.get(_INSIDE[name], []) + app_bindings
        else:
            yield name, group + app_bindings


def _where(class_name: str) -> str:
    if _is_app(class_name):
        return "everywhere in the app"
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", class_name).lower()
    return f"in the {words}"
