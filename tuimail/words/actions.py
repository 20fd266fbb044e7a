"""Words for what the app's actions did, as core hands it back: an undo (the facade's
Undone), a link opened (links.LinkOpened), a command a message was piped to
(message_files.PipeResult), an attachment that could only be saved (ViewPlan.reason), and
the terminal notification of new mail (title and body).

Every string returned is sanitised (no control characters).
"""

from __future__ import annotations

from typing import Any

from tuimail.words.plain import plain, whole


def _messages(count: int) -> str:
    return f"{count} message" if count == 1 else f"{count} messages"


_UNDONE = {
    "move": "moved {n}",
    "delete": "deleted {n}",
    "archive": "archived {n}",
    "flag": "flagged {n}",
    "unflag": "unflagged {n}",
    "read": "marked {n} read",
    "unread": "marked {n} unread",
}


def undone(done: Any) -> str:
    """What an undo (u) took back: "Undone: moved 3 messages"."""
    count = whole(getattr(done, "count", None)) or 0
    words = _UNDONE.get(plain(getattr(done, "action", "")), "changed {n}")
    return "Undone: " + words.format(n=_messages(count))


_LINK = {
    "opened": "Opened the link in the browser.",
    "not-web": "Only http and https links are opened; copy this one instead (c).",
    "no-opener": "There is no program to open links here (xdg-open); copy it instead (c).",
    "failed": "The link could not be opened: {error}.",
}


def link_opened(result: Any) -> str:
    """What opening a link did (LinkOpened: outcome, the system's words on failure)."""
    words = _LINK.get(plain(getattr(result, "outcome", "")), _LINK["failed"])
    return words.format(error=plain(getattr(result, "error", "")).rstrip(".") or "unknown error")


def pipe_finished(result: Any, lines: int = 5) -> str:
    """How a command the message was piped to ended (PipeResult), with the last `lines`
    lines it printed (captured output only)."""
    failure = plain(getattr(result, "failure", ""))
    if failure == "timeout":
        seconds = getattr(result, "seconds", 0)
        seconds = int(seconds) if isinstance(seconds, int | float) else 0
        return f"The command was stopped after {seconds} s."
    if failure:
        error = plain(getattr(result, "error", "")).rstrip(".") or "unknown error"
        return f"The command could not run: {error}."
    said = f"The command finished (exit status {whole(getattr(result, 'status', None))})."
    printed = str(getattr(result, "output", "")).strip().splitlines()[-lines:]
    tail = "\n".join(_short(plain(line)) for line in printed)
    return said + (f"\n{tail}" if tail else "")


def _short(line: str, cells: int = 160) -> str:
    """One line of a command's output as a note shows it: at most `cells` characters."""
    return line if len(line) <= cells else line[: cells - 1] + "…"


def not_viewed(name: str, plan: Any) -> str:
    """An attachment that was only saved (ViewPlan "saved"): why, and where it is."""
    shown, path = plain(name) or "the attachment", plain(getattr(plan, "path", ""))
    if getattr(plan, "reason", "") == "mailcap-unfinished":
        return f"The mailcap command for {shown} did not finish; it was saved to {path}."
    return f"No viewer for {shown} here; it was saved to {path}."


def new_mail(messages: list, count: int) -> tuple[str, str]:
    """(title, body) of the terminal's notification of `count` new messages (hooks'
    NewMessage: sender, subject, account); the caller strips what could end the
    escape sequence (tuimail.core.hooks.notification)."""
    if count == 1 and messages:
        m = messages[0]
        sender = plain(getattr(m, "sender_name", "") or getattr(m, "sender_address", ""))
        return f"New mail from {sender}", plain(getattr(m, "subject", ""))
    account = plain(getattr(messages[0], "account", "")) if messages else ""
    return f"{count} new messages", f"in {account}" if account else ""
