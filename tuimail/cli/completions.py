"""`tuimail completions bash|zsh|fish`: shell completion scripts generated from the
argparse parser itself (shtab), so they always match the commands and options."""

from __future__ import annotations

import argparse
import sys

SHELLS = ("bash", "zsh", "fish")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "completions",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print the completion script for SHELL. Install it with, for example: "
        "`tuimail completions bash > ~/.local/share/bash-completion/completions/tuimail`, "
        "`tuimail completions zsh > ~/.zfunc/_tuimail` (with ~/.zfunc in $fpath), or "
        "`tuimail completions fish > ~/.config/fish/completions/tuimail.fish`.",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell")
    p.set_defaults(func=run)


def script(shell: str) -> str:
    """The completion script for `shell`, from the `tuimail` parser."""
    import shtab

    from tuimail.__main__ import build_parser

    return shtab.complete(build_parser(), shell=shell)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(script(args.shell))
    return 0
