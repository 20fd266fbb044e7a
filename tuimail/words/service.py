"""One sentence for a facade step that failed (a ServiceError with a reason,
tuimail.core.facade.views.SERVICE_REASONS), from its reason and data.
"""

from __future__ import annotations

from typing import Any

from tuimail.core.sanitize import sanitize
from tuimail.words.attachments import attachment_words
from tuimail.words.plain import plain


def service_words(exc: Any) -> str:
    """One sentence for a facade step that failed (a ServiceError with a reason,
    tuimail.core.facade.views.SERVICE_REASONS), from its reason and data."""
    data = exc.data
    if exc.reason == "search":
        detail = plain(data.get("detail")).strip().rstrip(".")
        why = _SEARCH_WHY.get(plain(data.get("type")), "")
        said = "; ".join(p for p in (why, detail) if p) or "it failed"
        return sanitize(f"That search did not work: {said}.")
    if exc.reason == "no-list":
        why = _NO_LIST.get(plain(data.get("why")), "this message has no list address")
        return f"No reply to the list: {why}."
    if exc.reason == "attachment":
        return attachment_words(data.get("error"), plain(data.get("step")))
    if exc.reason == "save-messages":
        path, detail = plain(data.get("path")), plain(data.get("detail")).rstrip(".")
        return f"Cannot save into {path}: {detail}."
    words = _SERVICE.get(exc.reason)
    if words is not None:
        return words.format(**{k: plain(data.get(k)) for k in ("name", "address")})
    return sanitize(str(exc))


_SERVICE = {
    "no-account": "There is no account called {name}.",
    "no-folder": "There is no folder called {name}.",
    "folder-kept": "The folder {name} cannot be deleted.",
    "nothing-to-undo": "There is nothing to undo.",
    "undo-gone": ("The messages to put back are gone (removed on the server): nothing was undone."),
    "not-an-address": "Not an e-mail address: {address}. Nothing was sent.",
    "no-recipients": "Add at least one recipient.",
}


_SEARCH_WHY = {
    "OperationalError": "the local message store could not run it",
    "DatabaseError": "the local message store cannot be read",
    "IntegrityError": "the local message store is damaged",
}


_NO_LIST = {
    "no-list-post": (
        "this message did not come through a mailing list (it has no List-Post header)"
    ),
    "posts-refused": "the list does not accept posts from its readers (List-Post: NO)",
}
