"""Body lines over 998 octets (RFC 5322 2.1.1) are re-encoded before sending, so no
server breaks them: Postfix (and its LMTP to Dovecot) inserts CRLF and a space into such
a line, which put a space into the links and styles of a newsletter forwarded as an
attachment (F) or piped to `tuimail send`."""

from __future__ import annotations

import re
from email import message_from_bytes
from email import policy as email_policy

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.isolation.hostile_mail import nested
from tests.sending.helpers import account_for, parse
from tuimail.core.compose import forward, message_bytes
from tuimail.core.mime.long_lines import LIMIT, fit_lines
from tuimail.core.outbox import send_now
from tuimail.core.secrets import Secret

TIMEOUT = 30.0
STYLE = "".join(f"td.c{i}{{color:#{i:06x};line-height:{i % 40}px}}" for i in range(120))
LINK = "https://example.org/track?" + "&".join(f"k{i}=v{i}" for i in range(200))
HTML = f'<html><head><style>{STYLE}</style></head><body><a href="{LINK}">read</a></body></html>'


def _newsletter() -> bytes:
    return (
        "From: News <news@example.org>\r\nTo: alice@example.test\r\nSubject: Issue 42\r\n"
        "Message-ID: <issue-42@example.org>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRead it online.\r\n"
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        f"\r\n{HTML}\r\n--b1--\r\n"
    ).encode()


def _longest_line(raw: bytes) -> int:
    return max(len(line) for line in re.split(rb"\r\n|\r|\n", raw))


def _html_of(msg) -> str:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    return part.get_content().replace("\r\n", "\n").strip()


async def test_a_newsletter_forwarded_as_attachment_arrives_unbroken(mail_peer) -> None:
    alice, bob = mail_peer.new_user(), mail_peer.new_user()
    account = account_for(mail_peer, alice)
    draft = forward(_newsletter(), account, as_attachment=True)
    draft.to = [bob.email]
    raw, sender, rcpts = message_bytes(draft, account)
    assert _longest_line(raw) > LIMIT  # what the composer builds; the outbox fits it
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "sent", entry.last_error
    got = mail_peer.wait_for_message(bob, lambda r: b"Fwd: Issue 42" in r, TIMEOUT)
    assert _longest_line(got) <= LIMIT
    (attached,) = [p for p in parse(got).iter_attachments()]
    inner = attached.get_content()
    assert inner["Subject"] == "Issue 42"
    assert _html_of(inner) == HTML


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=40)
@given(
    lines=st.lists(st.one_of(_TEXT, _TEXT.map(lambda t: (t + "x") * 40)), min_size=1),
    multipart=st.booleans(),
)
def test_fitted_lines_decode_to_the_same_content(lines: list[str], multipart: bool) -> None:
    text = "\n".join(lines).replace("\r", "")
    body = text.encode()
    head = b"From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
    if multipart:
        raw = (
            head + b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\n'
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
            b"\r\n" + body.replace(b"\n", b"\r\n") + b"\r\n--zz--\r\n"
        )
    else:
        raw = head + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    out = fit_lines(raw)
    assert _longest_line(out) <= LIMIT
    assert out.partition(b"\r\n\r\n")[0].startswith(head.rstrip(b"\r\n"))
    if _longest_line(raw) <= LIMIT:
        assert out is raw
    got = message_from_bytes(out, policy=email_policy.default)
    part = next(p for p in got.walk() if not p.is_multipart())
    decoded = part.get_payload(decode=True).replace(b"\r\n", b"\n")
    expected = body if not multipart else body.replace(b"\r\n", b"\n")
    assert decoded.rstrip(b"\n") == expected.rstrip(b"\n")


async def test_a_message_nested_too_deeply_to_fit_is_sent_as_it_is(mail_server) -> None:
    """A long line at the bottom of MIME nested 1,000 deep: the stdlib cannot walk it
    (RecursionError), so it goes unchanged instead of not at all."""
    alice, bob = mail_server.new_user(), mail_server.new_user()
    account = account_for(mail_server, alice)
    raw = nested(1000).replace(b"the innermost text", b"x" * 2000)
    entry = await send_now(raw, alice.email, [bob.email], account, Secret(alice.password))
    assert entry.state == "sent", entry.last_error
    got = mail_server.wait_for_message(bob, lambda r: b"<nested@example.test>" in r, TIMEOUT)
    assert b"x" * 2000 in got
