"""`tuimail account login NAME [--browser]`: OAuth 2.0 sign-in for an `auth = "oauth2"`
account, kept for later runs (tuimail.core.oauth2.tokens).

The device sign-in (RFC 8628) is the default: it works over SSH with no browser here (the
code is shown as text and, on a terminal, as a QR code for a phone). `--browser` opens the
provider's page on this machine and catches the answer on a loopback address (RFC 8252,
with PKCE). The browser is Python's `webbrowser` (so `BROWSER=...` picks it).

After signing in, it logs in to the account's servers with the token (unless --no-verify).

Exit: 0 signed in (and the servers took the token), 1 the sign-in failed (declined,
expired, server unreachable) or the servers refused the token, 2 usage or
configuration (no such account, not an oauth2 account, no such flow at the provider),
130 interrupted. Nothing secret is printed: the user code is not a secret (it is what the
user types), the tokens are.
"""

from __future__ import annotations

import argparse
import sys
import time
import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING

from tuimail import detect_words
from tuimail.cli.argtypes import seconds
from tuimail.cli.exits import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from tuimail.core import errors
from tuimail.core.account import Account
from tuimail.core.config import ConfigError, load_config
from tuimail.core.sanitize import sanitize
from tuimail.words.config import config_words
from tuimail.words.describe import sentence
from tuimail.words.login import sign_in_failure as sign_in_failure_words

# The OAuth flows (oauthlib, http.server) are imported by the commands that sign in: the
# parser of `tuimail account ...` registers `login` without them.
if TYPE_CHECKING:
    from tuimail.core.oauth2 import flows


def register(commands: argparse._SubParsersAction) -> None:
    login = commands.add_parser(
        "login",
        help="sign in to an OAuth 2.0 account (Gmail, Microsoft 365, Outlook.com)",
        description='Sign in to an account with auth = "oauth2" and keep the sign-in: '
        "in the system keyring; without one, in a private file when the account sets "
        'oauth2_token_store = "file", else in memory until this command exits. By default '
        "the device sign-in: open the address shown on any device (a phone works) and enter "
        "the code; this works over SSH. --browser signs in with a browser on this machine.",
    )
    login.add_argument("name", help="the account's name in the configuration")
    login.add_argument(
        "--browser",
        action="store_true",
        help="sign in with a browser on this machine (authorization code with PKCE, "
        "answered on a 127.0.0.1 address); BROWSER picks the browser",
    )
    login.add_argument("--no-qr", action="store_true", help="do not draw the QR code")
    login.add_argument(
        "--no-verify",
        action="store_true",
        help="do not log in to the mail servers with the new token afterwards",
    )
    login.add_argument(
        "--timeout",
        type=seconds,
        default=600.0,
        metavar="S",
        help="give up after S seconds without an answer from the browser (default 600)",
    )
    login.set_defaults(func=run_login)


def add_oauth2_options(add: argparse.ArgumentParser) -> None:
    """`account add` options for an OAuth 2.0 account (the config keys of the same names)."""
    add.add_argument(
        "--auth",
        choices=("password", "oauth2"),
        default="password",
        help="how to log in: a password (default) or an OAuth 2.0 sign-in (Gmail, Microsoft "
        "365, Outlook.com); with oauth2 no password is asked and the login is checked by "
        "`tuimail account login NAME` afterwards",
    )
    add.add_argument(
        "--oauth2-provider",
        metavar="NAME",
        help="google, microsoft, yahoo, aol, yandex or mailru (default with --detect: the "
        "provider detection found)",
    )
    add.add_argument(
        "--client-id",
        metavar="ID",
        help="your registered OAuth client id (default: the provider's [oauth2_clients] table)",
    )
    add.add_argument("--client-secret", metavar="S", help="its secret, if the provider gave one")
    add.add_argument(
        "--oauth2-token-command", metavar="CMD", help="prints an access token (a token helper)"
    )
    add.add_argument(
        "--oauth2-token-store",
        choices=("keyring", "file"),
        help="keep the sign-in in a 0600 file when there is no keyring",
    )


def apply_oauth2_options(account: Account, args: argparse.Namespace, detected=None) -> None:
    """Make `account` an auth = "oauth2" account from the options (and the provider
    detection found); ValueError with a sentence when something is missing."""
    from tuimail.core.discovery import ispdb

    account.auth = "oauth2"
    account.password_command = None
    account.oauth2_token_command = args.oauth2_token_command
    if args.oauth2_token_store:
        account.oauth2_token_store = args.oauth2_token_store
    if args.oauth2_token_command and not args.client_id:
        account.oauth2 = None
        return
    from tuimail.core.config import ConfigError, load_oauth2_clients, provider_client

    needs = (
        "an oauth2 account needs --client-id (register your own with the provider: "
        "docs/config.md says how), a [oauth2_clients.PROVIDER] table in config.toml for its "
        "provider, or --oauth2-token-command."
    )
    clients: dict = {}
    if not args.client_id:
        try:
            clients = load_oauth2_clients()
        except ConfigError as exc:
            raise ValueError(config_words(exc)) from None
        if not clients:
            raise ValueError(needs)
        if args.client_secret:
            raise ValueError("--client-secret goes with --client-id.")
    table: dict = {"client_id": args.client_id} if args.client_id else {}
    if args.client_secret:
        table["client_secret"] = args.client_secret
    provider = args.oauth2_provider
    if provider is None and detected is not None:
        provider = ispdb.short_name(detected.issuer)
        if provider is None:
            table |= {"issuer": detected.issuer, "token_endpoint": detected.token_endpoint}
            if detected.authorization_endpoint:
                table["authorization_endpoint"] = detected.authorization_endpoint
            if detected.device_authorization_endpoint:
                table["device_authorization_endpoint"] = detected.device_authorization_endpoint
            if detected.scopes:
                table["scopes"] = list(detected.scopes)
    if provider is not None:
        table["provider"] = provider
    elif "token_endpoint" not in table:
        raise ValueError("give --oauth2-provider (google, microsoft, ...).")
    if not args.client_id:
        account.oauth2_client = provider_client(table, clients)
        if account.oauth2_client is None:
            raise ValueError(needs)
    account.oauth2 = table


def _err(message: str, code: int) -> int:
    print(f"tuimail account login: {sanitize(message)}", file=sys.stderr)
    return code


def run_login(args: argparse.Namespace) -> int:
    from tuimail.core.oauth2 import tokens

    try:
        account = load_config().accounts.get(args.name)
    except ConfigError as exc:
        return _err(config_words(exc), EXIT_USAGE)
    if account is None:
        return _err(f"there is no account named {args.name!r}.", EXIT_USAGE)
    if account.auth != "oauth2":
        return _err(
            f'the account {args.name!r} logs in with a password; set auth = "oauth2" and an '
            "oauth2 table for it (docs/config.md) to sign in with OAuth.",
            EXIT_USAGE,
        )
    if account.oauth2_token_command:
        return _err(
            f"the account {args.name!r} gets its tokens from oauth2_token_command; sign in "
            "with that helper (or remove the line to use tuimail's own sign-in).",
            EXIT_USAGE,
        )
    try:
        ep = tokens.endpoints(account)
    except errors.MailError as exc:
        return _err(sentence(exc), EXIT_USAGE)
    try:
        if args.browser:
            if not ep.authorization_endpoint:
                return _err(
                    "this provider has no browser sign-in (no authorization_endpoint).",
                    EXIT_USAGE,
                )
            token_set = _browser(ep, args.timeout)
        else:
            if not ep.device_authorization_endpoint:
                return _err(
                    "this provider has no device sign-in (no device_authorization_endpoint); "
                    "use --browser.",
                    EXIT_USAGE,
                )
            token_set = _device(ep, show_qr=not args.no_qr and sys.stdout.isatty())
    except errors.MailError as exc:
        return _err(sign_in_failure(exc), EXIT_FAILURE)
    place = tokens.signed_in(account, token_set)
    print(f"Signed in to {account.name} ({sanitize(account.email)}).")
    print(where_sentence(account, place))
    if args.no_verify:
        return EXIT_OK
    return _verify(account)


def _verify(account: Account) -> int:
    """Log in to the account's servers with the new token (the logins tuimail will use)."""
    from tuimail.core.connect import account_timeout
    from tuimail.core.discovery.verify import verify_account
    from tuimail.core.oauth2 import tokens

    try:
        token = tokens.access_token(account)
    except errors.MailError as exc:
        return _err(sign_in_failure(exc), EXIT_FAILURE)
    checks = verify_account(account, token, timeout=account_timeout(account))
    for check in checks:
        print(("Login ok: " if check.ok else "Login FAILED: ") + detect_words.login(check))
    if not all(check.ok for check in checks):
        return _err(
            "signed in, but the mail servers did not accept the token (see above); sign in "
            "as the account's own user, and check the client's mail permissions.",
            EXIT_FAILURE,
        )
    return EXIT_OK


def _device(ep: flows.Endpoints, *, show_qr: bool) -> flows.TokenSet:
    from tuimail.core.oauth2 import flows

    device = flows.start_device(ep)
    uri = sanitize(device.verification_uri)
    print(f"To sign in, open {uri} on any device and enter the code:")
    print()
    print(f"    {sanitize(device.user_code)}")
    print()
    if show_qr:
        _qr(device.verification_uri_complete or device.verification_uri)
    remaining = max(0, round(device.expires_at - time.monotonic()))
    print(f"Waiting for you to approve (the code is valid for {remaining // 60} minutes) ...")
    sys.stdout.flush()
    return flows.poll_device(ep, device)


def _qr(url: str) -> None:
    """The address as a QR code in the terminal (segno: pure Python, no dependencies; two
    rows per line with half blocks), for a phone's camera. Skipped for a URL that is not
    plain printable ASCII."""
    if not url.isascii() or not url.isprintable():
        return
    try:
        import segno

        segno.make(url, error="l").terminal(out=sys.stdout, compact=True, border=2)
    except Exception:  # a QR code is a convenience: never a reason to fail
        return
    print("(or scan this with your phone)")


def _browser(
    ep: flows.Endpoints, timeout: float, open_url: Callable[[str], object] | None = None
) -> flows.TokenSet:
    def opener(url: str) -> object:
        print("Opening your browser to sign in. If it does not open, open this address:")
        print(f"    {sanitize(url)}")
        sys.stdout.flush()
        return (open_url or webbrowser.open)(url)

    from tuimail.core.oauth2 import flows

    return flows.browser_sign_in(ep, opener, timeout=timeout)


def sign_in_failure(exc: errors.MailError) -> str:
    """One sentence for a failed sign-in (tuimail.words.login.sign_in_failure)."""
    return sign_in_failure_words(exc)


def where_sentence(account: Account, place: str) -> str:
    if place == "keyring":
        return "The sign-in is kept in your system keyring."
    if place == "file":
        from tuimail.core.oauth2.store import file_path

        return (
            f"The sign-in is kept in {file_path(account.name)} (readable only by you). Warning: "
            "anyone who can read that file can read your mail until you revoke the sign-in."
        )
    return (
        "There is no system keyring here, so the sign-in is kept in memory only and ends "
        'when this command exits: set oauth2_token_store = "file" in the account to keep '
        "it in a private file, or sign in from the app, which keeps it while it runs."
    )
