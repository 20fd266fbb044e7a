"""`tuimail doctor [ACCOUNT | EMAIL]`: run every check on an account and explain failures."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping
from typing import Any

from tuimail.cli.argtypes import seconds
from tuimail.core.account import Account


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="diagnose an account: DNS, servers, TLS, login, quota")
    p.add_argument("account", nargs="?", help="account name or email (default: the first)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--nameserver", help="DNS server to ask, HOST[:PORT]")
    p.add_argument("--no-send", action="store_true", help="skip the round-trip test message")
    p.add_argument(
        "--dkim-selector", metavar="SELECTOR", help="check the DKIM key of this selector too"
    )
    p.add_argument("--timeout", type=seconds, default=15.0, help="seconds per network step")
    p.add_argument(
        "--roundtrip-timeout",
        type=seconds,
        default=120.0,
        help="seconds to wait for the test message to arrive (default 120)",
    )
    p.set_defaults(func=cmd_doctor)


def _fail(message: str, code: int = 2) -> int:
    print(f"tuimail: {message}", file=sys.stderr)
    return code


def find_account(wanted: str | None) -> Account:
    from tuimail.core.config import load_config

    config = load_config()
    accounts = config.accounts
    if not accounts:
        raise LookupError("no account is configured; add one with `tuimail account add`")
    if wanted is None:
        return next(iter(accounts.values()))
    if wanted in accounts:
        return accounts[wanted]
    for account in accounts.values():
        if account.email.lower() == wanted.lower():
            return account
    known = ", ".join(accounts)
    raise LookupError(f"there is no account named or addressed {wanted} (accounts: {known})")


def use_colour(stream: Any, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal that shows it: not when piped, NO_COLOR set
    (no-color.org) or TERM=dumb; FORCE_COLOR turns it on anyway."""
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("NO_COLOR") or environ.get("TERM", "") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def cmd_doctor(args: argparse.Namespace) -> int:
    from tuimail.core.config import ConfigError
    from tuimail.core.doctor import failed, run_checks
    from tuimail.core.sanitize import sanitize
    from tuimail.core.secrets import PasswordError, get_password
    from tuimail.doctor_words import logins_skipped, render_json, render_text
    from tuimail.words.sign_in import needs_sign_in

    try:
        account = find_account(args.account)
    except ConfigError as exc:
        from tuimail.words.config import config_words

        return _fail(config_words(exc))
    except LookupError as exc:
        return _fail(sanitize(str(exc)))
    from tuimail.cli.account_check import ca_file_sentence, nameserver_sentence

    # Configuration no check can fix: a usage/configuration error (2), as in `detect`.
    problem = nameserver_sentence(args.nameserver, account) or ca_file_sentence(account)
    if problem:
        return _fail(problem)
    ask = getpass.getpass if sys.stdin.isatty() else None
    token_error = None
    try:
        password = get_password(account, ask)
    except PasswordError as exc:
        print(f"tuimail: {logins_skipped(exc)}; the login checks are skipped.", file=sys.stderr)
        password = None
        token_error = exc if needs_sign_in(exc) else None  # its check reports it, with the fix
    results = run_checks(
        account,
        password,
        timeout=args.timeout,
        nameserver=args.nameserver,
        send=not args.no_send,
        roundtrip_timeout=args.roundtrip_timeout,
        dkim_selector=args.dkim_selector,
        token_error=token_error,
    )
    if args.json:
        print(render_json(results))
    else:
        sys.stdout.write(render_text(results, colour=use_colour(sys.stdout, os.environ)))
    return 1 if failed(results) else 0
