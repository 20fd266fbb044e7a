"""Words for the note a message is kept with in the store (why it is shown as it is:
tuimail.core.store NOTE_SIZE, NOTE_UNREADABLE_ANSWER, and store.headers' NOTE_*).

Every string returned is sanitised (no control characters).
"""

from __future__ import annotations

from tuimail.words.plain import plain

_NOTES = {
    "unreadable-header": "the headers of this message could not be read in full; kept as received",
    "shortened": "a header of this message was too long and is shown shortened",
    "impossible-size": "the server reported an impossible size for this message",
    "unreadable-answer": "the server's answer for this message's headers could not be read",
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
