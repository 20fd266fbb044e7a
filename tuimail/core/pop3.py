"""POP3 fetch: every message downloaded exactly once, never lost.

The order of operations is what makes it safe:

    UIDL -> RETR -> message and its key committed durably (one transaction)
         -> only then DELE (if the policy says so) -> QUIT

A session that breaks before QUIT has deleted nothing (RFC 1939: deletions happen in the
UPDATE state), and a message whose commit did not finish is simply downloaded again
next time, because its key was never recorded.

Keys: a message is known by its UIDL. A UIDL is an opaque string chosen by the server and
is only ever used as a database value, never as a file name. When a server repeats a
UIDL within one listing, gives an empty or invalid one (over 70 characters, bytes outside
0x21-0x7E), or offers no UIDL at all, the key is a hash of the message's headers
(TOP n 0) instead, and a warning says so: with such a server, two messages with
byte-identical headers would be taken for one, which is why leave-on-server then
becomes unreliable and the warning asks the user to turn it off.

A message keeps its identity when the server's UIDL for it turns odd, or valid again:
every message is also recorded under the hash of its downloaded headers ("a:" keys), so
a message now keyed by hash ("h:") is found among them; and once the state holds any
"h:" key, a message whose UIDL is new is checked against those (one TOP) before it is
downloaded.
"""

from __future__ import annotations

import hashlib
import poplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from tuimail.core.account import Account
from tuimail.core.errors import RETR, Failure, Refused
from tuimail.core.pop3_errors import Pop3Busy, Pop3Error, classify_pop3
from tuimail.core.secrets import Secret, as_secret

# Real HTML mail has lines far longer than poplib's 2048-byte default, and unwrapped
# base64 images or minified HTML make lines of megabytes (connect.py raises it too; here
# so that importing this module alone is enough). A line that never ends is still
# stopped by the answer's bound (connect.MAX_RESPONSE).
POP3_MAX_LINE = 64 << 20
poplib._MAXLINE = max(poplib._MAXLINE, POP3_MAX_LINE)

DAY = 86_400.0
MAX_UIDL_LENGTH = 70  # RFC 1939 7: 1 to 70 characters in the range 0x21 to 0x7E


__all__ = ["Pop3Busy", "Pop3Error", "fetch", "login", "open_pop3"]


@dataclass
class KnownMessage:
    key: str
    downloaded_at: float
    deleted_locally: bool = False


class Pop3State(Protocol):
    """Durable per-account state the fetcher needs (the local store implements it)."""

    def known(self, account: str) -> dict[str, KnownMessage]:
        """Every key ever downloaded for the account (kept forever: a message that
        reappears on the server must not be downloaded twice)."""

    def commit(self, account: str, key: str, uidl: str | None, raw: bytes) -> None:
        """Store the message in the local INBOX and record its key (and its alias,
        `alias_key(raw)`), atomically and durably; a key already recorded is
        left alone (idempotent)."""

    def add_alias(self, account: str, known_key: str, key: str) -> None:
        """Record `key` as another name of the message already known as `known_key`."""


# Pop3Result.warnings: what the pass had to work around (the edge, tuimail.words, says it).
NO_UIDL = "pop3-no-uidl"  # no UIDL: messages recognised by a hash of their headers
ODD_UIDL = "pop3-odd-uidl"  # some UIDLs empty, invalid or repeated: those hashed instead


@dataclass
class Pop3Result:
    downloaded: int = 0
    deleted: int = 0
    on_server: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # keys: NO_UIDL, ODD_UIDL
    refused: list[Failure] = field(default_factory=list)  # messages not sent (asked again)


Progress = Callable[[int, int], None]


def open_pop3(account: Account, timeout: float | None = None) -> poplib.POP3:
    """Connect through tuimail.core.connect, the one place of the TLS policy: implicit
    TLS or mandatory STLS with the certificate verified (and pinned, if chosen), answers
    bounded, and every wait limited by the account's timeout (`timeout = N`)."""
    from tuimail.core import connect

    seconds = connect.account_timeout(account) if timeout is None else timeout
    try:
        return connect.open_pop3(account.incoming, account.ca_file, seconds)
    except Exception as exc:
        raise classify_pop3(exc, host=account.incoming.host) from None


def login(conn: poplib.POP3, account: Account, password: Secret | str) -> None:
    """The one POP3 login (runtime, setup verification, doctor): USER/PASS, or AUTH PLAIN
    where the server offers SASL PLAIN and not USER. One attempt: a rejection is raised
    (typed: Pop3Busy for [IN-USE]/[SYS/TEMP]/[LOGIN-DELAY], AuthenticationFailed for
    [AUTH] or a bare -ERR), never followed by another mechanism."""
    pop3_login(conn, account.login, as_secret(password), host=account.incoming.host)


def pop3_login(conn: poplib.POP3, user: str, password: Secret, *, host: str | None = None) -> str:
    """Log in on an open session; returns the mechanism ("USER" or "PLAIN"; for an OAuth
    account's BearerToken "OAUTHBEARER" or "XOAUTH2", the token renewed once and tried once
    more when the server rejects it)."""
    import base64

    try:
        caps = conn.capa()
    except poplib.error_proto:
        caps = {}
    except Exception as exc:
        raise classify_pop3(exc, host=host) from None
    sasl = [m.upper() for m in caps.get("SASL", [])]
    from tuimail.core.secrets import BearerToken

    if isinstance(password, BearerToken):
        return _bearer_login(conn, user, password, sasl, host)
    try:
        if not caps or "USER" in caps or "PLAIN" not in sasl:
            conn.user(user)
            conn.pass_(password.reveal())
            return "USER"
        token = base64.b64encode(f"\0{user}\0{password.reveal()}".encode()).decode()
        conn._shortcmd(f"AUTH PLAIN {token}")
        return "PLAIN"
    except Exception as exc:
        error = classify_pop3(exc, host=host, login=True)
        if isinstance(error, Pop3Error) and error.kind == "authentication":
            error.message = f"login failed for {user}"
        raise error from None


def _bearer_login(
    conn: poplib.POP3, user: str, token: Secret, sasl: list[str], host: str | None
) -> str:
    from tuimail.core.oauth2.auth import pop3_authenticate
    from tuimail.core.oauth2.tokens import with_bearer

    port = getattr(conn, "port", 0) or 0

    def attempt(current: Secret) -> str:
        try:
            return pop3_authenticate(conn, user, current, sasl, host=host or "", port=port)
        except Exception as exc:
            error = classify_pop3(exc, host=host, login=True)
            for name in ("challenge", "mechanism"):  # what the edge explains a refusal by
                if hasattr(exc, name):
                    setattr(error, name, getattr(exc, name))
            raise error from None

    return with_bearer(token, attempt)


def fetch(
    account: Account,
    password: Secret | str,
    state: Pop3State,
    *,
    now: Callable[[], float] = time.time,
    progress: Progress | None = None,
    connect: Callable[[Account], poplib.POP3] = open_pop3,
) -> Pop3Result:
    """One POP3 pass: download what is new, then delete what the policy says, then QUIT."""
    started = time.monotonic()
    result = Pop3Result()
    conn = connect(account)
    try:
        login(conn, account, password)
        keys = _list_keys(conn, result)
        result.on_server = len(keys)
        known = state.known(account.name)
        _recognise_by_headers(conn, account, state, keys, known)
        new = [(number, key, uidl) for number, (key, uidl) in keys.items() if key not in known]
        for done, (number, key, uidl) in enumerate(new, start=1):
            lines = _retr(conn, number, result, account.incoming.host)
            if lines is None:
                continue  # refused: the others still come; it is asked for again next time
            state.commit(account.name, key, uidl, b"\r\n".join(lines) + b"\r\n")
            result.downloaded += 1
            if progress:
                progress(done, len(new))
        known = state.known(account.name)
        doomed = _to_delete(account, keys, known, now())
        for number in doomed:
            conn.dele(number)
        # Deletions take effect only when QUIT succeeds (the UPDATE state).
        conn.quit()
        result.deleted = len(doomed)
    except Pop3Error:
        _close(conn)
        raise
    except (poplib.error_proto, OSError, UnicodeError, MemoryError) as exc:
        _close(conn)
        raise classify_pop3(exc, host=account.incoming.host) from None
    except BaseException:
        _close(conn)
        raise
    result.seconds = time.monotonic() - started
    return result


def _retr(conn: poplib.POP3, number: int, result: Pop3Result, host: str) -> list[bytes] | None:
    """One message's lines; None (and a warning) when the server refuses this one message
    with a plain -ERR (a complete answer: the session is still in step). Anything else
    (busy, lost, broken) ends the pass as before."""
    try:
        _response, lines, _octets = conn.retr(number)
    except poplib.error_proto as exc:
        error = classify_pop3(exc, host=host)
        if not isinstance(error, Refused):
            raise
        result.refused.append(Failure(error, "", "INBOX", RETR, str(number)))
        return None
    return lines


def _list_keys(conn: poplib.POP3, result: Pop3Result) -> dict[int, tuple[str, str | None]]:
    """Message number -> (key, uidl) for every message on the server."""
    try:
        _resp, lines, _ = conn.uidl()
    except poplib.error_proto:
        result.warnings.append(NO_UIDL)
        _resp, lines, _ = conn.list()
        numbers = [_number(line) for line in lines if line.strip()]
        return {number: (_header_key(conn, number), None) for number in numbers}
    listing: dict[int, str] = {}
    for line in lines:
        parts = line.split(None, 1)
        if not parts:
            continue
        uidl = parts[1].strip().decode("ascii", "replace") if len(parts) > 1 else ""
        listing[_number(line)] = uidl
    for number in _unlisted(conn, listing):
        listing[number] = ""  # no UIDL given: recognised by its headers, as an empty one
    counts: dict[str, int] = {}
    for uidl in listing.values():
        counts[uidl] = counts.get(uidl, 0) + 1
    keys: dict[int, tuple[str, str | None]] = {}
    odd = False
    for number, uidl in listing.items():
        if counts[uidl] > 1 or not _valid_uidl(uidl):
            odd = True
            keys[number] = (_header_key(conn, number), uidl)
        else:
            keys[number] = ("u:" + uidl, uidl)
    if odd:
        result.warnings.append(ODD_UIDL)
    return keys


def _unlisted(conn: poplib.POP3, listing: dict[int, str]) -> list[int]:
    """Messages the server has but left out of its UIDL listing (a broken server): STAT
    counts them (one short command); only when the count differs, LIST names them."""
    try:
        count, _size = conn.stat()
    except (poplib.error_proto, ValueError, IndexError):
        return []  # no usable count: the listing is all there is
    if count == len(listing):
        return []
    _resp, lines, _ = conn.list()
    numbers = [_number(line) for line in lines if line.strip()]
    return [number for number in numbers if number not in listing]


def _number(line: bytes) -> int:
    """The message number a UIDL or LIST line starts with."""
    word = line.split(None, 1)[0]
    if not word.isdigit() or len(word) > 9:
        raise poplib.error_proto(
            "the mail server sent a message listing without message numbers (not POP3)"
        )
    return int(word)


def _recognise_by_headers(
    conn: poplib.POP3,
    account: Account,
    state: Pop3State,
    keys: dict[int, tuple[str, str | None]],
    known: dict[str, KnownMessage],
) -> None:
    """A message with a new UIDL may be one stored earlier under its header hash (its
    UIDL was odd then): look it up before downloading it again, and remember the UIDL."""
    by_hash = any(key.startswith("h:") for key in known)
    for number, (key, _uidl) in keys.items():
        if key in known:
            continue
        if key.startswith("h:"):
            alias = "a:" + key[2:]
        elif by_hash:  # only then is a TOP worth it: the usual case needs none
            alias = _header_key(conn, number)
        else:
            continue
        if alias in known:
            state.add_alias(account.name, alias, key)
            known[key] = known[alias]


def _valid_uidl(uidl: str) -> bool:
    return 0 < len(uidl) <= MAX_UIDL_LENGTH and all(0x21 <= ord(c) <= 0x7E for c in uidl)


def header_key(lines: list[bytes]) -> str:
    """The key of a message by its header lines (up to the first empty line)."""
    header = []
    for line in lines:
        if not line:
            break
        header.append(line)
    return "h:" + hashlib.sha256(b"\r\n".join(header)).hexdigest()


def alias_key(raw: bytes) -> str:
    """The "a:" key of a downloaded message (CRLF line ends, as `fetch` stores it): the
    hash `header_key` gives for the same message, under another prefix."""
    return "a:" + header_key(raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n") + [b""])[2:]


def _header_key(conn: poplib.POP3, number: int) -> str:
    """The header hash of message `number`, by TOP n 0; TOP is optional (RFC 1939), so a
    server that refuses it is asked for the whole message (RETR) instead."""
    try:
        _resp, lines, _ = conn.top(number, 0)
    except poplib.error_proto as exc:
        if not isinstance(classify_pop3(exc), Refused):
            raise
        _resp, lines, _ = conn.retr(number)
    return header_key(lines)


def _to_delete(
    account: Account,
    keys: dict[int, tuple[str, str | None]],
    known: dict[str, KnownMessage],
    now: float,
) -> list[int]:
    """Message numbers to DELE: only ever messages already committed to the store."""
    doomed = []
    for number, (key, _uidl) in keys.items():
        entry = known.get(key)
        if entry is None:
            continue  # not in the store: never delete
        if not account.leave_on_server:
            doomed.append(number)
        elif account.delete_after_days > 0 and now - entry.downloaded_at >= (
            account.delete_after_days * DAY
        ):
            doomed.append(number)
        elif account.delete_on_server_when_deleted_locally and entry.deleted_locally:
            doomed.append(number)
    return doomed


def _close(conn: poplib.POP3) -> None:
    """Drop the connection without QUIT, so nothing marked for deletion is deleted."""
    try:
        conn.close()
    except OSError:
        pass
