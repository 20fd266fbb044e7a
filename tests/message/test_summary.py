"""summarize(): header-only summary, decoded and sanitized, never raising."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.corpus import CORPUS_DIR
from tuimail.core.mime import summarize
from tuimail.core.sanitize import is_safe

CORPUS = CORPUS_DIR


def test_encoded_and_raw_8bit_headers() -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <jm@example.de>\r\n"
        b'To: "Doe, John" <jd@example.com>, caf\xc3\xa9 <c@example.com>\r\n'
        b"Cc: Ren\xe9 <r@example.fr>\r\n"
        b"Subject: =?ISO-8859-1?Q?Caf=E9?= =?utf-8?B?IOKAkyBvaw==?=\r\n"
        b"Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
        b"Message-ID: <abc@example.com>\r\n"
        b"In-Reply-To: <parent@example.com>\r\n"
        b"References: <root@example.com>\r\n <parent@example.com>\r\n"
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\nbody\r\n"
    )
    s = summarize(raw)
    assert s.from_name == "Jörg Müller" and s.from_addr == "jm@example.de"
    assert s.to == [("Doe, John", "jd@example.com"), ("café", "c@example.com")]
    assert s.cc == [("René", "r@example.fr")]
    assert s.subject == "Café – ok"
    assert s.date == datetime(2003, 7, 1, 8, 52, 37, tzinfo=UTC)
    assert s.message_id == "<abc@example.com>"
    assert s.in_reply_to == "<parent@example.com>"
    assert s.references == ["<root@example.com>", "<parent@example.com>"]
    assert s.has_attachments


def test_hostile_subject_is_sanitized_and_bad_date_is_none() -> None:
    raw = (
        b"From: x@example.com\nSubject: =?utf-8?b?G1szMW1yZWTCm+KArmV2aWw=?=\x1b]0;t\x07\n"
        b"Date: Mon, 99 Foo 2020 99:99\n\nhi\n"
    )
    s = summarize(raw)
    assert s.date is None
    assert "\x1b" not in s.subject and "\x9b" not in s.subject and "\u202e" not in s.subject
    assert "␛[31mred" in s.subject and "\\u202e" in s.subject
    assert not s.has_attachments


def test_cr_only_line_endings_and_garbage() -> None:
    s = summarize(b"Subject: a\r b\rFrom: q@x\r\rbody")
    assert s.subject == "a b" and s.from_addr == "q@x"
    assert summarize(b"").subject == ""
    assert summarize(b"\x00\xff garbage").subject == ""


def test_corpus_summaries_are_safe() -> None:
    files = sorted(CORPUS.glob("*.eml"))
    assert len(files) >= 200
    for path in files:
        s = summarize(path.read_bytes())
        texts = [s.subject, s.from_name, s.from_addr, s.message_id, s.in_reply_to]
        texts += [t for pair in s.to + s.cc for t in pair] + s.references
        assert all(is_safe(t) for t in texts), path.name
        assert s.date is None or s.date.tzinfo is not None


def test_summary_rate_meets_target() -> None:
    """The issue's figure: at least 2,000 messages/s (measured ~10,000/s here)."""
    import time

    raws = [
        (
            f"Received: from mx{i}.example.com\r\n\tby mail.example.org; Tue, 1 Jul 2025 10:52:37 +0200\r\n"
            f"From: =?utf-8?q?Sender_N=C3=B8_{i}?= <s{i}@example.com>\r\nTo: You <you@example.org>\r\n"
            f"Subject: Re: message {i}\r\nDate: Tue, 1 Jul 2025 10:52:37 +0200\r\n"
            f"Message-ID: <{i}@example.com>\r\nReferences: <0@example.com> <{i - 1}@example.com>\r\n\r\nHi\r\n"
        ).encode()
        for i in range(2000)
    ]
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()  # CPU of this thread: the machine's load does not count
        for raw in raws:
            summarize(raw)
        best = min(best, time.thread_time() - start)
    assert best < 1.0, f"{2000 / best:.0f} messages/s"


def test_reader_names_the_author_the_list_names_despite_a_mangled_mbox_line() -> None:
    """A corpus message whose mbox "From " line became a first `From: addr  Thu Aug 22
    13:52:59 2002` field: the list skipped it, but the reader (and `tuimail read`) showed
    that separator as the sender instead of the real From below it."""
    from tuimail.core.mime import parse_message, render_message

    raw = (CORPUS_DIR / "aerc-0003.acfc5ad94bbd27118a0d8685d18c89dd.eml").read_bytes()
    assert raw.startswith(b"From: timc@2ubh.com  Thu Aug 22 13:52:59 2002")
    summary = summarize(raw)
    rendered = render_message(parse_message(raw))
    assert (summary.from_name, summary.from_addr) == ("Tim Chapman", "timc@2ubh.com")
    assert dict(rendered.headers)["From"] == '"Tim Chapman" <timc@2ubh.com>'
    assert "Thu Aug 22" not in rendered.as_text().split("\n\n", 1)[0]
