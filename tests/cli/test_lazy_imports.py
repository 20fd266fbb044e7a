"""Each command loads only what it uses: `tuimail sync` (run as a user runs it, against the
bundled server) never imports discovery, dnspython, Textual, the OAuth flows, the test
server, cryptography's x509 or the charset guesser; the app (`tuimail`) paints its first
list without any CLI command's module, the composer, the wizard or the SMTP client;
`tuimail --help` still lists every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.cli.helpers import configure
from tests.cli.start_probe import DRIVER, PROBE_MARKER, PROBE_OUT
from tests.imap.helpers import message
from tuimail.__main__ import APP_ONLY, COMMAND_MODULES, command_module

# Run the real entry point in a child, then print the modules it had imported.
_PROBE = (
    "import json, sys\n"
    "from tuimail.__main__ import main\n"
    "status = main(sys.argv[1:])\n"
    "print('MODULES=' + json.dumps(sorted(sys.modules)))\n"
    "sys.exit(status)\n"
)

_NEVER_FOR_SYNC = (
    "tuimail.core.discovery",
    "textual",
    "testserver",
    "dns",
    "tuimail.ui",
    "tuimail.core.oauth2",
    "cryptography.x509",  # only a pinned certificate needs it
    "charset_normalizer",  # only unlabelled 8-bit text needs it
    "tuimail.core.mime.parse",  # a header sync parses no body
    "tuimail.core.mime.render",
    "tuimail.core.mime.html",
    "tomlkit",  # the config is read with tomllib; tomlkit only edits it
    "aiosmtplib",
    "email.policy",  # the header registry: headers are summarised with compat32
    "multiprocessing",  # only a first sync of many headers summarises them in a worker
    "tuimail.words",  # the sentences: only a pass that failed somewhere says something
    "tuimail.core.imap.actions",  # only queued actions are replayed
    "argparse",  # `tuimail sync [ACCOUNT] [--json]` is read without the parser
    "logging.handlers",  # the log rotates without it (pickle, queue)
    "tuimail.core.hooks",  # new-mail commands and notices: `tuimail watch` and the app
    "tuimail.core.identities",  # reading the config does not load them (issue 19)
)

# Needed later than the first painted list (when a message is written, an account added,
# a report opened...), or never by the app.
_NEVER_BEFORE_FIRST_PAINT = (
    *(f"tuimail.cli.{name}" for name in COMMAND_MODULES),
    "tuimail.core.discovery",
    "dns",
    "testserver",
    "tuimail.core.oauth2",
    "cryptography.x509",
    "charset_normalizer",
    "tomlkit",
    "aiosmtplib",
    "tuimail.core.smtp",
    "tuimail.ui.screens.composer",
    "tuimail.ui.screens.wizard",
    "tuimail.ui.screens.report",
    "tuimail.ui.screens.diagnose",
    "tuimail.ui.screens.attachments",
    "tuimail.ui.screens.links",
    "tuimail.ui.screens.sign_in",
    "tuimail.ui.keymap",  # only a [keys] table is checked against the bindings
    "tuimail.ui.demo",
    "textual.widgets._text_area",
    "textual.widgets._markdown",
    "rich.syntax",
    "pygments",
    # The first sync starts once the list is on screen (its thread would share the GIL
    # with the first paint): nothing of it has run yet.
    "tuimail.core.imap.sync",
    "tuimail.core.outbox",
    "imapclient",  # the account's actions are made on first use
    "email.policy",
    # Each imported at its first use (issue 19: session 7's first paint paid for them):
    "tuimail.core.thread_list",  # threads turned on (t)
    "tuimail.core.threads",
    "tuimail.ui.screens.dialogs",  # a question asked, the help shown
    "tuimail.core.message_files",  # a message piped
    "tuimail.core.draft_recovery",  # after the first paint, with the first sync
    "secrets",  # (draft_recovery's file names)
    "rich._emoji_codes",  # markup parsed (the folder tree's root label is Text)
    "argparse",  # the app's few options are read without the command parser
    "tuimail.cli.exits",
    # The sentences: a failure, an action done, a message shown; a healthy account's
    # state (tuimail.words.status) is all the first screen says.
    *(
        f"tuimail.words.{name}"
        for name in (
            "actions",
            "attachments",
            "describe",
            "failures",
            "notes",
            "outbox",
            "password",
            "sent",
            "service",
            "sign_in",
            "where",
        )
    ),
)


def _modules_after(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120
    )
    line = next((x for x in proc.stdout.splitlines() if x.startswith("MODULES=")), None)
    assert line is not None, proc.stderr
    return proc, set(json.loads(line.removeprefix("MODULES=")))


def _loaded(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


def test_sync_imports_no_discovery_textual_dns_or_testserver(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, message(1, "lazy"))
    configure(mail_server, user)
    proc, modules = _modules_after("sync")
    assert proc.returncode == 0, proc.stderr
    assert "tuimail.core.imap.sync" in modules  # it did sync
    for package in _NEVER_FOR_SYNC:
        assert _loaded(modules, package) == [], package


# `tuimail sync` in a child whose store import waits (up to 30 s) for a connection to the
# server to be under way: it comes at once when the connection is opened early, in its own
# thread (tuimail.core.imap.early); a sync that connected only after loading the store would
# wait out the 30 s and print False.
_CONNECTING_PROBE = (
    "import sys, threading\n"
    "port = int(sys.argv[1])\n"
    "connecting, seen = threading.Event(), []\n"
    "def hook(event, args):\n"
    "    if event == 'socket.connect' and args[1][1] == port:\n"
    "        connecting.set()\n"
    "    elif event == 'import' and args[0] == 'tuimail.core.store' and not seen:\n"
    "        seen.append(connecting.wait(30))\n"
    "sys.addaudithook(hook)\n"
    "from tuimail.__main__ import main\n"
    "status = main(['sync'])\n"
    "print('CONNECTING_BEFORE_STORE=' + str(seen[:1] == [True]))\n"
    "sys.exit(status)\n"
)


def test_sync_connects_while_the_store_loads(mail_server) -> None:
    """The connection (TLS, login) is opened before the store and the sync engine are
    loaded, in a thread that waits on the network while they load (issue 19)."""
    user = mail_server.new_user()
    mail_server.deliver(user, message(1, "early"))
    configure(mail_server, user)
    port = str(mail_server.ports.imap_tls)
    proc = subprocess.run(
        [sys.executable, "-c", _CONNECTING_PROBE, port], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "CONNECTING_BEFORE_STORE=True" in proc.stdout.splitlines(), proc.stdout


def test_app_first_paint_imports_only_what_the_list_needs(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, message(1, "painted first"))
    configure(mail_server, user)
    from tuimail.__main__ import main

    assert main(["sync"]) == 0  # the store the app starts from
    out = tmp_path / "modules.json"
    env = dict(os.environ, TEXTUAL_DRIVER=DRIVER)
    env.update({PROBE_MARKER: "painted first 1", PROBE_OUT: str(out)})
    proc = subprocess.run(
        [sys.executable, "-m", "tuimail"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and out.exists(), proc.stderr[-3000:]
    modules = set(json.loads(out.read_text()))
    assert "tuimail.ui.widgets.message_list" in modules  # it did paint the list
    for package in _NEVER_BEFORE_FIRST_PAINT:
        assert _loaded(modules, package) == [], package


def test_the_app_needs_no_command_parser() -> None:
    for argv in ([], ["--demo"], ["--debug"], ["--verbose", "--demo"], ["--version"]):
        assert command_module(argv) == APP_ONLY, argv
    for argv in (["--help"], ["-i", "a@example.org"], ["nonsense"]):
        assert command_module(argv) is None, argv


def test_the_apps_options_are_read_as_the_parser_reads_them() -> None:
    from tuimail.__main__ import _app_options, build_parser

    for argv in ([], ["--demo"], ["--debug"], ["--verbose", "--demo"], ["--demo", "--debug"]):
        assert vars(_app_options(argv)) == vars(build_parser(APP_ONLY).parse_args(argv)), argv


SYNC_COMMAND_LINES = (
    ["sync"],
    ["sync", "work"],
    ["sync", "--json"],
    ["sync", "work", "--json"],
    ["sync", "--json", "work"],
    ["--verbose", "sync"],
    ["sync", "--debug", "work"],
    ["--debug", "sync", "--verbose", "--json", "--json"],
    ["sync", ""],
)


@pytest.mark.parametrize("argv", SYNC_COMMAND_LINES, ids=" ".join)
def test_a_plain_sync_command_line_is_read_as_the_parser_reads_it(argv) -> None:
    from tuimail.__main__ import _logging_flags, _sync_options, build_parser

    rest, flags = _logging_flags(argv)
    parsed = vars(build_parser("sync").parse_args(rest))
    parsed["verbose"] = parsed["verbose"] or "--verbose" in flags
    parsed["debug"] = parsed["debug"] or "--debug" in flags
    assert vars(_sync_options(argv)) == parsed


@pytest.mark.parametrize(
    "argv",
    [["sync", "a", "b"], ["sync", "--js"], ["sync", "-h"], ["sync", "--", "x"], ["list"]],
    ids=" ".join,
)
def test_any_other_sync_command_line_goes_to_the_parser(argv) -> None:
    from tuimail.__main__ import _sync_options

    assert _sync_options(argv) is None


def test_account_list_imports_no_discovery_or_oauth_flows() -> None:
    proc, modules = _modules_after("account", "list")
    assert proc.returncode == 0, proc.stderr
    assert "tuimail.cli.account" in modules
    for package in ("tuimail.core.discovery", "dns", "tuimail.core.oauth2", "oauthlib"):
        assert _loaded(modules, package) == [], package


def test_list_imports_no_discovery_or_textual(mail_server) -> None:
    proc, modules = _modules_after("list")
    for package in ("tuimail.core.discovery", "textual", "dns", "testserver"):
        assert _loaded(modules, package) == [], package


def test_help_still_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tuimail", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    for command in ("detect", "account", "sync", "list", "read", "watch", "send", "outbox"):
        assert command in out, command
    for command in ("doctor", "completions", "compose"):
        assert command in out, command


def test_every_command_is_registered_by_the_module_the_map_names() -> None:
    import argparse

    from tuimail.__main__ import COMMAND_MODULE, build_parser

    def commands(parser: argparse.ArgumentParser) -> set[str]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return set(sub.choices)

    everything = commands(build_parser())
    assert everything == set(COMMAND_MODULE)  # a new command needs its line in the map
    for command, module in COMMAND_MODULE.items():
        assert command in commands(build_parser(only=module)), (command, module)
