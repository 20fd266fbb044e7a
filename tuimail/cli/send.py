"""`tuimail send` (like `sendmail -t`, through the outbox) and `tuimail outbox`."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from email.utils import format_datetime, getaddresses, make_msgid

from tuimail.core.account import Account
from tuimail.core.config import ConfigError, load_config
from tuimail.core.connect import account_timeout
from tuimail.core.outbox import Outbox, OutboxEntry, send_now
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import PasswordError, Secret, get_password


def register(sub: argparse._SubParsersAction) -> None:
    send = sub.add_parser(
        "send",
        help="send a message read from a file or standard input",
        description="Send an RFC 5322 message (recipients from To, Cc and Bcc; Bcc is "
        "removed before sending). The message goes through the outbox: if it cannot be "
        "sent now it stays there, and the exit status is not zero.",
    )
    send.add_argument("--account", "-a", help="the account to send from")
    send.add_argument("file", nargs="?", help="the message (default: standard input)")
    send.set_defaults(func=run_send)

    box = sub.add_parser("outbox", help="list the outbox, or send what is waiting")
    box.add_argument("--account", "-a", help="only this account")
    box.add_argument("--retry", action="store_true", help="send waiting and failed messages now")
    box.add_argument(
        "--resend",
        metavar="ID",
        help="send one message again, even one that may already have been delivered",
    )
    box.add_argument("--remove", metavar="ID", help="delete a message from the outbox")
    box.add_argument("--json", action="store_true", help="machine-readable output")
    box.set_defaults(func=run_outbox)


def _err(command: str, message: str) -> int:
    print(f"tuimail {command}: {sanitize(message)}", file=sys.stderr)
    return 1


# -- reading the message ---------------------------------------------------------------


def _split(raw: bytes) -> tuple[list[bytes], bytes]:
    """Header lines (each with its folded continuation lines) and the body, CRLF."""
    raw = re.sub(rb"\r?\n", b"\r\n", raw)  # LF-only files are common
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep and not re.match(rb"^[!-9;-~]+:", raw):
        head, body = b"", raw
    fields: list[bytes] = []
    for line in head.split(b"\r\n") if head else []:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    return fields, body


def _name(field: bytes) -> str:
    return field.split(b":", 1)[0].strip().decode("ascii", "replace").lower()


def _value(field: bytes) -> str:
    value = field.split(b":", 1)[1] if b":" in field else b""
    return re.sub(r"\r\n(?=[ \t])", "", value.decode("utf-8", "surrogateescape")).strip()


def prepare(raw: bytes, account: Account) -> tuple[bytes, list[str]]:
    """The message to submit (Bcc removed; From, Date, Message-ID added when missing)."""
    fields, body = _split(raw)
    values: dict[str, list[str]] = {}
    for f in fields:
        values.setdefault(_name(f), []).append(_value(f))
    recipients: list[str] = []
    for _, addr in getaddresses(
        values.get("to", []) + values.get("cc", []) + values.get("bcc", [])
    ):
        addr = addr.strip()
        if addr and "@" in addr and addr.lower() not in {r.lower() for r in recipients}:
            recipients.append(addr)
    kept = [f for f in fields if _name(f) not in ("bcc", "resent-bcc")]
    added = []
    if "from" not in values:
        added.append(f"From: {account.email}".encode())
    if "date" not in values:
        added.append(f"Date: {format_datetime(_now())}".encode())
    if "message-id" not in values:
        added.append(f"Message-ID: {make_msgid(domain=account.domain)}".encode())
    out = b"\r\n".join(kept + added) + b"\r\n\r\n" + body
    return out, recipients


def _now():
    from datetime import datetime

    return datetime.now().astimezone()


def _pick_account(accounts: dict[str, Account], name: str | None, raw: bytes) -> Account:
    if name:
        if name not in accounts:
            known = ", ".join(sorted(accounts)) or "none"
            raise LookupError(f"there is no account named {name!r} (configured: {known})")
        return accounts[name]
    if not accounts:
        raise LookupError("no account is configured; add one with `tuimail account add`")
    if len(accounts) == 1:
        return next(iter(accounts.values()))
    fields, _ = _split(raw)
    senders = [
        a.lower() for f in fields if _name(f) == "from" for _, a in getaddresses([_value(f)])
    ]
    for account in accounts.values():
        if account.email.lower() in senders:
            return account
    raise LookupError("several accounts are configured: choose one with --account")


def _password(account: Account) -> Secret:
    def ask(prompt: str) -> str | None:
        try:  # the message may be on stdin: ask on the terminal itself
            with open("/dev/tty", "r+") as tty:
                import getpass

                return getpass.getpass(prompt, stream=tty)
        except OSError:
            return None

    return get_password(account, ask)


# -- commands --------------------------------------------------------------------------


def _describe(entry: OutboxEntry) -> str:
    text = f"{entry.label}"
    if entry.last_error:
        text += f": {entry.last_error}"
    if entry.state == "retrying" and entry.next_attempt:
        text += (
            f" (next attempt at {time.strftime('%H:%M:%S', time.localtime(entry.next_attempt))})"
        )
    return sanitize(text)


def run_send(args: argparse.Namespace) -> int:
    try:
        if args.file:
            with open(args.file, "rb") as f:
                raw = f.read()
        else:
            raw = sys.stdin.buffer.read()
    except OSError as exc:
        return _err("send", f"cannot read {args.file}: {exc.strerror}")
    if not raw.strip():
        return _err("send", "the message is empty")
    try:
        config = load_config()
        account = _pick_account(config.accounts, args.account, raw)
    except (ConfigError, LookupError) as exc:
        return _err("send", str(exc))
    message, recipients = prepare(raw, account)
    if not recipients:
        return _err("send", "the message has no recipients (To, Cc or Bcc)")
    try:
        password = _password(account)
    except PasswordError as exc:
        outbox = Outbox(account.name)
        entry = outbox.enqueue(message, account.email, recipients)
        return _err("send", f"{exc} The message is kept in the outbox ({entry.id}).")
    entry = asyncio.run(
        send_now(
            message, account.email, recipients, account, password, timeout=account_timeout(account)
        )
    )
    if entry.state == "sent":
        print(f"Sent to {', '.join(entry.delivered)}. {_copy_note(entry)}")
        return 0
    if entry.state == "partial":
        print(f"Sent to {', '.join(entry.delivered)}. {_copy_note(entry)}")
        refused = "; ".join(f"{a}: {r}" for a, r in entry.refused.items())
        return _err("send", f"not delivered to: {refused}")
    return _err(
        "send",
        f"not sent: {_describe(entry)}. The message stays in the outbox ({entry.id}); "
        "see `tuimail outbox`.",
    )


def _copy_note(entry: OutboxEntry) -> str:
    return sanitize(f"Copy: {entry.sent_copy}.") if entry.sent_copy else ""


def run_outbox(args: argparse.Namespace) -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        return _err("outbox", str(exc))
    accounts = config.accounts
    if args.account:
        if args.account not in accounts:
            return _err("outbox", f"there is no account named {args.account!r}")
        accounts = {args.account: accounts[args.account]}
    status = 0
    if args.remove or args.resend:
        entry_id = args.remove or args.resend
        for account in accounts.values():
            box = Outbox(account.name)
            if not (box.dir / f"{entry_id}.eml").exists():
                continue
            if args.remove:
                box.remove(entry_id)
                print(f"Removed {entry_id} from the outbox.")
                return 0
            entry = asyncio.run(
                box.send(
                    entry_id,
                    account,
                    _password(account),
                    force=True,
                    timeout=account_timeout(account),
                )
            )
            print(f"{entry.id}: {_describe(entry)}")
            return 0 if entry.state == "sent" else 1
        return _err("outbox", f"no message {entry_id!r} in the outbox")
    if args.retry:
        for account in accounts.values():
            box = Outbox(account.name)
            if not box.entries():
                continue
            try:
                password = _password(account)
            except PasswordError as exc:
                status = _err("outbox", f"{account.name}: {exc}")
                continue
            for entry in asyncio.run(box.process(account, password, force=True)):
                if entry.state not in ("sent", "partial"):
                    status = 1
    listing = []
    for account in accounts.values():
        box = Outbox(account.name)
        box.recover()
        listing += box.entries()
    if args.json:
        print(json.dumps([e.to_json() for e in listing], indent=1, ensure_ascii=False))
        return status
    if not listing:
        print("The outbox is empty.")
    for entry in listing:
        to = ", ".join(entry.recipients)
        subject = entry.subject or "(no subject)"
        print(sanitize(f"{entry.id}  [{entry.account}]  to {to}  {subject}"))
        print(f"    {_describe(entry)}")
        if entry.state == "maybe_sent":
            print(f"    check the recipient's mail first; `tuimail outbox --resend {entry.id}`")
    return status
