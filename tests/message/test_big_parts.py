"""Big part bodies are kept out of the stdlib parser (tuimail.core.mime.stubs) and read
from the raw bytes instead: the message reads exactly the same (body, attachments and
their bytes, notes), on Hypothesis-made MIME trees (nesting, every transfer encoding,
damaged base64, 8-bit bytes, LF or CRLF, preambles, epilogues, missing or repeated
delimiters, parts without headers) and on every corpus message, with the size thresholds
at zero so that every part that can be left out is."""

from __future__ import annotations

import base64
import quopri

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.corpus import CORPUS_FILES
from tuimail.core.mime import parse_message
from tuimail.core.mime import stubs as stubs_module


def _both(raw: bytes):
    """parse_message(raw) with every possible body left out, and with none."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stubs_module, "BIG_MESSAGE", 0)
        mp.setattr(stubs_module, "BIG_PART", 0)
        left_out = stubs_module.skeleton(raw)
        stubbed = parse_message(raw)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stubs_module, "BIG_MESSAGE", 1 << 60)
        whole = parse_message(raw)
    return stubbed, whole, left_out


def _same(raw: bytes) -> bool:
    stubbed, whole, left_out = _both(raw)
    assert stubbed.body == whole.body
    assert stubbed.attachments == whole.attachments
    assert stubbed.notes == whole.notes
    assert (stubbed.headers, stubbed.too_complex) == (whole.headers, whole.too_complex)
    return left_out is not None


CTYPES = ["text/plain", "text/html", "application/pdf", "image/png", "text/calendar", None]
CTES = ["base64", "base64-damaged", "7bit", "8bit", "quoted-printable", "", "BASE64 ", "x-uue"]


@st.composite
def leaf(draw) -> bytes:
    ctype = draw(st.sampled_from(CTYPES))
    cte = draw(st.sampled_from(CTES))
    data = draw(st.binary(max_size=600)) + b"a line of text\n" * draw(st.integers(0, 30))
    name = draw(st.sampled_from([None, "file.bin", "caf\xe9.txt"]))
    head = b""
    if ctype is not None:
        head += f"Content-Type: {ctype}; charset=utf-8".encode()
        head += f'; name="{name}"'.encode("latin-1") if name else b""
        head += b"\n"
    if cte == "base64":
        body = base64.encodebytes(data)
    elif cte == "base64-damaged":
        body = base64.encodebytes(data)[:-3] + draw(st.sampled_from([b"", b"!!", b"=", b"*x"]))
        cte = "base64"
    elif cte == "quoted-printable":
        body = quopri.encodestring(data)
    else:
        body = data.replace(b"\r", b"")
    if cte:
        head += f"Content-Transfer-Encoding: {cte}\n".encode()
    if draw(st.booleans()):
        head += b"Content-Disposition: attachment\n"
    separator = draw(st.sampled_from([b"\n", b"\n", b"\n", b"", b"not a header line\n\n"]))
    return head + separator + body


@st.composite
def tree(draw, depth: int = 0) -> bytes:
    if depth >= 3 or draw(st.integers(0, 3)) == 0:
        return draw(leaf())
    subtype = draw(st.sampled_from(["mixed", "alternative", "related", "digest"]))
    boundary = draw(st.sampled_from(["b1", "=_b2", "x" * 60, "with space"])) + str(depth)
    children = draw(st.lists(tree(depth + 1), max_size=4))
    out = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n'.encode()
    out += draw(st.sampled_from([b"", b"preamble\n", b"--not the boundary\n"]))
    sep = f"--{boundary}".encode()
    for child in children:
        out += sep + draw(st.sampled_from([b"", b"  ", b"\t"])) + b"\n"
        if draw(st.integers(0, 9)) == 0:
            out += sep + b"\n"  # a repeated delimiter line
        out += child + b"\n"
    if draw(st.integers(0, 5)):
        out += sep + b"--\n" + draw(st.sampled_from([b"", b"epilogue\n", sep + b"\n"]))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=tree(), crlf=st.booleans(), top=st.sampled_from([b"", b"Subject: hi\n"]))
def test_a_message_reads_the_same_with_its_bodies_left_out(body, crlf, top) -> None:
    raw = b"From: a@example.test\nMIME-Version: 1.0\n" + top + body
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    event(f"bodies left out: {_same(raw)}")


def test_every_corpus_message_reads_the_same_with_its_bodies_left_out() -> None:
    left_out = [path.name for path in CORPUS_FILES if _same(path.read_bytes())]
    assert len(left_out) > 50  # the thresholds at zero: most of them really were


def test_a_big_attachment_is_left_out_and_read_whole(monkeypatch) -> None:
    """At the real thresholds: a 5 MB attachment never goes through the stdlib parser
    (which held ~5 copies of it at once: `tuimail read` of a 56 MB message peaked at
    407 MB), and is decoded from the raw bytes."""
    from tuimail.core.mime import parse as parse_module

    fed: list[int] = []
    parse = parse_module._parse_with_deadline
    monkeypatch.setattr(
        parse_module,
        "_parse_with_deadline",
        lambda raw, deadline: fed.append(len(raw)) or parse(raw, deadline),
    )
    data = bytes(range(256)) * (5 << 12)
    raw = (
        b"From: a@example.test\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n"
        b"--q\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--q\r\n"
        b'Content-Type: application/pdf; name="a.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(data).replace(b"\n", b"\r\n")
        + b"--q--\r\n"
    )
    assert len(raw) > stubs_module.BIG_MESSAGE
    (token,) = stubs_module.skeleton(raw)[1].spans
    parsed = parse_message(raw)
    (attachment,) = parsed.attachments
    assert attachment.filename == "a.pdf" and attachment.payload == data
    assert [p.text for p in parsed.body] == ["see attached"]
    assert fed and max(fed) < 4096, fed  # the headers and a token line, not the 5 MB
    assert token not in repr(parsed)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=tree(), crlf=st.booleans(), limit=st.integers(1, 200))
def test_a_long_text_left_out_reads_the_same_from_its_start_only(body, crlf, limit) -> None:
    """A text longer than the reader keeps is read from its first bytes only (and given
    as a LazyAttachment when it is also a file): the same text, notes and attachments."""
    from tuimail.core.mime import parse as parse_module

    raw = b"From: a@example.test\nMIME-Version: 1.0\n" + body
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parse_module, "MAX_TEXT_CHARS", limit)
        event(f"bodies left out: {_same(raw)}")
