"""Folder names as a server lists them: one LIST/LSUB line at a time, never all or nothing.

    entries, bad = list_folders(client)   # LIST "" "*" on a connected IMAPClient
    entries, bad = parse_list(untagged)   # imaplib's untagged LIST data
    entry.name      # what the store keeps and the user sees
    entry.wire      # the bytes the server sent (after unquoting)
    entry.malformed # not valid modified UTF-7: `name` is the wire text, sent back verbatim

Invariants:
- A line that cannot be read is returned in `bad` (its text, bounded) and never stops the
  lines around it: one odd folder never hides the others.
- Any astring a server may send is accepted: quoted, literal, or an atom with `]` or `[`
  in it (Dovecot sends `]` unquoted; imapclient's parser refuses "a]b[c" and splits on `%`).
- A name that is not well-formed modified UTF-7 (RFC 3501 5.1.3) is kept as the server
  spelled it and registered with `remember_raw` for that mailbox (host, port, login), so commands
  naming it there send those exact bytes back (imapclient would re-encode it into a name the server does not have).
- Two folders never share a name: a well-formed name that decodes to the name of one
  kept as spelled ("Caf&AOk-" beside a raw UTF-8 "Café") is kept as its own spelling too
  (raw), so both are reachable. A raw 8-bit name that is not UTF-8 cannot be named back
  (the store keeps text): it is an unreadable line, said once.
"""

from __future__ import annotations

import imaplib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from imapclient.exceptions import IMAPClientError, ProtocolError
from imapclient.imap_utf7 import decode as _utf7_decode
from imapclient.imap_utf7 import encode as _utf7_encode
from imapclient.response_parser import parse_response as _parse_response

from tuimail.core.errors import MailError, Refused
from tuimail.core.imap.depth import bounded

parse_response = bounded(_parse_response)  # a nesting too deep is the server's fault

MAX_NAME = 4096  # bytes of a folder name we accept (a longer one is reported, not stored)


@dataclass(frozen=True)
class ListEntry:
    flags: tuple[bytes, ...]
    delimiter: str | None
    wire: bytes
    name: str
    malformed: bool = False


_HEAD = re.compile(rb"^\(([^()]*)\)[ ]+(NIL|\"(?:\\.|[^\"\\])\")[ ]+", re.I)
_QUOTED = re.compile(rb'^"((?:\\.|[^"\\])*)"')
_LITERAL = re.compile(rb"^\{(\d+)\+?\}$")
_ATOM = re.compile(rb"^([^\s(){\"]+)")

Server = tuple[str, int, str]  # (host, port, login): names are remembered per mailbox


def mailbox_owner(client) -> Server:
    """Whose folder names a connected IMAPClient sees: its server and the login it was
    logged in with (tuimail.core.imap.login sets `tuimail_login`). Two accounts on one
    server may list the same name, one in raw UTF-8 and one in modified UTF-7: a raw
    spelling remembered for the server alone made the other's folder unreachable."""
    return (str(client.host), int(client.port), str(getattr(client, "tuimail_login", "")))


def account_owner(account) -> Server:
    """mailbox_owner for an account's incoming server (before any connection)."""
    return (str(account.incoming.host), int(account.incoming.port), str(account.login))


_raw_lock = threading.Lock()
_raw_names: set[tuple[Server, str]] = set()


def remember_raw(server: Server, name: str) -> None:
    """From now on `name` is sent to `server` exactly as written (no UTF-7 encoding)."""
    with _raw_lock:
        _raw_names.add((server, name))


def is_raw(server: Server, name: object) -> bool:
    with _raw_lock:
        return isinstance(name, str) and (server, name) in _raw_names


def decode_name(wire: bytes) -> tuple[str, bool]:
    """(name, malformed): the modified UTF-7 decoding when `wire` is well-formed (it
    encodes back to the same bytes), else the wire text itself and True."""
    try:
        text = wire.decode("ascii")
    except UnicodeDecodeError:
        return wire.decode("utf-8", "replace"), True  # (parse_line refuses non-UTF-8)
    if "&" not in text and text.isprintable():
        return text, False
    try:
        name = _utf7_decode(wire)
        if _utf7_encode(name) == wire and not _has_surrogates(name):
            return name, False
    except Exception:
        pass
    return text, True


def _has_surrogates(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _unquote(body: bytes) -> bytes:
    return re.sub(rb"\\(.)", rb"\1", body)


def read_astring(
    text: bytes, literal: bytes | None, fail: Callable[[str], Exception]
) -> tuple[bytes, bytes]:
    """The mailbox name at the start of `text` (of a LIST or STATUS line), in any astring
    form a server may send: quoted (with escapes), an atom that may hold `]` and `[`, or a
    literal imaplib read apart (`literal`; `text` is then its announcement, {N}). Returns
    (its wire bytes, what follows it in `text`); `fail(problem)` is raised otherwise."""
    if literal is not None:
        if not _LITERAL.match(text.strip()):
            raise fail("literal-unannounced")
        return bytes(literal), b""
    if text.startswith(b'"'):
        quoted = _QUOTED.match(text)
        if quoted is None:
            raise fail("unterminated")
        return _unquote(quoted.group(1)), text[quoted.end() :]
    if _LITERAL.match(text.strip()):
        raise fail("literal-missing")
    atom = _ATOM.match(text)
    if atom is None:
        raise fail("no-name")
    return atom.group(1), text[atom.end() :]


class BadListLine(ValueError):
    """A LIST/LSUB line that cannot be read, as data: `problem` (LIST_PROBLEMS) and
    `size` (the name's bytes, for "name-too-long"); the edge words it
    (tuimail.words.where). Its text is a record for logs."""

    def __init__(self, problem: str, size: int = 0) -> None:
        super().__init__(f"list line: {problem}")
        self.problem = problem
        self.size = size


LIST_PROBLEMS = (
    "not-list",  # not a LIST answer at all
    "literal-unannounced",  # a literal where no name was announced
    "unterminated",  # an unterminated quoted name
    "literal-missing",  # a literal that never came
    "no-name",
    "empty-name",
    "name-too-long",  # (size)
    "nul-cr-lf",  # NUL, CR or LF in the name: it could not be sent back in a command
    "not-utf8",  # 8-bit bytes that are not UTF-8: no name sends them back
)


@dataclass(frozen=True)
class UnreadableLine:
    """A LIST line parse_list could not read: why (BadListLine.problem, size) and the
    start of the line as the server sent it (decoded, not yet sanitised)."""

    problem: str
    line: str
    size: int = 0


def parse_line(line: bytes, literal: bytes | None = None) -> ListEntry:
    """One LIST/LSUB answer without its "* LIST " prefix; BadListLine if it is not one."""
    head = _HEAD.match(line)
    if head is None:
        raise BadListLine("not-list")
    flags = tuple(head.group(1).split())
    delim_token = head.group(2)
    delimiter = (
        None
        if delim_token.upper() == b"NIL"
        else _unquote(delim_token[1:-1]).decode("utf-8", "replace")
    )
    wire, _after = read_astring(line[head.end() :], literal, BadListLine)
    if not wire:
        raise BadListLine("empty-name")
    if len(wire) > MAX_NAME:
        raise BadListLine("name-too-long", len(wire))
    if b"\x00" in wire or b"\r" in wire or b"\n" in wire:
        # Other controls are valid in a quoted name (RFC 3501 TEXT-CHAR): kept, and made
        # safe where shown (sanitize); these three cannot be sent back in a command.
        raise BadListLine("nul-cr-lf")
    try:
        wire.decode("utf-8")
    except UnicodeDecodeError:
        raise BadListLine("not-utf8") from None
    name, malformed = decode_name(wire)
    if name.upper() == "INBOX":
        # INBOX is case-insensitive (RFC 3501 5.1): Yahoo lists "Inbox". Kept in one
        # spelling, or the store had an "Inbox" that nothing asking for INBOX found.
        name = "INBOX"
    if delimiter is not None and len(delimiter) != 1:
        delimiter = None
    return ListEntry(flags, delimiter, wire, name, malformed)


def parse_list(
    data: list | None, server: Server | None = None
) -> tuple[list[ListEntry], list[UnreadableLine]]:
    """imaplib's untagged LIST (or LSUB) data -> (entries, the unreadable lines).
    imaplib gives a line with a literal as (line, literal) followed by the rest of the line."""
    entries: list[ListEntry] = []
    bad: list[UnreadableLine] = []
    for item in data or ():
        if item is None or item == b"" or item == b")":
            continue
        try:
            if isinstance(item, tuple):
                entry = parse_line(bytes(item[0]), bytes(item[1]))
            elif isinstance(item, bytes):
                entry = parse_line(item)
            else:
                continue
        except ValueError as exc:  # BadListLine, or a library's on bytes it cannot take
            raw = item[0] if isinstance(item, tuple) else item
            shown = bytes(raw)[:80].decode("utf-8", "replace")
            problem = exc.problem if isinstance(exc, BadListLine) else "not-list"
            bad.append(UnreadableLine(problem, shown, getattr(exc, "size", 0)))
            continue
        entries.append(entry)
    entries = distinct_names(entries)
    if server is not None:
        for entry in entries:
            if entry.malformed:
                remember_raw(server, entry.name)
    return entries, bad


def distinct_names(entries: list[ListEntry]) -> list[ListEntry]:
    """`entries` where no two folders of different spellings share a name: a well-formed
    entry whose decoded name is the name of an entry kept as spelled (raw) is kept as its
    own spelling, raw as well, until no such clash is left (each round makes one more
    entry raw, so it ends). Same spelling twice is one folder, listed twice."""
    entries = list(entries)
    while True:
        raw = {e.name: e.wire for e in entries if e.malformed}
        clash = next(
            (
                i
                for i, e in enumerate(entries)
                if not e.malformed and e.name in raw and raw[e.name] != e.wire
            ),
            None,
        )
        if clash is None:
            return entries
        e = entries[clash]
        # A well-formed name is ASCII (modified UTF-7), so its spelling is a name too.
        entries[clash] = ListEntry(e.flags, e.delimiter, e.wire, e.wire.decode("ascii"), True)


class ListRefused(Refused, IMAPClientError):
    """The server answered LIST/LSUB with NO (its words in `server_text`)."""


def list_folders(
    client, command: str = "LIST", pattern: str = '"*"'
) -> tuple[list[ListEntry], list[UnreadableLine]]:
    """LIST (or LSUB) "" `pattern` (quoted, ASCII) on a connected IMAPClient, each line
    parsed on its own; ListRefused when the server refuses the command."""
    imap = client._imap
    imap.untagged_responses.pop(command, None)
    data = run_list(imap, command, '""', pattern)
    return parse_list(data, mailbox_owner(client))


def run_list(imap, command: str, *args: str) -> list:
    """`command` (LIST or LSUB) with `args` on imaplib connection `imap`: its untagged
    answers. ListRefused when the server refuses it (NO, or BAD, which imaplib raises),
    with the server's words; a dropped connection (abort) raises as it is."""
    try:
        typ, data = imap._simple_command(command, *args)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:  # BAD: imaplib raises instead of returning it
        if isinstance(exc, MailError):
            raise
        from tuimail.core.imap.errors import exception_text

        words = exception_text(exc)
        raise ListRefused(words, protocol="imap", code="BAD", server_text=words) from None
    if typ != "OK":
        text = b" ".join(d for d in data or () if isinstance(d, bytes))
        words = text.decode("utf-8", "replace")
        raise ListRefused(words, protocol="imap", code=typ, server_text=words)
    return imap._untagged_response(typ, data, command)[1]


def folder_status(client, name: str, items: Sequence[bytes]) -> dict[bytes, object]:
    """STATUS `name` (`items`) on a connected IMAPClient: {item: value}. Only the answer's
    item list is read, never the name it echoes: Dovecot writes `* STATUS a]b[c (...)`
    unquoted (a valid astring), which imapclient's parser refuses ("No closing ']'"), so
    every second pass of such a folder failed and dropped the connection. A NO or BAD
    raises as imapclient's own folder_status does; an answer without an item list is a
    ProtocolError (unparsable)."""
    wanted = "(" + " ".join(item.decode("ascii") for item in items) + ")"
    data = client._command_and_check("status", client._normalise_folder(name), wanted)
    last = next((d for d in reversed(data or ()) if isinstance(d, bytes)), b"")
    start = last.rfind(b"(")
    if start < 0 or not last.rstrip().endswith(b")"):
        raise ProtocolError(f"STATUS answer without its items: {last[:80]!r}")
    parsed = parse_response([last[start:]])
    if len(parsed) != 1 or not isinstance(parsed[0], tuple):
        raise ProtocolError(f"STATUS answer without its items: {last[:80]!r}")
    pairs = parsed[0]
    return dict(zip(pairs[::2], pairs[1::2], strict=False))
