"""The `tuimail` command: the app with no sub-command, or one of the CLI commands."""

from __future__ import annotations

import gc
import importlib
import logging
import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

# Each module in tuimail/cli/ owns its sub-commands: it defines register(subparsers),
# adding parsers whose default `func(args) -> int` runs the command.
COMMAND_MODULES = [
    "detect",
    "account",
    "sync",
    "send",
    "doctor",
    "completions",
    "compose",
]
# Which module registers each command: a run of one command imports only its module
# (`tuimail sync` never loads discovery, dnspython, the OAuth flows or Textual).
COMMAND_MODULE = {
    "detect": "detect",
    "account": "account",
    "sync": "sync",
    "list": "sync",
    "read": "sync",
    "watch": "sync",
    "send": "send",
    "outbox": "send",
    "doctor": "doctor",
    "completions": "completions",
    "compose": "compose",
}
_TOP_OPTIONS = ("--verbose", "--debug")
# Commands run as the program that end the process at once when done (issue 19).
QUICK_EXIT = ("sync",)
# A command line of these alone opens the app (or prints the version): no command's
# module is imported, so the app's start pays for no CLI command (discovery, dnspython...).
_APP_OPTIONS = (*_TOP_OPTIONS, "--demo", "--version")
APP_ONLY = ""  # build_parser(only=APP_ONLY): the top-level options, no commands


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with `only` (a module of COMMAND_MODULES) that module's
    commands alone: enough to parse and run one of them; with APP_ONLY no command at all
    (enough to open the app)."""
    import argparse

    from tuimail.cli.exits import EPILOG, SHORT_EPILOG

    parser = argparse.ArgumentParser(
        prog="tuimail",
        description="A terminal mail client: IMAP (with IDLE and an offline cache), POP3 "
        "and SMTP submission over verified TLS. With no command it opens the app; the "
        "commands below script the same accounts (configured in "
        "$XDG_CONFIG_HOME/tuimail/config.toml, see tuimail-config(5)). `tuimail send` is "
        "also a sendmail replacement (git send-email --sendmail-cmd='tuimail send').",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start the bundled test server with sample mail and open the app on it",
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also print the log to standard error (it always goes to the log file: "
        "$XDG_STATE_HOME/tuimail/tuimail.log); may be given after the command too",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="log more, including the IMAP conversation (passwords, AUTH/LOGIN lines and "
        "message content are never logged); implies --verbose",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES if only is None else [only] if only else []:
        module = importlib.import_module(f"tuimail.cli.{name}")
        module.register(sub)
    for command in sub.choices.values():
        command.epilog = command.epilog or SHORT_EPILOG
    return parser


def _version() -> str:
    from tuimail import __version__

    return f"tuimail {__version__}"


def sendmail_argv(parser: argparse.ArgumentParser, argv: list[str], program: str = "") -> list[str]:
    """`tuimail -i a@b` (git send-email --smtp-server=$(which tuimail)) and a `sendmail`
    link mean `tuimail send ...`: sendmail's calling convention."""
    if os.path.basename(program) == "sendmail":
        return ["send", *argv]
    import argparse

    if not argv:
        return argv
    if argv[0][:7].lower() == "mailto:":  # a desktop handing over a mailto: link
        return ["compose", *argv]
    first = argv[0].split("=", 1)[0]
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if first in parser._option_string_actions or first in commands:
        return argv
    send = commands["send"]._option_string_actions
    if "@" in first or first in send or (first[:2] in send and first[:2] != "-h"):
        return ["send", *argv]  # an address, or one of send's options (-oi, -fADDR, --from)
    return argv


def main(argv: list[str] | None = None) -> int:
    from tuimail.core.private import tighten_all, use_private_umask

    program = sys.argv[0] if argv is None else ""
    words = sys.argv[1:] if argv is None else argv
    only = command_module(words, program)  # the command line, classified once
    # Run as the program (not by a test or an embedding caller), the collector's automatic
    # runs are paused: for a one-shot command until it ends, for the app until its first
    # list is painted (tuimail.core.start_gc). A one-shot command's start-up imports make
    # tens of thousands of objects that all stay (modules, functions, classes): CPython's
    # default threshold walked them in ~30 collections that found ~500 objects of garbage
    # (~7 ms of a 10k-message first sync's CPU, issue 19). Reference counting still frees
    # everything not in a cycle; the few cycles left end with the process (a first sync
    # of 10,000 headers leaves ~700 objects, under 0.5 MB).
    quick = argv is None and _ends_at_once(words)
    app_start = argv is None and only == APP_ONLY
    paused = quick and gc.isenabled()
    if paused:
        gc.disable()  # put back if the process goes on after all
    if app_start:
        from tuimail.core import start_gc

        start_gc.pause()
    previous = use_private_umask()  # before anything is created: files 0600, dirs 0700
    try:
        tighten_all()
        status = _main(words, only, program)
    except KeyboardInterrupt:  # before a command ran (Ctrl-C during start-up)
        status = _interrupted(SimpleNamespace(command=None))
    except BaseException:
        if paused:
            gc.enable()
        raise
    finally:
        os.umask(previous)  # a caller in the same process (a test) gets its own back
        if app_start:
            start_gc.resume(collect=False)  # the app ended before its first list
    if quick or (argv is None and status == INTERRUPTED):
        # Ctrl-C may leave a command's daemon threads running: ended without the
        # interpreter's finalisation, which crashed under them (tuimail.cli.quick_exit)
        from tuimail.cli.quick_exit import finish

        finish(status)  # the process ends here, without the interpreter's teardown
    if paused:
        gc.enable()  # finish() returned: the interpreter's own exit follows
    return status


def _ends_at_once(argv: list[str]) -> bool:
    """A command whose process can end without the interpreter's teardown once it has
    returned (tuimail.cli.quick_exit): `tuimail sync`, which closes its store itself."""
    words = [a for a in argv if a not in _TOP_OPTIONS]
    return bool(words) and words[0] in QUICK_EXIT


def command_module(argv: list[str], program: str = "") -> str | None:
    """The one cli module a command line needs, APP_ONLY when it opens the app (or asks
    for the version), or None when it needs the whole parser (help, sendmail's calling
    convention, anything unknown)."""
    if os.path.basename(program) == "sendmail":
        return None
    if all(a in _APP_OPTIONS for a in argv):
        return APP_ONLY
    words = [a for a in argv if a not in _TOP_OPTIONS]
    if not words or words[0] not in COMMAND_MODULE:
        return None
    return COMMAND_MODULE[words[0]]


def _main(argv: list[str], only: str | None, program: str) -> int:
    """Parse `argv` (classified as `only`: see command_module) and run its command."""
    if only == APP_ONLY and "--version" not in argv:
        args, flags = _app_options(argv), set()
    elif only == "sync" and (plain := _sync_options(argv)) is not None:
        args, flags = plain, set()
    else:
        parser = build_parser(only)
        argv = sendmail_argv(parser, argv, program)
        argv, flags = _logging_flags(argv)
        args = parser.parse_args(argv)
    verbose = args.verbose or "--verbose" in flags
    debug = args.debug or "--debug" in flags
    func = getattr(args, "func", None)
    from tuimail.core.logs import setup, teardown

    setup(verbose=verbose, debug=debug, console=func is not None)
    try:
        return _run(args, func)
    finally:
        teardown()


def _app_options(argv: list[str]) -> SimpleNamespace:
    """The app's command line (only _APP_OPTIONS, --version aside) as the parser would
    give it, without argparse: importing it and building the parser were ~2 ms of the
    first paint (issue 19)."""
    return SimpleNamespace(
        command=None,
        demo="--demo" in argv,
        verbose="--verbose" in argv,
        debug="--debug" in argv,
    )


def _sync_options(argv: list[str]) -> SimpleNamespace | None:
    """`tuimail sync [ACCOUNT] [--json]` (--verbose/--debug anywhere before a `--`) as the
    parser would read it, without argparse: importing it and building the parser were
    ~4 ms of every `tuimail sync` (issue 19). None for anything else (another command,
    another option, help): the parser reads it, and says what is wrong."""
    words = [a for a in argv if a not in _TOP_OPTIONS]
    if not words or words[0] != "sync":
        return None
    names = [a for a in words[1:] if a != "--json"]
    if len(names) > 1 or any(name.startswith("-") for name in names):
        return None
    from tuimail.cli.sync import cmd_sync

    return SimpleNamespace(
        demo=False,
        verbose="--verbose" in argv,
        debug="--debug" in argv,
        command="sync",
        account=names[0] if names else None,
        json="--json" in words,
        func=cmd_sync,
    )


def _run(args: argparse.Namespace | SimpleNamespace, func) -> int:
    log = logging.getLogger("tuimail")
    log.info("%s: %s", _version(), args.command or "app")
    try:
        if func is None:  # the app: a store that cannot be opened or upgraded is one sentence
            from tuimail.cli.app import run_app

            return run_app(demo=args.demo)
        status = int(func(args) or 0)
    except KeyboardInterrupt:
        status = _interrupted(args)
    except Exception as exc:  # the last resort: one sentence, never a traceback
        status = _failed(args, exc, log)
    log.info("%s: exit status %d", args.command, status)
    return status


INTERRUPTED = 130  # tuimail.cli.exits.EXIT_INTERRUPTED (not imported: the app's start)

# What Ctrl-C leaves behind, per command that changes something (the rest: nothing).
_INTERRUPTED = {
    "sync": "what was synced so far is kept; the next sync goes on from there",
    "outbox": "a message being sent stays in the outbox (see `tuimail outbox`)",
    "account": "nothing was saved",
}


def _interrupted(args: argparse.Namespace | SimpleNamespace) -> int:
    """Ctrl-C a command did not handle itself: one sentence on standard error (what
    is kept), exit 130; never a traceback, also when standard error is gone."""
    command = getattr(args, "command", None)
    tail = _INTERRUPTED.get(command or "")
    name = f"tuimail {command}" if command else "tuimail"
    try:
        print(f"{name}: interrupted" + (f"; {tail}." if tail else "."), file=sys.stderr)
    except (OSError, ValueError):
        pass
    return INTERRUPTED


def _failed(args: argparse.Namespace, exc: Exception, log: logging.Logger) -> int:
    """The exit status (and the one sentence) for a failure a command did not handle.
    Standard output's reader going away (`tuimail list | head -1`) ends it quietly."""
    from tuimail.cli.output import local_write_failed, quiet_stdout, reader_gone

    if reader_gone(exc):
        quiet_stdout()
        log.info("%s: standard output was closed by its reader", args.command)
        return 0
    log.warning("%s failed: %s", args.command or "app", type(exc).__name__, exc_info=exc)
    if local_write_failed(exc):
        where = getattr(exc, "filename", None)  # a file of tuimail's (the outbox), else stdout
        if where:
            from tuimail.core.sanitize import sanitize

            words = f"could not write {sanitize(str(where))} ({exc.strerror})"
        else:
            words = f"could not write the output ({exc.strerror})"
    else:
        from tuimail.words.describe import describe

        words = describe(exc)
    try:
        print(f"tuimail: {words}", file=sys.stderr)
    except OSError:
        pass
    return 1


def _logging_flags(argv: list[str]) -> tuple[list[str], set[str]]:
    """--verbose/--debug may follow the command (`tuimail sync --debug`): take them out
    (before a `--`) so every sub-command accepts them."""
    rest: list[str] = []
    flags: set[str] = set()
    for i, arg in enumerate(argv):
        if arg == "--":
            rest += argv[i:]
            break
        if arg in ("--verbose", "--debug") and i > 0:
            flags.add(arg)
        else:
            rest.append(arg)
    return rest, flags


if __name__ == "__main__":
    sys.exit(main())
