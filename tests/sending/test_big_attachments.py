"""Big attachments and big forwarded messages are written with a token in their place
and spliced in after (tuimail.core.mime.spliced): the message is byte for byte the one
written whole. A big message forwarded as an attachment is read by its header only and
goes as received; over-long lines are looked for a chunk at a time; the outbox reads a
big message's header only. Inputs of ~1.2 MB (over the 1 MB threshold), made once."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core import compose
from tuimail.core.account import Account, ServerSettings
from tuimail.core.mime import long_lines, spliced, utf8_headers
from tuimail.core.mime.header_block import header_block
from tuimail.core.outbox import Outbox

HERE = ServerSettings("127.0.0.1", 9, "tls")
ACCOUNT = Account(name="big", email="bob@example.test", incoming=HERE, outgoing=HERE)
DATE = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def big_file() -> bytes:
    return random.Random(1).randbytes(1_200_000)


@pytest.fixture(scope="module")
def big_message() -> bytes:
    line = b"The quick brown fox jumps over the lazy dog. 0123456789 caf\xc3\xa9\r\n"
    return (
        b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n"
        b"Subject: Quarterly figures\r\nMessage-ID: <big@example.test>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + line
        * (1_300_000 // len(line))
    )


def _written(attachments: list[compose.Attachment], splice: bool) -> bytes:
    draft = compose.Draft(
        to=["Jörg <j@example.test>"],
        subject="Grüße",
        body="Here they are.\n",
        attachments=attachments,
        message_id="<fixed@example.test>",
    )
    random.seed(7)  # the same MIME boundaries both ways
    msg = compose.build_message(draft, ACCOUNT, date=DATE, splice=splice)
    return spliced.written(msg) if splice else utf8_headers.message_bytes(msg)


def test_a_message_with_big_parts_is_the_one_written_whole(big_file, big_message) -> None:
    attachments = [
        compose.Attachment("résumé.pdf", big_file, "application/pdf"),
        compose.Attachment("small.txt", b"small\r\n"),
        compose.Attachment("fwd.eml", big_message, "message/rfc822"),
    ]
    whole = _written(attachments, splice=False)
    assert _written(attachments, splice=True) == whole
    parts = list(BytesParser(policy=policy.default).parsebytes(whole).iter_attachments())
    assert parts[0].get_content() == big_file
    assert parts[2].get_payload(0).as_bytes(policy=policy.SMTP) == big_message


def test_a_message_holding_its_own_token_goes_out_whole_and_exact(
    big_file, big_message, monkeypatch
) -> None:
    """A big part's token written into the message's own text (the token is random: only
    a forgery can) makes the splice ambiguous: the message is built without tokens, the
    same bytes, never a traceback or a part put in the wrong place."""
    import base64

    monkeypatch.setattr(spliced, "token", lambda: b"tuimail-big-part-forged")
    image = base64.b64encode(b"tuimail-big-part-forged").decode()  # as the part holds it
    draft = compose.Draft(
        to=["j@example.test"],
        subject="forged",
        body=f"A line naming\n{image}\nin the text.\n",
        attachments=[compose.Attachment("big.bin", big_file)],
        message_id="<forged@example.test>",
    )
    raw, _sender, _recipients = compose.message_bytes(draft, ACCOUNT)
    parts = list(BytesParser(policy=policy.default).parsebytes(raw).iter_attachments())
    assert parts[0].get_content() == big_file
    assert f"A line naming\r\n{image}\r\nin the text.".encode() in raw


def test_a_big_message_forwarded_as_an_attachment_goes_as_received(big_message) -> None:
    draft = compose.forward(big_message, ACCOUNT, as_attachment=True)
    assert draft.subject == "Fwd: Quarterly figures"
    draft.to = ["carol@example.test"]
    raw, _sender, recipients = compose.message_bytes(draft, ACCOUNT)
    assert recipients == ["carol@example.test"]
    assert big_message in raw  # byte for byte, not parsed and written again
    entry = Outbox(ACCOUNT.name).enqueue(raw, "bob@example.test", recipients)
    assert entry.subject == "Fwd: Quarterly figures"
    assert Outbox(ACCOUNT.name).raw(entry.id) == raw


HEADERS = st.lists(
    st.sampled_from(
        [b"Subject: a\r\n", b"To: b@x\r\n", b" folded\r\n", b"X: \xc3\xa9\r\n", b"junk\r\n"]
    ),
    max_size=5,
).map(b"".join)


@settings(max_examples=150, deadline=None)
@given(HEADERS, st.sampled_from([b"\r\n", b"\n", b""]), st.binary(max_size=40))
def test_the_header_block_parses_to_the_same_fields(head: bytes, end: bytes, body: bytes) -> None:
    from email.parser import BytesHeaderParser

    raw = head + end + body
    whole = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    alone = BytesHeaderParser(policy=policy.compat32).parsebytes(header_block(raw))
    assert alone.items() == whole.items()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1200), st.sampled_from([b"\r\n", b"\n", b"\r"])), max_size=8),
    st.integers(0, 30),
)
def test_long_lines_are_found_a_chunk_at_a_time_as_in_one_go(lines, start) -> None:
    data = b"".join(b"x" * n + end for n, end in lines)
    chunked = long_lines.too_long(data, start) if start <= len(data) else None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(long_lines, "_CHUNK", 7)  # many chunks, cut anywhere
        small = long_lines.too_long(data, start) if start <= len(data) else None
    whole = max(map(len, data[start:].splitlines()), default=0) > long_lines.LIMIT
    assert chunked == small == (whole if start <= len(data) else None)
