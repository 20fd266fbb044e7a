"""Send never fails on a header carried from received mail into a reply or forward.

The stdlib reads a value set on a message as if it came from the wire: a Subject holding
half an RFC 2047 encoded word (`ü=??q?=FF=?=?`, decoded from a received one) was decoded
a second time and writing the message raised UnicodeEncodeError; a display name such as
`"@"(` made the reply itself raise HeaderParseError. Mutated headers (Hypothesis) go
through reply, reply-all and both forwards to the bytes Send submits.
"""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sending.helpers import account_for, make_account, parse
from tuimail.core.compose import Draft, forward, message_bytes, reply
from tuimail.core.outbox import send_now
from tuimail.core.secrets import Secret

ACCOUNT = make_account("me@example.test")
_FRAGMENTS = [
    "=?", "?=", "utf-8", "UTF-8", "unknown-8bit", "x-nope", "?q?", "?b?", "?Q?", "?B?",
    "=3D", "=3F", "=FF", "=C3", "=", "?", " ", "_", "a", "ü", "€", "PT8=", '"', "<", ">",
    ",", ":", ";", "@", "(", ")", "\\",
]  # fmt: skip
_mutated = st.lists(st.sampled_from(_FRAGMENTS), max_size=14).map("".join)


def _encoded(text: str) -> str:
    """`text` as one base64 encoded word: the received header decodes to it exactly."""
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def _received(subject: str, sender: str, to: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: me@example.test, {to}\r\nSubject: {subject}\r\n"
        "Message-ID: <orig@example.org>\r\n\r\nbody\r\n"
    ).encode()


def _drafts(raw: bytes) -> list[Draft]:
    drafts = [
        reply(raw, ACCOUNT),
        reply(raw, ACCOUNT, reply_all=True),
        forward(raw, ACCOUNT),
        forward(raw, ACCOUNT, as_attachment=True),
    ]
    for draft in drafts:
        draft.to = draft.to or ["bob@example.org"]
    return drafts


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=_mutated, name=_mutated, raw_form=st.booleans())
def test_mutated_subjects_and_names_never_stop_send(text: str, name: str, raw_form) -> None:
    subject = text if raw_form else _encoded(text)  # as written, or decoding to it
    sender = f"{name} <ann@example.org>" if raw_form else f'"{name}" <ann@example.org>'
    raw = _received(subject, sender, f"{_encoded(name)} <cc@example.org>")
    for draft in _drafts(raw):
        out, _sender, rcpts = message_bytes(draft, ACCOUNT)  # what Send submits
        assert rcpts  # someone to send to: the sender at least, or the one typed
        sent = parse(out)
        assert str(sent["Subject"]) == draft.subject  # the words as shown, not re-decoded


def test_half_an_encoded_word_in_a_subject_is_sent_as_written() -> None:
    subject = "ü=??q?=FF=?=?"
    draft = reply(_received(_encoded(subject), "ann@example.org", "x@example.org"), ACCOUNT)
    assert draft.subject == "Re: " + subject
    out, _, _ = message_bytes(draft, ACCOUNT)
    assert out.partition(b"\r\n\r\n")[0].isascii()
    assert str(parse(out)["Subject"]) == "Re: " + subject


def test_a_display_name_the_parser_refuses_leaves_the_address(tmp_path) -> None:
    """`From: "@"( <ann@example.org>` made reply() raise HeaderParseError."""
    draft = reply(_received("hi", '"@"( <ann@example.org>', "x@example.org"), ACCOUNT)
    out, _, rcpts = message_bytes(draft, ACCOUNT)
    assert rcpts == ["ann@example.org"]


async def test_a_reply_with_a_half_encoded_subject_is_delivered(mail_server) -> None:
    """End to end over SMTP: the reply is accepted and arrives with the subject shown."""
    alice, bob = mail_server.new_user(), mail_server.new_user()
    account = account_for(mail_server, alice)
    subject = "Grüße =?utf-8?q?=C3"  # half a word, after decoding the received one
    draft = reply(_received(_encoded(subject), bob.email, "x@example.org"), account)
    raw, sender, rcpts = message_bytes(draft, account)
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=30)
    assert entry.state == "sent", entry.failure
    got = mail_server.wait_for_message(bob, lambda r: b"<orig@example.org>" in r, 30)
    assert str(parse(got)["Subject"]) == "Re: " + subject
