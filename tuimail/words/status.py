"""An account's state and the service's events for the status bar and `tuimail
watch`: what failed and what happens next, or what it is doing.
"""

from __future__ import annotations

import time
from typing import Any

from tuimail.core.errors import (
    AuthenticationFailed,
    MailError,
    ProtocolViolation,
    SecurityFailure,
    ServerBusy,
    TransientError,
)
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import PasswordError
from tuimail.words.plain import folder as shown_folder

# The sentences for failures (tuimail.words.describe, .sign_in, .where) are imported when
# there is one to say: a healthy account's state, on the first painted screen, needs none.


def _oauth(error: MailError) -> bool:
    return error.protocol == "oauth2" or hasattr(error, "challenge")


def advice(error: MailError) -> str:
    """What happens next, as the runtime's policy decided it from the type."""
    from tuimail.words.sign_in import needs_sign_in, sign_in_advice

    if needs_sign_in(error):
        return f"{sign_in_advice(error)}; queued work waits"
    if isinstance(error, AuthenticationFailed) and _oauth(error):
        return "sign in again (tuimail account login ACCOUNT); queued work waits"
    if isinstance(error, AuthenticationFailed):
        return "not trying again until the password is checked"
    if isinstance(error, SecurityFailure):
        return "not connecting until this is resolved"
    if isinstance(error, ServerBusy):
        return "trying again later"
    if isinstance(error, ProtocolViolation):
        return "the connection was closed"
    if error.retry:
        return "trying again later"
    return ""


def warning(key: str) -> str:
    """What a pass had to work around (tuimail.core.pop3 NO_UIDL, ODD_UIDL, BAD_LISTING)."""
    return _WARNINGS.get(key, sanitize(key))


def renumbered(folder: str, reason: str) -> str:
    """A folder whose UIDVALIDITY changed (tuimail.core.imap.sync FolderResult.renumbered:
    "same-messages" or "rebuilt")."""
    if reason == "same-messages":
        return (
            f"{shown_folder(folder)}: the server gave this folder a new UIDVALIDITY, but its "
            "messages kept their numbers (checked by Message-ID): the local copy was kept"
        )
    return (
        f"{shown_folder(folder)}: the server renumbered this folder (a new UIDVALIDITY): its "
        "message list was downloaded again; queued changes find their messages by Message-ID"
    )


def back_online(account: str, offline_since: str) -> str:
    """An account that was offline answers again (the app says so once)."""
    return f"{sanitize(account)} is connected again (it was offline since {offline_since})."


def sent(count: int) -> str:
    noun = "message" if count == 1 else "messages"
    return f"{count} waiting {noun} sent from the outbox."


def event(item: Any) -> str:
    """The sentence for a service event that has one ("error", "warning", "sent"), else ""."""
    if item.kind == "error" and item.error is not None:
        from tuimail.words.where import failure

        return failure(item.failure)
    if item.kind == "warning":
        if item.note.startswith("uidvalidity-"):
            return renumbered(item.folder, item.note.removeprefix("uidvalidity-"))
        return warning(item.note)
    if item.kind == "sent":
        return sent(item.count)
    return ""


def state(item: Any, countdown: bool = True) -> str:
    """An account's state (tuimail.core.runtime.AccountState) for the status bar and
    `tuimail watch`: its failure and what happens next, or what it is doing; without
    the "retrying in N s" that counts down when not `countdown`."""
    error = item.error
    if error is not None:
        from tuimail.words.describe import describe
        from tuimail.words.sign_in import needs_sign_in, sign_in_needed

        # a missing sign-in: what is wrong here, what to run once in the advice
        text = sign_in_needed(error) if needs_sign_in(error) else describe(error)
        mail = error if isinstance(error, MailError) else None
        hint = advice(mail) if mail is not None else ""
        if hint and item.phase != "offline-retrying":
            text = f"{text} — {hint}"
    elif item.failures:
        from tuimail.words.where import failure

        text = "; ".join(failure(f) for f in item.failures[:2])
    elif item.activity == "syncing" and item.progress:
        folder, done, total = item.progress
        text = f"syncing {shown_folder(folder)}" + (f" {done}/{total}" if total else "")
    elif item.activity == "polling":
        text = f"checking every {item.interval} s"
    elif starting(item):
        text = "connecting"
    else:
        text = _ACTIVITY.get(item.activity, item.state)
    if countdown:
        text += _retrying(item)
    return sanitize(text)


def brief(item: Any) -> str:
    """A troubled account's state in a few words, for a status bar too narrow for its
    sentence (state(): in the bar's tooltip, a note and Diagnose): the kind of failure,
    and the countdown to the next try."""
    error = item.error
    if error is not None:
        from tuimail.words.sign_in import needs_sign_in

        if needs_sign_in(error):
            text = "sign-in needed"
        elif isinstance(error, PasswordError):  # none given, or its command gave none
            text = "no password" if error.problem in _NO_PASSWORD else "password command failed"
        else:
            text = next((words for kind, words in _BRIEF if isinstance(error, kind)), "")
            text = text or ("offline" if item.state == "offline" else "failed")
    elif item.failures and all(_unreadable(f) for f in item.failures):
        count = sum(_unreadable(f) for f in item.failures)
        text = f"{count} message{'' if count == 1 else 's'} unreadable"
    elif item.failures:
        count = len(item.failures)
        text = "a folder failed" if count == 1 else f"{count} folders failed"
    else:
        text = "offline" if item.state == "offline" else "failed"
    return text + _retrying(item)


def _unreadable(failure: Any) -> int:
    """How many messages a failure says the server could not send (0: another failure)."""
    error = failure.error
    if getattr(error, "reason", "") != "unreadable-messages":
        return 0
    count = getattr(error, "data", {}).get("count")
    return count if isinstance(count, int) and count > 0 else 1


def _retrying(item: Any) -> str:
    """ " — retrying in N s": the time left now (the app says it again each second), not
    the wait announced; "" when no retry is planned."""
    if item.retry_in is None:
        return ""
    retry_at = getattr(item, "retry_at", None)
    left = item.retry_in if retry_at is None else retry_at - time.time()
    return f" — retrying in {max(1, round(left))} s"


def starting(item: Any) -> bool:
    """An account not tried yet (the app's first frames, before its first pass): its
    state is the runtime's initial one, "offline" with no failure, which is not news."""
    return (
        item.phase == "connecting"
        and item.state == "offline"
        and item.error is None
        and not item.activity
        and not item.failures
    )


def troubled(item: Any) -> bool:
    """An account the status bar would explain at length: failing, or offline for a
    reason (not one still connecting at start)."""
    return item.state == "error" or (
        item.state == "offline" and (item.error is not None or item.retry_in is not None)
    )


def troubled_summary(items: list[Any]) -> str:
    """Several troubled accounts in a few words ("2 accounts offline, retrying"): their
    own sentences are in the status bar's tooltip and in Diagnose."""
    count = len(items)
    offline = all(item.state == "offline" for item in items)
    text = f"{count} accounts offline" if offline else f"{count} accounts have problems"
    if any(item.retry_in is not None for item in items):
        text += ", retrying"
    return text


# PasswordError.problem (tuimail.core.secrets.PASSWORD_PROBLEMS) when none was given; the
# others say its command (password_command, oauth2_token_command) gave none
_NO_PASSWORD = ("none-entered", "no-password")

_BRIEF = (  # the first kind an error is wins
    (AuthenticationFailed, "login refused"),
    (SecurityFailure, "security problem"),
    (ServerBusy, "server busy"),
    (ProtocolViolation, "server broke the protocol"),
    (TransientError, "offline"),
)

_ACTIVITY = {
    "syncing": "syncing",
    "up-to-date": "up to date",
    "push": "push connected",
    "disconnected": "disconnected",
}


_WARNINGS = {
    "pop3-no-uidl": (
        "this POP3 server does not support UIDL; messages are recognised by their "
        "headers, which is less certain than a UIDL. "
        "Turn off 'leave messages on server' for this account."
    ),
    "pop3-odd-uidl": (
        "the server gave some messages an empty, invalid or repeated UIDL; those are "
        "recognised by a hash of their headers instead"
    ),
    "pop3-bad-listing": (
        "the server's message list had lines without a usable message number; those "
        "lines were skipped and every other message was downloaded"
    ),
}
