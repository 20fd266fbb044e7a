"""The shared real-mail corpus: every message parses and renders, nothing is lost
silently, nothing unsafe reaches the terminal, and 40+ renderings are golden."""

from __future__ import annotations

import email
import re
import warnings
from email import policy
from pathlib import Path

import pytest

from tests.corpus import CORPUS_DIR
from tuimail.core.mime import parse_message, render_message
from tuimail.core.mime.charsets import decode_bytes
from tuimail.core.sanitize import sanitize
from tuimail.words.notes import reader_notes

from .goldens import check_golden

CORPUS = CORPUS_DIR
FILES = sorted(CORPUS.glob("*.eml"))

# Reviewed by eye; chosen to cover every category in SOURCES.md.
GOLDEN_NAMES = [
    "aerc-0003.acfc5ad94bbd27118a0d8685d18c89dd.eml",
    "cpython-msg_15.eml",
    "cpython-msg_45.eml",
    "flanker-bilingual-simple.eml",
    "flanker-bounce_office365.eml",
    "flanker-false-multipart.eml",
    "flanker-mailformed-headers.eml",
    "mailpile-encrypted-empty-content-w-key.eml",
    "mailpile-tests.msg08.eml",
    "mime4j-badbound.eml",
    "mimekit-bounce.eml",
    "mimekit-rfc2046.0.eml",
    "notmuch-lkml_1382298587.002228_2.eml",
    "notmuch-lkml_1382298793.002267_2.eml",
    "phpmimeparser-m0015.eml",
    "phpmimeparser-m0018.eml",
    "rubymail-mime_emails_two_from_in_message.eml",
    "sisimai-lhost-opensmtpd-01.eml",
    "spamscope-mail_test_6.eml",
    "spamscope-mail_test_9.eml",
    "talon-sparrow.eml",
    "thunderbird-bad-charset.eml",
    "thunderbird-multipartmalt-detach.eml",
    "thunderbird-wronglyDeclaredShift_JIS.eml",
    "thunderbird-wronglyDeclaredUTF8.eml",
    "mu-testdir_encrypted_2_S.eml",
    "mu-testdir4_signed_2_S.eml",
    "thunderbird-smime_alice.env.eml",
    "notmuch-protected-headers_protected-header.eml",
]
GOLDEN_PATTERNS = [
    "calendar",
    "invite",
    "iso-2022",
    "koi8",
    "shift",
    "digest",
    "uu-",
    "arf",
    "html",
]
# Plus the first two messages of every source project.
GOLDEN_PER_SOURCE = 2


def _golden_set() -> list[Path]:
    chosen = {CORPUS / n for n in GOLDEN_NAMES}
    for pat in GOLDEN_PATTERNS:
        chosen.update([p for p in FILES if pat in p.name.lower()][:3])
    sources = sorted({p.name.split("-", 1)[0] for p in FILES})
    for src in sources:
        chosen.update([p for p in FILES if p.name.startswith(src + "-")][:GOLDEN_PER_SOURCE])
    return sorted(p for p in chosen if p.exists())


def test_corpus_is_present() -> None:
    assert len(FILES) >= 200, f"corpus not found at {CORPUS}"
    assert len(_golden_set()) >= 40


_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]"
)
_WORD = re.compile(r"\w{2,}")


def _reference_texts(raw: bytes) -> list[str]:
    """Inline text/plain parts, found by an independent walk of stdlib's tree
    (policy.default; in an alternative only the first non-empty text/plain),
    decoded by our charset chain (whose losses the U+FFFD/notes rule checks)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        msg = email.message_from_bytes(raw, policy=policy.default)
    out: list[str] = []

    def walk(part, depth: int) -> None:
        if depth > 30:
            return
        ctype = part.get_content_type()
        if part.is_multipart():
            kids = list(part.iter_parts())
            if ctype == "multipart/alternative":
                kids = [k for k in kids if k.get_content_type() == "text/plain"][:1]
            for kid in kids:
                walk(kid, depth + 1)
            return
        if ctype != "text/plain" or part.get_content_disposition() == "attachment":
            return
        data = part.get_payload(decode=True) or b""
        text = decode_bytes(data, part.get_param("charset"))[0].replace("\r\n", "\n")
        # uuencoded blocks become attachments; their lines are not words.
        out.append(re.sub(r"(?ms)^begin [0-7]{3,4} .*?^end\s*$", "", text))

    walk(msg, 0)
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_message(path: Path) -> None:
    raw = path.read_bytes()
    parsed = parse_message(raw)
    rendered = render_message(parsed)
    text = rendered.as_text()
    assert not _UNSAFE.search(text), "unsafe character in rendering"
    # U+FFFD only appears with a note explaining it (or when the source had one).
    if "\ufffd" in text and b"\xef\xbf\xbd" not in raw:
        said = reader_notes(rendered)
        assert any("\ufffd" in n or "damaged" in n for n in said), said
    # No silent loss: every word of each text/plain part, as found by an
    # independent walk, appears in our rendering (unless we fell back to raw).
    if parsed.too_complex:
        return
    missing = lost_words(raw, text)
    assert not missing, f"words lost: {missing[:10]}"


def lost_words(raw: bytes, rendered: str) -> list[str]:
    body = sanitize(rendered.replace("\n", " "), multiline=True)
    return [
        w
        for ref in _reference_texts(raw)
        for w in _WORD.findall(ref)
        if "\ufffd" not in w and sanitize(w) not in body
    ]


def test_loss_check_detects_loss() -> None:
    """The check above can fail: drop one body part and it reports the words."""
    raw = (CORPUS / "flanker-bilingual-simple.eml").read_bytes()
    parsed = parse_message(raw)
    assert not lost_words(raw, render_message(parsed).as_text())
    parsed.body = parsed.body[:-1]
    assert lost_words(raw, render_message(parsed).as_text())


@pytest.mark.parametrize("path", _golden_set(), ids=lambda p: p.name)
def test_corpus_golden(path: Path) -> None:
    rendered = render_message(parse_message(path.read_bytes()))
    check_golden(f"corpus/{path.stem}.txt", rendered.as_text(notes=reader_notes(rendered)))
