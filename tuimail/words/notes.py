"""Words for the notes about a message: the one it is kept with in the store (why it is
listed as it is: tuimail.core.store NOTE_SIZE, NOTE_UNREADABLE_ANSWER, and
store.headers' NOTE_*), and the reader's (what was done to show it: a charset guessed,
HTML converted; tuimail.core.mime.notes.Note).

Every string returned is sanitised (no control characters).
"""

from __future__ import annotations

from typing import Any

from tuimail.words.plain import plain

_NOTES = {
    "unreadable-header": "the headers of this message could not be read in full; kept as received",
    "shortened": "a header of this message was too long and is shown shortened",
    "impossible-size": "the server reported an impossible size for this message",
    "unreadable-answer": "the server's answer for this message's headers could not be read",
    "no-date": "this message has no readable Date header; it is listed by when it arrived",
    "future-date": (
        "this message's Date header is more than a day after it arrived; "
        "it is listed by when it arrived"
    ),
}
NOTE_KINDS = frozenset(_NOTES)


def message_note(note: str) -> str:
    """The note's sentence ("" for none). A store written by an older tuimail kept the
    sentence itself: it is shown as it is."""
    return _NOTES.get(note) or plain(note)


def note_kind(note: str) -> str:
    """The note's kind for JSON: one of NOTE_KINDS, "" for none, "other" for an older
    store's sentence."""
    return note if note in NOTE_KINDS or not note else "other"


# -- what tuimail did to show a message (tuimail.core.mime.notes.Note) -------------------

_TOO_COMPLEX = {
    "header-section": "header section larger than 256 KB",
    "nesting": "MIME parts nested too deeply",
    "parts": "too many MIME parts",
    "part-headers": "MIME part headers larger than 1 MB",
    "time": "it took too long to parse",
    "nested-parts": "too many or too deeply nested MIME parts",
}
_READER = {
    "headers-unreadable": "Some headers could not be read.",
    "too-many-headers": "Too many header fields; only the first ones were read.",
    "header-bytes": "Some header bytes could not be decoded and are shown as \ufffd.",
    "base64-damaged": "A base64 part was damaged; what could be decoded is shown.",
    "text-truncated": "A very long text part was truncated to its first 2 MB.",
    "broken-structure": "Broken MIME structure (boundary not found); shown as text.",
    "encrypted": "This message is encrypted; tuimail does not decrypt it.",
    "signed": "This message is signed; the signature was not checked.",
    "uuencode-damaged": "A uuencoded attachment was damaged.",
    "html-truncated": "A very large HTML part was truncated.",
    "html-unlaid": "The HTML could not be laid out; showing its text only.",
    "html-converted": "HTML converted to text; remote content not loaded.",
    "charset-mixed": "Some bytes were not valid {declared}; shown as windows-1252.",
    "charset-replaced": "Some bytes were not valid {declared} and are shown as \ufffd.",
    "charset-unknown": "Unknown charset {quoted}; decoded as {used}.",
    "charset-undeclared": "No charset declared for 8-bit text; decoded as {used}.",
}
_GUESSED_BECAUSE = {
    "invalid": "The text is not valid {declared}",
    "unknown": "Unknown charset {quoted}",
    "undeclared": "No charset declared",
}


def reader_note(said: Any) -> str:
    """One note of the reader's (mime.notes.Note) as a sentence."""
    kind = plain(getattr(said, "kind", ""))
    get = getattr(said, "get", lambda _key, default="": default)
    declared = plain(get("declared"))
    fields = {"declared": declared, "quoted": repr(declared), "used": plain(get("used"))}
    if kind == "too-complex":
        why = plain(get("why"))
        reason = _TOO_COMPLEX.get(why) or f"parser error ({plain(get('type'))})"
        return f"Message too complex, showing raw (truncated): {reason}."
    if kind == "charset-guessed":
        because = _GUESSED_BECAUSE.get(plain(get("because")), "No charset declared")
        return f"{because.format(**fields)}; the charset was guessed as {plain(get('guessed'))}."
    return _READER.get(kind, "").format(**fields)


def reader_notes(rendered: Any) -> list[str]:
    """The sentences of a rendered message's notes (RenderedMessage.notes), in order."""
    return [reader_note(n) for n in getattr(rendered, "notes", ())]


def message_text(rendered: Any, *, show_quotes: bool = True) -> str:
    """A rendered message as `tuimail read` prints it: core's plain text with the notes
    worded here (RenderedMessage.as_text)."""
    return rendered.as_text(show_quotes=show_quotes, notes=reader_notes(rendered))
