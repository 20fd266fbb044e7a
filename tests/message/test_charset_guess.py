"""Unlabelled 8-bit text: charset-normalizer guesses the charset (marked as guessed in
the message's notes); a declared charset that fits the bytes always wins; UTF-8 with a
few stray bytes stays UTF-8."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.corpus import CORPUS_DIR
from tuimail.core.mime import parse_message, render_message
from tuimail.core.mime.charsets import decode_bytes
from tuimail.words.notes import reader_note, reader_notes

RUSSIAN = "У меня большая семья из шести человек: я, мама, папа, старшая сестра, бабушка."


def _body(name: str) -> tuple[str, list[str]]:
    parsed = parse_message((CORPUS_DIR / name).read_bytes())
    rendered = render_message(parsed)
    return rendered.as_text(), reader_notes(rendered)


def test_koi8_corpus_message_without_charset_is_read_as_russian() -> None:
    text, notes = _body("thunderbird-noCharsetKOI8U.eml")
    assert "Моя семья" in text
    assert "У меня большая семья из шести человек" in text
    assert "ÍÏÑ" not in text and "íÏÑ" not in text  # the windows-1252 mojibake of before
    assert "No charset declared; the charset was guessed as KOI8-R." in notes


def test_shift_jis_corpus_message_declared_utf8_is_read_as_japanese() -> None:
    text, notes = _body("thunderbird-wronglyDeclaredShift_JIS.eml")
    assert "メールを簡単に。" in text
    assert "そんなメールソフトが Thunderbird です。" in text
    assert "The text is not valid utf8; the charset was guessed as Shift_JIS." in notes


@pytest.mark.parametrize(
    "text, codec, label",
    [
        (RUSSIAN, "koi8-r", "KOI8-R"),
        (RUSSIAN, "cp1251", "windows-1251"),
        ("你好，世界。这是一封没有声明字符集的测试邮件，请查收。", "gb2312", "GB18030"),
        ("這是一封沒有聲明字元集的測試郵件，請查收。謝謝你的幫忙。", "big5", "Big5"),
        ("안녕하세요. 이것은 문자 집합이 선언되지 않은 테스트 메일입니다.", "euc-kr", "EUC-KR"),
        (
            "メッセージの高速全文検索、タブ表示、アーカイブ。設定も簡単です。",
            "shift_jis",
            "Shift_JIS",
        ),
    ],
)
def test_undeclared_text_is_guessed_and_marked(text: str, codec: str, label: str) -> None:
    decoded, note = decode_bytes(text.encode(codec), None)
    assert decoded == text
    assert reader_note(note) == f"No charset declared; the charset was guessed as {label}."
    assert (note.kind, note.get("guessed")) == ("charset-guessed", label)  # data in core
    # "us-ascii" on 8-bit bytes is no label either.
    assert decode_bytes(text.encode(codec), "us-ascii") == (decoded, note)


def test_a_declared_charset_that_fits_wins_over_the_guess() -> None:
    data = RUSSIAN.encode("koi8-r")
    decoded, note = decode_bytes(data, "windows-1251")  # wrong, but every byte fits
    assert decoded == data.decode("cp1251") and note is None
    assert decode_bytes("Grüße aus München".encode("latin-1"), "iso-8859-1") == (
        "Grüße aus München",
        None,
    )
    assert decode_bytes(data, "koi8-r") == (RUSSIAN, None)


def test_western_text_without_charset_stays_windows_1252() -> None:
    decoded, note = decode_bytes(
        "Le cœur a ses raisons — déjà vu, café crème".encode("cp1252"), None
    )
    assert decoded == "Le cœur a ses raisons — déjà vu, café crème"
    assert reader_note(note) == "No charset declared for 8-bit text; decoded as windows-1252."


def test_utf8_with_a_stray_latin1_byte_is_not_guessed_as_another_charset() -> None:
    data = "Профессионалы.ru — деловая сеть, ".encode() + b"caf\xe9"
    decoded, note = decode_bytes(data, "utf-8")
    assert decoded == "Профессионалы.ru — деловая сеть, café"
    assert reader_note(note) == "Some bytes were not valid utf-8; shown as windows-1252."


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=400),
    charset=st.sampled_from(
        [None, "", "us-ascii", "utf-8", "utf8", "koi8-r", "shift_jis", "x-bogus", "unknown-8bit"]
    ),
)
def test_decoding_never_raises_and_loses_nothing_silently(data: bytes, charset) -> None:
    text, note = decode_bytes(data, charset)
    assert isinstance(text, str)
    if data and not data.isascii() and note is None:
        # Without a note the bytes were valid in the declared charset or in UTF-8.
        codec = {"utf8": "utf-8", "shift_jis": "cp932"}.get(charset or "", charset or "utf-8")
        try:
            assert text == data.decode(codec if codec not in ("", "us-ascii") else "utf-8")
        except (UnicodeDecodeError, LookupError):
            assert text == data.decode("utf-8", "strict")
