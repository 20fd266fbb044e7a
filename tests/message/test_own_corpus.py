"""tuimail's own corpus (tests/data/messages): golden renderings plus targeted checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tuimail.core.mime import parse_message, raw_source, render_message, summarize
from tuimail.words.notes import message_text

from .goldens import DATA, check_golden

MESSAGES = sorted((DATA / "messages").glob("*.eml"))
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f]"
)


def render(name: str) -> str:
    (path,) = [p for p in MESSAGES if p.stem.split("-", 1)[1] == name]
    return message_text(render_message(parse_message(path.read_bytes())))


def test_own_corpus_size() -> None:
    assert len(MESSAGES) >= 40


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: p.stem)
def test_own_golden(path: Path) -> None:
    raw = path.read_bytes()
    text = message_text(render_message(parse_message(raw)))
    assert not UNSAFE.search(text)
    assert not UNSAFE.search(raw_source(raw).replace("\t", " "))
    check_golden(f"own/{path.stem}.txt", text)


def test_escapes_are_visible_not_executed() -> None:
    subj = render("escape-subject")
    assert "␛]0;pwned␇␛[2J␛[31mURGENT␛[0m" in subj
    assert "›31m" in subj and not re.search("[\x80-\x9f]", subj)  # raw 0x9B read as cp1252
    body = render("escape-body")
    assert "␛[2J␛[H" in body and "␀" in body and "␡" in body and "\\u009b31m" in body
    assert "␛]8;;http://evil.example/␛\\click" in body


def test_bidi_and_invisible_characters_are_shown_escaped() -> None:
    text = render("bidi-filename")
    assert "Invoice \\u202eexe.pdf" in text
    assert "invoice\\u202efdp.exe" in text  # attachment list
    for esc in ("\\u200b", "\\u2066", "\\u2069", "\\ufeff", "\\u200e", "\\u061c", "\\U000e0001"):
        assert esc in text, esc


def test_charset_fallbacks_are_noted() -> None:
    assert "Unknown charset 'x-klingon-8'" in render("unknown-charset")
    assert "Grüße aus München" in render("wrong-charset-utf8-declared")
    rot = render("charset-is-codec-trick")
    assert "uryyb jbeyq" in rot and "Unknown charset 'rot13'" in rot
    assert "Prix: 5€ – “quoted” café" in render("c1-latin1-body")


def test_rfc2231_rfc2047_and_raw_8bit_names() -> None:
    text = render("attachment-rfc2231")
    assert "日本語 report.txt" in text and "résumé très long name.doc" in text
    assert "фото.png" in render("attachment-rfc2047-name")
    assert "naïve café.txt" in render("attachment-raw8bit-name")
    raw = render("raw-8bit-headers")
    assert "From: Jörg Müller <jm@example.de>" in raw and "Subject: Café and Grüße" in raw


def test_broken_structure_keeps_text() -> None:
    assert "Text in a multipart without boundary." in render("missing-boundary")
    never = render("boundary-never-closed")
    assert "First part." in never and "Second part, and the mail just ends" in never
    assert "Text behind a boundary that was never declared." in render("wrong-boundary")
    assert "Deep inside." in render("nested-deep-50")
    assert "Hello world" in render("bad-base64") or "damaged" in render("bad-base64")
    assert "Just a body without any header lines." in render("no-headers-at-all")
    assert "Second line." in render("cr-only")


def test_html_rendering_features() -> None:
    news = render("newsletter-html-only")
    assert (
        "Rust 2.0 released [1]" in news and "[1] https://news.example.com/a?utm_source=mail" in news
    )
    assert "Preheader" not in news and "tracker.example.net" not in news
    assert "[Hero image]" in news and "Basic" in news and "$15" in news
    assert "HTML converted to text; remote content not loaded." in news
    quoted = render_message(
        parse_message(next(p for p in MESSAGES if "blockquote" in p.name).read_bytes())
    )
    kinds = [(b.kind, b.depth) for b in quoted.blocks]
    assert ("quote", 1) in kinds and ("quote", 2) in kinds


def test_quotes_and_signature_blocks() -> None:
    path = next(p for p in MESSAGES if "reply-quoted" in p.name)
    rm = render_message(parse_message(path.read_bytes()))
    kinds = [(b.kind, b.depth) for b in rm.blocks]
    assert kinds[:2] == [("text", 0), ("quote", 1)] and ("quote", 2) in kinds
    folded = rm.as_text(show_quotes=False)
    assert "Are you sure" not in folded and "quoted lines hidden" in folded
    sig = render_message(parse_message(MESSAGES[0].read_bytes()))
    assert sig.blocks[-1].kind == "signature" and sig.blocks[-1].lines[0] == "-- "
    outlook = render_message(
        parse_message(next(p for p in MESSAGES if "outlook-reply" in p.name).read_bytes())
    )
    assert outlook.blocks[-1].kind == "quote"


def test_calendar_and_attachments_listed() -> None:
    cal = render("calendar-invite")
    assert "Event: Quarterly planning, room 4" in cal
    assert "Starts: 2025-07-15 14:00 (Europe/Paris)" in cal
    assert "invite.ics" in cal
    pdf = render_message(
        parse_message(next(p for p in MESSAGES if "attachment-pdf" in p.name).read_bytes())
    )
    (att,) = pdf.attachments
    assert (att.index, att.filename, att.content_type) == (1, "invoice 2025.pdf", "application/pdf")
    assert att.size == len(b"%PDF-1.4\n% fake pdf for tests\n")


def test_uuencode_becomes_attachment() -> None:
    path = next(p for p in MESSAGES if "uuencode" in p.name)
    parsed = parse_message(path.read_bytes())
    (att,) = parsed.attachments
    assert att.filename == "hello.txt" and att.payload == b"Hello, uuencoded world!\n"


def test_summary_of_hostile_headers() -> None:
    s = summarize(next(p for p in MESSAGES if "escape-subject" in p.name).read_bytes())
    assert "\x1b" not in s.subject and s.from_name.startswith("␛[2mAdmin")
    assert summarize(next(p for p in MESSAGES if "bad-date" in p.name).read_bytes()).date is None
