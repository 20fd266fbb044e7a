"""The `tuimail` command: the app with no sub-command, or one of the CLI commands."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module in tuimail/cli/ owns its sub-commands: it defines register(subparsers),
# adding parsers whose default `func(args) -> int` runs the command.
COMMAND_MODULES = [
    "detect",
    "account",
    "sync",
    "send",
    "doctor",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tuimail", description="A terminal mail client.")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the bundled test server with sample mail and open the app on it",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"tuimail.cli.{name}")
        module.register(sub)
    return parser


def _version() -> str:
    from tuimail import __version__

    return f"tuimail {__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        from tuimail.cli.app import run_app

        return run_app(demo=args.demo)
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
