"""Words for composing: an editor that could not be run, or whose text could not be read
as a message (tuimail.core.compose.EditorError: its problem and data).

Every string returned is sanitised (no control characters).
"""

from __future__ import annotations

from typing import Any

from tuimail.words.plain import plain


def mailto_words(error: Any) -> str:
    """Why a link cannot start a message (core.mailto.MailtoError), lower case."""
    if getattr(error, "problem", "") == "too-long":
        return "the mailto: link is too long"
    return "not a mailto: link"


def mailto_ignored(names: list[str]) -> str:
    """A note for a link that tried to set more than a link may (MailtoStart.ignored):
    what was left out; an attachment is named, as no file is ever attached from a link."""
    shown = ", ".join(dict.fromkeys(plain(n) for n in names if plain(n)))
    files = any(plain(n).lower() in ("attach", "attachment") for n in names)
    said = f"The link also asked to set {shown}, which was left out"
    if files:
        said += ": no file is attached from a link (use Attach: for that)"
    return said + ". A link sets only To, Cc, Bcc, Subject, body and In-Reply-To."


def editor_words(error: Any) -> str:
    """What was wrong, lower case, to go inside a sentence ("line 2 is not a header
    (expected 'Name: value'): 'hello'")."""
    data = getattr(error, "data", None)
    data = data if isinstance(data, dict) else {}
    problem = getattr(error, "problem", "")
    address = repr(plain(data.get("address")))
    if problem == "not-an-address":
        return f"{address} is not an e-mail address"
    if problem == "bad-address":
        return f"{address} is not a valid e-mail address ({plain(data.get('detail'))})"
    if problem == "no-blank-line":
        return "the headers must be followed by an empty line before the message text"
    if problem == "not-a-header":
        text = repr(plain(data.get("text")))
        return f"line {data.get('line')} is not a header (expected 'Name: value'): {text}"
    if problem == "unknown-header":
        allowed = ", ".join(plain(a) for a in data.get("allowed") or ())
        name = repr(plain(data.get("name")))
        return f"line {data.get('line')}: unknown header {name} (allowed: {allowed})"
    if problem == "no-from":
        return "the From header has no address"
    if problem == "no-editor":
        return "$EDITOR is empty"
    if problem == "editor-failed":
        editor = repr(plain(data.get("editor")))
        return f"could not run the editor {editor}: {plain(data.get('detail'))}"
    if problem == "editor-status":
        return f"the editor exited with status {data.get('status')}"
    return "the edited text could not be read"
