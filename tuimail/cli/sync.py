"""`tuimail sync | list | read | watch`: the IMAP store from the command line.

Thin: accounts from the config, passwords from tuimail.core.secrets, the work in
tuimail.core.imap and tuimail.core.store.
"""

from __future__ import annotations

import logging
import sys
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from tuimail.cli import route
from tuimail.cli.exits import EXIT_USAGE
from tuimail.core.account import Account

if TYPE_CHECKING:  # argparse itself is loaded only to read a command line that needs it
    import argparse

log = logging.getLogger("tuimail.cli")


# The sentences are loaded when there is something to say: a pass that went well (every
# `tuimail sync` run from cron) never imports them (start-up time, issue 19).
def sync_errors(result) -> list[str]:
    """tuimail.words.where.sync_errors: a SyncResult's failures, one sentence each."""
    if not result.failures and not result.skipped:
        return []
    from tuimail.words.where import sync_errors as words

    return words(result)


def failure(item) -> str:
    from tuimail.words.where import failure as words

    return words(item)


def refused_messages(items) -> list[str]:
    from tuimail.words.where import refused_messages as words

    return words(items)


def state_words(state) -> str:
    from tuimail.words.status import state as words

    return words(state)


def warning_words(warning) -> str:
    from tuimail.words.status import warning as words

    return words(warning)


def renumbered(folder: str, reason: str) -> str:
    """tuimail.words.status.renumbered: a folder whose UIDVALIDITY changed."""
    from tuimail.words.status import renumbered as words

    return words(folder, reason)


def message_note(*args, **kwargs) -> str:
    from tuimail.words.notes import message_note as words

    return words(*args, **kwargs)


def message_text(*args, **kwargs) -> str:
    from tuimail.words.notes import message_text as words

    return words(*args, **kwargs)


def reader_notes(*args, **kwargs) -> list[str]:
    from tuimail.words.notes import reader_notes as words

    return words(*args, **kwargs)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="sync accounts (IMAP and POP3) into the local store (one pass)")
    p.add_argument("account", nargs="?", help="account name (default: every IMAP account)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("list", help="list messages from the local store")
    p.add_argument("account", nargs="?", help="account name (default: every account)")
    p.add_argument(
        "--folder", type=folder_name, default="INBOX", help="folder name (default INBOX)"
    )
    p.add_argument(
        "--limit", type=positive_int, default=20, help="how many, newest first (default 20)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("read", help="show one message (fetched and cached if needed)")
    p.add_argument(
        "uid",
        type=message_number,
        help="the message's number as `tuimail list` shows it (its UID for IMAP)",
    )
    p.add_argument("--account", help="account name (default: the first)")
    p.add_argument(
        "--folder", type=folder_name, default="INBOX", help="folder name (default INBOX)"
    )
    p.add_argument("--raw", action="store_true", help="the message source")
    route.add_arguments(p)  # also --json: the message (or with --route the report) as JSON
    p.set_defaults(func=cmd_read)

    p = sub.add_parser(
        "watch", help="print a line per new message (IMAP IDLE, POP3 polling) until Ctrl-C"
    )
    p.add_argument("account", nargs="?", help="account name (default: the first IMAP account)")
    p.add_argument("--json", action="store_true", help="one JSON object per line for each event")
    p.add_argument(
        "--exec",
        dest="exec_command",
        metavar="CMD",
        help="run CMD (sh -c) for each new message, described in TUIMAIL_* variables",
    )
    p.set_defaults(func=cmd_watch)


def folder_name(text: str) -> str:
    """argparse type: a folder name; INBOX in any case is INBOX (RFC 3501 5.1: the name
    is case-insensitive), so `--folder inbox` finds it."""
    return "INBOX" if text.upper() == "INBOX" else text


# The largest number the store (SQLite) holds; a --limit above it means "all".
LARGEST = 2**63 - 1


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (else a usage error, exit 2); one
    larger than the store can hold counts as the largest it can."""
    import argparse  # (only called while argparse reads a command line)

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return min(value, LARGEST)


def message_number(text: str) -> int:
    """argparse type: a message's number (a UID, a store number): 0 to the largest the
    store holds, else a usage error (exit 2) rather than a failure of the store."""
    import argparse  # (only called while argparse reads a command line)

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= LARGEST:
        raise argparse.ArgumentTypeError(f"{value} is not a message number")
    return value


def _fail(message: str, code: int = 1) -> int:
    print(f"tuimail: {_safe(message)}", file=sys.stderr)
    return code


def _safe(text: object) -> str:
    """Server text (errors, folder names, subjects) made safe for a terminal."""
    from tuimail.core.sanitize import sanitize

    return sanitize(str(text))


def _accounts(name: str | None, *, imap_only: bool = True) -> list[Account]:
    from tuimail.core.config import load_config

    config = load_config()
    accounts = list(config.accounts.values())
    if name is not None:
        if name not in config.accounts:
            known = ", ".join(config.accounts) or "none configured"
            raise LookupError(f"there is no account named {name} (accounts: {known})")
        accounts = [config.accounts[name]]
    if imap_only:
        accounts = [a for a in accounts if a.protocol == "imap"]
    if not accounts:
        kind = "IMAP account" if imap_only else "account"
        raise LookupError(f"no {kind} is configured; add one with `tuimail account add`")
    return accounts


def _check_config(account: Account) -> None:
    """Raise AccountConfigError (exit 2, one sentence) for configuration of the account
    no server can fix (an unusable ca_file), before anything connects."""
    from tuimail.cli.account_check import AccountConfigError, ca_file_sentence

    problem = ca_file_sentence(account)
    if problem is not None:
        raise AccountConfigError(problem)


def _connector(account: Account):
    from tuimail.core.connect import account_timeout

    _check_config(account)
    from tuimail.core.imap.session import connector

    return connector(account, _password(account), timeout=account_timeout(account))


def _guard(func):
    def run(args: argparse.Namespace) -> int:
        from tuimail.cli.account_check import AccountConfigError
        from tuimail.cli.output import local_write_failed, reader_gone
        from tuimail.core.config import ConfigError
        from tuimail.core.secrets import PasswordError

        try:
            return func(args)
        except PasswordError as exc:  # a missing sign-in worded from its type, once
            return _fail(_describe(exc), EXIT_USAGE)
        except ConfigError as exc:
            from tuimail.words.config import config_words

            return _fail(config_words(exc), EXIT_USAGE)
        except AccountConfigError as exc:  # a sentence already (tuimail.cli.account_check)
            return _fail(str(exc), EXIT_USAGE)
        except LookupError as exc:
            return _fail(str(exc), EXIT_USAGE)
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            if reader_gone(exc) or local_write_failed(exc):
                raise  # the output failed, not the mail: said in tuimail.__main__
            log.warning("%s failed: %s", args.command, type(exc).__name__, exc_info=exc)
            return _fail(_describe(exc))

    return run


def _describe(exc: BaseException) -> str:
    """tuimail.words.describe.describe, loaded only when something failed."""
    from tuimail.words.describe import describe

    return describe(exc)


def _password(account: Account):
    """The account's password (tuimail.core.secrets), asked on a terminal if need be."""
    from tuimail.core.secrets import get_password

    if not sys.stdin.isatty():
        return get_password(account, None)
    import getpass  # only a terminal is asked

    return get_password(account, getpass.getpass)


def _runtime(store, account: Account, emit=None, *, idle: bool = False, secret=None, early=None):
    """The account runtime (tuimail.core.runtime): the orchestration the app uses too.
    The password is asked for once, before anything connects (`secret`: asked already);
    `early`: the sync engine's connection, being opened already (tuimail.core.imap.early)."""
    from tuimail.core.runtime import AccountRuntime

    secret = _password(account) if secret is None else secret
    return AccountRuntime(
        account,
        store,
        password_for=lambda _account: secret,
        emit=emit or (lambda _event: None),
        idle=idle,
        index_search=False,  # no CLI command searches; the app indexes what is left
        opened_early=early,
    )


@_guard
def cmd_sync(args: argparse.Namespace) -> int:
    """The accounts are read and their passwords asked for in turn (before anything
    connects, as ever); then each IMAP account's connection is opened in a thread of its
    own (TLS, login: waits on the network) and the store in another (SQLite) while the
    runtime and the sync engine load (issue 19); each runtime's first connect takes its
    connection."""
    accounts = _accounts(args.account, imap_only=False)
    accounts, passwords, missing = _credentials(accounts, several=args.account is None)
    if not accounts:
        if args.json:
            _print_json([], [], {}, missing)
        return EXIT_USAGE
    from tuimail.core import server_alerts

    for account in accounts:
        server_alerts.forget(account.name)  # this command's session: each alert said once
    early = _open_early(accounts, passwords)
    try:
        store = _open_store(imap=any(opened is not None for opened in early))
        try:
            code = _sync_accounts(args, store, accounts, passwords, early, missing)
        except KeyboardInterrupt:
            # The passes' threads may still be writing: the store is left to them, and
            # the process ends without a teardown (each pass writes in transactions).
            raise
        except BaseException:
            store.close()
            raise
        store.close()  # written and closed here: the process may end without a teardown
        return max(code, EXIT_USAGE) if missing else code
    finally:
        for opened in early:
            if opened is not None:
                opened.close()  # not taken (the pass never connected): logged out


def _credentials(accounts: list[Account], *, several: bool):
    """Each account's password, asked for in turn before anything connects. With `several`
    (no account named) an account whose password or sign-in cannot be had, or whose
    configuration no server can fix (an unusable ca_file), is named in one sentence and
    left out, so it never stops the others; a named account's is raised (worded once by
    _guard). Returns the accounts kept, their passwords and those left out with their
    error (the exit status is then 2: no password available, or a configuration error)."""
    from tuimail.cli.account_check import AccountConfigError
    from tuimail.core.secrets import PasswordError

    kept, passwords, missing = [], [], []
    for account in accounts:
        try:
            _check_config(account)  # no server can fix it: never connected
        except AccountConfigError as exc:
            if not several:
                raise
            missing.append((account, exc))
            _fail(str(exc))
            continue
        try:
            passwords.append(_password(account))
        except PasswordError as exc:
            if not several:
                raise
            missing.append((account, exc))
            said = _describe(exc)  # an OAuth sign-in's sentence names the account already
            _fail(said if said.startswith(f"{account.name} ") else f"{account.name}: {said}")
            continue
        kept.append(account)
    return kept, passwords, missing


def _print_json(results, pop3_results, alerts, missing) -> None:
    """`tuimail sync --json`: one object per account, those left out for want of a
    credential too (nothing tried: its failure of kind "credential" or "authentication",
    the sentence in errors / error)."""
    import json

    from tuimail.core.errors import SYNC, Failure
    from tuimail.core.imap.sync import SyncResult

    imap = [*results]
    pop3 = [*pop3_results]
    for account, exc in missing:
        if account.protocol == "pop3":
            summary = {"account": account.name, "protocol": "pop3", "new": 0}
            summary |= {"deleted_on_server": 0, "on_server": 0, "seconds": 0.0}
            pop3.append(summary | {"warnings": [], "error": _describe(exc)})
        else:
            result = SyncResult(account.name)
            result.failures.append(Failure(exc, account.name, "", SYNC))
            imap.append(result)
    entries = [
        {"account": r.account, "protocol": "imap"}
        | r.as_dict()
        | {
            "errors": sync_errors(r),
            "refused_actions": [failure(f) for f in r.refused_actions],
            "alerts": alerts.get(r.account, []),
        }
        for r in imap
    ]
    print(json.dumps(entries + pop3, indent=2))


def _open_store(*, imap: bool):
    """The store, opened in a thread of its own while this one loads the modules the
    passes need first (the runtime; with `imap` the sync engine): creating a new store's
    tables runs in SQLite, mostly without the GIL (~7 ms of CPU beside ~8 ms of imports,
    issue 19). A store that cannot be opened raises here, the same error as before."""
    from tuimail.core.store import Store

    opened: list = []

    def open_store() -> None:
        try:
            opened.append(Store())
        except BaseException as exc:  # raised again below, in this thread
            opened.append(exc)

    thread = threading.Thread(target=open_store, name="store-open", daemon=True)
    thread.start()
    try:
        import importlib

        for name in ("tuimail.core.runtime", "tuimail.core.imap.sync")[: 2 if imap else 1]:
            importlib.import_module(name)
    finally:
        thread.join()
    if isinstance(opened[0], BaseException):
        raise opened[0]
    return opened[0]


def _open_early(accounts: list[Account], passwords: list) -> list:
    """Each IMAP account's connection, opening in a thread of its own (None for POP3):
    tuimail.core.imap.early, with the timeout the account runtime's sync engine uses."""
    if not any(account.protocol == "imap" for account in accounts):
        return [None] * len(accounts)
    from tuimail.core.connect import engine_timeout
    from tuimail.core.imap.early import OpenedEarly

    return [
        OpenedEarly(account, secret, engine_timeout(account))
        if account.protocol == "imap"
        else None
        for account, secret in zip(accounts, passwords, strict=True)
    ]


def _sync_accounts(args: argparse.Namespace, store, accounts, passwords, early, missing) -> int:
    results = []
    pop3_results = []
    for account, runtime in _synced(store, accounts, passwords, early):
        if account.protocol == "pop3":
            summary = _pop3_summary(account, runtime)
            pop3_results.append(summary)
            if summary["error"]:
                log.warning("sync %s (POP3): %s", account.name, summary["error"])
            else:
                log.info("sync %s (POP3): %d new", account.name, summary["new"])
            continue
        result = _imap_result(account, runtime)
        results.append(result)
        log.info(
            "sync %s: %d folders, %d new, %d changed, %d removed, %d errors",
            account.name,
            len(result.folders),
            result.new,
            result.changed,
            result.removed,
            len(result.failures),
        )
        for error in sync_errors(result):
            log.warning("sync %s: %s", account.name, error)
    from tuimail.cli.alerts import print_alerts
    from tuimail.core import server_alerts

    alerts = {account.name: server_alerts.take(account.name) for account in accounts}
    if args.json:
        _print_json(results, pop3_results, alerts, missing)
    else:
        print_alerts(alerts)
        for p in pop3_results:
            if p["error"]:
                print(f"{p['account']}: {_safe(p['error'])}", file=sys.stderr)
                continue
            print(
                f"{p['account']}: {p['new']} new, {p['deleted_on_server']} deleted from the "
                f"server in {p['seconds']:.2f} s"
            )
            for warning in p["warnings"]:
                print(f"  warning: {_safe(warning)}", file=sys.stderr)  # already words
        servers = {account.name: account.incoming for account in accounts}
        for r in results:
            if r.failure is not None and not r.folders:  # not "0 folders": nothing was read
                server = servers.get(r.account)  # which one (several accounts, a typo)
                where = f" (IMAP server {server.host} port {server.port})" if server else ""
                print(_safe(f"{r.account}: not synced{where}"))
            else:
                print(
                    f"{r.account}: {len(r.folders)} folders, {r.new} new, {r.changed} "
                    f"changed, {r.removed} removed in {r.seconds:.2f} s"
                )
            for folder in r.folders:
                if folder.renumbered:  # UIDVALIDITY changed (already sanitised)
                    print(f"  note: {renumbered(folder.folder, folder.renumbered)}")
            for error in sync_errors(r):
                print(f"  error: {_safe(error)}", file=sys.stderr)
            for refused in r.refused_actions:
                print(f"  {_safe(failure(refused))}", file=sys.stderr)
    failed = any(not r.ok for r in results) or any(p["error"] for p in pop3_results)
    return 1 if failed else 0


def _synced(store, accounts: list[Account], passwords: list, early: list):
    """Each account's pass, all at once (as the app's): a silent or slow server never
    holds back another account. The results come back in the accounts' order, every
    thread joined."""
    from tuimail.core.side_by_side import side_by_side

    runtimes = [
        (account, _runtime(store, account, secret=secret, early=opened))
        for account, secret, opened in zip(accounts, passwords, early, strict=True)
    ]

    def run(pair) -> None:
        try:
            pair[1].sync()
        finally:
            pair[1].close()

    side_by_side(runtimes, run, lambda pair: f"sync {pair[0].name}")
    return runtimes


def _imap_result(account: Account, runtime):
    """The pass's SyncResult (one with the runtime's failure if it never connected)."""
    from tuimail.core.errors import SYNC, Failure
    from tuimail.core.imap.sync import SyncResult

    result = runtime.last_result
    if result is None:
        result = SyncResult(account.name)
    if runtime.state.error is not None and not result.failures:
        result.failures.append(Failure(runtime.state.error, account.name, "", SYNC))
    return result


def _pop3_summary(account: Account, runtime) -> dict:
    """One POP3 pass for `tuimail sync`, as a dict (the error and warnings as sentences)."""
    summary = {"account": account.name, "protocol": "pop3", "new": 0, "deleted_on_server": 0}
    summary |= {"on_server": 0, "seconds": 0.0, "warnings": [], "error": None}
    result = runtime.last_result
    if result is None:
        error = runtime.state.error
        if error is not None:  # worded as an IMAP account's: what failed, not what the
            # app's runtime does next ("not trying again until..." is not this pass's)
            from tuimail.core.errors import SYNC, Failure

            summary["error"] = failure(Failure(error, account.name, "", SYNC))
        summary["error"] = summary["error"] or "the POP3 pass failed"
        return summary
    summary |= {
        "new": result.downloaded,
        "deleted_on_server": result.deleted,
        "on_server": result.on_server,
        "seconds": round(result.seconds, 3),
        "warnings": [warning_words(w) for w in result.warnings]
        + refused_messages(result.refused),  # one line at most, however many
    }
    return summary


def _event(kind: str, data: dict) -> None:
    """One line of `watch --json`: {"event": kind, ...}."""
    from tuimail.cli.jsonout import dump

    dump({"event": kind} | data, lines=True)


SUBJECT_CELLS = 200  # the longest subject `tuimail list` prints (the store keeps more)
SENDER_CELLS = 60  # the longest sender `tuimail watch` prints


def _shortened(text: str, cells: int) -> str:
    """`text` in at most `cells` terminal cells: one line per message, however long
    the header (CJK characters take two cells)."""
    if len(text) <= cells // 2:
        return text
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, cells - 3) + "..."


def _date(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M") if epoch else "-"


def _run_hooks(command: str, rows: list, stopping: threading.Event) -> None:
    """`watch --exec`: the command once per new message, in order, off the watching
    thread; the message is in TUIMAIL_* variables only (tuimail.core.hooks). Once
    `stopping` is set (the watch ends) no further command starts."""
    from tuimail.core.hooks import from_rows, run_command

    messages = from_rows(rows, limit=len(rows))

    def run() -> None:
        for message in messages:
            if stopping.is_set():
                return
            run_command(command, message, len(messages))

    threading.Thread(target=run, name="watch-exec", daemon=False).start()


@_guard
def cmd_list(args: argparse.Namespace) -> int:
    from tuimail.core.store import Store

    store = Store()
    names = [a.name for a in _accounts(args.account, imap_only=False)]
    out = []
    found = False
    shown: list[str] = []  # the accounts that have the folder
    for name in names:
        folder_id = store.folder_id(name, args.folder)
        if folder_id is None:
            continue
        found = True
        shown.append(name)
        for row in store.message_rows(folder_id, 0, args.limit):
            out.append(row)
    if not found:
        if not any(store.folders(name, counts=False) for name in names):
            # A new user's first `tuimail list`: nothing was ever synced, no name is wrong.
            who = f"{names[0]} has not" if len(names) == 1 else "no account has"
            return _fail(f"{who} been synced yet: run `tuimail sync` first", EXIT_USAGE)
        where = f"{names[0]} has no folder" if args.account else "no account has a folder"
        return _fail(
            f"{where} {args.folder} in the store (check the name; "
            "`tuimail sync` fetches the folder list)",
            EXIT_USAGE,
        )
    if args.json:
        from tuimail.cli.jsonout import dump, message_row

        dump([message_row(r) for r in out])
        return 0
    from rich.cells import set_cell_size  # column widths in terminal cells (CJK: 2 each)

    account = None
    for r in out:
        if len(shown) > 1 and r.account != account:
            # Several accounts: the numbers are each account's own, and `read` takes the
            # first account's unless told: say whose rows follow and how to read one.
            account = r.account
            first = account == names[0]
            how = "" if first else f" (tuimail read NUMBER --account {account})"
            print(_safe(f"{account} {args.folder}{how}:"))
        mark = ("N" if not r.seen else " ") + ("!" if r.flagged else " ")
        sender = set_cell_size(_safe(r.from_name or r.from_addr), 24)
        subject = _shortened(_safe(r.subject), SUBJECT_CELLS)
        note = f"  [{_safe(message_note(r.note))}]" if r.note else ""
        number = r.uid or r.id  # the UID; for POP3 (no UID) the store's number
        print(f"{number:>7} {mark} {_date(r.date)}  {sender}  {subject}{note}")
    return 0


def _read_options_clash(args: argparse.Namespace) -> str:
    """Options of `read` that cannot go together (one of them was silently ignored):
    the sentence, or ""."""
    if args.raw and (args.json or args.route):
        return "--raw prints the message source: it does not go with --json or --route"
    if args.check_dkim and not args.route:
        return "--check-dkim checks the delivery report's signatures: add --route"
    if args.nameserver and not args.check_dkim:
        return "--nameserver is the DNS server of --check-dkim: add --route --check-dkim"
    return ""


@_guard
def cmd_read(args: argparse.Namespace) -> int:
    from tuimail.core.imap.sync import SyncEngine
    from tuimail.core.store import Store

    clash = _read_options_clash(args)
    if clash:
        return _fail(clash, EXIT_USAGE)
    account = _accounts(args.account, imap_only=False)[0]
    store = Store()
    folder = store.folder((account.name, args.folder), counts=False)
    row = None
    if folder is not None and folder.local:
        # POP3 mail (and local folders) has no UID: the number is the one `list` shows.
        row = store.message(args.uid)
        if row is not None and row.folder_id != folder.id:
            row = None
    elif folder is not None:
        row = store.message_by_uid(folder.id, args.uid)
    if row is None:
        what = "number" if folder is not None and folder.local else "UID"
        return _fail(
            f"no message with {what} {args.uid} in {account.name}/{args.folder} in the "
            "store; run `tuimail sync` first",
            EXIT_USAGE,
        )
    raw = store.body(row.id)
    if raw is None and (folder.local or account.protocol != "imap"):
        return _fail(f"the text of message {args.uid} is not in the store")
    if raw is None:
        from tuimail.cli.alerts import begin, say_alerts

        begin([account.name])
        engine = SyncEngine(store, account, _connector(account))
        try:
            raw = engine.fetch_body(row.id)
        finally:
            engine.close()
            say_alerts([account.name])  # the connection's [ALERT]s (RFC 3501 7.1)
    if args.route:
        return route.print_route(raw, account, args)
    if args.raw:
        if sys.stdout.isatty():
            from tuimail.core.mime import raw_source

            print(raw_source(raw), end="")
        else:
            sys.stdout.buffer.write(raw)
        return 0
    if args.json:
        from tuimail.cli.jsonout import dump, message_row

        dump(message_row(row) | _rendered_json(raw))
        return 0
    print(_render(raw))
    if row.note:
        print(f"\nNote: {_safe(message_note(row.note))}")
    return 0


def _rendered_json(raw: bytes) -> dict:
    """The body as `tuimail read` shows it, with attachments and notes (all sanitised)."""
    from tuimail.core.mime import parse_message, render_message

    rendered = render_message(parse_message(raw))
    return {
        "headers": [[name, value] for name, value in rendered.headers],
        "text": "\n".join(text for _kind, _depth, text in rendered.lines()),
        "links": rendered.links,
        "attachments": [
            {
                "index": a.index,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
            }
            for a in rendered.attachments
        ],
        "notes": reader_notes(rendered),
        "note_data": [n.as_dict() for n in rendered.notes],
    }


def _render(raw: bytes) -> str:
    from tuimail.core.sanitize import sanitize

    try:
        from tuimail.core.mime import parse_message, render_message

        text = message_text(render_message(parse_message(raw)))
    except Exception:
        text = raw.decode("utf-8", "replace")
    return sanitize(text, multiline=True)


@_guard
def cmd_watch(args: argparse.Namespace) -> int:
    """New mail as lines, through the account runtime (push for IMAP, polling for POP3):
    a lost connection is retried with back-off; a rejected password or another
    permanent failure ends the watch with a sentence and exit status 1 (never retried:
    a wrong password tried every minute locks accounts)."""
    from tuimail.cli.jsonout import message_row
    from tuimail.cli.output import local_write_failed, reader_gone
    from tuimail.core.errors import Failure
    from tuimail.core.retry import Phase
    from tuimail.core.runtime import POLLING, PUSH
    from tuimail.core.store import Store

    account = _accounts(args.account, imap_only=False)[0]
    store = Store()
    done = threading.Event()
    watching = threading.Event()
    stopping = threading.Event()  # set when the watch ends
    pop3 = account.protocol == "pop3"
    holder: list = []

    def announce(mode: str) -> None:
        if args.json:
            _event("watching", {"account": account.name, "mode": mode})
        elif pop3:
            print(
                f"watching {account.name} (POP3, every {account.poll_interval} s); Ctrl-C to stop"
            )
        else:
            print(f"watching {account.name} INBOX ({mode}); Ctrl-C to stop")
        sys.stdout.flush()
        watching.set()

    output_failed: list[OSError] = []

    def show(event) -> None:
        """What an event prints; standard output failing (its reader gone: `tuimail
        watch | head -3`) ends the watch instead of going on unseen."""
        try:
            _show(event)
        except OSError as exc:
            if not (reader_gone(exc) or local_write_failed(exc)):
                raise
            output_failed.append(exc)
            done.set()

    def _show(event) -> None:
        runtime = holder[0] if holder else None
        if event.kind == "new-mail" and watching.is_set():
            if getattr(args, "exec_command", None):
                _run_hooks(args.exec_command, list(event.messages), stopping)
            for r in event.messages:
                if args.json:
                    _event("new", message_row(r))
                    continue
                sender = _shortened(_safe(r.from_name or r.from_addr), SENDER_CELLS)
                subject = _shortened(_safe(r.subject), SUBJECT_CELLS)
                where = _safe(f"{r.account} {r.folder}" + ("" if pop3 else f" {r.uid}"))
                print(f"{where} {_date(r.date)} {sender}: {subject}", flush=True)
        elif event.kind == "state" and runtime is not None:
            state = runtime.state
            if state.state in ("idle", "polling") and state.phase == Phase.ONLINE:
                if not watching.is_set() and state.activity in (POLLING, PUSH):
                    announce(state.state)
            elif runtime.phase in (Phase.NEEDS_PASSWORD, Phase.ERROR) and state.error:
                done.set()
            elif runtime.phase is Phase.OFFLINE_RETRYING and event.error is not None:
                detail = failure(Failure(state.error or event.error, account.name))
                if args.json:
                    _event("disconnected", {"account": account.name, "detail": detail})
                print(f"{detail}; trying again later", file=sys.stderr, flush=True)

    def alert(name: str, text: str) -> None:
        """A server's [ALERT] (RFC 3501 7.1: it MUST be shown), once a watch; sanitised
        already (tuimail.core.server_alerts). Standard output failing ends the watch."""
        if name != account.name:
            return
        try:
            if args.json:
                _event("alert", {"account": name, "text": text})
            else:
                print(f"{name}: the server says: {text}", file=sys.stderr, flush=True)
        except OSError as exc:
            if not (reader_gone(exc) or local_write_failed(exc)):
                raise
            output_failed.append(exc)
            done.set()

    from tuimail.core import server_alerts

    server_alerts.forget(account.name)
    _check_config(account)
    runtime = _runtime(store, account, show, idle=True)  # may fail: the password
    holder.append(runtime)
    if pop3:  # every pass's mail is new mail to show, the first one's too
        announce("polling")
    unlisten = server_alerts.listen(alert)  # stopped by the finally below, whatever happens
    try:
        runtime.start()
        if runtime.phase not in (Phase.NEEDS_PASSWORD, Phase.ERROR):
            while not done.wait(0.5):
                pass
    except KeyboardInterrupt:
        return 0
    finally:
        stopping.set()  # no --exec command starts from now on
        runtime.close()
        unlisten()
        if getattr(args, "exec_command", None):
            from tuimail.core.hooks import stop_running

            stop_running()  # one still running (hanging) is stopped, never waited for
    if output_failed:
        raise output_failed[0]  # ended quietly or in one sentence (tuimail.__main__)
    if runtime.phase in (Phase.NEEDS_PASSWORD, Phase.ERROR) or done.is_set():
        detail = state_words(runtime.state) if runtime.state.error else "the account stopped"
        if args.json:
            _event("stopped", {"account": account.name, "detail": detail})
        return _fail(detail)
    return 0
