"""Replies and new mail to an address whose local part is not ASCII (RFC 6531/6532).

With SMTPUTF8 offered the message goes out with the SMTPUTF8 parameter and raw UTF-8
headers; without it that recipient is refused before anything is sent and the others
get a message whose headers are ASCII again (RFC 6857 style). ASCII mail is unchanged.
"""

from __future__ import annotations

import re
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import Parser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sending.helpers import account_for, make_account, parse
from testserver.server import MailServer
from tuimail.core.compose import Draft, build_message, message_bytes, reply
from tuimail.core.mime.utf8_headers import downgrade
from tuimail.core.outbox import send_now
from tuimail.core.secrets import Secret

TIMEOUT = 30.0
JOERG = "jörg@example.org"


def _from_joerg(to: str, cc: str) -> bytes:
    return (
        f"From: Jörg Müller <{JOERG}>\r\nTo: {to}\r\nCc: {cc}\r\nSubject: Grüße\r\n"
        "Message-ID: <orig-utf8@example.org>\r\n\r\nHallo, wie geht's?\r\n"
    ).encode()


def _parse_utf8(raw: bytes) -> EmailMessage:
    """An RFC 6532 message read as UTF-8 text (the stdlib's bytes parser would leave
    surrogates in the addresses)."""
    return Parser(policy=policy.default).parsestr(raw.decode("utf-8"))


def _head(raw: bytes) -> bytes:
    return raw.partition(b"\r\n\r\n")[0]


def _decoded_field(raw: bytes, name: str) -> str:
    """The text of one header field with its encoded words decoded."""
    unfolded = re.sub(rb"\r\n[ \t]", b" ", _head(raw)).decode("ascii")
    value = next(line for line in unfolded.split("\r\n") if line.startswith(name + ":"))
    return str(make_header(decode_header(value.partition(":")[2])))


def _has_reply(raw: bytes) -> bool:
    return b"In-Reply-To: <orig-utf8@example.org>" in raw


async def test_reply_to_utf8_local_part_reaches_everyone_intact(mail_peer) -> None:
    """Jörg's copy goes with SMTPUTF8 and raw UTF-8 headers; Bob's (ASCII address) with
    ASCII headers and no SMTPUTF8, which Postfix can hand to Dovecot's LMTP (that does not
    offer SMTPUTF8: a message that asked for it bounces there)."""
    alice, bob = mail_peer.new_user(), mail_peer.new_user()
    account = account_for(mail_peer, alice)
    draft = reply(_from_joerg(alice.email, bob.email), account, reply_all=True)
    raw, sender, rcpts = message_bytes(draft, account)
    assert f"<{JOERG}>".encode() in _head(raw) and b"=?utf-8?q?j" not in raw
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "sent", entry.failure
    assert sorted(entry.delivered) == sorted([JOERG, bob.email])
    assert entry.copy["outcome"] == "saved"  # APPEND of the UTF-8 original to Sent
    got_raw = mail_peer.wait_for_message(bob, _has_reply, TIMEOUT)
    got = parse(got_raw)
    (joerg,) = got["To"].groups
    assert joerg.display_name == f"Jörg Müller <{JOERG}>" and joerg.addresses == ()
    assert got["Cc"].addresses[0].addr_spec == bob.email
    assert got["Subject"] == "Re: Grüße" and "> Hallo, wie geht's?" in got.get_content()
    if isinstance(mail_peer, MailServer):
        assert _head(got_raw).isascii()
        (copy,) = [data for _, rcpt, data in mail_peer.outbound if rcpt == JOERG]
        to = _parse_utf8(copy)["To"].addresses[0]
        assert (to.display_name, to.username, to.domain) == ("Jörg Müller", "jörg", "example.org")
        options = {s.rcpt_tos: s.mail_options for s in mail_peer.protocol_server("smtp").accepted}
        assert "SMTPUTF8" in options[(JOERG,)] and "SMTPUTF8" not in options[(bob.email,)]


async def test_raw_utf8_headers_to_ascii_recipients_go_without_smtputf8(mail_peer) -> None:
    """A message with UTF-8 in its headers (piped to `tuimail send`) but only ASCII
    addresses is delivered with ASCII headers: through Postfix to Dovecot it used to ask
    for SMTPUTF8 and bounce, silently."""
    alice, bob = mail_peer.new_user(), mail_peer.new_user()
    account = account_for(mail_peer, alice)
    raw = (
        f"From: Älice <{alice.email}>\r\nTo: Bäcker <{bob.email}>\r\nSubject: Grüße roh\r\n"
        "Message-ID: <raw-utf8@example.test>\r\n\r\nHallo\r\n"
    ).encode()
    entry = await send_now(raw, alice.email, [bob.email], account, Secret(alice.password))
    assert entry.state == "sent", entry.failure
    got_raw = mail_peer.wait_for_message(bob, lambda r: b"<raw-utf8@example.test>" in r, TIMEOUT)
    got = parse(got_raw)
    assert got["Subject"] == "Grüße roh" and got["From"].addresses[0].display_name == "Älice"
    assert got["To"].addresses[0].display_name == "Bäcker"


@pytest.fixture
def ascii_server(test_ca):
    """The bundled server with SMTPUTF8 switched off."""
    with MailServer(ca=test_ca, options={"smtp": {"smtputf8": False}}) as server:
        yield server


async def test_without_smtputf8_utf8_recipient_is_refused_and_others_get_ascii_headers(
    ascii_server,
) -> None:
    alice, bob = ascii_server.new_user(), ascii_server.new_user()
    account = account_for(ascii_server, alice)
    draft = reply(_from_joerg(alice.email, f"Bob Bäcker <{bob.email}>"), account, reply_all=True)
    raw, sender, rcpts = message_bytes(draft, account)
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.delivered == [bob.email]
    assert list(entry.refused) == [JOERG]
    (submission,) = ascii_server.protocol_server("smtp").accepted
    assert "SMTPUTF8" not in submission.mail_options
    got_raw = ascii_server.wait_for_message(bob, _has_reply, TIMEOUT)
    assert _head(got_raw).isascii()
    got = parse(got_raw)
    (joerg,) = got["To"].groups
    assert joerg.display_name == f"Jörg Müller <{JOERG}>" and joerg.addresses == ()
    (cc,) = got["Cc"].addresses
    assert (cc.display_name, cc.addr_spec) == ("Bob Bäcker", bob.email)
    assert got["Subject"] == "Re: Grüße"


def _ascii_draft() -> Draft:
    return Draft(
        to=["Ann Example <ann@example.org>", "bob@example.net"],
        cc=['"Doe, Jane" <jane@example.com>'],
        subject="Re: Grüße and a long subject " + "word " * 20,
        body="plain text\n",
        in_reply_to="<a@b>",
        message_id="<fixed@example.test>",
    )


def test_ascii_only_mail_is_written_exactly_as_before() -> None:
    account = make_account("me@example.test")
    raw, _, _ = message_bytes(_ascii_draft(), account)
    msg = build_message(_ascii_draft(), account, date=parse(raw)["Date"].datetime)
    assert raw == bytes(msg)  # policy.SMTP as always: encoded words, nothing raw
    assert raw.isascii() and downgrade(raw) is raw


def test_idna_domain_in_an_ascii_header_is_written_in_a_labels() -> None:
    raw, _, rcpts = message_bytes(Draft(to=["Bob <bob@bücher.example>"]), make_account())
    assert b"To: Bob <bob@xn--bcher-kva.example>\r\n" in raw and _head(raw).isascii()
    assert rcpts == ["bob@bücher.example"]


_header_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(',;:<>"@()\\ '),
    max_size=40,
)


@given(to=_header_text, subject=_header_text, name=_header_text)
def test_downgraded_headers_are_ascii_and_keep_every_ascii_address(to, subject, name) -> None:
    raw = (
        f'To: {to}, "{name}" <ann@example.org>, {name} <jörg@bücher.example>\r\n'
        f"Subject: {subject}\r\nX-Keep: as is\r\n\r\nbody\r\n"
    ).encode("utf-8", "surrogatepass")
    out = downgrade(raw)
    assert _head(out).isascii() and out.endswith(b"\r\n\r\nbody\r\n")
    assert b"\r\nX-Keep: as is\r\n" in out
    if raw.isascii():
        assert out == raw
    shown = _decoded_field(out, "To")  # nothing is lost, whatever the parser makes of it
    assert "ann@example.org" in shown and "jörg@" in shown


def test_downgrade_decodes_encoded_words_before_encoding_the_field() -> None:
    """A piped message with raw UTF-8 and an encoded word in one Subject: the reader
    sees the words, never "=?utf-8?q?...?=" encoded a second time."""
    raw = "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= und \u2713 ok\r\n\r\nbody\r\n".encode()
    assert _decoded_field(downgrade(raw), "Subject").strip() == "Grüße und \u2713 ok"


def test_the_app_sends_to_a_named_utf8_address(mail_server, tmp_path) -> None:
    """The composer's To line 'Jörg Müller <jörg@example.org>' crashed Send with
    "'ascii' codec can't encode" (email.utils.formataddr refuses such an address)."""
    from tests.imap.helpers import account_for as imap_account
    from tuimail.core.service import Draft, MailService
    from tuimail.core.store import Store

    alice, bob = mail_server.new_user(), mail_server.new_user()
    account = imap_account(mail_server, alice)
    secret = Secret(alice.password)
    service = MailService(
        {account.name: account},
        password_for=lambda _a: secret,
        idle=False,
        store=Store(tmp_path / "store.sqlite3"),
    )
    try:
        service.send(Draft(account.name, to=f"Jörg Müller <{JOERG}>, {bob.email}", subject="Hi"))
    finally:
        service.stop()
    (copy,) = [data for _, rcpt, data in mail_server.outbound if rcpt == JOERG]
    to = _parse_utf8(copy)["To"].addresses[0]
    assert (to.display_name, to.addr_spec) == ("Jörg Müller", JOERG)
    mail_server.wait_for_message(bob, lambda raw: b"Subject: Hi" in raw, TIMEOUT)


def _attachment_in_8bit_header(sender: str, to: str, name: bytes) -> bytes:
    """A single-part attachment whose name is raw 8-bit in its Content-Type and
    Content-Disposition, as Outlook Express and other old mailers write it."""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: report\r\n"
        "Message-ID: <raw-8bit-name@example.test>\r\nMIME-Version: 1.0\r\n".encode()
        + b'Content-Type: application/octet-stream;\r\n        name="'
        + name
        + b'"\r\nContent-Disposition: attachment; filename="'
        + name
        + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\nUERGIGJ5dGVz\r\n'
    )


async def test_an_attachment_named_in_raw_8bit_keeps_its_type_and_name(mail_peer) -> None:
    """`tuimail send` of a message whose attachment is named in raw UTF-8: the header
    made ASCII for the recipients used to be one encoded word, Content-Type included
    ("Content-Type: =?utf-8?b?...?="), so the recipient got text, not the attachment."""
    alice, bob = mail_peer.new_user(), mail_peer.new_user()
    account = account_for(mail_peer, alice)
    raw = _attachment_in_8bit_header(alice.email, bob.email, "Übersicht 2024.pdf".encode())
    entry = await send_now(raw, alice.email, [bob.email], account, Secret(alice.password))
    assert entry.state == "sent", entry.failure
    got_raw = mail_peer.wait_for_message(
        bob, lambda r: b"<raw-8bit-name@example.test>" in r, TIMEOUT
    )
    got = parse(got_raw)
    assert got.get_content_type() == "application/octet-stream"
    assert got.get_filename() == "Übersicht 2024.pdf"
    assert got.get_param("name") == "Übersicht 2024.pdf"
    assert got.get_content() == b"PDF bytes"


@given(
    name=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters='"\\'),
        min_size=1,
    ),
)
def test_downgraded_mime_fields_keep_their_type_and_parameters(name: str) -> None:
    raw = _attachment_in_8bit_header("a@example.org", "b@example.org", name.encode())
    head = downgrade(raw).partition(b"\r\n\r\n")[0]
    assert head.isascii()
    got = parse(downgrade(raw))
    assert got.get_content_type() == "application/octet-stream"
    assert got.get_content_disposition() == "attachment"
    if name.isascii():  # kept byte for byte: read as the original is read (the stdlib
        # itself reads filename="<>" as "")
        assert got.get_filename() == parse(raw).get_filename()
    elif name.strip() == name:  # the parser strips what surrounds it
        assert got.get_filename() in (name, name.strip())
