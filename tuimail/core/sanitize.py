"""The one sanitizer for every untrusted string shown in a terminal.

Mail headers, bodies, folder names, attachment names, server alerts and error
texts all come from someone else.  Rich and Textual pass ESC and C1 bytes
straight to the terminal, so anything that could move the cursor, change
colours, reorder text (bidi) or hide text (zero-width, format characters) is
replaced by a visible stand-in here:

* C0 controls (U+0000-U+001F) -> Control Pictures (U+2400 + code), so ESC is
  shown as ``␛``; tab and newline survive only when ``multiline`` is true
  (a CR before a LF is dropped, a lone CR becomes a newline).
* DEL -> ``␡``.
* C1 controls (U+0080-U+009F, including the single-character CSI U+009B),
  bidi embeddings/overrides/isolates/marks, zero-width characters, other
  Unicode format characters (category Cf), line/paragraph separators,
  surrogates and non-characters -> a ``\\u202e``-style escape.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["sanitize", "sanitize_filename", "is_safe"]

# Characters that are dangerous in a terminal or visually deceptive: C1, every
# Unicode format character (category Cf, Unicode 14 as in Python 3.11; a test
# checks the table against unicodedata), separators, fillers that render blank,
# surrogates and non-characters.
_EXPLICIT = (
    "\u0080-\u009f"  # C1 controls (0x9B is CSI)
    "\u00ad"  # soft hyphen (invisible)
    "\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"  # Arabic/Syriac format chars, ALM
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers (render as blank)
    "\u180e"  # Mongolian vowel separator
    "\u200b-\u200f"  # zero-width space/non-joiner/joiner, LRM, RLM
    "\u2028\u2029"  # line / paragraph separators
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060-\u206f"  # word joiner, invisible operators, isolates, deprecated formats
    "\ufdd0-\ufdef"  # non-characters
    "\ufeff"  # zero-width no-break space / BOM
    "\ufff9-\ufffb"  # interlinear annotation
    "\ufffe\uffff"  # non-characters
    "\ud800-\udfff"  # lone surrogates (from surrogateescape)
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a"  # other format characters
    "\U000e0001\U000e0020-\U000e007f"  # language tag characters
    + "".join(chr(p << 16 | 0xFFFE) + chr(p << 16 | 0xFFFF) for p in range(1, 17))
)


@functools.cache
def _bad(multiline: bool) -> re.Pattern[str]:
    """The characters to replace (one line, or several: newline and tab kept). Compiled
    the first time text needs them (~1 ms of start-up otherwise: most text is ASCII or
    of _PLAIN_WIDE's ranges, and a header sync never needs them)."""
    if multiline:
        return re.compile(f"[\x00-\x08\x0b-\x1f\x7f{_EXPLICIT}]")
    return re.compile(f"[\x00-\x1f\x7f{_EXPLICIT}]")


def __getattr__(name: str) -> re.Pattern[str]:
    """_BAD_SINGLE, _BAD_MULTI and _PLAIN_WIDE, as the module named them before they were
    lazy."""
    if name in ("_BAD_SINGLE", "_BAD_MULTI"):
        return _bad(name == "_BAD_MULTI")
    if name == "_PLAIN_WIDE":
        return _plain_wide()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Text made only of these needs no work either: a few wide ranges free of every
# character above (Latin, Greek, Cyrillic, Hebrew, common punctuation, CJK, Hangul; a test
# checks no character of theirs is in _EXPLICIT), tried before the long class above.
@functools.cache
def _plain_wide() -> re.Pattern[str]:
    """Printable text of the common wide ranges (nothing in it to replace). Compiled the
    first time non-ASCII text is sanitised: its wide ranges make a big character set
    (~2 ms of every start otherwise: `tuimail sync` has none before it connects)."""
    return re.compile(
        "[\x20-\x7e\u00a0-\u00ac\u00ae-\u05ff\u2010-\u2027\u2030-\u205e"
        "\u2070-\u2fff\u3000-\u3163\u3165-\ud7ff\U0001f300-\U0001f3fa\U0001f400-\U0001faff]*"
    )


# Fast pre-check: plain printable ASCII needs no work at all.
_NON_PLAIN_MULTI = re.compile(r"[^\x20-\x7e\n\t]")
_NON_PLAIN_SINGLE = re.compile(r"[^\x20-\x7e]")


def _escape(ch: str) -> str:
    cp = ord(ch)
    if cp < 0x20:
        return chr(0x2400 + cp)
    if cp == 0x7F:
        return "\u2421"
    if cp <= 0xFFFF:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def sanitize(text: str, *, multiline: bool = False) -> str:
    """Return ``text`` with every control, bidi and invisible character made visible.

    With ``multiline`` true, newlines and tabs are kept (CRLF and lone CR become
    ``\\n``); otherwise they are shown as control pictures too.
    """
    if not isinstance(text, str):
        text = str(text)
    if not (_NON_PLAIN_MULTI if multiline else _NON_PLAIN_SINGLE).search(text):
        return text
    if not multiline and _plain_wide().fullmatch(text):
        return text
    if multiline and "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    pattern = _bad(multiline)
    if pattern.search(text) is None:  # non-ASCII but nothing to replace (most text)
        return text
    return pattern.sub(lambda m: _replace(m, text), text)


def _replace(match: re.Match[str], text: str) -> str:
    ch = match.group()
    if ch in _EMOJI_JOINERS and _joins_emoji(text, match.start()):
        return ch
    return _escape(ch)


# The format characters that belong to emoji sequences: ZERO WIDTH JOINER between two
# pictographs (👩‍💻, 🏳️‍🌈) and the tag characters of subdivision flags (🏴 + tags +
# CANCEL TAG). Anywhere else they stay escaped (they can hide or reorder text).
_ZWJ = "\u200d"
_TAGS = range(0xE0020, 0xE0080)
_EMOJI_JOINERS = frozenset(_ZWJ + "".join(chr(c) for c in _TAGS))
_MODIFIERS = frozenset("\ufe0f" + "".join(chr(c) for c in range(0x1F3FB, 0x1F400)))


def _pictograph(ch: str) -> bool:
    """A character that starts or continues an emoji (approximation of the Unicode
    Extended_Pictographic property, which unicodedata does not expose)."""
    cp = ord(ch)
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2300 <= cp <= 0x23FF
        or 0x2B00 <= cp <= 0x2BFF
        or cp in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D)
    )


def _joins_emoji(text: str, pos: int) -> bool:
    ch = text[pos]
    if ch == _ZWJ:
        before = pos - 1
        while before >= 0 and text[before] in _MODIFIERS:
            before -= 1
        after = pos + 1
        return (
            before >= 0
            and after < len(text)
            and _pictograph(text[before])
            and (_pictograph(text[after]))
        )
    # a tag character: inside 🏴 <tags> CANCEL TAG, nothing else in between
    start = pos
    while start > 0 and ord(text[start - 1]) in _TAGS:
        start -= 1
    end = pos
    while end < len(text) and ord(text[end]) in _TAGS and text[end] != "\U000e007f":
        end += 1
    return (
        start > 0
        and text[start - 1] == "\U0001f3f4"
        and end < len(text)
        and text[end] == "\U000e007f"
    )


def is_safe(text: str, *, multiline: bool = False) -> bool:
    """True if ``text`` is unchanged by :func:`sanitize` (used by tests and asserts)."""
    return sanitize(text, multiline=multiline) == text


_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
    "CONIN$",
    "CONOUT$",
}
_FILENAME_BAD = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
MAX_FILENAME_BYTES = 200


def sanitize_filename(name: str | None, *, default: str = "attachment") -> str:
    """Make an untrusted attachment name safe to create in a directory.

    No directory separators (each one "_"), no leading dot or dash, no control/bidi/invisible
    characters, no Windows reserved names, length capped (in UTF-8 bytes) while
    keeping the extension.
    """
    name = name or ""
    # A name is not a path: a leading "../" or "/" goes, every other separator becomes
    # "_" below ("Q1/Q2.pdf" -> "Q1_Q2.pdf", "[b]x[/].pdf" -> "[b]x[_].pdf"; taking the
    # last component saved the latter as "].pdf").
    name = re.sub(r"^[\s./\\]+", "", name)
    name = unicodedata.normalize("NFC", name)
    out = []
    for ch in name:
        if _FILENAME_BAD.match(ch) or _bad(False).match(ch):
            out.append("_")
        else:
            out.append(ch)
    name = "".join(out)
    name = re.sub(r"\s+", " ", name).strip(" .")
    name = name.lstrip(".-~ ")
    if not name or set(name) <= {"_", "."}:
        name = default
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.split(".")[0].upper().rstrip() in _RESERVED or name.upper() in _RESERVED:
        name = "_" + name
        stem = "_" + stem if dot else name
    if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        ext_part = ("." + ext) if dot and len(ext.encode("utf-8")) <= 16 else ""
        base = stem if ext_part else name
        budget = MAX_FILENAME_BYTES - len(ext_part.encode("utf-8"))
        base = base.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .")
        name = (base or default) + ext_part
    return name
