"""Replying to and forwarding real mail nobody here wrote: the draft always becomes a
message that can be sent, and nothing of the original is dropped on the way."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.corpus import CORPUS_DIR
from tests.sending.helpers import make_account, parse
from tuimail.core.compose import forward, message_bytes, reply

ACCOUNT = make_account("me@example.test")


def _sendable(draft) -> bytes:
    draft.to = draft.to or ["bob@example.org"]
    raw, _, _ = message_bytes(draft, ACCOUNT)
    return raw


def test_reply_to_a_gb2312_subject_with_gb18030_characters_is_decoded() -> None:
    """Chinese mail labels GB18030 text gb2312 (Python's gb2312 codec refuses some of its
    characters): the subject used to stay in encoded words, which the stdlib then read
    back as undecodable bytes and could not write: the reply crashed at Send."""
    original = (CORPUS_DIR / "spamscope-mail_test_9.eml").read_bytes()
    draft = reply(original, ACCOUNT, reply_all=True)
    assert draft.subject.startswith("Re: 我把镜头拉近些") and "=?" not in draft.subject
    assert parse(_sendable(draft))["Subject"] == draft.subject


def test_forwarding_a_bounce_keeps_its_whole_delivery_status() -> None:
    """A bounce's message/delivery-status (a block per message and per recipient) could
    not be written at all (the stdlib wants it parsed), and only its first block was
    taken from the original."""
    original = (CORPUS_DIR / "flanker-bounce_no-mx.eml").read_bytes()
    status = next(
        p
        for p in BytesParser(policy=policy.SMTP).parsebytes(original).walk()
        if p.get_content_type() == "message/delivery-status"
    )
    blocks = [dict(block.items()) for block in status.get_payload()]
    assert len(blocks) == 2
    sent = parse(_sendable(forward(original, ACCOUNT)))
    (forwarded,) = [
        p for p in sent.iter_attachments() if p.get_content_type() == "message/delivery-status"
    ]
    assert [dict(block.items()) for block in forwarded.get_payload()] == blocks
    assert forwarded.get_content_disposition() == "attachment"


def test_a_broken_multipart_forwarded_as_attachment_goes_out_byte_for_byte() -> None:
    """A multipart whose boundary never comes, with 8-bit bytes (spam does this): the
    stdlib cannot write such a message back, and Send failed with "'ascii' codec". It is
    attached as the original bytes instead."""
    original = (
        b"From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\npreamble caf\xe9\r\n"
        b"--yy\r\nContent-Type: text/plain\r\n\r\nbody \xe9\r\n"
    )
    sent = parse(_sendable(forward(original, ACCOUNT, as_attachment=True)))
    (attached,) = sent.iter_attachments()
    assert attached.get_filename() == "x.eml" and attached.get_content() == original


@pytest.mark.parametrize(
    "broken",
    [
        b"Message-ID: <caf\xc3\xa7@example.org>\r\n",  # 8-bit in a Message-ID
        b"X-Note: a charset that is not a name\r\n",
    ],
)
def test_mail_with_garbled_ids_types_and_charsets_can_be_answered(broken: bytes) -> None:
    """A NUL in a charset name (ValueError from the codec lookup), a type with a
    control character, a Message-ID with 8-bit bytes: Send built nothing before."""
    raw = (
        b"From: a@example.org\r\nSubject: s\r\n" + broken + b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        b'--b\r\nContent-Type: text/plain; charset="utf\x00-8"\r\n\r\nhello\r\n'
        b"--b\r\nContent-Type: appli\x0bcation/pdf\r\nContent-Disposition: attachment;"
        b' filename="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n'
    )
    parse(_sendable(forward(raw, ACCOUNT, as_attachment=True)))
    for draft in (reply(raw, ACCOUNT), forward(raw, ACCOUNT)):
        sent = parse(_sendable(draft))
        assert "hello" in sent.get_body(preferencelist=("plain",)).get_content()
    forwarded = [p.get_payload(decode=True) for p in sent.iter_attachments()]
    assert forwarded == [b"\x00\x01\x02"]


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(deadline=None)  # three messages built per example: slow on a loaded machine
@example(subject="Grüße\u2028x".encode(), name="", filename="a\u2028b.pdf", charset="utf-8")
@given(
    subject=st.binary(max_size=40),
    name=_text,
    filename=_text,
    charset=st.sampled_from(["utf-8", "gb2312", "iso-8859-1", "x-unknown", "utf-7"]),
)
def test_any_subject_name_or_file_name_can_be_replied_to_and_forwarded(
    subject: bytes, name: str, filename: str, charset: str
) -> None:
    """Raw 8-bit subjects, line separators such as U+2028 (str.splitlines() breaks at
    them, so the stdlib refused the header), unknown charsets: a sendable message."""
    encoded_name = name.encode("utf-8").hex()
    raw = (
        b"From: =?" + charset.encode() + b"?Q?" + encoded_name.encode() + b"?= <a@example.org>\r\n"
        b"To: me@example.test\r\nSubject: "
        + subject.replace(b"\r", b"").replace(b"\n", b"")
        + b"\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;"
        b' filename="' + filename.replace('"', "").encode("utf-8") + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n"
    )
    for draft in (
        reply(raw, ACCOUNT),
        forward(raw, ACCOUNT),
        forward(raw, ACCOUNT, as_attachment=True),
    ):
        parse(_sendable(draft))


@pytest.mark.parametrize(
    "name",
    [
        "nodemailer-nodemailer.eml",  # inline images in multipart/related
        "thunderbird-apple_mail_related_attachments.eml",  # files inside multipart/related
        "mime4j-uu-zeegee.eml",  # uuencoded in the text
        "rubymail-attachment_emails_attachment_only_email.eml",  # the message is one file
        "mimekit-multipart-digest.eml",  # a digest's messages
        "flanker-enclosed-global.eml",  # an RFC 6532 message/global (was re-parsed, changed)
    ],
)
def test_an_inline_forward_carries_every_attachment_the_reader_lists(name: str) -> None:
    """The forward took the stdlib's top-level attachments only: these lost some or all
    of what the reader shows (and lets the user save)."""
    from tuimail.core.mime import parse_message

    # as a server gives it (CRLF): an attached message is carried byte for byte, and on
    # the wire its lines end in CRLF
    original = (CORPUS_DIR / name).read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    shown = [(a.filename, a.payload) for a in parse_message(original).attachments]
    assert shown
    sent = parse_message(_sendable(forward(original, ACCOUNT)))
    assert [(a.filename, a.payload) for a in sent.attachments] == shown  # none twice


def test_a_message_forwarded_as_attachment_keeps_its_header_lines_as_received() -> None:
    """policy.SMTP refolded a long header line of the forwarded message (with encoded
    words): the attached message was no longer the one received."""
    original = (CORPUS_DIR / "flanker-apache-message-news-mime.eml").read_bytes()
    sent = _sendable(forward(original, ACCOUNT, as_attachment=True))
    path = next(line for line in original.splitlines() if line.startswith(b"Path:"))
    assert path + b"\r\n" in sent and b"Path: =?utf-8?" not in sent


def test_reply_and_forward_name_the_author_not_a_mangled_mbox_line() -> None:
    """The corpus message starts with its mbox separator turned into a `From:` field
    (`From: timc@2ubh.com  Thu Aug 22 13:52:59 2002`) above the real From: the reply read
    "timc@2ubh.comThuAug2213 wrote:" while the message list named Tim Chapman."""
    original = (CORPUS_DIR / "aerc-0003.acfc5ad94bbd27118a0d8685d18c89dd.eml").read_bytes()
    assert original.startswith(b"From: timc@2ubh.com  Thu Aug 22 13:52:59 2002")
    draft = reply(original, ACCOUNT)
    assert draft.body.splitlines()[0] == (
        "On Thu, 22 Aug 2002 at 13:52, Tim Chapman <timc@2ubh.com> wrote:"
    )
    forwarded = forward(original, ACCOUNT)
    assert 'From: "Tim Chapman" <timc@2ubh.com>' in forwarded.body
    assert "Thu Aug 22 13:52:59" not in forwarded.body


def test_a_text_file_forwarded_inline_keeps_its_charset() -> None:
    """The forward carried a Shift_JIS (or windows-1252) text file's bytes with no charset:
    the recipient's reader took them for ASCII and showed mojibake. Reopening the forward
    as a draft keeps the charset too."""
    from tests.interop import shapes
    from tuimail.core.compose import draft_from_message

    draft = forward(shapes.text_attachments(), ACCOUNT)
    draft.to = ["bob@example.org"]
    sent = parse(_sendable(draft))
    files = {p.get_filename(): p for p in sent.iter_attachments()}
    assert files["jp.txt"].get_content_charset() == "shift_jis"
    assert files["jp.txt"].get_content() == "日本語のテキスト\r\n"
    assert files["prices.csv"].get_content_charset() == "windows-1252"
    assert files["prices.csv"].get_payload(decode=True) == shapes.CP1252_CSV
    reopened = draft_from_message(_sendable(draft))
    charsets = {a.filename: a.charset for a in reopened.attachments}
    assert charsets == {"jp.txt": "shift_jis", "prices.csv": "windows-1252"}
