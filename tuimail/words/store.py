"""Sentences about the local mail store itself (not a server's failure)."""

from __future__ import annotations

from tuimail.core.sanitize import sanitize

MB = 1 << 20


def needs_room_words(exc) -> str:
    """A store upgrade rolled back for want of disk space (core.store.schema.StoreNeedsRoom):
    how much room, where, and that nothing changed."""
    needed = max(1, -(-exc.needed // MB))  # rounded up: "about 14 MB", never "0 MB"
    free = exc.free // MB
    return (
        f"the mail store in {sanitize(exc.directory)} must be upgraded for this version of"
        f" tuimail, which needs about {needed} MB free there ({free} MB free now): nothing"
        " was changed; make room on that disk and start tuimail again"
    )


def unreadable_words(exc) -> str:
    """The store file is damaged or not SQLite at all (SQLITE_NOTADB, SQLITE_CORRUPT)."""
    from tuimail.core.store.store import default_path

    return (
        f"the mail store {sanitize(str(default_path()))} could not be read"
        f" ({sanitize(str(exc))}): it is damaged or not a tuimail store"
    )
