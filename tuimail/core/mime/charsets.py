"""Turning bytes into text without ever raising and without silent loss.

Declared charsets are often wrong, misspelt or unknown.  ``decode_bytes``
maps common aliases to the codec browsers and real mailers actually use
(latin-1 -> windows-1252, gb2312 -> gb18030, ...), refuses codecs that are not
text encodings (``base64``, ``rot13``, ``unicode_escape``), and falls back to
UTF-8 then windows-1252/latin-1.  Bytes that cannot be decoded become U+FFFD
and the caller gets a note saying so.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

__all__ = ["decode_bytes", "decode_header_bytes", "codec_for"]

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


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode ``data`` declared as ``charset``; return (text, note or None)."""
    if not data:
        return "", None
    declared = (charset or "").strip().strip("\"'")
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
            if codec == "utf-8":
                text = data.decode("utf-8", _MIXED)
                return text, f"Some bytes were not valid {declared}; shown as windows-1252."
            try:
                text = data.decode(codec, "replace")
            except Exception:
                text = data.decode("utf-8", "replace")
            return text, f"Some bytes were not valid {declared or codec} and are shown as \ufffd."
    # Unknown or missing charset.
    unknown = bool(declared) and declared.lower() not in _UNKNOWN
    if data.isascii():
        note = f"Unknown charset {declared!r}; decoded as ASCII." if unknown else None
        return data.decode("ascii"), note
    try:
        text = data.decode("utf-8")
        used = "UTF-8"
    except UnicodeDecodeError:
        text = data.decode("utf-8", _MIXED)
        used = "windows-1252"
    if unknown:
        return text, f"Unknown charset {declared!r}; decoded as {used}."
    if used != "UTF-8":
        return text, f"No charset declared for 8-bit text; decoded as {used}."
    return text, None


def decode_header_bytes(data: bytes) -> str:
    """Raw 8-bit header bytes: UTF-8 (RFC 6532) where valid, windows-1252 for the
    bytes that are not (a latin-1 word in an otherwise UTF-8 header survives)."""
    if data.isascii():
        return data.decode("ascii")
    return data.decode("utf-8", _MIXED)
