"""`tuimail account add | list | remove` (and `login`: tuimail/cli/login.py)."""

from __future__ import annotations

import argparse
import getpass
import sys

from tuimail import detect_words
from tuimail.cli.detect_options import add_detect_options
from tuimail.cli.exits import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE
from tuimail.core.account import DEFAULT_PORTS, Account, ServerSettings
from tuimail.core.config import ConfigError, load_config, remove_account, save_account
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import (
    PasswordError,
    SessionPasswords,
    delete_from_keyring,
    get_password,
    keyring_available,
    store_in_keyring,
)
from tuimail.words.config import config_words
from tuimail.words.describe import sentence
from tuimail.words.nameserver import nameserver_option_words

SECURITIES = ("tls", "starttls", "plain")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("account", help="add, list or remove accounts, or sign in")
    commands = parser.add_subparsers(dest="account_command", metavar="ACTION", required=True)

    add = commands.add_parser(
        "add",
        help="add an account (detected, or with servers you give)",
        description="Add an account. With --detect the servers are found automatically; "
        "otherwise give --incoming and --outgoing. When a password is available the "
        "login is verified first, and nothing is saved if it fails.",
    )
    add.add_argument("name", help="the account's name in the configuration")
    add.add_argument("--email", required=True)
    add.add_argument("--display-name", help="your name, for From:")
    add.add_argument("--username", help="login name (default: the address)")
    add.add_argument("--detect", action="store_true", help="find the servers automatically")
    add.add_argument("--incoming", metavar="HOST:PORT")
    add.add_argument("--security", choices=SECURITIES, default="tls")
    add.add_argument("--outgoing", metavar="HOST:PORT")
    add.add_argument("--outgoing-security", choices=SECURITIES, default="tls")
    add.add_argument(
        "--incoming-pin",
        metavar="SHA256",
        help="trust the incoming server's self-signed certificate with this key hash "
        "(shown by `tuimail detect`), for that host and port only",
    )
    add.add_argument("--outgoing-pin", metavar="SHA256", help="the same, for the outgoing server")
    add.add_argument("--pop3", action="store_true", help="use POP3 instead of IMAP")
    add.add_argument("--password-command", metavar="CMD", help="prints the password")
    from tuimail.cli.login import add_oauth2_options

    add_oauth2_options(add)
    add.add_argument("--no-verify", action="store_true", help="save without checking the login")
    add.add_argument(
        "--yes",
        action="store_true",
        help="accept the detected servers even when they need confirmation (and an "
        "unencrypted server you named) without asking",
    )
    add_detect_options(add)
    add.set_defaults(func=run_add)

    lst = commands.add_parser("list", help="list the configured accounts")
    lst.add_argument("--json", action="store_true", help="print the accounts as JSON")
    lst.set_defaults(func=run_list)

    rm = commands.add_parser("remove", help="remove an account from the configuration")
    rm.add_argument("name")
    rm.set_defaults(func=run_remove)

    from tuimail.cli.login import register as register_login

    register_login(commands)


def _err(message: str, code: int = EXIT_USAGE) -> int:
    """A sentence on stderr; exit 2 (usage/configuration) unless `code` says 1 (a mail or
    server failure: nothing found, login refused)."""
    print(f"tuimail account: {sanitize(message)}", file=sys.stderr)
    return code


def _host_port(value: str, protocol: str, security: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or "]" in port:
        return value.strip("[]"), DEFAULT_PORTS[(protocol, security)]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT with a port from 1 to 65535.")
    return host.strip("[]"), int(port)


def _pin(value: str | None) -> str | None:
    if value is None:
        return None
    pin = value.strip().lower().replace(":", "")
    if len(pin) != 64 or any(c not in "0123456789abcdef" for c in pin):
        raise ValueError(f"{value!r} is not a SHA-256 (64 hex digits).")
    return pin


def ask_password(prompt: str) -> str | None:
    """Ask on the terminal; without one, read one line from standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return getpass.getpass(prompt)
        except (EOFError, KeyboardInterrupt):
            return None
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    print(file=sys.stderr)
    return line.rstrip("\r\n") or None


def _confirm(
    reasons: list,
    yes: bool,
    deferred: bool,
    what: str = "These detected settings",
    other: str = "give the servers with --incoming/--outgoing",
) -> bool:
    """The user's yes to servers that need it: --yes, or a question on a terminal."""
    if yes:
        return True
    if sys.stdin is None or not sys.stdin.isatty():
        print(
            f"{what} need your confirmation"
            + (" (your password was not sent to them)" if deferred else "")
            + f"; run again with --yes to accept them, or {other}.",
            file=sys.stderr,
        )
        return False
    question = "Use these servers"
    if deferred:
        question += " and send your password to them to check the login"
    try:
        answer = input(f"{question}? [y/N] ")
    except (EOFError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in ("y", "yes")


# What a user can do about a server whose certificate is not trusted here (a company's
# own CA, a self-signed home server): the doctor shows the key to compare and pin.
UNTRUSTED_ADVICE = (
    "The certificate is not from an authority this computer trusts. Give the provider's "
    "CA with --ca-file FILE; or, only if you trust this server, add the account with "
    "--no-verify and run `tuimail doctor {name}`: it shows the server's key (SHA-256) to "
    "compare with the one your provider or admin gives, and how to pin it."
)


def _untrusted(failure: object) -> bool:
    """A certificate that did not verify for want of a trust anchor (not expired, not
    another host's): a CA file or a pin is what helps."""
    from tuimail.core.errors import SecurityFailure

    return isinstance(failure, SecurityFailure) and failure.reason == "untrusted"


def run_add(args: argparse.Namespace) -> int:
    # Imported here: `account list` and `account remove` need no discovery (dnspython...).
    from tuimail.cli.detect import options_from_args, print_summary, run_detection
    from tuimail.core.discovery.detect import verify_detection
    from tuimail.core.discovery.resolver import NameserverError, Resolver
    from tuimail.core.discovery.verify import verify_account

    try:
        config = load_config()
    except ConfigError as exc:
        return _err(config_words(exc))
    if args.name in config.accounts:
        return _err(f"an account named {args.name!r} already exists; remove it first.")
    if "@" not in args.email:
        return _err(f"{args.email!r} is not an e-mail address.")
    protocol = "pop3" if args.pop3 else "imap"
    if not args.detect and not (args.incoming and args.outgoing):
        return _err("give --detect, or both --incoming HOST:PORT and --outgoing HOST:PORT.")
    if args.detect and (args.incoming_pin or args.outgoing_pin):
        return _err("pins are for servers you name: use --incoming/--outgoing with them.")
    try:
        pins = (_pin(args.incoming_pin), _pin(args.outgoing_pin))
    except ValueError as exc:
        return _err(str(exc))
    if (args.security == "plain" or args.outgoing_security == "plain") and not args.detect:
        print(
            "Warning: a server is set to 'plain': your password and mail will travel "
            "WITHOUT encryption.",
            file=sys.stderr,
        )
    try:  # the options first: a bad --nameserver or --ca-file asks for no password
        options = options_from_args(args, prefer_pop3=args.pop3)
    except NameserverError as exc:
        return _err(nameserver_option_words(exc))
    except ValueError as exc:
        return _err(str(exc))
    session = SessionPasswords()
    probe_account = Account(
        name=args.name,
        email=args.email,
        incoming=ServerSettings("", 0),  # not known yet: the prompt names no server
        outgoing=ServerSettings("", 0),
        protocol=protocol,
        username=args.username,
        password_command=args.password_command,
        ca_file=args.ca_file,
        display_name=args.display_name,
    )
    password = None
    oauth2 = getattr(args, "auth", "password") == "oauth2"
    detected_oauth = None  # the provider's OAuth endpoints, when detection found them
    if not args.no_verify and not oauth2:  # an OAuth account signs in after it is saved
        try:
            password = get_password(probe_account, ask_password, session=session)
        except PasswordError as exc:
            if args.password_command:
                return _err(f"{sentence(exc)} Nothing was saved.")
            print(f"{sentence(exc)} The login was not verified.", file=sys.stderr)
    if args.detect:
        options.password = password
        options.username = args.username
        result = run_detection(args.email, options, quiet=False)
        print_summary(result)
        if not result.found:
            return _err("no usable servers were found; nothing was saved.", EXIT_FAILURE)
        if result.login_ok is False:
            return _err("the login failed (see above); nothing was saved.", EXIT_FAILURE)
        if result.confirm and not _confirm(result.confirm, args.yes, result.login_deferred):
            return _err("not confirmed; nothing was saved.", EXIT_FAILURE)
        if result.login_deferred and password is not None:
            print("Checking the login on the servers you accepted ...")
            for check in verify_detection(result, password, options):
                print(("Login ok: " if check.ok else "Login FAILED: ") + detect_words.login(check))
            if result.login_ok is False:
                return _err("the login failed (see above); nothing was saved.", EXIT_FAILURE)
        account = result.account(
            args.name,
            username=args.username,
            password_command=args.password_command,
            ca_file=args.ca_file,
            display_name=args.display_name,
        )
        if args.pop3 and account.protocol != "pop3":
            return _err("no POP3 server was found; nothing was saved.", EXIT_FAILURE)
        detected_oauth = result.oauth2_provider
    else:
        try:
            host, port = _host_port(args.incoming, protocol, args.security)
            ohost, oport = _host_port(args.outgoing, "smtp", args.outgoing_security)
        except ValueError as exc:
            return _err(str(exc))
        account = Account(
            name=args.name,
            email=args.email,
            incoming=ServerSettings(host, port, args.security, pins[0]),
            outgoing=ServerSettings(ohost, oport, args.outgoing_security, pins[1]),
            protocol=protocol,
            username=args.username,
            password_command=args.password_command,
            ca_file=args.ca_file,
            display_name=args.display_name,
        )
        plain = "plain" in (args.security, args.outgoing_security)
        if (
            password is not None
            and plain
            and not _confirm(
                [],
                args.yes,
                True,
                "Unencrypted servers",
                "set --security/--outgoing-security to tls or starttls",
            )
        ):
            return _err("not confirmed; nothing was sent or saved.", EXIT_FAILURE)
        if password is not None:
            try:
                resolver = Resolver(options.nameserver, options.timeout)
            except NameserverError as exc:
                return _err(nameserver_option_words(exc))
            checks = verify_account(
                account, password, resolver=resolver, timeout=options.timeout, ca_file=args.ca_file
            )
            for check in checks:
                print(("Login ok: " if check.ok else "Login FAILED: ") + detect_words.login(check))
            if any(_untrusted(c.failure) for c in checks if not c.ok):
                print(UNTRUSTED_ADVICE.format(name=args.name))
            if not all(c.ok for c in checks):
                return _err("the login failed (see above); nothing was saved.", EXIT_FAILURE)
    if options.nameserver:  # the servers were found there: the app resolves them there
        account.extra["nameserver"] = options.nameserver
    if oauth2:
        from tuimail.cli.login import apply_oauth2_options

        try:
            apply_oauth2_options(account, args, detected_oauth)
        except ValueError as exc:
            return _err(f"{exc} Nothing was saved.")
    try:
        path = save_account(account)
    except ConfigError as exc:
        return _err(config_words(exc))
    print(f"Saved account {account.name!r} in {path}.")
    if options.nameserver:
        print(f"Its servers' names are looked up at {options.nameserver} (nameserver).")
    if oauth2:
        if not account.oauth2_token_command:
            print(f"Now sign in: tuimail account login {account.name}")
        return 0
    if password is not None and not args.password_command:
        try:
            stored = keyring_available() and store_in_keyring(account, password)
        except KeyboardInterrupt:  # Ctrl-C while the keyring waits (an unlock prompt)
            return _err(
                f"interrupted; the account {account.name!r} is saved, but its password was "
                "not stored in the keyring: tuimail will ask for it once per session.",
                EXIT_INTERRUPTED,
            )
        if stored:
            print("The password is stored in your keyring.")
        else:
            print(
                "There is no keyring here: tuimail will ask for the password once per "
                "session (or set password_command in the configuration)."
            )
    return 0


def run_list(args: argparse.Namespace) -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        return _err(config_words(exc))
    if args.json:
        from tuimail.cli.jsonout import account, dump

        dump([account(a) for a in config.accounts.values()])
        return 0
    if not config.accounts:
        print("No accounts yet: add one with `tuimail account add NAME --email ADDRESS --detect`.")
        return 0
    for name, acc in config.accounts.items():
        inc, out = acc.incoming, acc.outgoing

        def show(s: ServerSettings) -> str:
            note = " (NOT ENCRYPTED)" if s.security == "plain" else ""
            return f"{s.host}:{s.port} {s.security}{note}"

        print(f"{name}: {acc.email}  {acc.protocol.upper()} {show(inc)}  SMTP {show(out)}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    try:
        config = load_config()
        account = config.accounts.get(args.name)
        if account is None or not remove_account(args.name):
            return _err(f"there is no account named {args.name!r}.")
    except ConfigError as exc:
        return _err(config_words(exc))
    try:
        delete_from_keyring(account)
        if account.auth == "oauth2":  # its sign-in too (keyring entry or 0600 file)
            from tuimail.core.oauth2.tokens import sign_out

            sign_out(account)
    except KeyboardInterrupt:  # Ctrl-C while the keyring waits (an unlock prompt)
        return _err(
            f"interrupted; the account {args.name!r} is removed, but its password (or "
            "sign-in) may not have been deleted from your keyring.",
            EXIT_INTERRUPTED,
        )
    print(f"Removed account {args.name!r}.")
    from tuimail.core.outbox import Outbox

    waiting = Outbox(args.name).count()
    if waiting:  # kept, and still listed by `tuimail outbox`
        noun = "message waits" if waiting == 1 else "messages wait"
        print(
            f"{waiting} unsent {noun} in its outbox, kept: `tuimail outbox` lists them "
            "(add an account of that name again to send them)."
        )
    return 0
