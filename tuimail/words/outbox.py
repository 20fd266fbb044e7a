"""The outbox: why a message was not sent (a SubmitError's record, the outbox's own
reasons), and why each refused recipient was refused.
"""

from __future__ import annotations

from typing import Any

from tuimail.core.errors import (
    AuthenticationFailed,
    MailError,
    ProtocolViolation,
    error_from_record,
)
from tuimail.core.sanitize import sanitize
from tuimail.words.failures import failure_words
from tuimail.words.kinds import KIND_WORDS
from tuimail.words.plain import plain, tidy
from tuimail.words.sign_in import challenge_words


def submit_error(exc: Any) -> str:
    """One sentence for a SubmitError (tuimail.core.smtp), from its typed record."""
    return submit_failure(exc.record())


_STATES = {
    "queued": "queued",
    "sending": "sending",
    "retrying": "will retry",
    "failed": "failed",
    "maybe_sent": "may have been sent",
    "sent": "sent",
    "partial": "sent to some recipients",
}


def state_label(entry: Any) -> str:
    """An outbox entry's state as the listing says it ("will retry", "may have been sent")."""
    state = plain(getattr(entry, "state", ""))
    return _STATES.get(state, state)


def outbox_reason(entry: Any) -> str:
    """Why an outbox entry is where it is: from its typed `failure`, or, for an entry
    written before failures were typed, its `last_error` as it was written."""
    record = getattr(entry, "failure", None)
    if isinstance(record, dict):
        return submit_failure(record)
    return sanitize(str(getattr(entry, "last_error", None) or ""))


def submit_failure(record: dict) -> str:
    """The sentence for a failed submission's record (SubmitError.record(), or one of the
    outbox's own reasons): the server's reply code, enhanced code and words when it
    spoke, sanitised."""
    record = record if isinstance(record, dict) else {}
    reason = plain(record.get("reason"))
    stage = plain(record.get("stage"))
    data = record.get("data") if isinstance(record.get("data"), dict) else {}
    raw = record.get("error")
    error = error_from_record(raw) if isinstance(raw, dict) else None
    refused = record.get("refused") or data.get("refused")
    refused = refused if isinstance(refused, dict) else {}
    names = "; ".join(f"{plain(a)}: {refusal(r)}" for a, r in refused.items())
    host, port = plain(data.get("host")), plain(data.get("port"))
    where = f"{host} port {port}" if host and port else host or "the server"
    said = _said(error) if error is not None else ""
    if reason == "reply" and error is not None:
        if stage == "STARTTLS":
            words = (
                f"{where} refused STARTTLS ({said}), so the connection cannot be encrypted; "
                "nothing was sent"
            )
        elif isinstance(error, AuthenticationFailed):
            words = f"the server refused the login ({said})"
        elif isinstance(error, ProtocolViolation) and error.reason == "early-success":
            words = (
                f"the server answered the login command with success ({said}) before the "
                "login exchange took place, which breaks the SMTP rules (RFC 4954); tuimail "
                "does not count that as a login, and nothing was sent"
            )
        elif isinstance(error, ProtocolViolation) and error.reason == "unexpected-reply":
            words = f"the server answered {said} at {stage}, which is not an answer there"
        elif isinstance(error, ProtocolViolation) and error.reason == "too-much-data":
            at = "the greeting" if stage in ("", "greeting") else stage
            words = (
                f"the server's answer at {at} was longer than tuimail accepts (an answer "
                "without end); the connection was closed"
            )
        elif isinstance(error, ProtocolViolation):
            at = "the greeting" if stage in ("", "greeting") else stage
            line = error.data.get("line") if isinstance(error.data, dict) else None
            it = f'it sent "{plain(line)}"' if line else said
            words = f"the server's answer at {at} is not SMTP ({it}); the connection was closed"
        elif stage == "AUTH" and error.kind == "refused":
            words = f"the server does not accept this login method ({said})"
        else:
            words = f"the server answered {said} at {stage or 'the greeting'}"
    elif reason == "unreachable":
        words = f"could not reach {where}"
        if error is not None:
            words += f": {failure_words(error)}"
    elif reason == "security":
        what = failure_words(error) if error is not None else KIND_WORDS["security"]
        words = f"could not secure the connection to {where}: {what}; nothing was sent"
    elif reason == "lost":
        what = failure_words(error) if error is not None else KIND_WORDS["connection-lost"]
        words = f"{what} (at {stage})" if stage else what
    elif reason == "no-mechanism":
        listed = data.get("offered")
        offered = ", ".join(plain(m) for m in listed if m) if isinstance(listed, list) else ""
        offered = offered or "none"
        words = f"the server offers no login method tuimail supports (it offers: {offered})"
    elif reason == "no-login":
        words = f"{where} offers no login (no AUTH after EHLO)"
    elif reason == "login-failed":
        what = plain(data.get("detail")) or (failure_words(error) if error else "")
        words = f"the login failed: {what}" if what else "the login failed"
    elif reason == "token-rejected":
        words = f"the server rejected the OAuth token ({said})"
        why = plain(data.get("why")) or challenge_words(data)  # "why": an older record
        if why:
            words += f": {why}"
    elif reason == "sender-invalid":
        problem = _ADDRESS.get(plain(data.get("problem")), "it is not a valid address")
        words = f"the sender address {plain(data.get('address'))} cannot be sent: {problem}"
    elif reason == "recipients-refused":
        if data.get("local"):
            words = f"every recipient was refused ({names})"
        else:
            words = f"the server refused every recipient ({names})"
    elif reason == "maybe-sent":
        what = (  # a garbled or over-long answer (aiosmtplib's -1) is no lost connection
            "the server's answer after the message was sent is not SMTP"
            if isinstance(error, ProtocolViolation)
            else "the connection was lost after the message was sent and before the "
            "server confirmed it"
        )
        words = f"{what}; it may have been delivered, so it will not be sent again automatically"
    elif reason == "unexpected":
        detail = plain(data.get("detail")) or plain(data.get("type"))
        words = f"unexpected error: {detail}" if detail else "unexpected error"
    else:
        words = _OUTBOX.get(reason, "")
        if reason == "state-unreadable" and data.get("detail"):
            words = f"its state file could not be read ({plain(data.get('detail'))}); not sent"
        elif reason in ("recipients-deferred", "partly-refused"):
            words = f"{words}: {names}"
        elif not words:
            words = f"the last attempt failed ({reason})" if reason else "the last attempt failed"
    return sanitize(words)


def refusal(value: object) -> str:
    """Why one recipient was refused: the server's reply as it spoke it ("550 5.1.1 ..."),
    or, for an address refused here before sending, its problem (smtp_address PROBLEMS)
    as data; an entry from an older tuimail keeps its text as written."""
    if isinstance(value, dict) and "code" in value and "problem" not in value:
        said = tidy(plain(value.get("server_text")))
        return sanitize(f"{plain(value.get('code'))} {said}".strip())
    if isinstance(value, dict):
        problem = _ADDRESS.get(plain(value.get("problem")), "it is not a valid address")
        detail = plain(value.get("detail"))
        return sanitize(f"not sent: {problem}" + (f" ({detail})" if detail else ""))
    return plain(value)


def refused_recipients(entry: Any) -> str:
    """The recipients of an outbox entry refused for good, each with why ("a: why; b: why")."""
    items = getattr(entry, "refused", None)
    items = items if isinstance(items, dict) else {}
    return "; ".join(f"{plain(a)}: {refusal(r)}" for a, r in items.items())


def _said(error: MailError) -> str:
    """The server's reply as it spoke it: code, enhanced code, words (plain text)."""
    text = tidy(error.server_text or "").strip()
    enhanced = getattr(error, "enhanced", None)
    if enhanced and enhanced not in text:
        text = f"{enhanced} {text}".strip()
    code = "" if error.code is None else str(error.code)
    if code and not text.startswith(code):
        text = f"{code} {text}".strip()
    return sanitize(text or error.kind)


_OUTBOX = {
    "interrupted": (
        "tuimail stopped while the message was being sent; it may have been delivered, "
        "so it will not be sent again automatically"
    ),
    "state-unreadable": "its state file could not be read; not sent",
    "orphan": (
        "queuing was interrupted before its recipients were recorded; open it and send it again"
    ),
    "recipients-deferred": "some recipients were refused for now",
    "partly-refused": "refused",
}


_ADDRESS = {
    "literal-not-ascii": "the address literal is not ASCII",
    "idna": "the domain cannot be written in IDNA",
    "not-an-address": "it is not an address (local@domain)",
    "line-break": "it contains a line break or NUL",
    "needs-smtputf8": "it is not ASCII and the server does not offer SMTPUTF8",
}
