"""The README's command lines are true: every `tuimail COMMAND ...` it shows names a real
command, and every option written after it is one of that command's (or a top-level
option, which may follow the command too)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tuimail.__main__ import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"
# Code blocks and inline code (an inline span may wrap over lines).
_CODE = re.compile(r"```[^\n]*\n(.*?)```|`([^`]+)`", re.S)
_INVOCATION = re.compile(r"(?:^|[\s(=$'\"])tuimail((?:[ \t\n]+[^\s`]+)*)", re.M)
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])")


def _commands() -> dict[tuple[str, ...], set[str]]:
    """Each command path ((), ("account",), ("account", "add"), ...) -> its options."""
    found: dict[tuple[str, ...], set[str]] = {}

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        found[path] = {o for a in parser._actions for o in a.option_strings}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, (*path, name))

    walk(build_parser(), ())
    return found


def _invocations() -> list[str]:
    """The text after each `tuimail` in the README's code, up to a pipe or a redirect."""
    text = README.read_text(encoding="utf-8")
    lines = []
    for match in _CODE.finditer(text):
        code = match.group(1) or match.group(2) or ""
        for call in _INVOCATION.finditer(code):
            rest = re.split(r"\s(?:>|\| *head)", call.group(1))[0]
            lines.append(" ".join(rest.split()))
    return lines


def test_readme_commands_and_their_options_exist() -> None:
    commands = _commands()
    top = commands[()]
    wrong: list[str] = []
    checked = set()
    for line in _invocations():
        words = [w for w in line.split() if w not in top]
        path: tuple[str, ...] = ()
        for word in words:
            if (*path, word) not in commands:
                break
            path = (*path, word)
        if not path:
            if words and re.fullmatch(r"[a-z]+", words[0]) and words[0] != "send":
                wrong.append(f"tuimail {line}: no command {words[0]!r}")
            path = ("send",) if words and words[0].startswith("-") else ()
        checked.add(path)
        for option in _OPTION.findall(line):
            if option not in commands[path] and option not in top:
                wrong.append(f"tuimail {line}: {' '.join(path) or 'tuimail'} has no {option}")
    assert not wrong, "\n".join(wrong)
    # The test reads what it should: the README's main commands were among the lines.
    assert {("sync",), ("send",), ("read",), ("detect",), ("account", "add")} <= checked
