"""Words for saving and opening attachments (the mime module's AttachmentError and
OpenResult).
"""

from __future__ import annotations

from typing import Any

from tuimail.words.plain import plain


def opened(result: Any) -> str:
    """What opening an attachment did (the mime module's OpenResult: outcome, path)."""
    words = _OPENED.get(plain(getattr(result, "outcome", "")), "Saved to {path}.")
    return words.format(path=plain(getattr(result, "path", "")))


_OPENED = {
    "opened": "Opened {path}.",
    "no-display": "No display available; saved to {path}.",
    "no-viewer": "No viewer found; saved to {path}.",
    "viewer-failed": "Could not start a viewer; saved to {path}.",
}


def attachment_words(error: Any, step: str = "") -> str:
    """One sentence for an attachment that could not be saved or opened (the mime
    module's AttachmentError: its problem and data)."""
    data = getattr(error, "data", None)
    words = _ATTACHMENT.get(plain(getattr(error, "problem", "")))
    if words is None or not isinstance(data, dict):
        return f"The attachment could not be {_ATTACHMENT_STEP.get(step, 'used')}."
    fields = {k: plain(data.get(k)).rstrip(".") for k in ("index", "path", "name", "detail")}
    return words.format(**fields)


_ATTACHMENT = {
    "no-such": "There is no attachment number {index}.",
    "folder": "Cannot open the folder {path}: {detail}.",
    "make-folder": "Cannot save into {path}: {detail}.",
    "save": "Cannot save {name}: {detail}.",
    "too-many": "Too many files named like {name} already exist.",
    "read": "Cannot read the attachment {path}: {detail}.",
}


_ATTACHMENT_STEP = {"save": "saved", "open": "opened"}
