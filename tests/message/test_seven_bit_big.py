"""`seven_bit` keeps big leaves out of its parse (tuimail.core.mime.seven_bit_stubs) and
must give exactly the bytes the whole conversion gives: on the corpus, on generated
messages of any shape (nested, odd line ends, 8-bit part headers, ASCII leaves next to
8-bit ones) with every leaf small enough to count as big, and on a big message with the
real thresholds. Converted, each part decodes to what it was."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.corpus import CORPUS_DIR
from tuimail.core.mime import seven_bit_stubs
from tuimail.core.mime.seven_bit import _entity, seven_bit
from tuimail.core.mime.utf8_headers import downgrade

MESSAGES = sorted(CORPUS_DIR.glob("*.eml")) + sorted((CORPUS_DIR.parent / "messages").glob("*.eml"))


def _whole(raw: bytes) -> bytes:
    """The conversion of the whole message, parsed in full (what seven_bit did before)."""
    if raw.isascii():
        return raw
    raw = downgrade(raw)
    try:
        return _entity(raw)
    except Exception:
        return raw


def _took_stubs(raw: bytes) -> bool:
    small, leaves = seven_bit_stubs.stubbed(raw)
    return bool(leaves) and seven_bit_stubs.whole_payloads(small, raw, leaves)


@pytest.fixture
def every_leaf_big(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every leaf counts as big and is encoded two base64 lines at a time."""
    monkeypatch.setattr(seven_bit_stubs, "STUB_ABOVE", 0)
    monkeypatch.setattr(seven_bit_stubs, "CHUNK", 57 * 2)


def _crlf(raw: bytes) -> bytes:
    return raw if b"\r\n" in raw else raw.replace(b"\n", b"\r\n")


def test_the_corpus_converts_to_the_same_bytes(every_leaf_big: None) -> None:
    stubbed = 0
    for path in MESSAGES:
        raw = _crlf(path.read_bytes())
        stubbed += _took_stubs(raw) and not raw.isascii()
        assert seven_bit(raw) == _whole(raw), path.name
    assert stubbed >= 15  # the corpus's 8-bit mail takes the new path


LINE_END = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r"])
LINE = st.binary(max_size=90).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@st.composite
def _content(draw, ends=LINE_END) -> bytes:
    lines = draw(st.lists(st.tuples(LINE, ends), min_size=1, max_size=6))
    body = b"".join(line + end for line, end in lines)
    return body if draw(st.booleans()) else body.rstrip(b"\r\n")


KINDS = [
    b"text/plain; charset=utf-8",
    b"text/html; charset=iso-8859-1",
    b"application/octet-stream",
    b"image/png",
]
ENCODINGS = [b"", b"Content-Transfer-Encoding: 8bit\r\n", b"Content-Transfer-Encoding: binary\r\n"]


@st.composite
def _leaf(draw) -> bytes:
    head = b"Content-Type: " + draw(st.sampled_from(KINDS)) + b"\r\n"
    head += draw(st.sampled_from(ENCODINGS))
    if draw(st.booleans()):
        head += b'Content-Disposition: attachment; filename="r\xc3\xa9sum\xc3\xa9.bin"\r\n'
    return head + b"\r\n" + draw(_content())


@st.composite
def _entity_of(draw, depth: int = 0) -> bytes:
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        return draw(_leaf())
    if draw(st.booleans()):
        return b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n" + draw(
            _entity_of(depth + 1)
        )
    boundary = b"b%d" % depth
    parts = draw(st.lists(_entity_of(depth + 1), min_size=1, max_size=3))
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return (
        b'Content-Type: multipart/mixed; boundary="'
        + boundary
        + b'"\r\n\r\n'
        + draw(st.sampled_from([b"", b"pr\xc3\xa4amble\r\n"]))
        + body
        + b"--"
        + boundary
        + b"--\r\n"
    )


def _message(entity: bytes, subject: str) -> bytes:
    subject = subject.replace("\r", "").replace("\n", "")
    return b"Subject: " + subject.encode() + b"\r\nMIME-Version: 1.0\r\n" + entity


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entity=_entity_of(), subject=st.text(max_size=20))
def test_any_message_converts_to_the_same_bytes(every_leaf_big: None, entity, subject) -> None:
    raw = _message(entity, subject)
    if b"--b" in raw.replace(b"\r\n--b", b""):  # a body line that reads as a boundary
        return
    assert seven_bit(raw) == _whole(raw)


def _leaves(raw: bytes) -> list[tuple[str, bytes]]:
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    return [
        (part.get_content_type(), part.get_payload(decode=True))
        for part in msg.walk()
        if not part.is_multipart() and part.get_content_maintype() != "message"
    ]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entity=_entity_of(), subject=st.text(max_size=20))
def test_each_part_decodes_to_what_it_was(every_leaf_big: None, entity, subject) -> None:
    """With CRLF line ends (text goes with CRLF whatever it had, see encode_part)."""
    raw = _message(entity, subject)
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if b"--b" in raw.replace(b"\r\n--b", b""):
        return
    out = seven_bit(raw)
    assert out.isascii()
    assert _leaves(out) == _leaves(raw)


@pytest.fixture(scope="module")
def big_8bit() -> bytes:
    """A message with 8-bit leaves over the real threshold (text, binary, and a text in a
    forwarded message): 600 KB, made once."""
    text = "Grüße aus Köln, Zeile %d.\r\n"
    text_body = "".join(text % i for i in range(8000)).encode()
    binary = b"".join(
        bytes((i * 7 + j) % 256 for j in range(70)).replace(b"\r", b"").replace(b"\n", b"")
        + b"\r\n"
        for i in range(3000)
    )
    return (
        b"From: a@example.test\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
        b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + text_body + b"\r\n"
        b"--XX\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + binary + b"\r\n"
        b"--XX\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Subject: fwd\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text_body + b"\r\n"
        b"--XX--\r\n"
    )


def test_a_big_8bit_message_converts_to_the_same_bytes_a_leaf_at_a_time(big_8bit) -> None:
    small, leaves = seven_bit_stubs.stubbed(big_8bit)
    assert len(leaves) == 3 and len(small) < 2000  # the parse sees a small message
    out = seven_bit(big_8bit)
    assert out == _whole(big_8bit)
    assert _leaves(out) == _leaves(big_8bit)


def test_a_big_leaf_with_a_line_like_a_boundary_is_converted_whole(big_8bit) -> None:
    """A body line starting with "--" might end the part for the parser: such a leaf is
    not stubbed, and the message converts as before."""
    raw = big_8bit.replace(b"Zeile 5.\r\n", b"Zeile 5.\r\n--XX\r\n", 1)
    assert seven_bit(raw) == _whole(raw)
