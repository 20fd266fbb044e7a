"""A message inside a message (a forward as attachment, a bounce's returned message, a
digest's messages) is listed as an attachment whose bytes are the ones in the message:
the reader wrote the stdlib's parse back instead (LF line ends, header lines refolded or
dropped), so saving "Fwd: x.eml" or forwarding it inline gave another message. And a
forward of a forward 50 levels deep is read down to its last file (it was shown as raw
source past 32 levels)."""

from __future__ import annotations

import re
import warnings
from email import message_from_bytes
from email.policy import compat32

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.corpus import CORPUS_FILES
from tests.interop import shapes
from tuimail.core.mime import parse_message
from tuimail.core.mime.embedded import embedded_messages

EMBEDDED = ("message/rfc822", "message/global", "message/news")


def _as_received(raw: bytes) -> bytes:
    """What a server gives: CRLF line ends, no mbox `From ` line."""
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    first, _, rest = raw.partition(b"\r\n")
    return rest if first.startswith(b"From ") else raw


def test_every_attached_message_of_the_corpus_is_the_bytes_in_the_message() -> None:
    checked = 0
    for path in CORPUS_FILES:
        raw = _as_received(path.read_bytes())
        if re.search(rb"\r(?!\n)", raw):
            continue  # bare CR line ends: no server stores them so (Dovecot makes CRLF)
        for att in parse_message(raw).attachments:
            if att.content_type in EMBEDDED:
                checked += 1
                assert att.payload in raw, (path.name, att.filename)
                assert b"\r\n" in att.payload or b"\n" not in att.payload, path.name
    assert checked >= 40


def test_a_forward_fifty_deep_is_read_to_its_last_file() -> None:
    parsed = parse_message(shapes.nested_forwards(50))
    assert not parsed.too_complex
    assert parsed.attachments[-1].filename == "bottom.bin"
    assert parsed.attachments[-1].payload == shapes.files("nested-forwards")[0]
    top = parsed.attachments[0]
    assert top.content_type == "message/rfc822" and top.payload in shapes.nested_forwards(50)


def test_an_encoded_forwarded_message_is_read_and_saved_decoded() -> None:
    """Outlook sends message/rfc822 in base64 (RFC 6532 allows encoding message/global):
    the reader showed the base64 text as the message and saved it as the .eml."""
    parsed = parse_message(shapes.encoded_forward())
    saved = [(a.filename, a.payload) for a in parsed.attachments]
    assert saved == [("b64.eml", shapes.ENCODED_INNER), ("qp.eml", shapes.ENCODED_INNER)]
    shown = [b.text for b in parsed.body]
    assert shown.count("From: Inner <inner@example.test>\nSubject: the forwarded one") == 2
    assert sum("Grüße from inside" in text for text in shown) == 2


BOSS_REPORT = b"From: boss@example.test\r\nSubject: Quarterly report\r\n\r\nthe real report"
# The scan used to read the digest's child as a message (the parser: text/plain) and skip
# the x-wrapper's message (the parser reads one): two errors that cancelled out.
MISREAD = (
    b"From: a@example.test\r\nTo: b@example.test\r\nSubject: fw\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="OUT"\r\n\r\n'
    b'--OUT\r\nContent-Type: multipart/digest; boundary="DIG"\r\n\r\n'
    b"--DIG\r\nContent-Type:\r\n\r\n"
    b"From: attacker@evil.test\r\nSubject: PAY INVOICE TO EVIL\r\n\r\nsend money to evil\r\n"
    b"--DIG--\r\n"
    b"--OUT\r\nContent-Type: message/x-wrapper\r\n\r\n"
    b'Content-Type: multipart/mixed; boundary="IN"\r\n\r\n'
    b"--IN\r\nContent-Type: message/rfc822\r\n\r\n" + BOSS_REPORT + b"\r\n--IN--\r\n"
    b"--OUT\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: c@example.test\r\nSubject: third\r\n\r\nthird body\r\n"
    b"--OUT--\r\n"
)


def test_a_message_the_scan_could_misread_saves_the_shown_messages_bytes() -> None:
    """A digest child with an empty Content-Type (text/plain to the parser) and a
    message/x-wrapper (the parser reads a message inside) used to cancel out: the
    reader showed "Quarterly report" and saved another message's bytes as its .eml."""
    parsed = parse_message(MISREAD)
    saved = {a.filename: a.payload for a in parsed.attachments if a.content_type in EMBEDDED}
    assert saved == {
        "Quarterly report.eml": BOSS_REPORT,
        "third.eml": b"From: c@example.test\r\nSubject: third\r\n\r\nthird body",
    }
    shown = [b.text for b in parsed.body if b.kind == "forward"]
    assert shown[0] == "From: boss@example.test\nSubject: Quarterly report"
    assert all(b"evil" not in data for data in saved.values())


# -- any structure: the bytes given are the parser's embedded message, or none are --------

_EOL = st.sampled_from([b"\r\n", b"\n"])
_MESSAGE_TYPES = st.sampled_from(
    [*EMBEDDED, "message/x-wrapper", "message/partial", "message/external-body"]
)
# A digest child's type field: none (message/rfc822), empty (text/plain to the parser).
_DIGEST_CHILD_TYPE = st.sampled_from(
    [[], [b"Content-Type:"], [b"Content-Type: "], [b"Content-Type: message/rfc822"]]
)
_STATUS_BLOCK = st.sampled_from(
    [
        b"Reporting-MTA: dns; mx.example.test",
        b"Final-Recipient: rfc822; a@example.test",
        b"Content-Type: message/rfc822",
        b"Action: failed",
    ]
)
_FIELD = st.sampled_from([b"Subject: s", b"X-A: 1", b"From: a@example.test", b"X-Folded: a"])


@st.composite
def _entity(draw, depth: int = 0, eol: bytes = b"\r\n", head: list | None = None) -> bytes:
    """A header section and body: text, multipart (mixed or digest, maybe unclosed, with
    preamble and epilogue), message/* of any subtype holding another entity, or a
    delivery report's blocks of fields. `head`: the type field(s) of a digest's child,
    whose body is then a message."""
    fields = draw(st.lists(_FIELD, max_size=3))
    if head is not None:
        return eol.join([*fields, *head]) + eol + eol + draw(_entity(depth + 1, eol))
    kinds = ["text", "multipart", "message", "status"] if depth < 4 else ["text", "status"]
    kind = draw(st.sampled_from(kinds))
    if kind == "text":
        head = [*fields, b"Content-Type: text/plain"]
        body = draw(st.sampled_from([b"", b"hello", b"--x", b"line" + eol + b"line"]))
        return eol.join(head) + eol + eol + body
    if kind == "status":
        head = [*fields, b"Content-Type: message/delivery-status"]
        blocks = draw(st.lists(st.lists(_STATUS_BLOCK, min_size=1, max_size=2), max_size=3))
        body = (eol + eol).join(eol.join(block) for block in blocks)
        return eol.join(head) + eol + eol + body
    if kind == "message":
        head = [*fields, b"Content-Type: " + draw(_MESSAGE_TYPES).encode()]
        return eol.join(head) + eol + eol + draw(_entity(depth + 1, eol))
    boundary = b"b%d" % depth
    digest = draw(st.booleans())
    subtype = b"digest" if digest else b"mixed"
    head = [*fields, b"Content-Type: multipart/" + subtype + b'; boundary="' + boundary + b'"']
    children = draw(
        st.lists(
            _entity(depth + 1, eol, draw(_DIGEST_CHILD_TYPE))
            if digest
            else _entity(depth + 1, eol),
            min_size=1,
            max_size=3,
        )
    )
    body = draw(st.sampled_from([b"", b"preamble" + eol]))
    for child in children:
        body += b"--" + boundary + eol + child + eol
    if draw(st.booleans()):
        body += b"--" + boundary + b"--" + eol + draw(st.sampled_from([b"", b"epilogue"]))
    return eol.join(head) + eol + eol + body


@st.composite
def _message(draw) -> bytes:
    eol = draw(_EOL)
    return draw(_entity(0, eol))


@settings(max_examples=300, deadline=None)
@given(_message())
def test_the_bytes_given_for_an_embedded_message_are_the_parsers(raw: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        msg = message_from_bytes(raw, policy=compat32)
    found = embedded_messages(raw, msg)
    if found is None:
        return
    # A delivery report's block of fields is no message: one typed message/rfc822 is
    # read as one by the parser but gets no bytes (written back as before).
    in_reports = {
        id(inside)
        for part in msg.walk()
        if part.get_content_type() == "message/delivery-status"
        for inside in part.walk()
    }
    for part in msg.walk():
        if part.get_content_type() in EMBEDDED and isinstance(part.get_payload(), list):
            if id(part) in in_reports:
                assert id(part) not in found
                continue
            data = found[id(part)]
            assert data in raw
            inner = part.get_payload()[0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                again = message_from_bytes(data, policy=compat32)
            assert _shape(again) == _shape(inner)


def _shape(msg) -> list:
    """Every part's header items, type and text (or parts): what tells one message from
    another. Text without its last line breaks, a delivery report's blocks without empty
    ones: at the end of a part the parser reads one more line break than in a parse of the
    part alone (a multipart never closed, a report ending in an empty line)."""
    payload = msg.get_payload()
    if msg.get_content_type() == "message/delivery-status" and isinstance(payload, list):
        kept = [block.items() for block in payload if block.items()]
    elif isinstance(payload, list):
        kept = [_shape(part) for part in payload]
    else:
        kept = payload.rstrip("\r\n") if isinstance(payload, str) else payload
    return [msg.items(), msg.get_content_type(), kept]
