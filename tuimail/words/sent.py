"""After Send and Save: what the app says about a sent message (recipients refused,
the copy to Sent) and where a saved draft went.
"""

from __future__ import annotations

from typing import Any

from tuimail.core.errors import (
    error_from_record,
)
from tuimail.core.sanitize import sanitize
from tuimail.words.failures import failure_words
from tuimail.words.outbox import refused_recipients
from tuimail.words.plain import folder, plain


def sent_note(entry: Any) -> str:
    """What the app says after "Send": sent, to whom not (and why), and a copy to Sent
    that failed (a local copy is kept)."""
    text = "Message sent."
    refused = refused_recipients(entry)
    if refused:
        delivered = ", ".join(plain(a) for a in getattr(entry, "delivered", None) or [])
        text = f"Message sent to {delivered}; not delivered to: {refused}."
    if _copy_failed(entry):
        text += f" Copy: {sent_copy(entry)}."
    return sanitize(text)


def sent_needs_attention(entry: Any) -> bool:
    """Whether sent_note tells of a recipient refused or a copy not saved."""
    return bool(getattr(entry, "refused", None)) or _copy_failed(entry)


def _copy_failed(entry: Any) -> bool:
    copy = getattr(entry, "copy", None)
    return isinstance(copy, dict) and copy.get("outcome") == "failed"


def recovered_words(subjects: list[str]) -> str:
    """Messages being written when tuimail was stopped, saved as drafts at this start."""
    named = ", ".join(f"“{sanitize(s)}”" for s in subjects[:3])
    more = f" and {len(subjects) - 3} more" if len(subjects) > 3 else ""
    noun = "A message" if len(subjects) == 1 else "Messages"
    verb = "was" if len(subjects) == 1 else "were"
    return f"{noun} you were writing when tuimail stopped ({named}{more}) {verb} kept: see Drafts."


def recovered_without_words(names: list[str]) -> str:
    """Attachments a recovered message carried from a forwarded one (kept in memory
    only, so lost with the process): named, with what to do."""
    named = ", ".join(f"“{sanitize(n)}”" for n in names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    if len(names) == 1:
        return f"The forwarded attachment {named} could not be kept: forward again to attach it."
    return (
        f"The forwarded attachments {named}{more} could not be kept: forward again to attach them."
    )


def draft_saved(info: Any) -> str:
    """Where a saved draft went (tuimail.core.drafts.DraftInfo): the server's Drafts
    folder, or this computer only and why the server copy failed."""
    failure = getattr(info, "server_failure", None)
    if isinstance(failure, dict):
        raw = failure.get("error")
        error = error_from_record(raw) if isinstance(raw, dict) else None
        what = failure_words(error) if error is not None else ""
        step = _COPY_STEP.get(plain(failure.get("step")), "")
        why = f"{step}: {what}" if step and what else step or what or "it failed"
        return sanitize(f"Draft saved in this computer only ({why}).")
    if getattr(info, "server_error", None):  # a draft saved by an older tuimail
        return sanitize(f"Draft saved in this computer only ({plain(info.server_error)}).")
    return sanitize(f"Draft saved in {folder(getattr(info, 'server_folder', None)) or 'Drafts'}.")


def sent_copy(entry: Any) -> str:
    """Where the copy of a sent message went (the outbox entry's `copy`, data), or, for
    an entry from an older tuimail, its `sent_copy` text as written; "" if not tried."""
    copy = getattr(entry, "copy", None)
    if not isinstance(copy, dict):
        return plain(getattr(entry, "sent_copy", None))
    outcome = plain(copy.get("outcome"))
    if outcome == "saved":
        return sanitize(f"saved to {folder(copy.get('folder')) or 'Sent'}")
    if outcome == "failed":
        raw = copy.get("error")
        error = error_from_record(raw) if isinstance(raw, dict) else None
        what = failure_words(error) if error is not None else plain(copy.get("detail"))
        step = _COPY_STEP.get(plain(copy.get("step")), "")
        what = f"{step}: {what}" if step and what else step or what or "it failed"
        return sanitize(f"not saved on the server ({what}); a local copy is kept")
    return _COPY.get(outcome, "kept locally only")


_COPY = {
    "off": "not saved: the server keeps its own copy (save_sent_copy is off)",
    "local-only": "kept locally only",
    "interrupted": "tuimail stopped while saving it to Sent; a local copy is kept",
    "not-tried": "tuimail stopped before saving it to Sent; a local copy is kept",
}


_COPY_STEP = {
    "login": "could not log in to store the copy",
    "store": "the server did not store the copy",
    "pop3": "this is a POP3 account: there is no server folder to copy to",
}
