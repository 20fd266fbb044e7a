"""POP3 fetch: every message downloaded exactly once, never lost.

The order of operations is what makes it safe:

    UIDL -> RETR -> message and its key committed durably (one transaction)
         -> only then DELE (if the policy says so) -> QUIT

A session that breaks before QUIT has deleted nothing (RFC 1939: deletions happen in the
UPDATE state), and a message whose commit did not finish is simply downloaded again
next time, because its key was never recorded.

Keys: a message is known by its UIDL ("u:" keys). A UIDL is an opaque string chosen by
the server and is only ever used as a database value, never as a file name. When a
server repeats a UIDL within one listing, gives an empty or invalid one (over 70
characters, bytes outside 0x21-0x7E), or offers no UIDL at all, the message is known by
its stable header key instead ("s:", `tuimail.core.pop3_keys`: a hash of its header
minus the fields mbox servers rewrite once a message is read, plus its ordinal among
messages with equal hashes), and a warning says so.

A message keeps its identity when its UIDL turns odd, valid again, or changes between
sessions (a server that renumbered its mailbox): every downloaded message is also
recorded under its stable header key, and a message whose key is new is checked (one
TOP) against the earlier downloads not on the server under their own keys in this
session, before it is downloaded. Each earlier download vouches for at most one message
of a session (its "origin"), so two messages with equal headers are never both taken
for one already stored. Equal header fields are not enough on their own: the evidence
rule (`tuimail.core.pop3_match`: on the server at the last check with the same size or
body size, else the same body, one RETR) decides, so a new message with the fields of a
download that left the server is downloaded; every check records which downloads are
on the server and their sizes (`Pop3State.observe`). Keys of the earlier header hash
("h:"/"a:", the header bytes as sent), kept where the stored message is gone, are still
accepted the same way.

A known UIDL is not trusted blindly where there is a sign the server gave it to another
message (servers that use message numbers as UIDLs reuse them): the message was
deleted from the server by tuimail or missing at a check, or LIST now gives another
size. Then one TOP decides: the same stable header key (and the evidence rule agrees),
and it is the same message; another, and the UIDL no longer names the earlier
download, so the message is new (or another earlier download, found by its headers).
Honest servers cost one LIST per session; an mbox server that writes status fields
costs one TOP per message, once.
"""

from __future__ import annotations

import poplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Protocol

from tuimail.core.account import Account
from tuimail.core.errors import RETR, Failure, Refused, SecurityFailure
from tuimail.core.pop3_errors import Pop3Busy, Pop3Error, Pop3Refused, classify_pop3
from tuimail.core.pop3_keys import (
    LEGACY_PREFIXES,
    STABLE,
    body_hash,
    header_lines,
    legacy_keys,
    stable_hash,
    stable_key,
)
from tuimail.core.pop3_match import BodyOf, resolve, same
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
    origin: int = 0  # the download: every key of one downloaded message shares it
    size: int | None = None  # the server's size for it when last checked
    removed: bool = False  # deleted from the server by tuimail
    body: str | None = None  # pop3_keys.body_hash as downloaded (None: not recorded)
    body_size: int | None = None  # pop3_keys.body_size as downloaded
    absent: bool = False  # not on the server at the last check


class Pop3State(Protocol):
    """Durable per-account state the fetcher needs (the local store implements it)."""

    def known(self, account: str) -> dict[str, KnownMessage]:
        """Every key ever downloaded for the account (kept forever: a message that
        reappears on the server must not be downloaded twice)."""

    def commit(
        self, account: str, key: str, uidl: str | None, raw: bytes, size: int | None = None
    ) -> bool:
        """Store the message in the local INBOX and record its key (and, for a UIDL
        key, its stable header key with the first free ordinal) under one new origin,
        with its size and body evidence (pop3_keys.body_hash and body_size of `raw`),
        atomically and durably; a key already recorded is left alone (idempotent) and
        False returned: True only when this call stored the message."""

    def add_alias(self, account: str, known_key: str, key: str) -> None:
        """Record `key` as another name of the message already known as `known_key`
        (same origin)."""

    def retire(self, account: str, key: str) -> None:
        """`key` no longer names its download (the server gave the UIDL to another
        message): kept under a name nothing looks up."""

    def observe(self, account: str, seen: dict[int, int | None], missing: set[int]) -> None:
        """What a check saw: origin -> the size the server gives the message now (None:
        not given; the last one known is kept) for downloads on the server, and the
        origins of downloads not on it."""

    def removed(self, account: str, origins: set[int]) -> None:
        """These downloads were deleted from the server (QUIT succeeded)."""


# Pop3Result.warnings: what the pass had to work around (the edge, tuimail.words, says it).
NO_UIDL = "pop3-no-uidl"  # no UIDL: messages recognised by a hash of their headers
ODD_UIDL = "pop3-odd-uidl"  # some UIDLs empty, invalid or repeated: those hashed instead
BAD_LISTING = "pop3-bad-listing"  # LIST/UIDL lines without a usable message number: skipped


@dataclass
class Pop3Result:
    downloaded: int = 0
    deleted: int = 0
    on_server: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # keys: NO_UIDL, ODD_UIDL, BAD_LISTING
    refused: list[Failure] = field(default_factory=list)  # messages not sent (asked again)
    stored: list[int] = field(default_factory=list)  # the store's ids of what this pass stored


Progress = Callable[[int, int], None]


def open_pop3(account: Account, timeout: float | None = None) -> poplib.POP3:
    """Connect through tuimail.core.connect, the one place of the TLS policy: implicit
    TLS or mandatory STLS with the certificate verified (and pinned, if chosen), answers
    bounded, and every wait limited by the account's timeout (`timeout = N`)."""
    from tuimail.core import connect

    seconds = connect.account_timeout(account) if timeout is None else timeout
    try:
        address = connect.account_address(account, account.incoming)
        return connect.open_pop3(account.incoming, account.ca_file, seconds, address=address)
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
    if caps and "STLS" in caps and "USER" not in caps and not sasl and not _encrypted(conn):
        # No login offered before STLS (Dovecot off loopback): USER would only be refused.
        raise SecurityFailure(
            reason="login-disabled", protocol="pop3", host=host, data={"encrypted": False}
        )
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
            error.data["login"] = user  # named in the words (tuimail.words)
        raise error from None


def _encrypted(conn: poplib.POP3) -> bool:
    """Whether the session is under TLS (POP3S, or after STLS)."""
    import ssl

    return isinstance(getattr(conn, "sock", None), ssl.SSLSocket)


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
        listing = _list_keys(conn, result)
        result.on_server = len(listing)
        known = state.known(account.name)
        bodies: dict[int, str | None] = {}
        body_of = _body_reader(conn, result, account.incoming.host, bodies)
        _verify_uidls(conn, account, state, listing, known, body_of)
        _recognise(conn, account, state, listing, known, body_of)
        for number in [n for n, digest in bodies.items() if digest is None]:
            del listing[number]  # refused: neither downloaded nor deleted (asked again)
        _observe(account, state, listing, known)
        new = [(n, e) for n, e in listing.items() if e.key not in known]
        for done, (number, entry) in enumerate(new, start=1):
            raw = _retr_whole(conn, number, result, account.incoming.host, entry.size)
            if raw is None:
                continue  # refused: the others still come; it is asked for again next time
            stored = state.commit(account.name, entry.key, entry.uidl, raw, entry.size)
            if stored is not None:  # not one another pass stored meanwhile
                result.downloaded += 1
                result.stored.append(stored)
            if progress:
                progress(done, len(new))
        known = state.known(account.name)
        doomed = _to_delete(account, listing, known, now())
        for number in doomed:
            conn.dele(number)
        # Deletions take effect only when QUIT succeeds (the UPDATE state).
        conn.quit()
        result.deleted = len(doomed)
        if doomed:  # a UIDL seen again after this is checked against the headers
            state.removed(account.name, {known[listing[n].key].origin for n in doomed})
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


def _body_reader(
    conn: poplib.POP3, result: Pop3Result, host: str, bodies: dict[int, str | None]
) -> BodyOf:
    """Message number -> its body hash (one RETR, once per session; None, and the message
    listed as refused, when the server refuses to send it)."""

    def body_of(number: int) -> str | None:
        if number not in bodies:
            lines = _retr(conn, number, result, host)
            bodies[number] = None if lines is None else body_hash(lines)
        return bodies[number]

    return body_of


def _observe(
    account: Account, state: Pop3State, listing: dict[int, OnServer], known: dict[str, KnownMessage]
) -> None:
    """Record which downloads are on the server now (and their sizes) and which are not:
    the evidence `tuimail.core.pop3_match` decides equal header fields by. Only changes
    are written."""
    records = {record.origin: record for record in known.values()}
    seen: dict[int, int | None] = {}
    for entry in listing.values():
        record = known.get(entry.key)
        if record is not None:
            seen[record.origin] = entry.size
    changed = {
        origin: size
        for origin, size in seen.items()
        if records[origin].absent
        or records[origin].removed
        or (size is not None and records[origin].size != size)
    }
    missing = {o for o, r in records.items() if o not in seen and not r.absent}
    if changed or missing:
        state.observe(account.name, changed, missing)


def _retr(
    conn: poplib.POP3, number: int, result: Pop3Result, host: str, size: int | None = None
) -> list[bytes] | None:
    """One message's lines; None (and a warning) when the server refuses this one message
    with a plain -ERR (a complete answer: the session is still in step), sends it empty,
    or (`size`: what LIST said) sends a start of it only. Anything else (busy, lost,
    broken) ends the pass as before."""
    try:
        _response, lines, octets = conn.retr(number)
    except poplib.error_proto as exc:
        if not _refused(exc, number, result, host):
            raise
        return None
    blank = not any(line.strip() for line in lines)
    if _short(number, result, host, size, octets, blank, b"" in lines):
        return None
    return lines


def _retr_whole(
    conn: poplib.POP3, number: int, result: Pop3Result, host: str, size: int | None = None
) -> bytes | None:
    """The message as `_retr`'s lines CRLF-joined with a final CRLF (what is stored),
    read as poplib reads them but written straight into one buffer: a list of a line
    object each (a 56 MB message: 770,000 of them, +85 MB) is never made."""
    try:
        conn._putcmd(f"RETR {number}")  # poplib.POP3.retr, as _longcmd does it
        conn._getresp()
    except poplib.error_proto as exc:
        if not _refused(exc, number, result, host):
            raise
        return None
    out = BytesIO()  # getvalue() hands over its buffer: no second copy
    octets, blank, empty_line = 0, True, False
    while True:
        line, count = conn._getline()
        if line == b".":
            break
        if line.startswith(b".."):
            count -= 1
            line = line[1:]
        octets += count
        if blank and line.strip():
            blank = False
        if not line:
            empty_line = True
        out.write(line)
        out.write(b"\r\n")
    if _short(number, result, host, size, octets, blank, empty_line):
        return None
    return out.getvalue()


def _refused(exc: poplib.error_proto, number: int, result: Pop3Result, host: str) -> bool:
    """Whether `exc` refuses this one message (noted: the others still come)."""
    error = classify_pop3(exc, host=host)
    if not isinstance(error, Refused):
        return False
    result.refused.append(Failure(error, "", "INBOX", RETR, str(number)))
    return True


def _short(
    number: int,
    result: Pop3Result,
    host: str,
    size: int | None,
    octets: int,
    blank: bool,
    empty_line: bool,
) -> bool:
    """Whether an answer is too little to be the message (noted as a refusal)."""
    if blank:
        # "+OK" and at once the end: no header, no text. Stored, it would stand for the
        # message (never downloaded again) and, with leave_on_server off, the message
        # itself would be deleted from the server: taken as a refusal instead.
        reason = "empty-message"
    elif size and octets * 2 < size and not empty_line:
        # Not even the blank line that ends the header, and under half the size LIST
        # gave (servers' sizes are near, not exact): a cut-off answer, not the message.
        # Taken as a refusal, as an empty one: never stored for it, never deleted.
        reason = "cut-short-message"
    else:
        return False
    error = Pop3Refused(reason=reason, host=host)
    result.refused.append(Failure(error, "", "INBOX", RETR, str(number)))
    return True


@dataclass
class OnServer:
    """One message of the session's listing: its key, its UIDL as given, and its header
    lines when a TOP was needed for the key."""

    key: str
    uidl: str | None
    header: list[bytes] | None = None
    digest: str | None = None  # stable header hash: set for a message keyed by it
    size: int | None = None  # as LIST gave it (None: not given, or not a number)


def _list_keys(conn: poplib.POP3, result: Pop3Result) -> dict[int, OnServer]:
    """Message number -> what it is known by, for every message on the server (a listing
    line without a usable message number is skipped and noted: the others still come)."""
    skipped: list[bytes] = []
    try:
        _resp, lines, _ = conn.uidl()
    except poplib.error_proto:
        result.warnings.append(NO_UIDL)
        _resp, lines, _ = conn.list()
        sizes = parse_list(lines, skipped)
        _note_skipped(result, skipped)
        return _hashed(conn, {number: None for number in sizes}, sizes)
    listing = parse_uidl_listing(lines, skipped)
    sizes = _sizes(conn, skipped)
    _note_skipped(result, skipped)
    for number in sizes:
        if number not in listing:  # left out of the UIDL listing (a broken server):
            listing[number] = ""  # recognised by its headers, as with an empty UIDL
    keys = uidl_keys(listing)
    odd = {number: uidl for number, uidl in listing.items() if number not in keys}
    if odd:
        result.warnings.append(ODD_UIDL)
    keyed = {
        number: OnServer(key, listing[number], size=sizes.get(number))
        for number, key in keys.items()
    }
    keyed.update(_hashed(conn, odd, sizes))
    return dict(sorted(keyed.items()))


def _note_skipped(result: Pop3Result, skipped: list[bytes]) -> None:
    if skipped and BAD_LISTING not in result.warnings:
        result.warnings.append(BAD_LISTING)


def _sizes(conn: poplib.POP3, skipped: list[bytes]) -> dict[int, int | None]:
    """LIST: every message number and its size; empty when the server refuses LIST."""
    try:
        _resp, lines, _ = conn.list()
    except poplib.error_proto as exc:
        if not isinstance(classify_pop3(exc), Refused):
            raise
        return {}
    return parse_list(lines, skipped)


def parse_list(lines: list[bytes], skipped: list[bytes] | None = None) -> dict[int, int | None]:
    """Message number -> size (None when it is not a number) of a LIST answer. A line
    that does not start with a message number (1 to 999999999) is left out, and added to
    `skipped`: one bad line never stops the other messages."""
    sizes: dict[int, int | None] = {}
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        number = _number(line)
        if number is None:
            _skip(line, skipped)
            continue
        size = parts[1] if len(parts) > 1 else b""
        sizes[number] = int(size) if size.isdigit() and len(size) <= 15 else None
    return sizes


def parse_uidl_listing(lines: list[bytes], skipped: list[bytes] | None = None) -> dict[int, str]:
    """Message number -> unique-id (as given, "" when missing) of a UIDL listing. A line
    that does not start with a message number (1 to 999999999) is left out, and added to
    `skipped` (a message listed by LIST is still recognised by its headers)."""
    listing: dict[int, str] = {}
    for line in lines:
        parts = line.split(None, 1)
        if not parts:
            continue
        number = _number(line)
        if number is None:
            _skip(line, skipped)
            continue
        listing[number] = parts[1].strip().decode("ascii", "replace") if len(parts) > 1 else ""
    return listing


def _skip(line: bytes, skipped: list[bytes] | None) -> None:
    if skipped is not None:
        skipped.append(line[:200])  # data, worded (sanitised) at the edge


def uidl_keys(listing: dict[int, str]) -> dict[int, str]:
    """Message number -> "u:" key for the messages whose UIDL is usable: valid (RFC
    1939: 1 to 70 characters 0x21-0x7E) and given to no other message of the listing."""
    counts: dict[str, int] = {}
    for uidl in listing.values():
        counts[uidl] = counts.get(uidl, 0) + 1
    return {
        number: "u:" + uidl
        for number, uidl in listing.items()
        if counts[uidl] == 1 and _valid_uidl(uidl)
    }


def _hashed(
    conn: poplib.POP3, numbers: dict[int, str | None], sizes: dict[int, int | None]
) -> dict[int, OnServer]:
    """Stable header keys for these messages (one TOP each), in message number order,
    messages with equal hashes told apart by their ordinal."""
    seen: dict[str, int] = {}
    keyed = {}
    for number in sorted(numbers):
        header = _top_header(conn, number)
        digest = stable_hash(header)
        ordinal = seen.get(digest, 0)
        seen[digest] = ordinal + 1
        key = stable_key(digest, ordinal)
        keyed[number] = OnServer(key, numbers[number], header, digest, sizes.get(number))
    return keyed


def _number(line: bytes) -> int | None:
    """The message number a UIDL or LIST line starts with; None when it is not one
    (not digits, 0, or over 9 digits: no server holds a billion messages)."""
    word = line.split(None, 1)[0]
    if not word.isdigit() or len(word) > 9 or int(word) == 0:
        return None
    return int(word)


def _verify_uidls(
    conn: poplib.POP3,
    account: Account,
    state: Pop3State,
    listing: dict[int, OnServer],
    known: dict[str, KnownMessage],
    body_of: BodyOf,
) -> None:
    """A known UIDL stands for the message downloaded under it, unless there is a sign
    that the server gave it to another message (servers that number their UIDLs reuse
    them): that message left the server (deleted by tuimail, or not listed at a check),
    or the server now gives another size than it did. Then its headers decide (one
    TOP), and where they are equal the evidence rule (`tuimail.core.pop3_match.same`:
    the same body size, else the body itself): the same message (an mbox server wrote
    status fields into it, or did not delete it) keeps its UIDL; another one, and the
    UIDL key is retired from the earlier download, so the message counts as new (and is
    still recognised by its headers if it is another earlier download). With no header
    key to compare with, the UIDL is trusted, as before."""
    mine: dict[int, set[str]] = {}  # origin -> its header hashes (stable and legacy keys)
    for key, entry in known.items():
        if key.startswith(STABLE):
            mine.setdefault(entry.origin, set()).add(key[len(STABLE) :].partition("#")[0])
        elif key.startswith(LEGACY_PREFIXES):
            mine.setdefault(entry.origin, set()).add(key)
    for number, entry in listing.items():
        record = known.get(entry.key) if entry.digest is None else None
        if record is None:
            continue
        if (
            not record.removed
            and not record.absent
            and (entry.size is None or record.size in (None, entry.size))
        ):
            continue
        hashes = mine.get(record.origin)
        if not hashes:
            continue
        if entry.header is None:
            entry.header = _top_header(conn, number)
        if hashes & {stable_hash(entry.header), *legacy_keys(entry.header)}:
            if same(entry, number, record, body_of) is not False:
                continue  # the same message (or unreadable now: dropped from the pass)
        state.retire(account.name, entry.key)
        del known[entry.key]


def _recognise(
    conn: poplib.POP3,
    account: Account,
    state: Pop3State,
    listing: dict[int, OnServer],
    known: dict[str, KnownMessage],
    body_of: BodyOf,
) -> None:
    """Settle which earlier download each message of the listing is, each download
    vouching for one message at most (its origin). Messages whose UIDL is known are
    settled first. The others, grouped by stable header hash, are decided by the
    evidence rule (`tuimail.core.pop3_match.resolve`) against the earlier downloads of
    that hash not yet taken: messages keyed by their headers, and messages with a new
    UIDL (it changed, or turned valid: looked up by one TOP while any download is not
    accounted for). A download with no evidence (kept from before it was recorded) is
    taken by the earlier rule: for a header-keyed message unless tuimail deleted it
    from the server with another size, for a new UIDL only with the size the server
    gives now. Then keys of the earlier header hash ("h:"/"a:"). A message found under
    another key gets that key recorded (or, for a header-keyed one, takes the key
    found); a header-keyed message that is new gets the first ordinal no download has."""
    claimed = {
        known[entry.key].origin
        for entry in listing.values()
        if entry.digest is None and entry.key in known
    }
    by_hash: dict[str, list[tuple[int, KnownMessage]]] = {}
    for key, entry in known.items():
        if key.startswith(STABLE):
            digest, _, ordinal = key[len(STABLE) :].partition("#")
            by_hash.setdefault(digest, []).append((int(ordinal or 0), entry))
    for candidates in by_hash.values():
        candidates.sort(key=lambda item: item[0])
    evidenced = {entry.origin for entry in known.values() if entry.body is not None}
    assigned = {entry.key for entry in listing.values() if entry.digest is None}

    def earlier(digest: str) -> list[KnownMessage]:
        """The downloads of this hash not taken, one per origin, in ordinal order."""
        found: dict[int, KnownMessage] = {}
        for _ordinal, entry in by_hash.get(digest, ()):
            if entry.origin not in claimed:
                found.setdefault(entry.origin, entry)
        return list(found.values())

    def legacy(header: list[bytes]) -> list[KnownMessage]:
        return [
            known[key]
            for key in legacy_keys(header)
            if key in known
            and known[key].origin not in claimed
            and known[key].origin not in evidenced
        ]

    def fits(candidate: KnownMessage, size: int | None) -> bool:
        """The server gives the size the download had (or one of them is unknown)."""
        return candidate.size is None or size is None or candidate.size == size

    def old_rule(entry: OnServer, candidate: KnownMessage) -> bool:
        if entry.digest is not None:
            return not candidate.removed or fits(candidate, entry.size)
        return fits(candidate, entry.size)

    groups: dict[str, list[tuple[int, OnServer]]] = {}
    for number, entry in listing.items():
        if entry.digest is not None and entry.header is not None:
            groups.setdefault(entry.digest, []).append((number, entry))
    if len({entry.origin for entry in known.values()} - claimed):
        for number, entry in listing.items():
            if entry.digest is not None or entry.key in known:
                continue
            if entry.header is None:
                entry.header = _top_header(conn, number)
            digest = stable_hash(entry.header)
            if earlier(digest) or legacy(entry.header):
                groups.setdefault(digest, []).append((number, entry))
    for digest, members in groups.items():
        members.sort(key=lambda item: item[0])
        decided = resolve(members, earlier(digest), body_of, old_rule)
        for number, entry in members:
            if number not in decided:
                continue  # refused: dropped from this pass by the caller
            match = decided[number]
            if match is not None:
                claimed.add(match.origin)
            if entry.digest is not None and match is not None:
                entry.key = match.key
            elif entry.digest is not None:
                ordinal = 0
                while (key := stable_key(digest, ordinal)) in known or key in assigned:
                    ordinal += 1
                entry.key = key
                found = next(iter(legacy(entry.header or [])), None)
                if found is not None and old_rule(entry, found):
                    claimed.add(found.origin)
                    state.add_alias(account.name, found.key, entry.key)
                    known[entry.key] = found
            else:
                if match is None:
                    found = next(
                        (c for c in legacy(entry.header or []) if old_rule(entry, c)), None
                    )
                    if found is None:
                        continue
                    match = found
                    claimed.add(match.origin)
                state.add_alias(account.name, match.key, entry.key)
                known[entry.key] = match
            assigned.add(entry.key)


def _valid_uidl(uidl: str) -> bool:
    return 0 < len(uidl) <= MAX_UIDL_LENGTH and all(0x21 <= ord(c) <= 0x7E for c in uidl)


def _top_header(conn: poplib.POP3, number: int) -> list[bytes]:
    """The header lines of message `number`, by TOP n 0; TOP is optional (RFC 1939), so
    a server that refuses it is asked for the whole message (RETR) instead."""
    try:
        _resp, lines, _ = conn.top(number, 0)
    except poplib.error_proto as exc:
        if not isinstance(classify_pop3(exc), Refused):
            raise
        _resp, lines, _ = conn.retr(number)
    return header_lines(lines)


def _to_delete(
    account: Account,
    listing: dict[int, OnServer],
    known: dict[str, KnownMessage],
    now: float,
) -> list[int]:
    """Message numbers to DELE: only ever messages already committed to the store."""
    doomed = []
    for number, on_server in listing.items():
        entry = known.get(on_server.key)
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
