"""The manual pages in docs/ are generated from the parser and docs/config.md (and kept in
step), and render without warnings; `tuimail completions` prints scripts each shell
accepts and that complete commands and options."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sending.helpers import tuimail
from tests.system import MAN, require
from tuimail.cli.manpages import DOCS, tuimail_1, tuimail_config_5

DATE = "2000-01-01"
STALE = "out of date: run `python scripts/make_manpages.py` and commit docs/"


def _commands_and_options(parser, path=("tuimail",)):
    """(command path, option strings) for the parser and every sub-command below it."""
    options = [
        o
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        for o in action.option_strings
    ]
    yield " ".join(path), options
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands_and_options(sub, (*path, name))


def test_tuimail_1_names_every_command_and_option() -> None:
    """Fails when a command or an option was added without running
    `python scripts/make_manpages.py` (help wording may drift between runs)."""
    from tuimail.__main__ import build_parser

    page = (DOCS / "tuimail.1").read_text().replace("\\-", "-")
    for command, options in _commands_and_options(build_parser()):
        if command != "tuimail":
            assert f".SH COMMAND \\fI\\,'{command}'" in page, (command, STALE)
        for option in options:
            if option not in ("-h", "--help"):
                assert re.search(rf"\\fB{re.escape(option)}\\fR", page), (command, option, STALE)


def test_tuimail_config_5_names_every_key_of_docs_config_md() -> None:
    config = (DOCS / "config.md").read_text()
    page = (DOCS / "tuimail-config.5").read_text().replace("\\-", "-")
    for key in re.findall(r"^#### `([^`]+)`", config, re.M):
        assert f".SS \\fB{key}\\fR" in page, (key, STALE)


def test_the_generator_writes_what_is_committed_up_to_help_wording(tmp_path: Path) -> None:
    """The generator itself works and its page for today's parser renders the same
    sections as the committed one."""
    fresh = tuimail_1(DATE)
    committed = (DOCS / "tuimail.1").read_text()
    sections = re.compile(r"^\.SH (.*)$", re.M)
    assert sections.findall(fresh) == sections.findall(committed), STALE
    assert tuimail_config_5((DOCS / "config.md").read_text(), DATE).count(".SS ") == (
        (DOCS / "tuimail-config.5").read_text().count(".SS ")
    ), STALE


@pytest.mark.parametrize("page", ["tuimail.1", "tuimail-config.5"])
def test_pages_render_without_warnings(page: str) -> None:
    path = DOCS / page
    require(("groff", "man"), MAN)
    groff = subprocess.run(
        ["groff", "-man", "-ww", "-z", "-Tutf8", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert groff.returncode == 0 and groff.stderr == "", groff.stderr
    shown = subprocess.run(
        ["man", "-l", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "MANPAGER": "cat", "MANWIDTH": "80", "LANG": "C.UTF-8"},
    )
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    if page == "tuimail.1":
        for expected in ("EXIT STATUS", "tuimail send", "--json", "sendmail(8)", "FILES"):
            assert expected in text
        assert "interrupted (Ctrl-C)" in text
    else:
        for expected in ("password_command", "ACCOUNTS.NAME", "Default:", "tuimail(1)"):
            assert expected in text


def test_page_sources_are_documented() -> None:
    readme = (Path(DOCS).parent / "README.md").read_text()
    assert "man ./docs/tuimail.1" in readme and "tuimail completions" in readme


def test_bash_completion_is_valid_and_completes(tmp_path: Path) -> None:
    result = tuimail("completions", "bash")
    assert result.returncode == 0
    script = tmp_path / "tuimail.bash"
    script.write_bytes(result.stdout)
    assert subprocess.run(["bash", "-n", str(script)], timeout=60).returncode == 0
    probe = (
        f"source {script}; "
        "COMP_WORDS=(tuimail sy); COMP_CWORD=1; _shtab_tuimail tuimail sy tuimail; "
        'echo "${COMPREPLY[@]}"; '
        "COMP_WORDS=(tuimail list --fo); COMP_CWORD=2; _shtab_tuimail tuimail --fo list; "
        'echo "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.split("\n")[:2] == ["sync", "--folder"], out.stdout + out.stderr


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completions_are_valid(tmp_path: Path, shell: str) -> None:
    result = tuimail("completions", shell)
    assert result.returncode == 0
    script = tmp_path / f"tuimail.{shell}"
    script.write_bytes(result.stdout)
    text = result.stdout.decode()
    for command in ("sync", "send", "outbox", "completions", "doctor"):
        assert command in text
    require((shell,), (shell,))
    binary = shutil.which(shell)
    assert subprocess.run([binary, "-n", str(script)], timeout=60).returncode == 0
    if shell == "fish":
        out = subprocess.run(
            [binary, "--no-config", "-c", f"source {script}; complete -C 'tuimail sy'"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.stdout.startswith("sync\t"), out.stdout + out.stderr


def test_unknown_shell_is_a_usage_error() -> None:
    result = tuimail("completions", "tcsh")
    assert result.returncode == 2 and b"invalid choice" in result.stderr
