"""The one sanitizer: nothing that can drive or deceive a terminal passes through."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.sanitize import is_safe, sanitize, sanitize_filename


def test_escape_sequences_become_visible() -> None:
    assert sanitize("\x1b[31mred\x1b[0m") == "␛[31mred␛[0m"
    assert sanitize("a\x00b\x07c\x7f") == "a␀b␇c␡"
    assert sanitize("\x9b31m\x9d0;t\x9c") == "\\u009b31m\\u009d0;t\\u009c"


def test_newline_and_tab_only_in_multiline() -> None:
    assert sanitize("a\tb\nc") == "a␉b␊c"
    assert sanitize("a\tb\nc", multiline=True) == "a\tb\nc"
    assert sanitize("a\r\nb\rc", multiline=True) == "a\nb\nc"
    assert sanitize("a\x0bb\x0cc", multiline=True) == "a␋b␌c"


@pytest.mark.parametrize(
    "ch",
    [
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u2028",
        "\u00ad",
        "\U000e0041",
        "\ud800",
        "\ufffe",
    ],
)
def test_bidi_and_invisible_are_escaped(ch: str) -> None:
    out = sanitize(f"x{ch}y")
    assert ch not in out and out.startswith("x\\") and out.endswith("y")


def test_every_control_and_format_character_is_escaped() -> None:
    for cp in range(0x110000):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            assert ch not in sanitize(ch), hex(cp)
            if ch not in "\t\n\r":
                assert ch not in sanitize(ch, multiline=True), hex(cp)


def test_ordinary_text_is_untouched() -> None:
    for text in ("plain ascii", "Grüße, café", "日本語のテキスト", "مرحبا", "שלום", "emoji 😀👍🏽"):
        assert sanitize(text) == text and is_safe(text)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/abs/path.sh", "abs_path.sh"),
        ("[bold]x[/].pdf", "[bold]x[_].pdf"),
        ("Q1/Q2 report.pdf", "Q1_Q2 report.pdf"),
        ("C:\\Users\\me\\r.pdf", "C__Users_me_r.pdf"),
        (".bashrc", "bashrc"),
        ("...", "attachment"),
        ("", "attachment"),
        (None, "attachment"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("com1.tar.gz", "_com1.tar.gz"),
        ("-rf", "rf"),
        ("invoice\u202efdp.exe", "invoice_fdp.exe"),
        ("a\x1b[31mb.txt", "a_[31mb.txt"),
        ('we"ird:na*me?.txt', "we_ird_na_me_.txt"),
        ("zero\u200bwidth.txt", "zero_width.txt"),
        ("normal name (1).pdf", "normal name (1).pdf"),
        ("résumé.doc", "résumé.doc"),
    ],
)
def test_sanitize_filename(name: str | None, expected: str) -> None:
    assert sanitize_filename(name) == expected


def test_filename_length_capped_keeping_extension() -> None:
    out = sanitize_filename("é" * 300 + ".pdf")
    assert out.endswith(".pdf") and len(out.encode()) <= 200
    assert len(sanitize_filename("x" * 1000).encode()) <= 200


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(
                list("a \x1b\x7f\x9b\u200d\u202e\ufe0f\U0001f469\U0001f4bb\U0001f3f4\U000e007f")
                + ["\U000e0067", "\U000e0001", "\U0001f3fb", "\ud800"]
            ),
            st.characters(),
        ),
        max_size=30,
    ),
    st.booleans(),
)
def test_sanitize_is_idempotent(text: str, multiline: bool) -> None:
    """The store's one-pass header route relies on it (tuimail.core.store.columns)."""
    once = sanitize(text, multiline=multiline)
    assert sanitize(once, multiline=multiline) == once


def test_the_wide_plain_ranges_hold_nothing_sanitize_replaces() -> None:
    """sanitize returns text of _PLAIN_WIDE characters at once: none may need replacing."""
    from tuimail.core.sanitize import _BAD_SINGLE, _PLAIN_WIDE

    every = "".join(map(chr, range(0x110000)))
    plain = "".join(re.findall(_PLAIN_WIDE.pattern.rstrip("*"), every))
    assert len(plain) > 50_000
    assert _BAD_SINGLE.search(plain) is None
