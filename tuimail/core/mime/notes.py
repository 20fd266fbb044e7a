"""What tuimail did to show a message, as data: a `Note` is a kind and what its words
need (a charset's name, why the message was too complex). The edge words it
(tuimail.words.notes.reader_note); core makes no sentence of it.

Kinds: too-complex (why: header-section, nesting, parts, part-headers, time,
nested-parts, parser-error with `type`), headers-unreadable, too-many-headers,
header-bytes, base64-damaged, text-truncated, broken-structure, encrypted, signed,
uuencode-damaged, html-truncated, html-unlaid, html-converted; the charset's:
charset-guessed (because: invalid, unknown or undeclared; declared, guessed),
charset-mixed (declared: shown as windows-1252 where not valid), charset-replaced
(declared: shown as U+FFFD), charset-unknown (declared, used), charset-undeclared (used).
"""

from __future__ import annotations

from dataclasses import dataclass

NOTE_KINDS = (
    "too-complex",
    "headers-unreadable",
    "too-many-headers",
    "header-bytes",
    "base64-damaged",
    "text-truncated",
    "broken-structure",
    "encrypted",
    "signed",
    "uuencode-damaged",
    "html-truncated",
    "html-unlaid",
    "html-converted",
    "charset-guessed",
    "charset-mixed",
    "charset-replaced",
    "charset-unknown",
    "charset-undeclared",
)


@dataclass(frozen=True)
class Note:
    """One note: `kind` (NOTE_KINDS) and `data` as (key, value) pairs (hashable, so a
    message's notes are kept once each). Values may come from the message (a declared
    charset): the edge sanitises them."""

    kind: str
    data: tuple[tuple[str, str | int], ...] = ()

    def get(self, key: str, default: str | int = "") -> str | int:
        return dict(self.data).get(key, default)

    def as_dict(self) -> dict:
        """{"kind": ..., **data} for JSON."""
        return {"kind": self.kind, **dict(self.data)}


def note(kind: str, **data: str | int) -> Note:
    return Note(kind, tuple(sorted(data.items())))
