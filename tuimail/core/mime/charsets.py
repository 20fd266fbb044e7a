"""Turning bytes into text without ever raising and without silent loss.

Declared charsets are often wrong, misspelt or unknown.  ``decode_bytes``
maps common aliases to the codec browsers and real mailers actually use
(latin-1 -> windows-1252, gb2312 -> gb18030, ...) and refuses codecs that are not
text encodings (``base64``, ``rot13``, ``unicode_escape``).

A declared charset that fits the bytes always wins. 8-bit text with no usable label
(none, "us-ascii", unknown) or bytes that do not fit their label are first tried as
UTF-8, then the charset is guessed by charset-normalizer among the charsets mail is
written in (KOI8-R, Shift_JIS, GB18030, windows-125x, ...), with a note saying the text
was guessed. When nothing fits, UTF-8 with windows-1252 for the stray bytes is used.
Bytes that cannot be decoded become U+FFFD and the caller gets a note saying so.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

from .notes import Note, note

__all__ = ["decode_bytes", "decode_header_bytes", "codec_for", "guess_charset"]

_ALIASES = {
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-8-e": "iso-8859-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "x-user-defined": "cp1252",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "unicode": "utf-16",
    "iso-10646-ucs-2": "utf-16-be",
    "tis-620": "cp874",
    "windows-874": "cp874",
}
# "Charsets" that mean "we don't know": guess.
_UNKNOWN = {"", "unknown-8bit", "x-unknown", "unknown", "default", "8bit", "binary"}
# Labels that cannot describe 8-bit bytes: such text is unlabelled in fact.
_ASCII_LABELS = {"ascii", "us-ascii", "ansi_x3.4-1968"}
# What the guesser may answer: the charsets real mail is written in (an open choice
# picks UTF-16 or exotic code pages for short Latin text).
_GUESSABLE = [
    "cp1252", "iso8859_15", "cp1250", "iso8859_2", "cp1257", "iso8859_13",
    "koi8_r", "koi8_u", "cp1251", "iso8859_5", "mac_cyrillic",
    "cp932", "euc_jp", "iso2022_jp", "gb18030", "big5", "cp949", "euc_kr",
    "iso8859_7", "cp1253", "cp1254", "iso8859_9", "cp1255", "iso8859_8",
    "cp1256", "iso8859_6", "cp874", "cp1258",
]  # fmt: skip
_GUESS_SAMPLE = 64 * 1024  # bytes the guesser reads (it is then applied to all)
_NAMES = {"cp932": "Shift_JIS", "cp949": "EUC-KR", "big5": "Big5", "mac_cyrillic": "x-mac-cyrillic"}
# Codecs Python knows that are not charsets (or are dangerous to feed mail into).
_REFUSED = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs"}


@lru_cache(maxsize=256)
def codec_for(charset: str | None) -> str | None:
    """Return a Python codec name for a declared charset, or None if unknown/unusable."""
    name = (charset or "").strip().strip("\"'").lower()
    if "*" in name:  # RFC 2231 language suffix: utf-8*en
        name = name.split("*", 1)[0]
    if name in _UNKNOWN:
        return None
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None
    if info.name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return info.name


def _legacy(data: bytes) -> str:
    """windows-1252, with latin-1 for the five bytes cp1252 leaves undefined."""
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return "".join(
            b.decode("cp1252", "strict")
            if b not in b"\x81\x8d\x8f\x90\x9d"
            else b.decode("latin-1")
            for b in (data[i : i + 1] for i in range(len(data)))
        )


def _mixed_handler(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return _legacy(exc.object[exc.start : exc.end]), exc.end


_MIXED = "tuimail-utf8-cp1252"
codecs.register_error(_MIXED, _mixed_handler)


def guess_charset(data: bytes) -> str | None:
    """The codec charset-normalizer finds most likely for 8-bit `data` (None: no idea).

    Short Western text often decodes identically, or as cleanly, as windows-1252 and
    windows-1250; windows-1252 (the most common unlabelled charset in mail) wins a tie.
    """
    from charset_normalizer import from_bytes  # only for unlabelled 8-bit text: slow import

    try:
        matches = from_bytes(data[:_GUESS_SAMPLE], cp_isolation=_GUESSABLE)
        best = matches.best()
    except Exception:  # the guesser never decides whether a message can be read
        return None
    if best is None:
        return None
    for match in matches:
        if match.chaos <= best.chaos + 0.01 and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return codecs.lookup(best.encoding).name


def charset_label(codec: str) -> str:
    """A codec as people name the charset: cp1251 -> windows-1251, koi8_r -> KOI8-R."""
    name = codecs.lookup(codec).name
    if name in _NAMES:
        return _NAMES[name]
    if name.startswith("cp125"):
        return "windows-" + name[2:]
    return name.upper().replace("_", "-").replace("ISO8859-", "ISO-8859-")


def _mostly_utf8(data: bytes) -> bool:
    """More valid UTF-8 characters beyond ASCII than invalid bytes: UTF-8 with a few
    stray bytes (a latin-1 word pasted in), not another charset."""
    text = data[:_GUESS_SAMPLE].decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad  # beyond ASCII, valid
    return good > bad


def _guessed(data: bytes, because: str, declared: str = "") -> tuple[str, Note | None] | None:
    """`data` decoded with the guessed charset, and the note saying it was guessed; None
    when the text is mostly UTF-8, or the guess is windows-1252 or nothing (the caller
    then uses UTF-8 with windows-1252 for the stray bytes)."""
    if _mostly_utf8(data):
        return None
    codec = guess_charset(data)
    if codec is None or codec == "cp1252":
        return None
    text = data.decode(codec, "replace")
    guessed = charset_label(codec)
    return text, note("charset-guessed", because=because, declared=declared, guessed=guessed)


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, Note | None]:
    """Decode ``data`` declared as ``charset``; return (text, note or None): the note
    says what was done (a guess, a replacement), as data (mime.notes)."""
    if not data:
        return "", None
    declared = (charset or "").strip().strip("\"'")
    if declared.lower() in _ASCII_LABELS and not data.isascii():
        declared = ""  # "us-ascii" on 8-bit bytes is no label at all
    codec = codec_for(declared)
    if codec == "cp1252":
        # Often mislabelled UTF-8 (or plain ASCII): prefer UTF-8 when it is valid.
        if data.isascii():
            return data.decode("ascii"), None
        return data.decode("utf-8", _MIXED), None
    if codec is not None:
        try:
            return data.decode(codec), None
        except UnicodeDecodeError:
            pass
        except Exception:
            codec = None
        if codec is not None:
            try:
                return data.decode("utf-8"), None
            except UnicodeDecodeError:
                pass
            guessed = _guessed(data, "invalid", declared)
            if guessed:
                return guessed
            if codec == "utf-8":
                text = data.decode("utf-8", _MIXED)
                return text, note("charset-mixed", declared=declared)
            try:
                text = data.decode(codec, "replace")
            except Exception:
                text = data.decode("utf-8", "replace")
            return text, note("charset-replaced", declared=declared or codec)
    # Unknown or missing charset.
    unknown = bool(declared) and declared.lower() not in _UNKNOWN
    if data.isascii():
        said = note("charset-unknown", declared=declared, used="ASCII") if unknown else None
        return data.decode("ascii"), said
    try:
        text = data.decode("utf-8")
        used = "UTF-8"
    except UnicodeDecodeError:
        guessed = _guessed(data, "unknown" if unknown else "undeclared", declared)
        if guessed:
            return guessed
        text = data.decode("utf-8", _MIXED)
        used = "windows-1252"
    if unknown:
        return text, note("charset-unknown", declared=declared, used=used)
    if used != "UTF-8":
        return text, note("charset-undeclared", used=used)
    return text, None


def decode_header_bytes(data: bytes) -> str:
    """Raw 8-bit header bytes: UTF-8 (RFC 6532) where valid, windows-1252 for the
    bytes that are not (a latin-1 word in an otherwise UTF-8 header survives)."""
    if data.isascii():
        return data.decode("ascii")
    return data.decode("utf-8", _MIXED)
