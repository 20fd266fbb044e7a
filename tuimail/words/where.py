"""A failure and where it happened (tuimail.core.errors.Failure: account, folder,
action), and a sync pass's failures, one sentence each.
"""

from __future__ import annotations

from typing import Any

from tuimail.core.errors import (
    FLUSH,
    LIST,
    OUTBOX,
    RETR,
    SEARCH,
    SYNC,
    Failure,
)
from tuimail.core.sanitize import sanitize
from tuimail.words.describe import describe
from tuimail.words.plain import folder, tidy
from tuimail.words.reasons import LIST_LINE, unreadable_messages


def failure(item: Failure) -> str:
    """One sentence for a failure and where it happened."""
    error = item.error
    if item.action == LIST:
        said = sanitize(tidy(getattr(error, "server_text", None) or ""))
        data = getattr(error, "data", None)
        data = data if isinstance(data, dict) else {}
        why = LIST_LINE.get(str(data.get("problem") or ""))
        if why is None:
            return f"the server listed a folder tuimail cannot read: {said}"
        size = data.get("size")
        why = why.format(size=f"{size:,}" if isinstance(size, int) else "?")
        return f"the server listed a folder tuimail cannot read: {why} ({said})"
    if item.action == SYNC and getattr(error, "reason", "") == "unreadable-messages":
        return _unreadable(item)
    words = describe(error)
    if item.action == RETR:
        return (
            f"message {sanitize(item.item)} on the server was not downloaded: the server "
            f"refused to send it ({words}); the next check asks for it again"
        )
    if item.action == FLUSH:
        return f"Saved here; the server will be updated when it is reachable ({words})"
    if item.action == OUTBOX:
        return f"Outbox: {words}"
    if item.action == SEARCH:
        return f"Searched this computer only ({words})"
    if item.folder and item.action == SYNC:
        return f"{folder(item.folder)}: {words}"
    if item.action in _QUEUED:
        return f"{_QUEUED[item.action]} was not applied on the server: {words}"
    return words


def _unreadable(item: Failure) -> str:
    """ "INBOX: 1 message could not be read from the server (UID 17): the server said
    [SERVERBUG] ...; the next sync asks for it again" """
    error = item.error
    data = getattr(error, "data", None)
    data = data if isinstance(data, dict) else {}
    said = sanitize(tidy(getattr(error, "server_text", None) or "")).strip()
    code = getattr(error, "code", None)
    if code and str(code) not in said:
        said = f"[{sanitize(str(code))}] {said}".strip()
    words = f"{folder(item.folder)}: {unreadable_messages(data)}"
    if said:
        words += f": the server said {said}"
    one = data.get("count") == 1
    return words + f"; the next sync asks for {'it' if one else 'them'} again"


def refused_messages(items: list) -> list[str]:
    """RETR refusals of one pass as one sentence at most (a pass racing another that
    deleted its messages meets one per message): the count, and the first one's words."""
    if len(items) <= 1:
        return [failure(item) for item in items]
    first = items[0]
    return [
        f"{len(items)} messages on the server were not downloaded: the server refused to "
        f"send them (message {sanitize(first.item)}: {describe(first.error)}); the next "
        "check asks for them again"
    ]


# A queued change (tuimail.core.imap.actions: the Failure's action is its kind).
_QUEUED = {
    "flags": "A flag change",
    "move": "A move",
    "copy": "A copy",
    "expunge": "A deletion",
    "create_folder": "Creating a folder",
    "rename_folder": "Renaming a folder",
    "delete_folder": "Deleting a folder",
}


def skipped(count: int) -> str:
    """The folders a pass did not try after the server stopped answering."""
    noun = "folder" if count == 1 else "folders"
    return f"{count} other {noun} not synced this time (the mail server did not answer in time)"


def sync_errors(result: Any) -> list[str]:
    """A SyncResult's failures, one sentence each (the others were synced)."""
    out = [failure(f) for f in result.failures]
    if result.skipped:
        out.append(skipped(len(result.skipped)))
    return out
