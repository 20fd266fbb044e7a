"""Header bytes -> the store's columns in one pass, each field decoded once (issue 19).

`summarize_columns(raw)` gives exactly what the full parser's route through
`tuimail.core.store.headers` gives (`_bounded(_from_mime(mime.summarize(raw)))`): the
header block is split once (the same field regex, the same unfolding, the first of each
field, a mangled mbox "From " line skipped), and every column is a pure function of one
field's raw bytes, computed by the same functions the full parser uses. So a column can
be remembered per distinct raw value (senders, recipient lists, dates and content types
repeat from message to message) and the answer is still exactly the parser's.

Invariants: no column ever depends on another field than its own; every remembered value
is immutable; values of _CACHE_BELOW bytes or more are never remembered. Anything that
raises here is left to the caller, which then takes the full route (and gets its answer,
whatever it is). tests/store/test_columns.py compares both routes on the corpus, the
hostile messages and Hypothesis-made headers.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tuimail.core.mime.headers import (
    _FIELD,
    _FOLD,
    MAX_FIELDS,
    MAX_HEADER_BYTES,
    decode_header_value,
    lf_lines,
    parse_addresses,
    parse_date,
    parse_msgid_list,
)
from tuimail.core.mime.mbox_from import MBOX_FROM as _MBOX_FROM
from tuimail.core.sanitize import sanitize

_CACHE_BELOW = 1024
_MIXED = re.compile(rb"multipart/mixed", re.I)
_NAME_PARAM = re.compile(rb"\bname\*?=", re.I)
_SLOTS = {
    b"subject": "subject",
    b"from": "from",
    b"to": "to",
    b"cc": "cc",
    b"date": "date",
    b"message-id": "message-id",
    b"in-reply-to": "in-reply-to",
    b"references": "references",
    b"content-type": "content-type",
    b"content-disposition": "content-disposition",
}
# The spellings servers send most, so most fields are found without lowercasing them.
_SLOTS.update(
    {name.title(): slot for name, slot in _SLOTS.items()}
    | {b"Message-ID": "message-id", b"CC": "cc", b"MESSAGE-ID": "message-id"}
)

# (text, cut): a column's value bounded as headers._bounded does it, and whether it was cut.
Column = tuple[str, bool]


def _bound(value: str, limit: int) -> Column:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    if len(value) > limit:
        return value[:limit], True
    return value, False


def _ids(value: str | list[str]) -> str:
    """headers._ids for the two shapes the full route gives it."""
    if not value:
        return ""
    if isinstance(value, list):
        value = " ".join(value)
    return sanitize(" ".join(value.split()))


_LF_BLANK_FORMS = (b"\r\n\r\n", b"\n\n", b"\r\n\n", b"\n\r\n")
_CR_BLANK_FORMS = (b"\r\r",)  # a message with CR line ends alone


def blank_line_at(raw: bytes) -> int:
    """Where mime.headers.blank_line_match finds the end of the header in `raw` (-1:
    nowhere). Its regex matches at a position exactly when one of the forms starts
    there; a few bytes.find calls are several times faster than the regex trying its
    alternatives at every byte."""
    best = -1
    forms = _LF_BLANK_FORMS if b"\n" in raw[:MAX_HEADER_BYTES] else _CR_BLANK_FORMS
    for form in forms:
        at = raw.find(form, 0, best + len(form) if best >= 0 else len(raw))
        if at >= 0 and (best < 0 or at < best):
            best = at
    return best


def _resanitized(text: str, limit: int) -> str:
    """sanitize(text[:limit]) for an already sanitized `text`: sanitize is idempotent (a
    property tested in tests/message/test_sanitize.py), so only a cut needs a new pass."""
    return text if len(text) <= limit else sanitize(text[:limit])


def first_fields(raw: bytes) -> dict[str, bytes]:
    """The first value of each wanted field, as mime.headers.parse_header_fields and
    mime.summary.summarize_fields pick them (stripped, unfolded; mbox "From " skipped).

    A block of plain CRLF lines (every CR and LF a CRLF pair, no folded line, fewer lines
    than MAX_FIELDS, well under MAX_HEADER_BYTES: what a server's HEADER.FIELDS answer
    almost always is) is split on CRLF and each line at its first colon, which picks the
    same fields as the regex over the normalised block (a line is a field exactly when
    the text before its first colon is a name, maybe followed by blanks; tested against
    first_fields_regex on Hypothesis-made blocks); any other block takes the regex."""
    if len(raw) < _PLAIN_LINES_BELOW:
        lines = raw.split(b"\r\n")
        crlf = len(lines) - 1
        if (
            crlf < MAX_FIELDS
            and raw.count(b"\r") == crlf == raw.count(b"\n")
            and _FOLDED.search(raw) is None  # (every LF is a CRLF's here)
        ):
            return _plain_lines(lines)
    return first_fields_regex(raw)


_PLAIN_LINES_BELOW = 1 << 16
_FOLDED = re.compile(rb"\n[ \t]")


def _plain_lines(lines: list[bytes]) -> dict[str, bytes]:
    """first_fields of a block of plain CRLF lines (see first_fields), split on CRLF."""
    try:  # the blank line: an empty line after the first, with a CRLF after it
        end = lines.index(b"", 1)
    except ValueError:
        end = len(lines)
    first: dict[str, bytes] = {}
    slots = _SLOTS
    for line in lines[:end] if end < len(lines) else lines:
        head, colon, value = line.partition(b":")
        if not colon:  # no field: a lone "Subject" must not hide the real one below
            continue
        slot = slots.get(head)
        if slot is None:
            name = head.rstrip(b" \t")  # the regex's [ \t]* between name and colon
            slot = slots.get(name) or slots.get(name.lower())  # known names are names
            if slot is None:
                continue
        if slot in first:
            continue
        value = value.strip()
        if slot == "from" and _MBOX_FROM.match(value):
            continue
        first[slot] = value
    return first


def first_fields_regex(raw: bytes) -> dict[str, bytes]:
    """first_fields by mime.headers' field regex over the normalised block (any block)."""
    end = blank_line_at(raw)
    block = raw if end < 0 else raw[:end]
    if len(block) > MAX_HEADER_BYTES:
        block = block[:MAX_HEADER_BYTES]
    if b"\r" in block:
        block = lf_lines(block)
    found = _FIELD.findall(block)
    if len(found) > MAX_FIELDS:
        del found[MAX_FIELDS:]
    first: dict[str, bytes] = {}
    slots = _SLOTS
    for name, value in found:
        slot = slots.get(name) or slots.get(name.lower())
        if slot is None or slot in first:
            continue
        if b"\n" in value:
            value = _FOLD.sub(b" ", value)
        value = value.strip()
        if slot == "from" and _MBOX_FROM.match(value):
            continue
        first[slot] = value
    return first


def _subject(raw: bytes) -> Column:
    return _bound(_resanitized(sanitize(decode_header_value(raw)), 2000), 2000)


def _sender(raw: bytes | None) -> tuple[Column, Column]:
    if raw:
        froms = parse_addresses(raw)
        name, addr = froms[0] if froms else ("", "")
    else:
        name, addr = "", ""
    return (
        _bound(_resanitized(sanitize(name), 500), 500),
        _bound(_resanitized(sanitize(addr), 500), 500),
    )


def _recipients(raw: bytes | None) -> Column:
    from tuimail.core.store.headers import _join

    if not raw:
        return _bound(_join([]), 8000)
    pairs = [(sanitize(n), sanitize(a)) for n, a in parse_addresses(raw)[:500]]
    return _bound(_join(pairs), 8000)


def _date(raw: bytes | None) -> float | None:
    from tuimail.core.store.headers import sane_date

    parsed = parse_date(raw)
    return sane_date(parsed.timestamp()) if parsed is not None else None


# One Message-ID, or a list of them with single spaces, of printable ASCII: the parser's
# answer is the text itself (nothing to decode, sanitize, split or cut).
_SIMPLE_ID = re.compile(rb"<[!-;=?-~]{1,998}>")
_NONE: Column = ("", False)
_SIMPLE_IDS = re.compile(rb"<[!-;=?-~]{1,998}>(?: <[!-;=?-~]{1,998}>){0,199}")


def _one_id(raw: bytes | None) -> Column:
    if not raw:
        return _NONE  # the field is absent or empty: what the parser makes of nothing
    if _SIMPLE_ID.fullmatch(raw):
        return raw.decode("ascii"), False
    ids = parse_msgid_list(raw)
    return _bound(_ids(sanitize(ids[0] if ids else "")[:1000]), 1000)


def _references(raw: bytes | None) -> Column:
    if not raw:
        return _NONE
    if len(raw) <= 16000 and _SIMPLE_IDS.fullmatch(raw):
        return raw.decode("ascii"), False
    refs = [sanitize(r)[:1000] for r in parse_msgid_list(raw)[:200]]
    return _bound(_ids(refs), 16000)


def _attachments(ctype: bytes, disposition: bytes) -> bool:
    if _MIXED.search(ctype) or (ctype and _NAME_PARAM.search(ctype)):
        return True
    return disposition.lower().startswith(b"attachment")


_subject_cached = lru_cache(maxsize=4096)(_subject)
_sender_cached = lru_cache(maxsize=4096)(_sender)
_recipients_cached = lru_cache(maxsize=4096)(_recipients)
_date_cached = lru_cache(maxsize=4096)(_date)
_attachments_cached = lru_cache(maxsize=512)(_attachments)


def _short(raw: bytes | None) -> bool:
    return raw is None or len(raw) < _CACHE_BELOW


_summary_type: tuple | None = None  # (HeaderSummary, NOTE_SHORTENED), once headers loaded


def summarize_columns(raw: bytes):
    """The store's HeaderSummary for a header block (see the module's docstring); may
    raise, and then the caller takes the full route."""
    global _summary_type
    if _summary_type is None:  # headers imports this module: its names come later
        from tuimail.core.store.headers import NOTE_SHORTENED, HeaderSummary

        _summary_type = (HeaderSummary, NOTE_SHORTENED)
    summary, shortened = _summary_type
    below = _CACHE_BELOW
    first = first_fields(raw)
    get = first.get
    value = get("subject", b"")
    subject = _subject_cached(value) if len(value) < below else _subject(value)
    value = get("from")
    name, addr = _sender_cached(value) if value is None or len(value) < below else _sender(value)
    value = get("to")
    to = _recipients_cached(value) if value is None or len(value) < below else _recipients(value)
    value = get("cc")
    cc = _recipients_cached(value) if value is None or len(value) < below else _recipients(value)
    value = get("date")
    date = _date_cached(value) if value is None or len(value) < below else _date(value)
    message_id = _one_id(get("message-id"))
    in_reply_to = _one_id(get("in-reply-to"))
    references = _references(get("references"))
    ctype, disposition = get("content-type", b""), get("content-disposition", b"")
    if len(ctype) + len(disposition) < below:
        attachments = _attachments_cached(ctype, disposition)
    else:
        attachments = _attachments(ctype, disposition)
    cut = (
        subject[1] or name[1] or addr[1] or to[1] or cc[1] or message_id[1]
        or in_reply_to[1] or references[1]
    )  # fmt: skip
    return summary(  # HeaderSummary's fields, in order
        subject[0], name[0], addr[0], to[0], cc[0], date, message_id[0], in_reply_to[0],
        references[0], attachments, shortened if cut else "",
    )  # fmt: skip
