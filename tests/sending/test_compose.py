"""Composing without a server: addresses, threading, encoding, attachments, $EDITOR."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.sending.helpers import make_account, parse
from tuimail.core.compose import (
    Attachment,
    Draft,
    EditorError,
    build_message,
    draft_from_message,
    edit_in_editor,
    editor_template,
    envelope_recipients,
    forward,
    message_bytes,
    new_draft,
    parse_editor_text,
    reply,
)
from tuimail.words.compose import editor_words

ORIGINAL = (
    b"From: Bob Example <bob@other.test>\r\n"
    b"To: Me <ME@example.test>, carol@other.test\r\n"
    b"Cc: dan@other.test, me@example.test, Bob <bob@other.test>\r\n"
    b"Reply-To: list@other.test\r\n"
    b"Subject: Re: =?utf-8?q?Caf=C3=A9_plans?=\r\n"
    b"Message-ID: <parent@other.test>\r\n"
    b"References: <root@other.test> <mid@other.test>\r\n"
    b"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"See you at the caf\xc3\xa9.\r\n"
    b"> earlier quote\r\n"
)


@pytest.fixture
def account():
    return make_account(display_name="Jörg Möller", signature="Jörg\nexample.test")


def test_reply_honours_reply_to_and_threads(account) -> None:
    draft = reply(ORIGINAL, account)
    assert draft.to == ["list@other.test"]
    assert draft.cc == []
    assert draft.subject == "Re: Café plans"  # no "Re: Re:"
    assert draft.in_reply_to == "<parent@other.test>"
    assert draft.references == ["<root@other.test>", "<mid@other.test>", "<parent@other.test>"]
    assert draft.body.startswith("On Mon, 02 Nov 2026 at 10:00, Bob Example <bob@other.test>")
    assert "> See you at the café." in draft.body
    assert ">> earlier quote" in draft.body
    assert draft.body.endswith("\n-- \nJörg\nexample.test\n")
    msg = parse(bytes(build_message(draft, account)))
    assert msg["In-Reply-To"] == "<parent@other.test>"
    assert msg["References"].split() == draft.references


def test_reply_without_reply_to_goes_to_from(account) -> None:
    raw = ORIGINAL.replace(b"Reply-To: list@other.test\r\n", b"")
    assert reply(raw, account).to == ["Bob Example <bob@other.test>"]


def test_reply_all_drops_own_addresses_and_duplicates(account) -> None:
    draft = reply(ORIGINAL, account, reply_all=True)
    assert [a.lower() for a in envelope_recipients(draft)] == [
        "list@other.test",
        "carol@other.test",
        "dan@other.test",
        "bob@other.test",
    ]
    assert all("example.test" not in a.lower() for a in draft.to + draft.cc)


def test_reply_all_drops_aliases(account) -> None:
    account.extra["aliases"] = ["carol@other.test"]
    draft = reply(ORIGINAL, account, reply_all=True)
    assert "carol@other.test" not in [a.lower() for a in envelope_recipients(draft)]


def test_message_id_date_and_utf8_headers(account) -> None:
    draft = new_draft(account, to=["Zoë Ünal <zoe@other.test>"], subject="Grüße – ✓", body="Hi")
    raw, sender, rcpts = message_bytes(draft, account)
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # every header is 7-bit (RFC 2047)
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    msg = parse(raw)
    assert msg["Subject"] == "Grüße – ✓"
    assert msg["To"].addresses[0].display_name == "Zoë Ünal"
    assert msg["From"].addresses[0].display_name == "Jörg Möller"
    assert msg["Message-ID"].endswith("@example.test>")
    assert msg["Date"].datetime is not None
    assert sender == "me@example.test" and rcpts == ["zoe@other.test"]
    assert msg.get_content().replace("\r\n", "\n") == "Hi\n\n-- \nJörg\nexample.test\n"


def test_long_subject_is_folded_and_round_trips(account) -> None:
    subject = "Ünïcödé " * 30
    msg = parse(bytes(build_message(Draft(to=["a@b.test"], subject=subject), account)))
    assert msg["Subject"] == subject.strip()


@pytest.mark.parametrize(
    "evil",
    [
        b"Subject: =?utf-8?q?hello=0D=0ABcc:_victim@evil.test?=\r\n",
        b"Subject: =?utf-8?b?aGVsbG8NCkJjYzogdmljdGltQGV2aWwudGVzdA==?=\r\n",
        b"Subject: hello\r\n =?utf-8?q?=0ABcc:_victim@evil.test=0A=0Abody?=\r\n",
    ],
)
def test_header_injection_through_reply_subject_is_neutralized(account, evil: bytes) -> None:
    raw = b"From: bob@other.test\r\nTo: me@example.test\r\nMessage-ID: <x@y>\r\n" + evil
    raw += b"\r\nbody\r\n"
    draft = reply(raw, account)
    out = bytes(build_message(draft, account))
    msg = parse(out)
    assert msg["Bcc"] is None
    assert msg.get_all("Subject") == [msg["Subject"]]
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert "victim@evil.test" in msg["Subject"]  # kept as text, not a header
    assert envelope_recipients(draft) == ["bob@other.test"]
    assert b"\r\nBcc:" not in out.split(b"\r\n\r\n")[0]


def test_injection_in_display_name_and_message_ids(account) -> None:
    raw = (
        b"From: =?utf-8?q?Bob=0D=0AX-Evil:_1?= <bob@other.test>\r\n"
        b"Message-ID: <a@b>\r\n\tX-Evil: 2\r\n"
        b"Subject: s\r\n\r\nbody\r\n"
    )
    msg = parse(bytes(build_message(reply(raw, account), account)))
    assert msg["X-Evil"] is None
    assert msg["In-Reply-To"] == "<a@b>"


def test_attachments_exact_bytes_and_types(account) -> None:
    blob = bytes(range(256)) * 40
    draft = Draft(
        to=["a@b.test"],
        subject="files",
        body="see attached",
        attachments=[
            Attachment("report.pdf", blob),
            Attachment("photo.PNG", b"\x89PNG\r\n\x1a\n" + blob),
            Attachment("notes.txt", b"line1\r\nline2\rlone cr\n.\n..\n"),
            Attachment("data.unknownext", blob[:100]),
            Attachment("Ünïcode naïve.bin", b"\x00\xff"),
        ],
    )
    msg = parse(bytes(build_message(draft, account)))
    parts = list(msg.iter_attachments())
    assert [p.get_content_type() for p in parts] == [
        "application/pdf",
        "image/png",
        "text/plain",
        "application/octet-stream",
        "application/octet-stream",
    ]
    assert [p.get_filename() for p in parts] == [a.filename for a in draft.attachments]
    for part, att in zip(parts, draft.attachments, strict=True):
        assert part.get_payload(decode=True) == att.data


def test_body_with_dots_and_lone_cr_survives(account) -> None:
    body = ".\n..\n.x\n\nend\n"
    msg = parse(bytes(build_message(Draft(to=["a@b.test"], body=body), account)))
    assert msg.get_content().replace("\r\n", "\n") == body
    body_cr = "one\rtwo\n.\n"
    msg = parse(bytes(build_message(Draft(to=["a@b.test"], body=body_cr), account)))
    assert msg.get_payload(decode=True).decode() == body_cr


def test_forward_inline_keeps_text_and_attachments(account) -> None:
    original = Draft(
        from_addr="bob@other.test",
        to=["me@example.test"],
        subject="Pics",
        body="two pictures",
        attachments=[Attachment("a.png", b"\x89PNG" + bytes(range(256)))],
    )
    raw = bytes(build_message(original, make_account("bob@other.test")))
    draft = forward(raw, account)
    assert draft.subject == "Fwd: Pics"
    assert "---------- Forwarded message ----------" in draft.body
    assert "From: bob@other.test" in draft.body and "two pictures" in draft.body
    assert [(a.filename, a.data) for a in draft.attachments] == [
        ("a.png", b"\x89PNG" + bytes(range(256)))
    ]
    assert draft.in_reply_to is None
    assert parse(raw)["Message-ID"] in draft.references


def test_forward_as_attachment_is_message_rfc822(account) -> None:
    draft = forward(ORIGINAL, account, as_attachment=True)
    draft.to = ["x@other.test"]
    msg = parse(bytes(build_message(draft, account)))
    (part,) = list(msg.iter_attachments())
    assert part.get_content_type() == "message/rfc822"
    inner = part.get_content()
    assert inner["Message-ID"] == "<parent@other.test>"
    assert inner.get_content().replace("\r\n", "\n") == "See you at the café.\n> earlier quote\n"
    assert msg["References"].split()[-1] == "<parent@other.test>"


def test_draft_round_trip_with_bcc(account) -> None:
    draft = Draft(
        from_addr="Jörg Möller <me@example.test>",
        to=["a@b.test"],
        bcc=["secret@b.test"],
        subject="Ü",
        body="text\n",
        attachments=[Attachment("x.bin", b"\x00\x01")],
        in_reply_to="<p@x>",
        references=["<r@x>", "<p@x>"],
    )
    msg = build_message(draft, account, include_bcc=True)
    back = draft_from_message(bytes(msg))
    assert back.bcc == ["secret@b.test"]
    assert (back.to, back.subject, back.body) == (draft.to, draft.subject, draft.body)
    assert back.attachments[0].data == b"\x00\x01"
    assert (back.in_reply_to, back.references) == (draft.in_reply_to, draft.references)
    assert back.message_id == msg["Message-ID"]
    assert parse(bytes(build_message(draft, account)))["Bcc"] is None


def test_editor_template_round_trip(account) -> None:
    draft = reply(ORIGINAL, account, reply_all=True)
    text = editor_template(draft)
    back = parse_editor_text(text, draft)
    assert back.to == draft.to and back.cc == draft.cc
    assert back.subject == draft.subject and back.body == draft.body
    assert back.references == draft.references


@pytest.mark.parametrize(
    ("text", "problem", "message"),
    [
        (
            "To: a@b.test\nthis is not a header\n\nbody",
            "not-a-header",
            "line 2 is not a header (expected 'Name: value'): 'this is not a header'",
        ),
        (
            "To: a@b.test\nX-Mailer: me\n\nbody",
            "unknown-header",
            "line 2: unknown header 'X-Mailer' (allowed: From, To, Cc, Bcc, Subject)",
        ),
        (
            "To: not-an-address\n\nbody",
            "not-an-address",
            "'not-an-address' is not an e-mail address",
        ),
        (
            "just some text without headers",
            "no-blank-line",
            "the headers must be followed by an empty line before the message text",
        ),
    ],
)
def test_editor_text_errors_are_clear(text: str, problem: str, message: str) -> None:
    """Core says what is wrong as data (EditorError problem + data); the edge words it."""
    with pytest.raises(EditorError) as info:
        parse_editor_text(text)
    assert info.value.problem == problem
    assert editor_words(info.value) == message


def test_edit_in_editor_runs_editor_without_shell(tmp_path: Path, account, monkeypatch) -> None:
    script = tmp_path / "ed it.py"
    script.write_text(
        "import sys\n"
        "p = sys.argv[-1]\n"
        "t = open(p, encoding='utf-8').read()\n"
        "t = t.replace('To: ', 'To: new@other.test', 1).replace('Subject: ', 'Subject: Hi', 1)\n"
        "open(p, 'w', encoding='utf-8').write(t + 'typed; rm -rf $HOME\\n')\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} '{script}'")
    monkeypatch.delenv("VISUAL", raising=False)
    result = edit_in_editor(new_draft(account))
    assert result.to == ["new@other.test"]
    assert result.subject == "Hi"
    assert result.body.endswith("typed; rm -rf $HOME\n")


def test_edit_in_editor_reports_missing_editor(account, monkeypatch) -> None:
    monkeypatch.setenv("EDITOR", "/nonexistent/editor --flag")
    with pytest.raises(EditorError) as info:
        edit_in_editor(new_draft(account))
    assert editor_words(info.value) == (
        "could not run the editor '/nonexistent/editor': No such file or directory"
    )


def test_reply_to_html_only_message_quotes_its_text(account) -> None:
    raw = (
        b"From: bob@other.test\r\nSubject: html\r\nMessage-ID: <h@x>\r\n"
        b"Content-Type: text/html; charset=iso-8859-1\r\n\r\n"
        b"<html><body><p>Caf\xe9 <b>tonight</b>?</p><script>evil()</script></body></html>\r\n"
    )
    draft = reply(raw, account)
    assert "> Café tonight?" in draft.body
    assert "evil" not in draft.body and "<b>" not in draft.body
