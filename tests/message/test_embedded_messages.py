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


# -- any structure: the bytes given are the parser's embedded message, or none are --------

_EOL = st.sampled_from([b"\r\n", b"\n"])
_FIELD = st.sampled_from([b"Subject: s", b"X-A: 1", b"From: a@example.test", b"X-Folded: a"])


@st.composite
def _entity(draw, depth: int = 0, eol: bytes = b"\r\n") -> bytes:
    """A header section and body: text, multipart (maybe unclosed, with preamble and
    epilogue) or message/rfc822 holding another entity."""
    fields = draw(st.lists(_FIELD, max_size=3))
    kind = draw(st.sampled_from(["text", "multipart", "message"] if depth < 4 else ["text"]))
    if kind == "text":
        head = [*fields, b"Content-Type: text/plain"]
        body = draw(st.sampled_from([b"", b"hello", b"--x", b"line" + eol + b"line"]))
        return eol.join(head) + eol + eol + body
    if kind == "message":
        head = [*fields, b"Content-Type: message/rfc822"]
        return eol.join(head) + eol + eol + draw(_entity(depth + 1, eol))
    boundary = b"b%d" % depth
    head = [*fields, b'Content-Type: multipart/mixed; boundary="' + boundary + b'"']
    children = draw(st.lists(_entity(depth + 1, eol), min_size=1, max_size=3))
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


@settings(max_examples=150, deadline=None)
@given(_message())
def test_the_bytes_given_for_an_embedded_message_are_the_parsers(raw: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        msg = message_from_bytes(raw, policy=compat32)
    found = embedded_messages(raw, msg)
    if found is None:
        return
    for part in msg.walk():
        if part.get_content_type() in EMBEDDED and isinstance(part.get_payload(), list):
            data = found[id(part)]
            assert data in raw
            inner = part.get_payload()[0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                again = message_from_bytes(data, policy=compat32)
            assert again.items() == inner.items()
            assert again.get_content_type() == inner.get_content_type()
