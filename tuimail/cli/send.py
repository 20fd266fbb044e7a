"""`tuimail send` (like `sendmail -t`, through the outbox) and `tuimail outbox`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
import time
from email.policy import SMTP as email_policy
from email.utils import format_datetime, getaddresses, make_msgid

from tuimail.cli.exits import EXIT_FAILURE, EXIT_USAGE
from tuimail.core.account import Account
from tuimail.core.config import ConfigError, load_config
from tuimail.core.connect import account_timeout
from tuimail.core.outbox import DEFERRED, Outbox, OutboxEntry
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import PasswordError, Secret, get_password
from tuimail.words.config import config_words
from tuimail.words.describe import describe, sentence
from tuimail.words.outbox import outbox_reason, refusal, refused_recipients, state_label
from tuimail.words.sent import sent_copy


def register(sub: argparse._SubParsersAction) -> None:
    send = sub.add_parser(
        "send",
        help="send a message read from a file or standard input (sendmail-compatible)",
        description="Send an RFC 5322 message through the outbox: if it cannot be sent now "
        "it stays there, and the exit status is not zero. Recipients are the ADDRESS "
        "arguments; with none (or with -t) they are also read from To, Cc and Bcc (from "
        "Resent-To, Resent-Cc and Resent-Bcc instead when the message has them). Bcc is "
        "removed before sending. The options of sendmail and msmtp that git send-email, "
        "mutt and cron use are accepted, so `git send-email --sendmail-cmd='tuimail send'` "
        "works, and `tuimail -i ADDRESS...` (what --smtp-server=$(which tuimail) runs) "
        "means `tuimail send -i ADDRESS...`.",
    )
    send.add_argument(
        "--account",
        "-a",
        help="the account to send from (default: the one whose address "
        "is the sender, or the only one)",
    )
    send.add_argument(
        "-t",
        dest="read_recipients",
        action="store_true",
        help="also take recipients from the To, Cc and Bcc headers (as sendmail -t)",
    )
    send.add_argument(
        "-f",
        "--from",
        "-r",
        dest="envelope_from",
        metavar="ADDRESS",
        help="the envelope sender; also picks the account with this address",
    )
    send.add_argument(
        "-F", dest="full_name", metavar="NAME", help="your name, for a From header tuimail writes"
    )
    send.add_argument(
        "-i",
        dest="ignore_dots",
        action="store_true",
        help="accepted and ignored: a line with a single dot never ends the message here",
    )
    send.add_argument(
        "-o",
        dest="sendmail_options",
        action="append",
        default=[],
        metavar="X",
        help="sendmail's -oX options (-oi, -oem, -odi ...): accepted and ignored",
    )
    send.add_argument(
        "-b", dest="mode", default="m", choices=["m"], help="sendmail mode: only -bm (deliver)"
    )
    for flag, what in (
        ("-B", "body type (-B8BITMIME, as cron passes)"),
        ("-N", "DSN notify (-N success,failure, as mutt passes)"),
        ("-R", "DSN return (-R hdrs)"),
        ("-V", "DSN envelope id"),
    ):
        send.add_argument(
            flag,
            dest=f"ignored_{flag[1]}",
            metavar="X",
            help=f"sendmail's {what}: accepted and ignored",
        )
    send.add_argument(
        "-v", dest="sendmail_verbose", action="store_true", help="accepted (see --verbose)"
    )
    send.add_argument(
        "--file", dest="message_file", metavar="FILE", help="read the message from FILE"
    )
    send.add_argument(
        "args",
        nargs="*",
        metavar="ADDRESS",
        help="recipients; an argument without @ names the message file instead "
        "(default: standard input)",
    )
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


def _err(command: str, message: str, code: int = EXIT_FAILURE) -> int:
    print(f"tuimail {command}: {sanitize(message)}", file=sys.stderr)
    return code


# -- reading the message ---------------------------------------------------------------


def _split(raw: bytes) -> tuple[list[bytes], bytes | memoryview]:
    """Header lines (each with its folded continuation lines) and the body, CRLF (a
    view of it: a 40 MB body is not copied here)."""
    if raw.count(b"\n") != raw.count(b"\r\n"):
        raw = re.sub(rb"\r?\n", b"\r\n", raw)  # LF-only files are common
    end = raw.find(b"\r\n\r\n")
    if end == -1:  # no empty line: all header ("Subject: x\n" from a script), no body
        head, body = (raw[:-2] if raw.endswith(b"\r\n") else raw), b""
    else:
        head, body = raw[:end], memoryview(raw)[end + 4 :]
    if end == -1 and not re.match(rb"^[!-9;-~]+:", raw):
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


def strip_mbox_from(raw: bytes) -> bytes:
    """Without the mbox separator (`From sender date`) that `git format-patch` writes first."""
    if raw.startswith(b"From "):
        _, _, rest = raw.partition(b"\n")
        return rest
    return raw


def _recipient_fields(values: dict[str, list[str]]) -> list[str]:
    """The fields whose addresses are the recipients: To, Cc and Bcc; for a message being
    re-sent (it has Resent-To, -Cc or -Bcc: a bounce, RFC 5322 3.6.6) those instead, as
    sendmail -t and Postfix do, never again its original recipients."""
    names = ["to", "cc", "bcc"]
    if any(values.get("resent-" + name) for name in names):
        names = ["resent-" + name for name in names]
    return names


def _header_recipients(values: dict[str, list[str]]) -> list[str]:
    """The addresses in the recipient fields (_recipient_fields)."""
    names = _recipient_fields(values)
    found = getaddresses([v for name in names for v in values.get(name, [])])
    return [addr for _, addr in found]


def unreadable_recipients(raw: bytes) -> list[str]:
    """The recipient fields (To, Cc, Bcc or their Resent- forms) holding an address that
    cannot be read, each as "To: value": getaddresses drops "bob@" or "<bob@>" without a
    word ("To: alice@x, bob@" went to alice alone), and keeps "bob" (no domain), which
    the recipients then never include. Told by an "@" the addresses read do not account
    for, or an address with no "@"."""
    fields, _ = _split(strip_mbox_from(raw))
    values: dict[str, list[str]] = {}
    for f in fields:
        values.setdefault(_name(f), []).append(_value(f))
    bad = []
    for name in _recipient_fields(values):
        for value in values.get(name, []):
            found = getaddresses([value])
            ats = sum(n.count("@") + a.count("@") for n, a in found)
            if value.count("@") > ats or any(a and "@" not in a for _, a in found):
                bad.append(f"{name.title()}: {value}")
    return bad


def unsendable(recipients: list[str]) -> dict[str, dict]:
    """The recipients no server could ever take (not local@domain, an empty domain label,
    a line break, a domain IDNA cannot write), each with its refusal as data
    (tuimail.core.smtp_address); SMTPUTF8 is the server's to decide, not checked here."""
    from tuimail.core.smtp_address import AddressError, envelope_address

    bad = {}
    for rcpt in recipients:
        try:
            envelope_address(rcpt)
        except AddressError as exc:
            bad[rcpt] = exc.refusal()
    return bad


def _argument_recipients(arguments: list[str]) -> list[str]:
    """The addresses in sendmail's recipient arguments: each one an address list, as
    sendmail reads it ("a@x,b@y", "Bob <b@y>"). Given whole to RCPT TO they went out as
    "<a@x,b@y>", which Postfix took for a@x alone: b@y never got the message. An
    argument that does not parse as addresses is kept as written (refused by name)."""
    out: list[str] = []
    for argument in arguments:
        found = [addr for _name, addr in getaddresses([argument])]
        out += found if found and all("@" in addr for addr in found) else [argument]
    return out


def _unique(addresses: list[str]) -> list[str]:
    out: list[str] = []
    for addr in addresses:
        addr = addr.strip()
        if addr and "@" in addr and addr.lower() not in {r.lower() for r in out}:
            out.append(addr)
    return out


def prepare(
    raw: bytes,
    account: Account,
    *,
    recipients: list[str] | None = None,
    from_headers: bool | None = None,
    full_name: str | None = None,
) -> tuple[bytes, list[str]]:
    """The message to submit (mbox From line and Bcc removed; From, Date, Message-ID
    added when missing) and its recipients.

    Recipients are `recipients` (sendmail's arguments) plus, when `from_headers` is true
    (default: when no `recipients` were given), those in To, Cc and Bcc. A From written
    here carries the name (`full_name`, else the account's display name).
    """
    fields, body = _split(strip_mbox_from(raw))
    values: dict[str, list[str]] = {}
    for f in fields:
        values.setdefault(_name(f), []).append(_value(f))
    given = _argument_recipients(recipients or [])
    if from_headers is None:
        from_headers = not given
    found = _unique(given + (_header_recipients(values) if from_headers else []))
    kept = [_folded(f) for f in fields if _name(f) not in ("bcc", "resent-bcc")]
    added = []
    if "from" not in values:
        name = full_name if full_name is not None else account.display_name
        added.append(f"From: {_from_header(name, account.email)}".encode())
    if "date" not in values:
        added.append(f"Date: {format_datetime(_now())}".encode())
    if "message-id" not in values:
        added.append(f"Message-ID: {make_msgid(domain=account.domain)}".encode())
    out = b"".join((b"\r\n".join(kept + added), b"\r\n\r\n", body))
    return out, found


MAX_LINE = 998  # octets in a line, CRLF not counted (RFC 5322 2.1.1: MUST)
FOLD_AT = 78  # where a line is folded when it has to be (RFC 5322 2.1.1: SHOULD)


class HeaderLineTooLong(ValueError):
    """A header field with a line over 998 octets and no white space to fold it at:
    no valid message can carry it as written. `field` its name, `length` the line's."""

    def __init__(self, field: str, length: int) -> None:
        super().__init__(f"{field}: a line of {length} octets")
        self.field, self.length = field, length


def _folded(field: bytes) -> bytes:
    """The field with every line over MAX_LINE octets folded at white space (RFC 5322
    2.2.3: CRLF inserted before a space or tab, which unfolding removes again), into
    lines of about FOLD_AT; shorter lines are left exactly as written. Raises
    HeaderLineTooLong when a line cannot be brought under MAX_LINE that way."""
    lines = field.split(b"\r\n")
    if all(len(line) <= MAX_LINE for line in lines):
        return field
    out: list[bytes] = []
    for line in lines:
        if len(line) <= MAX_LINE:
            out.append(line)
            continue
        pieces = re.split(rb"(?=[ \t])", line)
        current = pieces[0]
        for piece in pieces[1:]:
            if len(current) + len(piece) > FOLD_AT and current.strip() and piece.strip():
                out.append(current)
                current = piece
            else:
                current += piece
        out.append(current)
    longest = max(len(line) for line in out)
    if longest > MAX_LINE:
        name = field.split(b":", 1)[0].decode("ascii", "replace")  # as written
        raise HeaderLineTooLong(name, longest)
    return b"\r\n".join(out)


def _from_header(name: str | None, email: str) -> str:
    """`Name <addr>`, the name encoded (RFC 2047) when it is not plain ASCII."""
    from email.headerregistry import Address

    name = (name or "").strip()
    if not name:
        return email
    header = email_policy.header_factory("from", str(Address(display_name=name, addr_spec=email)))
    return header.fold(policy=email_policy).split(":", 1)[1].strip()


def _now():
    from datetime import datetime

    return datetime.now().astimezone()


def _pick_account(
    accounts: dict[str, Account], name: str | None, raw: bytes, sender: str | None = None
) -> Account:
    if name:
        if name not in accounts:
            known = ", ".join(sorted(accounts)) or "none"
            raise LookupError(f"there is no account named {name!r} (configured: {known})")
        return accounts[name]
    if not accounts:
        raise LookupError("no account is configured; add one with `tuimail account add`")
    if len(accounts) == 1:
        return next(iter(accounts.values()))
    senders = [sender.lower()] if sender else []
    senders += _from_addresses(raw)
    for account in accounts.values():
        if account.email.lower() in senders:
            return account
    from tuimail.core.compose import own_addresses

    for account in accounts.values():  # then its aliases and identities
        if own_addresses(account) & set(senders):
            return account
    known = ", ".join(sorted(accounts))
    if senders:  # the sender (-f, From) is none of theirs: say which address was looked for
        raise LookupError(
            f"no account has the sender's address {senders[0]!r} (accounts: {known}): "
            "choose one with --account"
        )
    raise LookupError(
        f"several accounts are configured ({known}) and the message names no sender: "
        "choose one with --account"
    )


def _from_addresses(raw: bytes) -> list[str]:
    """The lower-cased addresses in the message's From header(s)."""
    fields, _ = _split(strip_mbox_from(raw))
    return [a.lower() for f in fields if _name(f) == "from" for _, a in getaddresses([_value(f)])]


def _envelope_sender(account: Account, raw: bytes) -> str:
    """The account's identity the message is From (its address as configured), else the
    account's own address: bounces go back to the address the message was written as."""
    from tuimail.core.identities import identities

    written = set(_from_addresses(raw))
    for identity in identities(account):
        if identity.key in written:
            return identity.email
    return account.email


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
    text = state_label(entry)
    why = outbox_reason(entry)
    if why:
        text += f": {why}"
    if entry.state == "retrying" and entry.next_attempt:
        text += (
            f" (next attempt at {time.strftime('%H:%M:%S', time.localtime(entry.next_attempt))})"
        )
    return sanitize(text)


def _entry_json(entry: OutboxEntry) -> dict:
    """One outbox entry for `--json` (docs/json.md): its state as stored, `last_error` the
    sentence (the same words as the listing) and `failure` the typed record it is made of;
    likewise `refused` (address -> why, as sentences) and `sent_copy` (the sentence) next
    to `copy` (the data)."""
    data = entry.to_json()
    data["last_error"] = outbox_reason(entry) or None
    refused = entry.refused if isinstance(entry.refused, dict) else {}  # a damaged file
    data["refused"] = {str(a): refusal(r) for a, r in refused.items()}
    data["sent_copy"] = sent_copy(entry) or None
    return data


def _message_source(args: argparse.Namespace) -> tuple[str | None, list[str]]:
    """The message file (if any) and the recipients among the positional arguments."""
    path = args.message_file
    recipients = []
    for arg in args.args:
        if "@" in arg:
            recipients.append(arg)
        elif path is None:
            path = arg  # `tuimail send FILE`
        else:
            raise ValueError(f"{arg!r} is not an address (and the message file is {path!r})")
    return path, recipients


def run_send(args: argparse.Namespace) -> int:
    try:
        path, given = _message_source(args)
    except ValueError as exc:
        print(f"tuimail send: {sanitize(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if path:
            with open(path, "rb") as f:
                raw = f.read()
        else:
            raw = sys.stdin.buffer.read()
    except OSError as exc:
        print(f"tuimail send: cannot read {sanitize(path or '-')}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    text = strip_mbox_from(raw)
    if not text or text.isspace():  # (strip() would copy a big message)
        print("tuimail send: the message is empty", file=sys.stderr)
        return EXIT_USAGE
    try:
        config = load_config()
        account = _pick_account(config.accounts, args.account, raw, args.envelope_from)
    except ConfigError as exc:
        print(f"tuimail send: {config_words(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except LookupError as exc:
        print(f"tuimail send: {sanitize(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    try:
        message, recipients = prepare(
            raw,
            account,
            recipients=given,
            from_headers=True if args.read_recipients else None,
            full_name=args.full_name,
        )
    except HeaderLineTooLong as exc:  # never an invalid message on the wire
        return _err(
            "send",
            f"not sent: the {exc.field} header has a line of {exc.length} characters with no "
            f"space to fold it at (a message's lines may have at most {MAX_LINE}). Nothing "
            "was sent or queued.",
            EXIT_USAGE,
        )
    unreadable = unreadable_recipients(raw) if args.read_recipients or not given else []
    if unreadable:  # never sent to some of its recipients only
        fields = "; ".join(unreadable)
        return _err(
            "send",
            f"not sent: an address in {fields} cannot be read (write it as local@domain). "
            "Nothing was sent or queued.",
            EXIT_USAGE,
        )
    if not recipients:
        print(
            "tuimail send: the message has no recipients (give them as arguments, or in "
            "To, Cc or Bcc)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    bad = unsendable(recipients)
    if bad:  # refused before it is queued: no server could ever take them
        named = "; ".join(f"{address}: {refusal(why)}" for address, why in bad.items())
        return _err("send", f"{named}. Nothing was sent or queued.", EXIT_USAGE)
    sender = args.envelope_from or _envelope_sender(account, raw)
    from tuimail.cli.account_check import ca_file_sentence

    problem = ca_file_sentence(account)  # never queued: it could only fail later
    if problem:
        return _err("send", f"{problem} Nothing was sent or queued.", EXIT_USAGE)
    try:
        password = _password(account)
    except PasswordError as exc:
        outbox = Outbox(account.name)
        try:  # kept for when the password is there (`outbox --retry`, the app)
            entry = outbox.enqueue(message, sender, recipients)
        except OSError as failed:  # a full disk, an unwritable data directory
            return _err("send", f"{sentence(exc)} {_not_queued(outbox, failed)}")
        kept = f"The message is kept in the outbox ({entry.id})."
        return _err("send", f"{sentence(exc)} {kept}", EXIT_USAGE)
    from tuimail.cli.alerts import begin, say_alerts

    begin([account.name])
    outbox = Outbox(account.name)
    try:
        entry = outbox.enqueue(message, sender, recipients)  # durable before the attempt
    except OSError as exc:  # a full disk, an unwritable data directory
        return _err("send", f"not sent: {_not_queued(outbox, exc)}")
    try:
        entry = asyncio.run(
            outbox.send(entry.id, account, password, timeout=account_timeout(account))
        )
    except KeyboardInterrupt:
        return _interrupted(outbox, entry.id)
    outbox.prune_sent(account.sent_retention_days)
    say_alerts([account.name])  # the Sent copy's connection's (RFC 3501 7.1)
    logging.getLogger("tuimail.cli").info(
        "send %s via %s: %s (%d recipients)", entry.id, account.name, entry.state, len(recipients)
    )
    if entry.delivered:  # also when some recipients are still to be tried again
        print(sanitize(f"Sent to {', '.join(entry.delivered)}. {_copy_note(entry)}".rstrip()))
    if entry.state == "sent":
        return 0
    if entry.refused:
        _err("send", f"not delivered to: {refused_recipients(entry)}")
    if entry.state == "partial":
        return EXIT_FAILURE
    if entry.state == "maybe_sent":  # who has it was said above; who may have it now
        return _err(
            "send",
            sanitize(
                f"may have been sent to {', '.join(entry.recipients)}: {outbox_reason(entry)}."
                f" It stays in the outbox ({entry.id}): check their mail, then "
                f"`tuimail outbox --resend {entry.id}`."
            ),
        )
    head = "not sent to everyone yet" if entry.delivered else "not sent"
    if entry.state == "failed":
        return _err(
            "send",
            f"{head}: {_describe(entry)}. It will not be retried by itself; it stays in "
            f"the outbox ({entry.id}): see `tuimail outbox`.",
        )
    return _err(
        "send",
        f"{head}: {_describe(entry)}. The message stays in the outbox ({entry.id}); "
        "see `tuimail outbox`.",
    )


def _not_queued(outbox: Outbox, exc: OSError) -> str:
    """The outbox could not be written: where and why, and that nothing is queued."""
    where = sanitize(str(exc.filename or outbox.dir))
    return (
        f"the message could not be written to the outbox ({where}: "
        f"{exc.strerror or type(exc).__name__}). Nothing was sent or queued."
    )


def _interrupted(outbox: Outbox, entry_id: str) -> int:
    """Ctrl-C during the first attempt: where the message is now, in one sentence (what
    a process that died leaves is decided as Outbox.recover does), and exit 130."""
    from tuimail.cli.exits import EXIT_INTERRUPTED

    outbox.recover()
    try:
        entry: OutboxEntry | None = outbox.get(entry_id)
    except KeyError:
        entry = None
    state = entry.state if entry is not None else None
    # Who already has it (a transaction the server answered, a recipient deferred with 4xx)
    got = sanitize(", ".join(entry.delivered)) if entry is not None else ""
    rest = sanitize(", ".join(entry.recipients)) if entry is not None else ""
    if state in ("sent", "partial"):
        said = f"interrupted after the server took the message ({entry_id}); it was sent."
    elif state is None:
        said = f"interrupted; see `tuimail outbox` for the message ({entry_id})."
    elif got and state == "maybe_sent":
        said = (
            f"interrupted while the message was going out: {got} already got it; for "
            f"{rest} it may have been delivered. It stays in the outbox ({entry_id}) and is "
            "not sent again without you: check their mail, then "
            f"`tuimail outbox --resend {entry_id}`."
        )
    elif got:
        said = (
            f"interrupted after the message was sent to {got}; it stays in the outbox "
            f"({entry_id}) for {rest}: `tuimail outbox --retry` sends it to them (the app "
            "does too)."
        )
    elif state == "maybe_sent":
        said = (
            f"interrupted while the message was going out: it may have been delivered. It "
            f"stays in the outbox ({entry_id}) and is not sent again without you: check the "
            f"recipients' mail, then `tuimail outbox --resend {entry_id}`."
        )
    else:
        said = (
            f"interrupted before the message went out; it stays in the outbox ({entry_id}): "
            "`tuimail outbox --retry` sends it (the app sends it too)."
        )
    return _err("send", said, EXIT_INTERRUPTED)


def _copy_note(entry: OutboxEntry) -> str:
    copy = sent_copy(entry)
    return f"Copy: {copy}." if copy else ""


def run_outbox(args: argparse.Namespace) -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        return _err("outbox", config_words(exc), EXIT_USAGE)
    accounts = config.accounts
    if args.account:
        if args.account not in accounts:
            return _err("outbox", f"there is no account named {args.account!r}", EXIT_USAGE)
        accounts = {args.account: accounts[args.account]}
    from tuimail.cli.account_check import ca_file_sentence
    from tuimail.core.outbox import unclaimed

    # Messages of an account renamed or removed since: listed (never hidden), removable.
    orphans = [] if args.account else unclaimed(config.accounts)
    status = 0
    if args.remove or args.resend:
        entry_id = args.remove or args.resend
        # an orphan (its account renamed or removed) first, as listed; then the accounts'
        boxes = [(box, None) for box in orphans]
        boxes += [(Outbox(account.name), account) for account in accounts.values()]
        for box, account in boxes:
            if not (box.dir / f"{entry_id}.eml").exists():
                continue
            if args.remove:
                if not box.discard(entry_id):  # another tuimail is sending it right now
                    return _err("outbox", f"{entry_id} is being sent right now; not removed", 1)
                print(f"Removed {entry_id} from the outbox.")
                return 0
            if account is None:  # no account to send it with
                return _err("outbox", _unconfigured(box.get(entry_id)), EXIT_USAGE)
            problem = ca_file_sentence(account)
            if problem:
                return _err("outbox", f"{problem} {entry_id} stays in the outbox.", EXIT_USAGE)
            from tuimail.cli.alerts import begin, say_alerts

            begin([account.name])
            entry = asyncio.run(
                box.send(
                    entry_id,
                    account,
                    _password(account),
                    force=True,
                    resend_maybe_sent=True,  # the user named this message
                    timeout=account_timeout(account),
                )
            )
            say_alerts([account.name])  # the Sent copy's connection's
            print(f"{entry.id}: {_describe(entry)}")
            return 0 if entry.state == "sent" else 1
        return _err("outbox", f"no message {entry_id!r} in the outbox", EXIT_USAGE)
    if args.retry:
        for account in accounts.values():
            box = Outbox(account.name)
            if not box.count():
                continue
            problem = ca_file_sentence(account)
            if problem:
                status = _err("outbox", f"{problem} Its messages stay in the outbox.", EXIT_USAGE)
                continue
            try:
                password = _password(account)
            except PasswordError as exc:
                status = _err("outbox", f"{account.name}: {describe(exc)}", EXIT_USAGE)
                continue
            from tuimail.cli.alerts import begin, say_alerts

            begin([account.name])
            for entry in asyncio.run(box.process(account, password, force=True)):
                if entry.state not in ("sent", "partial"):
                    status = 1
            say_alerts([account.name])  # the Sent copy's connection's
    listing = []
    for account in accounts.values():
        box = Outbox(account.name)
        box.recover()
        listing += box.entries()
    stray = [entry for box in orphans for entry in box.entries()]
    if args.retry and status == 0:
        left = _left_waiting(listing, stray)
        if left:  # --retry did not empty the outbox: said, and not a success
            status = _err("outbox", left)
    if args.json:
        shown = [_entry_json(e) | {"account_configured": True} for e in listing]
        shown += [_entry_json(e) | {"account_configured": False} for e in stray]
        print(json.dumps(shown, indent=1, ensure_ascii=False))
        return status
    if not listing and not stray:
        print("The outbox is empty.")
    strays = {entry.id for entry in stray}
    for entry in listing + stray:
        # still to deliver, else (being moved to sent/) delivered; none: never recorded
        to = ", ".join(entry.recipients or entry.delivered) or "(recipients not recorded)"
        subject = entry.subject or "(no subject)"
        print(sanitize(f"{entry.id}  [{entry.account}]  to {to}  {subject}"))
        print(f"    {_describe(entry)}")
        if entry.refused and (entry.failure or {}).get("reason") == DEFERRED:  # others wait
            print(f"    not delivered to: {refused_recipients(entry)}")
        if entry.id in strays:
            print(f"    {_unconfigured(entry)}")
        elif entry.state == "maybe_sent":
            print(f"    check the recipient's mail first; `tuimail outbox --resend {entry.id}`")
    return status


def _left_waiting(listing: list[OutboxEntry], stray: list[OutboxEntry]) -> str:
    """After --retry, why messages are still in the outbox ("" when none is): the ones
    that may have been sent or were refused wait for the user, those of an account no
    longer configured for one of that name."""
    maybe = sum(entry.state == "maybe_sent" for entry in listing)
    failed = sum(entry.state == "failed" for entry in listing)
    others = len(listing) - maybe - failed
    parts = []
    if maybe:
        parts.append(
            f"{_messages(maybe)} may have been sent already and {_are(maybe)} not sent again "
            "without you (check the recipients' mail, then `tuimail outbox --resend ID`)"
        )
    if failed:
        parts.append(f"{_messages(failed)} could not be sent (see below)")
    if others:
        parts.append(f"{_messages(others)} still {_are(others)} waiting (see below)")
    if stray:
        parts.append(
            f"{_messages(len(stray))} of an account no longer configured {_are(len(stray))} "
            "not sent (see below)"
        )
    return ("; ".join(parts) + ".") if parts else ""


def _messages(count: int) -> str:
    return f"{count} message" + ("" if count == 1 else "s")


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _unconfigured(entry: OutboxEntry) -> str:
    """Why a message of an account no longer configured is not sent, and what to do."""
    return sanitize(
        f"not sent: its account {entry.account!r} is no longer configured; add an account "
        f"of that name again to send it, or remove it (`tuimail outbox --remove {entry.id}`)"
    )
