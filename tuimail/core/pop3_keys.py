"""How a POP3 message is recognised when its UIDL cannot be trusted: a stable header key.

A server without a usable UIDL leaves only the message itself to go by. Hashing the
header as sent (what tuimail did before) breaks on mbox servers: UW imapd, qpopper and
Dovecot on mbox write `Status:`, `X-Status:`, `X-Keywords:`, `X-UID:` (qpopper also
`X-UIDL:`) into a message once it has been read, so the next session's hash differs and
the message is downloaded again.

The stable hash covers every header field except a short denylist of fields such
servers write or rewrite in their mailbox files (`SERVER_FIELDS`), with the header
normalised the way a rewrite may change it: fields unfolded, runs of white space made
one space, field names lower-cased, line ends ignored, and the fields taken in sorted
order (a rewrite may move them; the same fields in another order are the same message). A denylist rather than a list of
chosen fields (Message-ID, Date, From, Subject, ...) because every field left in keeps
two different messages apart: a list of chosen fields takes, say, two cron mails sent
in the same second without Message-ID for one, and taking two messages for one loses
the second, while a field we do not know a server rewrites only costs a duplicate.

Messages whose stable hashes are equal (a copy delivered twice with byte-identical
fields) are told apart by their ordinal among the messages of that hash, in message
number order (the server's arrival order): the first is `s:<hash>`, the next
`s:<hash>#1`, and so on, so each is downloaded once.

Header fields alone cannot tell a message from an earlier download with exactly the same
fields: the body evidence (`body_hash`, `body_size`, `header_size`) is what
`tuimail.core.pop3_match` decides such cases by.

`legacy_hash` is the earlier key (the header bytes as sent), still accepted for keys
whose stored message is gone and so could not be recomputed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

# Fields mbox-based servers write or rewrite in the mailbox (lower-case names).
SERVER_FIELDS = frozenset(
    {
        b"status",  # UW imapd, Dovecot mbox, qpopper: "R"/"O" read state
        b"x-status",  # UW imapd, Dovecot mbox: answered, flagged, deleted, draft
        b"x-keywords",  # UW imapd, Dovecot mbox: keywords
        b"x-uid",  # UW imapd, Dovecot mbox: IMAP UID
        b"x-imap",  # UW imapd: UIDVALIDITY, in the first message
        b"x-imapbase",  # Dovecot mbox: the same
        b"x-uidl",  # qpopper: its UIDL, written into the message
        b"content-length",  # mbox body length, recomputed on rewrite (Solaris, Dovecot)
        b"lines",  # the same, in lines
    }
)

_SPACE = re.compile(rb"[ \t\r\n]+")
STABLE = "s:"
LEGACY_PREFIXES = ("h:", "a:")


def header_lines(lines: Iterable[bytes]) -> list[bytes]:
    """The header lines of a message given as lines without their ends (as poplib
    gives them), up to the first empty one."""
    header = []
    for line in lines:
        if not line:
            break
        header.append(line)
    return header


def raw_header_lines(raw: bytes) -> list[bytes]:
    """The header lines of a whole message as `fetch` stores it (lines CRLF-joined),
    the same lines a TOP of it gave. Only the header is split (a message's first empty
    line is its first CRLF CRLF, or a CRLF at its start)."""
    end = raw.find(b"\r\n\r\n")
    return header_lines((raw if end == -1 else raw[:end]).split(b"\r\n"))


def fields(lines: Sequence[bytes]) -> list[tuple[bytes, bytes]]:
    """(lower-case name, normalised value) per header field, folded lines joined. A line
    without a colon (not a field, but seen in broken mail) becomes a field without a
    name, so it still counts."""
    unfolded: list[bytes] = []
    for line in lines:
        line = line.rstrip(b"\r\n")
        if line[:1] in (b" ", b"\t") and unfolded:
            unfolded[-1] += b" " + line
        else:
            unfolded.append(line)
    result = []
    for field in unfolded:
        name, colon, value = field.partition(b":")
        if not colon:
            name, value = b"", field
        result.append((name.strip().lower(), _SPACE.sub(b" ", value).strip()))
    return result


def stable_hash(lines: Sequence[bytes]) -> str:
    """The hash of the header lines `lines`, blind to what servers rewrite."""
    digest = hashlib.sha256()
    for name, value in sorted(fields(lines)):
        if name in SERVER_FIELDS:
            continue
        digest.update(name + b":" + value + b"\n")
    return digest.hexdigest()


def stable_key(digest: str, ordinal: int = 0) -> str:
    """The key of the `ordinal`-th message (from 0) whose stable hash is `digest`."""
    return f"{STABLE}{digest}" if ordinal == 0 else f"{STABLE}{digest}#{ordinal}"


def legacy_hash(lines: Sequence[bytes]) -> str:
    """The earlier header key's hash: the header lines exactly as sent, CRLF-joined (keys
    "h:<hash>", and "a:<hash>" for the same hash from a downloaded message)."""
    return hashlib.sha256(b"\r\n".join(lines)).hexdigest()


def legacy_keys(lines: Sequence[bytes]) -> tuple[str, str]:
    digest = legacy_hash(lines)
    return "h:" + digest, "a:" + digest


def raw_lines(raw: bytes) -> list[bytes]:
    """A whole message as `fetch` stores it (lines CRLF-joined, final CRLF) back in the
    lines RETR gave (without their ends)."""
    lines = raw.split(b"\r\n")
    return lines[:-1] if lines and not lines[-1] else lines


def header_size(header: Sequence[bytes]) -> int:
    """Octets of these header lines on the wire, with the empty line that ends them."""
    return sum(len(line) + 2 for line in header) + 2


def _body(lines: Sequence[bytes]) -> Sequence[bytes]:
    return lines[len(header_lines(lines)) + 1 :]


def body_size(lines: Sequence[bytes]) -> int:
    """Octets on the wire of the body of a message given as RETR's lines: what LIST's
    size less `header_size` of the header gives while the server keeps the body as it is
    (an mbox server writing status fields changes the header only)."""
    return sum(len(line) + 2 for line in _body(lines))


def raw_evidence(raw: bytes) -> tuple[str, int]:
    """(body_hash, body_size) of a whole message as `fetch` stores it: those of
    `raw_lines(raw)`, read in place (a 56 MB message is not split into a million lines
    nor copied)."""
    if raw.startswith(b"\r\n"):
        start = 2  # an empty first line: no header
    else:
        end = raw.find(b"\r\n\r\n")
        start = len(raw) if end == -1 else end + 4
    rest = len(raw) - start
    size = rest if rest == 0 or raw.endswith(b"\r\n") else rest + 2
    stop = len(raw) - 2 if rest and raw.endswith(b"\r\n") else len(raw)
    while stop > start:  # empty (or blank) lines at the end are not hashed
        cut = raw.rfind(b"\r\n", start, stop)
        if raw[(start if cut == -1 else cut + 2) : stop].strip():
            break
        stop = start if cut == -1 else cut
    return hashlib.sha256(memoryview(raw)[start : max(start, stop)]).hexdigest(), size


def body_hash(lines: Sequence[bytes]) -> str:
    """The hash of the body of a message given as RETR's lines, blind to empty lines at
    its end (an mbox server may count the blank line before the next message in)."""
    body = list(_body(lines))
    while body and not body[-1].strip():
        body.pop()
    return hashlib.sha256(b"\r\n".join(body)).hexdigest()
