"""Read a big FETCH answer in bulk and scan it linearly (issue 19).

imaplib reads every response line with a Python readline, matches it with several
regular expressions and keeps it in lists; on a first sync of 100k headers that is a
fifth of the client's time. Here one command's answer is taken from the connection's
BufferedReader a whole buffer at a time (`peek`, then `read` of exactly the bytes used,
so nothing after the tagged line is ever consumed), cut into responses and literals with
bytes.find, and each `* n FETCH (...)` is parsed item by item:

    tag = imap._command("UID", "FETCH", "1:100", "(UID FLAGS ... BODY.PEEK[...])")
    typ, text, fetches = read_answer(imap, tag, "UID")   # fetches: list[Fetch]

Everything the server sends is untrusted and bounded as imaplib's reads are bounded in
tuimail.core.connect: a line longer than imaplib._MAXLINE, a literal announced over
MAX_LITERAL, more than MAX_RESPONSE bytes for the command, a line that is not IMAP or a
tag we never sent raise ImapProtocolViolation (the caller drops the connection); the
end of the stream raises the same "connection closed" error as imaplib's reads; every
read goes through the connection's deadline reader (the answer's absolute deadline).
Other untagged responses (EXISTS, EXPUNGE, OK [ALERT], VANISHED ...) are kept in
`imap.untagged_responses` exactly as imaplib keeps them, and a BYE ends the command as
imaplib ends it. A FETCH whose items are not the plain shapes asked for is parsed by
`legacy_fields`, the regular expressions used before.

Memory: every answer read here is a header FETCH, so of a literal only its first
MAX_KEPT_LITERAL bytes are kept; the rest is read (counted, under the deadline) and
dropped. A server announcing headers of MAX_LITERAL each made one answer hold a gigabyte
and more (several copies of each while it was joined and parsed).
"""

from __future__ import annotations

import imaplib
import re
from collections.abc import Callable, Container
from typing import Any

from tuimail.core import connect
from tuimail.core.connect import ImapProtocolViolation, _Closed, _text
from tuimail.core.server_alerts import may_be_alert

_IS_FETCH = re.compile(rb"\* (\d+) FETCH(?![A-Z-])")
_FETCH_START = re.compile(rb"\* (\d+) FETCH \(")
# One FETCH item: name (BODY[...] with its section and partial), a space, and a value of
# the plain shapes: number, flat list, quoted string, literal marker, NIL.
_ITEM = re.compile(
    rb"([A-Za-z][A-Za-z0-9.\-]*(?:\[[^\]\r\n]*\])?(?:<\d+>)?) "
    rb'(?:(\d+)|\(([^()"{}\r\n]*)\)|"((?:[^"\\\r\n]|\\["\\])*)"|\{(\d+)\}|([Nn][Ii][Ll]))'
    rb"(?: |(?=\)$))"
)
# The whole response in the order tuimail asks for its items (most servers keep it):
# the line up to the header's literal in one match, then the rest after the literal.
# Anything else takes the item-by-item parse.
_HEAD = re.compile(
    rb'\* (\d+) FETCH \(UID (\d+) FLAGS \(([^()"{}\r\n]*)\) INTERNALDATE "([^"\\\r\n]*)" '
    rb"RFC822\.SIZE (\d+)(?: MODSEQ \((\d+)\))? BODY\[HEADER\.FIELDS \([^\]\r\n]*\)\] "
    rb"\{(\d+)\}\r\n"
)
_TAIL = re.compile(rb"(?: MODSEQ \((\d+)\))?\)\r\n")
# A plain response cut by a buffer's end is carried over to the next buffer up to this
# size (its literal included); a bigger one is read by the general path.
_CARRY = 1 << 16
# Of one literal in a header answer, at most this much is kept (see the module's text);
# a header cut there still gives its summary (tuimail.core.store.headers bounds each
# field far below it).
MAX_KEPT_LITERAL = 16 << 20
# Of all the literals of one answer, at most this much is kept in full (each up to
# MAX_KEPT_LITERAL); past it, each literal keeps its first MIN_KEPT_LITERAL bytes (a
# header's summary still comes from them). Without it a 1 GB answer (MAX_RESPONSE) of
# 16 MB headers held 64 of them, a gigabyte, at once.
MAX_KEPT_ANSWER = 64 << 20
MIN_KEPT_LITERAL = 64 << 10
_UNQUOTE = re.compile(rb"\\([\"\\])")
# A FETCH response's items found anywhere in its text (the general path here; the
# imaplib path of tuimail.core.imap.sync too).
META = {
    "uid": re.compile(rb"\bUID (\d+)"),
    "flags": re.compile(rb"\bFLAGS \(([^)]*)\)"),
    "date": re.compile(rb'\bINTERNALDATE "([^"]+)"'),
    "size": re.compile(rb"\bRFC822\.SIZE (\d+)"),
    "modseq": re.compile(rb"\bMODSEQ \((\d+)\)"),
}


class Fetch:
    """One `* n FETCH (...)` of a header fetch: the items tuimail asks for, as sent
    (None where absent). `header` is the BODY[HEADER...] value: a literal, a quoted
    string, or b"" for NIL."""

    __slots__ = ("seq", "uid", "flags", "size", "internaldate", "modseq", "header")

    def __init__(
        self,
        seq: int,
        uid: int | None = None,
        flags: bytes | None = None,
        size: int | None = None,
        internaldate: bytes | None = None,
        modseq: int | None = None,
        header: bytes | None = None,
    ) -> None:
        self.seq = seq
        self.uid = uid
        self.flags = flags  # the list's inside: b"\\Seen $Label"
        self.size = size
        self.internaldate = internaldate
        self.modseq = modseq
        self.header = header

    def __repr__(self) -> str:
        return f"Fetch(seq={self.seq}, uid={self.uid}, flags={self.flags!r}, size={self.size})"

    def astuple(self) -> tuple:
        return (self.seq, self.uid, self.flags, self.size, self.internaldate, self.modseq,
                self.header)  # fmt: skip


def parse_fetch(seq: int, text: bytes, literals: list[bytes]) -> Fetch | None:
    """The items of one FETCH response (`text`: the response with each literal left as
    its `{n}` marker, `literals`: their bytes, in order). Plain shapes are parsed item by
    item; anything else (nested lists, literals inside lists, junk) by legacy_fields.
    None when the response is not a FETCH at all."""
    m = _FETCH_START.match(text)
    if m is None or not text.endswith(b")"):
        return legacy_fields(seq, text, literals)
    fetch = Fetch(seq)
    pos, end, used = m.end(), len(text) - 1, 0
    match = _ITEM.match
    while pos < end:
        item = match(text, pos)
        if item is None:
            return legacy_fields(seq, text, literals)
        name, number, flat, quoted, literal, _nil = item.groups()
        upper = name.upper()
        if literal is not None:
            if used >= len(literals) or int(literal) != len(literals[used]):
                return legacy_fields(seq, text, literals)
            value: Any = literals[used]
            used += 1
        elif quoted is not None:
            value = _UNQUOTE.sub(rb"\1", quoted) if b"\\" in quoted else quoted
        elif number is not None:
            value = number
        elif flat is not None:
            value = flat
        else:
            value = b""
        if upper == b"UID" and number is not None:
            fetch.uid = int(number)
        elif upper == b"FLAGS" and flat is not None:
            fetch.flags = flat
        elif upper == b"RFC822.SIZE" and number is not None:
            fetch.size = int(number)
        elif upper == b"INTERNALDATE" and quoted is not None:
            fetch.internaldate = value
        elif upper == b"MODSEQ" and flat is not None:
            fetch.modseq = int(flat) if flat.isdigit() else None
        elif upper.startswith(b"BODY[HEADER") and number is None and flat is None:
            if fetch.header is None:
                fetch.header = value
        pos = item.end()
    if used != len(literals):
        return legacy_fields(seq, text, literals)
    return fetch


def legacy_fields(seq: int, text: bytes, literals: list[bytes]) -> Fetch | None:
    """What the regular expressions used before (on imaplib's pieces) made of a FETCH:
    each item searched for anywhere in the text, the first literal as the header, an
    empty header when a BODY[HEADER item came without one."""
    if not _FETCH_START.match(text):
        return None
    fetch = Fetch(seq)
    uid = META["uid"].search(text)
    flags = META["flags"].search(text)
    date = META["date"].search(text)
    size = META["size"].search(text)
    modseq = META["modseq"].search(text)
    fetch.uid = int(uid.group(1)) if uid else None
    fetch.flags = flags.group(1) if flags else None
    fetch.internaldate = date.group(1) if date else None
    fetch.size = int(size.group(1)) if size else None
    fetch.modseq = int(modseq.group(1)) if modseq else None
    if literals:
        fetch.header = literals[0]
    elif b"BODY[HEADER" in text:
        fetch.header = b""
    return fetch


class _Reader:
    """The connection's bytes, a buffer at a time: `file.peek()` shows what is buffered
    (or reads once); only the bytes used are consumed (`file.read(n)`).

    `data` is what is being looked at, `pos` where the next response starts in it. Its
    first `carried` bytes are already consumed from the file (the unused end of earlier
    buffers, kept by `_grow` so that a response cut by a buffer's end is still read in
    one piece); the rest is the file's current buffer, consumed only as far as it is used.
    A response is carried over only while none of it has been taken, so the tagged line
    always ends in the current buffer and nothing after it is ever consumed."""

    def __init__(self, file: Any, count: Callable[[int], None]) -> None:
        self.file = file
        self.count = count
        self.data = b""
        self.pos = 0
        self.carried = 0
        self.budget = MAX_KEPT_ANSWER  # what big literals may still keep (MAX_KEPT_ANSWER)

    def _consume(self) -> None:
        """Consume the current buffer (all of data after the carried bytes)."""
        used = len(self.data) - self.carried
        if used:
            self.file.read(used)
            self.count(used)

    def _grow(self) -> bytes:
        """Keep data[pos:] (consumed), buffer more after it; b"" at the end of the
        stream (data is then unchanged)."""
        self._consume()
        rest = self.data[self.pos :]
        more = self.file.peek(1 << 16)
        self.data, self.pos, self.carried = rest + more, 0, len(rest)
        return more

    def line(self) -> bytes:
        """The next line, without its CRLF."""
        data, pos = self.data, self.pos
        end = data.find(b"\r\n", pos)
        limit = imaplib._MAXLINE
        while end < 0:
            if len(data) - pos > limit:
                raise _too_long()
            if not self._grow():
                raise _Closed(reason="mid-line" if len(data) > pos else "closed", protocol="imap")
            data, pos = self.data, 0
            end = data.find(b"\r\n", max(self.carried - 1, 0))  # CR and LF may be apart
        if end - pos > limit:
            raise _too_long()
        self.pos = end + 2
        return data[pos:end]

    def literal(self, size: int) -> bytes:
        if size > connect.MAX_LITERAL:
            raise ImapProtocolViolation(
                reason="item-too-big",
                data={"size": size, "limit": connect.MAX_LITERAL},
                protocol="imap",
            )
        data, pos = self.data, self.pos
        if pos + size <= len(data):
            self.pos = pos + size
            return data[pos : pos + size]
        chunks = [data[pos:]]
        left = size - len(chunks[0])
        keep = max(min(MAX_KEPT_LITERAL, self.budget), MIN_KEPT_LITERAL)
        room = keep - len(chunks[0])  # what may still be kept
        self.budget -= min(size, keep)
        self._consume()
        self.data, self.pos, self.carried = b"", 0, 0
        while left > 0:
            chunk = self.file.read(min(left, 1 << 20))
            if not chunk:
                raise _Closed(reason="closed", protocol="imap")
            self.count(len(chunk))
            if room > 0:
                chunks.append(chunk[:room])
                room -= len(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def done(self) -> None:
        """Consume exactly the bytes used (the rest stays for imaplib)."""
        used = self.pos - self.carried
        if used > 0:
            self.file.read(used)
            self.count(used)
        self.data, self.pos, self.carried = b"", 0, 0


def _too_long() -> ImapProtocolViolation:
    return ImapProtocolViolation(
        reason="line-too-long", data={"limit": imaplib._MAXLINE}, protocol="imap"
    )


def _not_imap(line: bytes) -> ImapProtocolViolation:
    return ImapProtocolViolation(reason="garbage", protocol="imap", server_text=_text(line[:200]))


# What a caller may make of each plain response instead of a Fetch (see read_answer):
# (uid, flags, internaldate, size, modseq, header) -> an item, or None to leave it out.
Plain = Callable[[int, bytes, bytes, int, "int | None", bytes], Any]


def read_answer(
    imap: Any,
    tag: bytes,
    name: str,
    plain: Plain | None = None,
    ahead: Container[bytes] = (),
) -> tuple[str, bytes, list[Any]]:
    """Read the answer to the command `tag` (sent with imap._command(name, ...)) up to
    its tagged line: (type, the tagged line's text, the FETCH responses in order).
    Mirrors imaplib's _command_complete: a BYE ends it with imaplib's abort, BAD raises
    imaplib's error; the tag is forgotten either way. With `plain`, a response of the
    plain shape (_HEAD) is given to it and what it returns is kept in the Fetch's place
    (nothing when None): the same fields as the Fetch would hold, without making one.

    `ahead`: tags of commands sent after this one and not answered yet (tuimail.core.
    imap.ahead). A server may complete one of them first (RFC 3501 5.5): its tagged line
    is kept (in imap.tagged_commands, as imaplib keeps it) and reading goes on; reading
    that command's answer later returns it at once, with the FETCH responses read before
    it in the earlier answer. Any other tag is a protocol violation.

    A BYE or a lost connection raises imaplib's abort carrying `fetched`: the responses
    read before it (complete ones only), so a caller keeps what the server did send."""
    imap._check_bye()
    done = imap.tagged_commands.get(tag)
    if done is not None:  # completed while an earlier answer was read
        del imap.tagged_commands[tag]
        typ, text = done[0], done[1][0]
        return _completed(imap, name, typ, text), text, []
    reader = _Reader(imap.file, imap._count)
    fetches: list[Any] = []
    tagre = imap.tagre
    literal_re = imap.Literal
    untagged = imap.untagged_responses
    try:
        while True:
            _plain_run(reader, fetches, imap, plain)
            line = reader.line()
            imap._last_line = line
            if may_be_alert(line):
                connect.note_alert(imap, line)
            if line[:2] == b"* ":
                pieces, literals = [line], []
                piece = line
                while b"}" in piece[-2:] and (size := literal_re.match(piece)) is not None:
                    literals.append(reader.literal(int(size.group("size"))))
                    piece = reader.line()
                    imap._last_line = piece
                    pieces.append(piece)
                kind = _IS_FETCH.match(line)
                if kind is not None:
                    # imaplib files every `* n FETCH...` under FETCH, which uid() hands back
                    # whole: one that is not a FETCH of items is dropped, as before.
                    fetch = parse_fetch(int(kind.group(1)), b"".join(pieces), literals)
                    if fetch is not None:
                        fetches.append(fetch)
                else:
                    _untagged(imap, pieces, literals)
                if "BYE" in untagged:
                    bye = untagged["BYE"][-1]
                    raise imap.abort(f"command: {name} => {bye.decode(imap._encoding, 'replace')}")
                continue
            tagged = tagre.match(line)
            if tagged is not None:
                if tagged.group("tag") != tag:
                    other = tagged.group("tag")
                    if other not in ahead or imap.tagged_commands.get(other, 1) is not None:
                        raise _not_imap(line)  # never sent, or answered already
                    other_typ = tagged.group("type").decode(imap._encoding)
                    imap.tagged_commands[other] = (other_typ, [tagged.group("data")])
                    continue
                typ = tagged.group("type").decode(imap._encoding)
                text = tagged.group("data")
                break
            continuation = imaplib.Continuation.match(line)
            if continuation is not None:
                imap.continuation_response = continuation.group("data")
                continue
            raise _not_imap(line)
    except imaplib.IMAP4.abort as exc:
        # A BYE or a dropped connection in the middle of the answer (Dovecot, when it
        # cannot read one message file): what came before it is complete and kept for
        # the caller (`fetched`, the responses read, in order).
        exc.fetched = fetches  # type: ignore[attr-defined]
        raise
    finally:
        imap.tagged_commands.pop(tag, None)
    reader.done()
    return _completed(imap, name, typ, text), text, fetches


def _completed(imap: Any, name: str, typ: str, text: bytes) -> str:
    """The end of a command's answer, as imaplib's _command_complete ends it."""
    _response_code(imap, typ, text)
    imap._check_bye()
    if typ == "BAD":
        raise imap.error(f"{name} command error: {typ} {[text]}")
    return typ


def _plain_run(reader: _Reader, fetches: list[Any], imap: Any, plain: Plain | None = None) -> None:
    """Take every plain FETCH response (see _HEAD) at the reader's position without the
    general path's calls per line. A plain response cut by the buffer's end is completed
    from the connection (_Reader._grow: the next buffer after the unused end of this one)
    and taken too. Stops at anything else (another shape or response, a literal too big
    to carry), which the general path then reads from the same position."""
    data, pos = reader.data, reader.pos
    head, tail, append, limit = _HEAD.match, _TAIL.match, fetches.append, imaplib._MAXLINE
    trailer = None  # (start, end) in data of the last response's trailer taken
    while True:
        m = head(data, pos)
        if m is not None and m.end() - 2 - pos <= limit:
            first = m.end()
            last = first + int(m.group(7))
            if data[last : last + 3] == b")\r\n":
                after, nxt = None, last + 3
            elif (t := tail(data, last)) is not None:
                after, nxt = t.group(1), t.end()
            elif last - pos <= _CARRY and data.find(b"\r\n", last) < 0:
                after = nxt = None  # the literal or the line after it is still to come
            else:
                break
            if nxt is not None:
                seq, uid, flags, date, size, modseq = m.group(1, 2, 3, 4, 5, 6)
                if after is not None:
                    modseq = after  # the last one, as item by item
                modseq = None if modseq is None else int(modseq)
                if plain is None:
                    append(Fetch(int(seq), int(uid), flags, int(size), date, modseq,
                                 data[first:last]))  # fmt: skip
                elif (item := plain(int(uid), flags, date, int(size), modseq,
                                    data[first:last])) is not None:  # fmt: skip
                    append(item)
                trailer, pos = (last, nxt - 2), nxt
                continue
        elif (
            data[pos : pos + 1] not in (b"*", b"")  # not a response's start
            or len(data) - pos > limit
            or data.find(b"\r\n", pos) >= 0  # a whole line of another shape
        ):
            break
        # Cut by the buffer's end: carry the start of the response over.
        if trailer is not None:
            imap._last_line = data[trailer[0] : trailer[1]]
            trailer = None
        reader.pos = pos
        if not reader._grow():
            return  # the end of the stream: the general path says so
        data, pos = reader.data, 0
    reader.pos = pos
    if trailer is not None:
        imap._last_line = data[trailer[0] : trailer[1]]  # what a violation would quote


def _untagged(imap: Any, pieces: list[bytes], literals: list[bytes]) -> None:
    """Keep a non-FETCH untagged response as imaplib's _get_response keeps it: the
    (text, literal) pairs, then the last line."""
    line = pieces[0]
    mo = imaplib.Untagged_response.match(line)
    dat2 = None
    if mo is None:
        mo = imap.Untagged_status.match(line)
        if mo is not None:
            dat2 = mo.group("data2")
    if mo is None:
        raise _not_imap(line)
    typ = mo.group("type").decode(imap._encoding)
    dat = mo.group("data") or b""
    if dat2:
        dat = dat + b" " + dat2
    for literal, after in zip(literals, pieces[1:], strict=True):
        imap._append_untagged(typ, (dat, literal))
        dat = after
    imap._append_untagged(typ, dat)
    _response_code(imap, typ, dat)


def _response_code(imap: Any, typ: str, dat: Any) -> None:
    if typ in ("OK", "NO", "BAD") and isinstance(dat, bytes):
        mo = imaplib.Response_code.match(dat)
        if mo is not None:
            imap._append_untagged(mo.group("type").decode(imap._encoding), mo.group("data"))
