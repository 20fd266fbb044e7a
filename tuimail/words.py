"""Sentences for people, made from what core hands out: the edge's words.

Core (tuimail.core) never makes a sentence about a failure: it raises typed errors
(tuimail.core.errors), returns them with where they happened (`Failure`: account, folder,
action) and describes an account's state as data (`AccountState`). The CLI (tuimail.cli)
and the UI (tuimail.ui) both say it with this module, so a failure reads the same in
both. Nothing here decides anything: the decisions were made from the error's type
where it was raised.

Every sentence returned is sanitised (no control characters): the server's words are
shown as plain text; the UI hands them to Textual as Text/Content, never as markup.
Core never imports this module (tests/test_layers.py).
"""

from __future__ import annotations

import re
import sys
from typing import Any

from tuimail.core.errors import (
    FLUSH,
    LIST,
    OUTBOX,
    RETR,
    SEARCH,
    SYNC,
    AuthenticationFailed,
    Failure,
    MailError,
    ProtocolViolation,
    Refused,
    SecurityFailure,
    ServerBusy,
    TransientError,
    error_from_record,
)
from tuimail.core.sanitize import sanitize


def typed(exc: BaseException) -> MailError | None:
    """The typed error for `exc`, if any: a MailError, or one in its cause chain, an
    IMAP or POP3 library error through that protocol's classifier (chosen by type; the
    classifier is the one place that reads its words), or a transport failure."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, MailError):
            return current
        current = current.__cause__
        seen += 1
    imaplib = sys.modules.get("imaplib")  # loaded if an IMAP error can exist at all
    if imaplib is not None and isinstance(exc, imaplib.IMAP4.error):
        from tuimail.core.imap.errors import classify_imap

        return classify_imap(exc)
    poplib = sys.modules.get("poplib")
    if poplib is not None and isinstance(exc, poplib.error_proto):
        from tuimail.core.pop3_errors import classify_pop3

        return classify_pop3(exc)
    from tuimail.core.net_errors import classify_transport

    return classify_transport(exc)


def _is_service(exc: BaseException) -> bool:
    cls = getattr(sys.modules.get("tuimail.core.facade.views"), "ServiceError", None)
    return cls is not None and isinstance(exc, cls)


def service_words(exc: Any) -> str:
    """One sentence for a facade step that failed (a ServiceError with a reason,
    tuimail.core.facade.views.SERVICE_REASONS), from its reason and data."""
    data = exc.data
    if exc.reason == "search":
        detail = _text(data.get("detail")).strip().rstrip(".")
        why = _SEARCH_WHY.get(_text(data.get("type")), "")
        said = "; ".join(p for p in (why, detail) if p) or "it failed"
        return sanitize(f"That search did not work: {said}.")
    if exc.reason == "no-list":
        why = _NO_LIST.get(_text(data.get("why")), "this message has no list address")
        return f"No reply to the list: {why}."
    if exc.reason == "attachment":
        return attachment_words(data.get("error"), _text(data.get("step")))
    if exc.reason == "save-messages":
        path, detail = _text(data.get("path")), _text(data.get("detail")).rstrip(".")
        return f"Cannot save into {path}: {detail}."
    words = _SERVICE.get(exc.reason)
    if words is not None:
        return words.format(**{k: _text(data.get(k)) for k in ("name", "address")})
    return sanitize(str(exc))


def opened(result: Any) -> str:
    """What opening an attachment did (the mime module's OpenResult: outcome, path)."""
    words = _OPENED.get(_text(getattr(result, "outcome", "")), "Saved to {path}.")
    return words.format(path=_text(getattr(result, "path", "")))


_OPENED = {
    "opened": "Opened {path}.",
    "no-display": "No display available; saved to {path}.",
    "no-viewer": "No viewer found; saved to {path}.",
    "viewer-failed": "Could not start a viewer; saved to {path}.",
}


_SERVICE = {
    "no-account": "There is no account called {name}.",
    "no-folder": "There is no folder called {name}.",
    "folder-kept": "The folder {name} cannot be deleted.",
    "nothing-to-undo": "There is nothing to undo.",
    "not-an-address": "Not an e-mail address: {address}. Nothing was sent.",
    "no-recipients": "Add at least one recipient.",
}


def dkim_detail(check: Any) -> str:
    """Words for tuimail's own DKIM check of one signature (core's DkimCheck: reason, data)."""
    data = check.data
    if check.reason == "key-lookup-failed":
        query = f"the DNS query for {data.get('name')} ({data.get('rtype')})"
        failed = "timed out" if data.get("timed_out") else f"failed ({data.get('detail')})"
        return f"the key could not be fetched ({query} {failed})"
    words = _DKIM.get(check.reason)
    if words is None:
        return f"the signature could not be checked ({check.reason})"
    return words.format(**{k: _text(v) for k, v in data.items()})


_DKIM = {
    "valid": "the signature is valid: signed parts unchanged",
    "does-not-verify": "the signature does not verify ({library})",
    "cannot-check": "the signature cannot be checked: {library}",
    "library-failed": "the signature cannot be checked ({type})",
    "no-key": "no key is published at {name}: the signature cannot be valid",
    "malformed": "the signature is malformed",
    "changed": "the signature does not match: the message was changed after signing",
    "too-large": "the message is too large to check here",
}


def attachment_words(error: Any, step: str = "") -> str:
    """One sentence for an attachment that could not be saved or opened (the mime
    module's AttachmentError: its problem and data)."""
    data = getattr(error, "data", None)
    words = _ATTACHMENT.get(_text(getattr(error, "problem", "")))
    if words is None or not isinstance(data, dict):
        return f"The attachment could not be {_ATTACHMENT_STEP.get(step, 'used')}."
    fields = {k: _text(data.get(k)).rstrip(".") for k in ("index", "path", "name", "detail")}
    return words.format(**fields)


_ATTACHMENT = {
    "no-such": "There is no attachment number {index}.",
    "folder": "Cannot open the folder {path}: {detail}.",
    "make-folder": "Cannot save into {path}: {detail}.",
    "save": "Cannot save {name}: {detail}.",
    "too-many": "Too many files named like {name} already exist.",
    "read": "Cannot read the attachment {path}: {detail}.",
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
_ATTACHMENT_STEP = {"save": "saved", "open": "opened"}


def _is_sentence(exc: BaseException) -> bool:
    """Errors whose text is already written for people (a wrong account name, a password
    command that failed): core's own, not a server's. Looked up only if loaded."""
    for module, name in (
        ("tuimail.core.service", "ServiceError"),
        ("tuimail.core.secrets", "PasswordError"),
        ("tuimail.core.config", "ConfigError"),
    ):
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(exc, cls):
            return True
    return False


def describe(exc: BaseException) -> str:
    """One sentence (no traceback, terminal-safe) for any failure."""
    queued = getattr(sys.modules.get("tuimail.core.facade.views"), "QueuedError", None)
    if queued is not None and isinstance(exc, queued):
        why = outbox_reason(exc.entry) or sanitize(str(getattr(exc.entry, "label", "")))
        return f"The message was not sent ({why}); it waits in the outbox."
    submit = getattr(sys.modules.get("tuimail.core.smtp"), "SubmitError", None)
    if submit is not None and isinstance(exc, submit):
        return submit_error(exc)
    if needs_sign_in(exc):
        return f"{sign_in_needed(exc)}; {sign_in_advice(exc)}"
    if getattr(exc, "reason", "") and _is_service(exc):
        return service_words(exc)
    if _is_sentence(exc):
        return sanitize(str(exc))
    error = typed(exc)
    if error is None:
        text = sanitize(str(exc).strip()) or type(exc).__name__
        return f"Something went wrong: {text}"
    return sanitize(failure_words(error))


def sentence(exc: BaseException) -> str:
    """describe(exc) closed with a full stop, to go before another sentence."""
    words = describe(exc)
    return words if words.endswith((".", "!", "?")) else f"{words}."


def failure_words(error: MailError) -> str:
    """What happened, in the error's own words plus the server's (code and text)."""
    if needs_sign_in(error):
        return sign_in_needed(error)  # its code and words included; what to do: not here
    if isinstance(error, SecurityFailure) and error.reason:
        words = security(error)
    else:
        kinds = _HTTP_KIND_WORDS if error.protocol == "http" else _KIND_WORDS
        words = reason_words(error) or error.message or kinds.get(error.kind, "")
        words = words or "the request failed"
    said = _tidy(error.server_text or "").strip()
    code = error.code
    if code is not None and error.reason in _CODE_SAID:
        code = None  # the words already say what the code means
    if code is not None and str(code) not in said and str(code) not in words:
        tag = str(code) if isinstance(code, int) else f"[{code}]"  # 535, [UNAVAILABLE]
        said = f"{tag} {said}".strip()
    if said and said not in words and words.endswith(_CLOSED):
        # what it sent belongs to what it did, not to the closing: "... is not IMAP
        # (HTTP/1.1 400 Bad Request); the connection was closed"
        words = f"{words[: -len(_CLOSED)]} ({said}){_CLOSED}"
    elif said and said not in words:
        words = f"{words}: {said}"
    return sanitize(words)


_CLOSED = "; the connection was closed"
_CODE_SAID = ("sign-in", "no-client", "no-oauth")  # reasons worded from their code


def reason_words(error: MailError) -> str:
    """What a classifier's reason (tuimail.core.errors.REASONS) and data mean, without
    the server's words; "" when the error has no reason this knows."""
    reason = error.reason
    data = error.data if isinstance(error.data, dict) else {}
    name = _PROTOCOLS.get(str(error.protocol or ""), "")
    line = _text(data.get("line"))
    if len(line) > 60:
        line = line[:60] + "..."
    if reason in ("dns-query", "dns-timeout") and data.get("name"):
        query = f"the DNS query for {_text(data.get('name'))} ({_text(data.get('rtype'))})"
        if reason == "dns-timeout":
            return f"{query} timed out: the name server did not answer in time"
        detail = _text(data.get("detail"))
        return f"{query} failed ({detail})" if detail else f"{query} failed"
    if reason == "dns-query":
        return "a DNS query failed"
    if reason == "token-rejected":
        why = challenge_words(data)
        who = _text(error.host) or "the server"
        return f"{who} rejected the OAuth token for {_text(data.get('login'))}" + (
            f" ({why})" if why else ""
        )
    if reason == "no-oauth":
        listed = data.get("offered") if isinstance(data.get("offered"), list) else []
        offered = ", ".join(_text(m) for m in listed) or "none"
        return f"the server offers no OAuth login (OAUTHBEARER or XOAUTH2; it offers: {offered})"
    if isinstance(error, AuthenticationFailed) and data.get("login"):
        return f"{_text(error.host) or 'the server'} refused the login for {_text(data['login'])}"
    stage = _text(data.get("stage"))
    at = "the greeting" if stage in ("", "greeting") else stage
    if reason == "reply":
        return f"the server answered {_text(error.code)} at {at}"
    if reason == "not-protocol" and stage:
        it = f' (it sent "{line}")' if line else ""
        return f"the server's answer at {at} is not SMTP{it}; the connection was closed"
    if reason == "not-protocol":
        it = f' (it sent "{line}")' if line else ""
        return f"the mail server does not speak {name or 'the protocol'}{it}; the connection was closed"
    if reason == "garbage":
        return f"the mail server sent something that is not {name or 'valid'}; the connection was closed"
    if reason == "unparsable":
        return f"the mail server sent an answer that is not {name or 'valid'}; the connection was closed"
    if reason == "line-too-long":
        return (
            f"the mail server sent a line longer than {_size(data.get('limit'))}"
            + (f" (not {name})" if name else "")
            + "; the connection was closed"
        )
    if reason == "item-too-big":
        return (
            f"the mail server announced an item of {_size(data.get('size'))}, more than tuimail "
            f"accepts ({_size(data.get('limit'))}); the connection was closed"
        )
    if reason == "response-too-big":
        return (
            f"the mail server sent more than {_size(data.get('limit'))} in answer to one "
            "command; the connection was closed"
        )
    if reason == "unexpected-tag":
        return f"the mail server answered a command that was not sent ({line}); the connection was closed"
    if reason == "mid-line":
        return "the mail server closed the connection in the middle of a line" + (
            f" ({line})" if line else ""
        )
    if reason == "not-greeting":
        return f"the mail server's greeting is not {_GREETING.get(name, 'what tuimail expects')}"
    if reason == "bad-bytes":
        return f"the mail server sent bytes that are not valid in {_ARTICLE.get(name, 'an')} {name} answer".replace(
            "  ", " "
        )
    if reason == "bad-search":
        problem = _SEARCH_PROBLEMS.get(_text(data.get("problem")), "an unreadable answer")
        if "{" in problem:
            problem = problem.format(_int(data.get("limit")) or 0)
        return f"the mail server sent {problem} in a search answer (not IMAP); the connection was closed"
    if reason == "no-route":
        detail = _text(data.get("detail"))
        return "the mail server cannot be reached" + (f" ({detail})" if detail else "")
    if reason == "other":
        return _text(data.get("detail"))
    if reason == "oauth":
        step = _OAUTH_STEPS.get(_text(data.get("step")), "the sign-in failed")
        return f"{step} at the authorization server"
    if reason == "sign-in":
        code = _text(error.code)
        return _SIGN_IN.get(code) or f"the sign-in was declined ({code or 'no code'})"
    if reason == "web":
        what = _text(data.get("what"))
        words = _WEB.get(what, "the web server failed")
        if what == "too-big":
            words = words.format(
                _int(data.get("limit")) // 1024 if _int(data.get("limit")) else "?"
            )
        extra = _text(data.get("detail") or data.get("type"))
        return f"{words} ({extra})" if extra else words
    if reason == "unreadable-update":
        item = _text(data.get("item")) or "update"
        if item == "message count":
            return "the server sent an impossible message count"
        return f"the server sent {'' if item == 'flags' else 'an '}unreadable {item}"
    if reason == "not-server":
        return f"this is not {_ARTICLE.get(name, 'a')} {name or 'mail'} server"
    if reason == "no-such-host":
        return f"{_text(error.host) or 'the host'} does not exist"
    if reason == "unexpected":
        return f"the probe failed ({_text(data.get('type')) or 'error'})"
    if reason == "no-client":
        return f"the account {_text(data.get('account'))} has no OAuth client_id or token_endpoint"
    if reason == "not-json":
        return f"the authorization server's answer (HTTP {_text(error.code)}) is not a JSON object"
    if reason == "refused-to":
        return f"the server refused to {_REFUSED_STEPS.get(_text(data.get('what')), 'do this')}"
    if reason in _DATA_WORDS:
        return _DATA_WORDS[reason].format(
            folder=_text(data.get("folder")) or "?", kind=_text(data.get("kind")) or "?"
        )
    words = _REASON_WORDS.get(reason, "")
    detail = _text(data.get("detail"))
    if detail and not words:
        words = f"{_KIND_WORDS.get(error.kind, 'the request failed')} ({detail})"
    return words


def _size(value: object) -> str:
    """A byte count as people read limits: "1 MB" for whole megabytes, else "8,192 bytes"."""
    size = _int(value)
    if size is None:
        return "the limit"
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MB"
    return f"{size:,} bytes"


_SEARCH_PROBLEMS = {
    "unreadable-set": "an unreadable UID set",
    "impossible-set": "an impossible UID set",
    "too-many": "more than {:,} UIDs",
    "incomplete": "an incomplete answer",
}
_PROTOCOLS = {"imap": "IMAP", "pop3": "POP3", "smtp": "SMTP"}
_ARTICLE = {"IMAP": "an", "POP3": "a", "SMTP": "an"}
_GREETING = {"IMAP": "that of an IMAP4rev1 server", "POP3": "POP3", "SMTP": "SMTP"}
_REASON_WORDS = {
    "closed": "the mail server closed the connection",
    "dns": (
        "the mail server's host name cannot be found (DNS): check the host name in the "
        "account settings, or the network connection"
    ),
    "connection-refused": "the mail server refused the connection",
    "greeting-refused": "the mail server refused the connection in its greeting",
    "in-use": (
        "the mailbox is in use by another POP3 session (another mail program is "
        "checking it right now)"
    ),
    "login-delay": "the mail server asks to wait longer between logins",
    "temporary": "the mail server has a temporary problem and refused for now",
    "mechanism": "the server does not accept this login method",
    "search-refused": "the server refused a search",
    "too-much-data": "the mail server sent more data than tuimail can hold; the connection was closed",
    "message-missing": "this message is no longer in the store",
    "dns-timeout": "the name server (DNS) did not answer in time",
    "lookup-timeout": "the look-up did not finish in time",
    "capability-refused": "the mail server refused CAPABILITY",
    "no-device-sign-in": "this provider has no device sign-in",
    "no-browser-sign-in": "this provider has no browser sign-in (no authorization_endpoint)",
    "no-access-token": "the authorization server's token answer has no access_token",
    "incomplete-answer": "the authorization server's device sign-in answer lacks a field",
    "login-busy": "the mail server cannot log in now",
    "auth-command-refused": "the mail server did not accept the AUTHENTICATE command",
    "message-moving": "this message is still being moved on the server; try again soon",
    "message-gone": "the message is no longer on the server",
    "no-exists": (
        "the mail server did not say how many messages the folder has (no EXISTS); "
        "the connection was closed"
    ),
    "bad-numbers": (
        "the mail server's answer to opening the folder has numbers that are not numbers; "
        "the connection was closed"
    ),
}

# data["what"] of a "web" error (tuimail.core.errors.WEB_FAILURES).
_WEB = {
    "timeout": "the web server did not answer in time",
    "refused": "the web server refused the connection",
    "lost": "the connection to the web server was lost",
    "unreachable": "the web server cannot be reached",
    "not-http": "the web server's answer is not HTTP",
    "no-document": "the web server has no autoconfig document",
    "cut-short": "the web server's answer was cut short",
    "too-big": "the autoconfig document is larger than {} KiB",
}

# data["step"] of an "oauth" error (tuimail.core.errors.OAUTH_STEPS).
_OAUTH_STEPS = {
    "device-start": "the device sign-in could not start",
    "sign-in": "the sign-in failed",
    "exchange": "the code could not be exchanged for a token",
    "renew": "the sign-in could not be renewed",
}

# The code of a "sign-in" error (the sign-in did not happen).
_SIGN_IN = {
    "access_denied": "the sign-in was declined",
    "expired_token": "the code expired before it was approved",
    "cancelled": "the sign-in was cancelled",
    "timeout": "no answer came from the browser in time",
    "no_refresh_token": "there is no refresh token: sign in again",
}

# Reasons whose words name what `data` holds ({folder}, {kind}).
_DATA_WORDS = {
    "no-folder": "there is no folder named {folder}",
    "folder-gone": "the folder {folder} no longer exists on the server",
    "renumbered": (
        "the folder {folder} was renumbered on the server (UIDVALIDITY changed), so this "
        "change was not applied: it might have hit the wrong messages"
    ),
    "folder-changed": "the folder {folder} changed on the server; sync it and open the message again",
    "unknown-action": "unknown queued action {kind}",
}

# data["what"] of a "refused-to" error (tuimail.core.errors.REFUSED_STEPS).
_REFUSED_STEPS = {
    "list-folders": "list the folders",
    "flag-changes": "send flag changes",
    "headers": "send message headers",
    "change-flags": "change flags",
}


# -- TLS and the connection's security -------------------------------------------------


def security(error: SecurityFailure) -> str:
    """What a SecurityFailure's reason (decided by the TLS classifier) means, with its
    data (the pins, the protocol, the library's own words), without the server's words."""
    data = error.data if isinstance(error.data, dict) else {}
    reason = error.reason
    if reason == "untrusted":
        words = _UNTRUSTED.get(_int(data.get("verify_code")), _SECURITY["untrusted"])
    elif reason == "pin":
        expected, actual = _text(data.get("expected")), _text(data.get("actual"))
        if not actual:
            words = (
                "the server sent no certificate, so its key cannot be compared with the trusted one"
            )
        else:
            words = (
                "the server's key changed: it is not the one you chose to trust "
                f"(trusted SHA-256 {expected}, the server's now {actual})"
            )
    elif reason == "alpn":
        words = (
            f"the server answered for another protocol ({_text(data.get('selected'))!r} "
            f"instead of {_text(data.get('wanted'))!r}); the connection may have been "
            "redirected to another service"
        )
    elif reason == "ca-file":
        path = _text(data.get("path"))
        label = _text(data.get("label")) or "the ca_file"
        problem = _CA_FILE.get(_text(data.get("problem")), "cannot be used")
        words = f"{label} {path} {problem}".replace("  ", " ")
    else:
        words = _SECURITY.get(reason) or error.message or _KIND_WORDS["security"]
    library = _text(data.get("library"))
    if library and library not in words:
        words = f"{words} ({library})"
    if error.protocol == "pop3":
        words = words.replace("STARTTLS", "STLS")  # POP3's name for it (RFC 2595)
    return sanitize(words)


def _text(value: object) -> str:
    return sanitize(str(value)) if value not in (None, "") else ""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_SECURITY = {
    "untrusted": "the server's certificate is not from an authority this computer trusts",
    "expired": "the server's certificate has expired",
    "not-yet-valid": "the server's certificate is not valid yet",
    "hostname": "the server's certificate does not name this host",
    "certificate": "the server's certificate could not be verified",
    "not-tls": "the server did not answer with TLS; it sent something else",
    "protocol-version": "the server does not speak TLS 1.2 or newer",
    "handshake": "the TLS handshake failed",
    "starttls-missing": (
        "the server does not offer STARTTLS, so the connection cannot be encrypted "
        "(someone may be stripping it)"
    ),
    "starttls-refused": "the server refused STARTTLS, so the connection cannot be encrypted",
    "privacy-required": "the mail server wants an encrypted connection for this",
    "login-disabled": "the server offers no password login tuimail supports on this connection",
    "not-https": "an authorization server must be reached over https",
    "state-mismatch": "the browser's answer does not match this sign-in (state)",
    "starttls-closed": (
        "the server accepted STARTTLS but then closed the connection instead of starting encryption"
    ),
    "injection": (
        "the server sent data between its STARTTLS reply and the start of encryption; "
        "someone may be tampering with the connection, so it was closed"
    ),
}

_UNTRUSTED = {  # OpenSSL's X509_V_ERR_* verify codes
    18: "the server's certificate is self-signed and not trusted",
    19: "the server's certificate chain ends in an untrusted self-signed root",
    20: "the server's certificate was issued by an unknown authority",
    21: "the server's certificate could not be verified (incomplete chain)",
}

_CA_FILE = {
    "missing": "does not exist",
    "permission": "cannot be read (permission denied)",
    "directory": "is a directory, not a PEM file",
    "unreadable": "cannot be read",
    "no-certificate": "holds no PEM certificate that can be used",
}


# -- the outbox: why a message was not sent ---------------------------------------------


def submit_error(exc: Any) -> str:
    """One sentence for a SubmitError (tuimail.core.smtp), from its typed record."""
    return submit_failure(exc.record())


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
    reason = _text(record.get("reason"))
    stage = _text(record.get("stage"))
    data = record.get("data") if isinstance(record.get("data"), dict) else {}
    raw = record.get("error")
    error = error_from_record(raw) if isinstance(raw, dict) else None
    refused = record.get("refused") or data.get("refused")
    refused = refused if isinstance(refused, dict) else {}
    names = "; ".join(f"{_text(a)}: {refusal(r)}" for a, r in refused.items())
    host, port = _text(data.get("host")), _text(data.get("port"))
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
        elif isinstance(error, ProtocolViolation):
            words = (
                f"the server's answer at {stage} is not SMTP ({said}); the connection was closed"
            )
        elif stage == "AUTH" and error.kind == "refused":
            words = f"the server does not accept this login method ({said})"
        else:
            words = f"the server answered {said} at {stage or 'the greeting'}"
    elif reason == "unreachable":
        words = f"could not reach {where}"
        if error is not None:
            words += f": {failure_words(error)}"
    elif reason == "security":
        what = failure_words(error) if error is not None else _KIND_WORDS["security"]
        words = f"could not secure the connection to {where}: {what}; nothing was sent"
    elif reason == "lost":
        what = failure_words(error) if error is not None else _KIND_WORDS["connection-lost"]
        words = f"{what} (at {stage})" if stage else what
    elif reason == "no-mechanism":
        listed = data.get("offered")
        offered = ", ".join(_text(m) for m in listed if m) if isinstance(listed, list) else ""
        offered = offered or "none"
        words = f"the server offers no login method tuimail supports (it offers: {offered})"
    elif reason == "no-login":
        words = f"{where} offers no login (no AUTH after EHLO)"
    elif reason == "login-failed":
        what = _text(data.get("detail")) or (failure_words(error) if error else "")
        words = f"the login failed: {what}" if what else "the login failed"
    elif reason == "token-rejected":
        words = f"the server rejected the OAuth token ({said})"
        why = _text(data.get("why")) or challenge_words(data)  # "why": an older record
        if why:
            words += f": {why}"
    elif reason == "sender-invalid":
        problem = _ADDRESS.get(_text(data.get("problem")), "it is not a valid address")
        words = f"the sender address {_text(data.get('address'))} cannot be sent: {problem}"
    elif reason == "recipients-refused":
        if data.get("local"):
            words = f"every recipient was refused ({names})"
        else:
            words = f"the server refused every recipient ({names})"
    elif reason == "maybe-sent":
        words = (
            "the connection was lost after the message was sent and before the server "
            "confirmed it; it may have been delivered, so it will not be sent again "
            "automatically"
        )
    elif reason == "unexpected":
        detail = _text(data.get("detail")) or _text(data.get("type"))
        words = f"unexpected error: {detail}" if detail else "unexpected error"
    else:
        words = _OUTBOX.get(reason, "")
        if reason == "state-unreadable" and data.get("detail"):
            words = f"its state file could not be read ({_text(data.get('detail'))}); not sent"
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
        said = _tidy(_text(value.get("server_text")))
        return sanitize(f"{_text(value.get('code'))} {said}".strip())
    if isinstance(value, dict):
        problem = _ADDRESS.get(_text(value.get("problem")), "it is not a valid address")
        detail = _text(value.get("detail"))
        return sanitize(f"not sent: {problem}" + (f" ({detail})" if detail else ""))
    return _text(value)


def refused_recipients(entry: Any) -> str:
    """The recipients of an outbox entry refused for good, each with why ("a: why; b: why")."""
    items = getattr(entry, "refused", None)
    items = items if isinstance(items, dict) else {}
    return "; ".join(f"{_text(a)}: {refusal(r)}" for a, r in items.items())


def sent_note(entry: Any) -> str:
    """What the app says after "Send": sent, to whom not (and why), and a copy to Sent
    that failed (a local copy is kept)."""
    text = "Message sent."
    refused = refused_recipients(entry)
    if refused:
        delivered = ", ".join(_text(a) for a in getattr(entry, "delivered", None) or [])
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


def draft_saved(info: Any) -> str:
    """Where a saved draft went (tuimail.core.drafts.DraftInfo): the server's Drafts
    folder, or this computer only and why the server copy failed."""
    failure = getattr(info, "server_failure", None)
    if isinstance(failure, dict):
        raw = failure.get("error")
        error = error_from_record(raw) if isinstance(raw, dict) else None
        what = failure_words(error) if error is not None else ""
        step = _COPY_STEP.get(_text(failure.get("step")), "")
        why = f"{step}: {what}" if step and what else step or what or "it failed"
        return sanitize(f"Draft saved in this computer only ({why}).")
    if getattr(info, "server_error", None):  # a draft saved by an older tuimail
        return sanitize(f"Draft saved in this computer only ({_text(info.server_error)}).")
    return sanitize(f"Draft saved in {_text(getattr(info, 'server_folder', None)) or 'Drafts'}.")


def sent_copy(entry: Any) -> str:
    """Where the copy of a sent message went (the outbox entry's `copy`, data), or, for
    an entry from an older tuimail, its `sent_copy` text as written; "" if not tried."""
    copy = getattr(entry, "copy", None)
    if not isinstance(copy, dict):
        return _text(getattr(entry, "sent_copy", None))
    outcome = _text(copy.get("outcome"))
    if outcome == "saved":
        return sanitize(f"saved to {_text(copy.get('folder')) or 'Sent'}")
    if outcome == "failed":
        raw = copy.get("error")
        error = error_from_record(raw) if isinstance(raw, dict) else None
        what = failure_words(error) if error is not None else _text(copy.get("detail"))
        step = _COPY_STEP.get(_text(copy.get("step")), "")
        what = f"{step}: {what}" if step and what else step or what or "it failed"
        return sanitize(f"not saved on the server ({what}); a local copy is kept")
    return _COPY.get(outcome, "kept locally only")


_COPY = {
    "off": "not saved: the server keeps its own copy (save_sent_copy is off)",
    "local-only": "kept locally only",
}
_COPY_STEP = {
    "login": "could not log in to store the copy",
    "store": "the server did not store the copy",
    "pop3": "this is a POP3 account: there is no server folder to copy to",
}


def _said(error: MailError) -> str:
    """The server's reply as it spoke it: code, enhanced code, words (plain text)."""
    text = _tidy(error.server_text or "").strip()
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


def login_rejected(error: MailError, login: str, server: str = "") -> str:
    """One sentence for a login the server rejected: which server (`server`, e.g. "IMAP
    server imap.example.org"; else from the error's protocol and host), which login, and
    the server's code and words once ("The IMAP server localhost rejected the login for
    ana ([AUTHENTICATIONFAILED] Authentication failed)"). The error's own message is not
    repeated: it says the same as this sentence. The fix is the caller's."""
    if not server:
        proto = (error.protocol or "").upper()
        host = error.host or ""
        server = " ".join(p for p in (proto, "server", host) if p) if proto else host
    where = f"The {server}" if server else "The mail server"
    words = f"{where} rejected the login for {login}" if login else f"{where} rejected the login"
    said = server_said(error)
    return sanitize(f"{words} ({said})" if said else words)


def server_said(error: MailError) -> str:
    """The server's reply as it spoke it, its code and words once: "535 5.7.8
    Authentication credentials invalid", "[AUTHENTICATIONFAILED] Authentication failed"
    (a closing full stop is dropped: the words sit inside a sentence)."""
    said = _tidy(error.server_text or "").strip()
    enhanced = getattr(error, "enhanced", None)
    if isinstance(enhanced, str) and enhanced and enhanced not in said:
        said = f"{enhanced} {said}".strip()
    code = error.code
    if code is not None and str(code) not in said:
        tag = str(code) if isinstance(code, int) else f"[{code}]"
        said = f"{tag} {said}".strip()
    return sanitize(said.rstrip(". "))


def needs_sign_in(error: object) -> bool:
    """True for an OAuth account's missing or refused sign-in (NeedsSignIn), looked up
    only if loaded."""
    cls = getattr(sys.modules.get("tuimail.core.oauth2.tokens"), "NeedsSignIn", None)
    return cls is not None and isinstance(error, cls)


def sign_in_needed(error: Any) -> str:
    """What is wrong with a NeedsSignIn, from its code and account (never its message):
    not signed in on this computer, or the authorization server refused the sign-in
    (its code and words once). What to do is sign_in_advice's, said once by the caller."""
    name = _text(getattr(error, "account", "")) or "this account"
    code = error.code
    if code == "not_signed_in":
        if getattr(error, "browser", False):
            return f"{name} is not signed in, and its provider offers no sign-in in this app"
        return f"{name} is not signed in on this computer"
    said = server_said(error)
    said = f" ({said})" if said else ""
    if code == "access_denied":  # RFC 8628: the person at the browser said no
        return f"the sign-in of {name} was denied at the authorization server{said}"
    if code == "expired_token":  # RFC 8628: the code was not entered in time
        return f"the sign-in of {name} was not completed in time{said}"
    return (
        f"the authorization server no longer accepts the sign-in of {name}{said}: it was "
        "revoked (a password change, 'sign out everywhere', an administrator) or it expired"
    )


def challenge_words(data: dict) -> str:
    """What a server's OAuth error challenge (RFC 7628 3.2.2: its status, the scope it
    needs) says, in words; "" when it sent none."""
    status, scope = _text(data.get("status")), _text(data.get("scope"))
    parts = []
    if status:
        parts.append(_CHALLENGE_STATUS.get(status, f"status {status}"))
    if scope:
        parts.append(f"the server needs the scope {scope}")
    return "; ".join(parts)


_CHALLENGE_STATUS = {
    "invalid_token": "the token is not valid (expired or revoked)",
    "insufficient_scope": "the token lacks a permission",
    "401": "the token is not valid (expired or revoked)",
    "400": "the request was malformed",
}


def sign_in_failure(error: MailError) -> str:
    """One sentence for a sign-in that failed (`tuimail account login`, the wizard), from
    the error's type, reason and the authorization server's code and words."""
    said = sanitize(_tidy(error.server_text or ""))[:200]
    said = f" (the server said: {said})" if said else ""
    if error.reason == "sign-in":
        words = _SIGN_IN.get(_text(error.code), "")
        if error.code == "expired_token":
            words += "; run the command again"
        return (words or f"the sign-in failed ({_text(error.code)})") + said + "."
    if isinstance(error, Refused) and error.reason in ("oauth", ""):
        return (
            "the authorization server refused this application "
            f"({_text(error.code)}): check client_id and client_secret{said}."
        )
    if isinstance(error, SecurityFailure):
        return f"the authorization server could not be trusted: {failure_words(error)}."
    if isinstance(error, TransientError):
        return (
            f"the authorization server could not be reached or is busy ({error.kind}): "
            f"{failure_words(error)}; try again later."
        )
    return f"the sign-in failed: {failure_words(error)}."


def sign_in_advice(error: Any) -> str:
    """What to run for a NeedsSignIn: the sign-in command with the account's name."""
    name = _text(getattr(error, "account", "")) or "ACCOUNT"
    if getattr(error, "browser", False):
        return f"sign in with a web browser: tuimail account login {name} --browser"
    again = "sign in" if error.code == "not_signed_in" else "sign in again"
    return f"{again}: tuimail account login {name}"


def _oauth(error: MailError) -> bool:
    return error.protocol == "oauth2" or hasattr(error, "challenge")


def advice(error: MailError) -> str:
    """What happens next, as the runtime's policy decided it from the type."""
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


def failure(item: Failure) -> str:
    """One sentence for a failure and where it happened."""
    error = item.error
    if item.action == LIST:
        said = sanitize(_tidy(getattr(error, "server_text", None) or ""))
        return f"the server listed a folder tuimail cannot read: {said}"
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
        return f"{sanitize(item.folder)}: {words}"
    if item.action in _QUEUED:
        return f"{_QUEUED[item.action]} was not applied on the server: {words}"
    return words


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


def warning(key: str) -> str:
    """What a pass had to work around (tuimail.core.pop3 NO_UIDL, ODD_UIDL)."""
    return _WARNINGS.get(key, sanitize(key))


def sent(count: int) -> str:
    noun = "message" if count == 1 else "messages"
    return f"{count} waiting {noun} sent from the outbox."


def event(item: Any) -> str:
    """The sentence for a service event that has one ("error", "warning", "sent"), else ""."""
    if item.kind == "error" and item.error is not None:
        return failure(item.failure)
    if item.kind == "warning":
        return warning(item.note)
    if item.kind == "sent":
        return sent(item.count)
    return ""


def state(item: Any) -> str:
    """An account's state (tuimail.core.runtime.AccountState) for the status bar and
    `tuimail watch`: its failure and what happens next, or what it is doing."""
    error = item.error
    if error is not None:
        # a missing sign-in: what is wrong here, what to run once in the advice
        text = sign_in_needed(error) if needs_sign_in(error) else describe(error)
        mail = error if isinstance(error, MailError) else None
        hint = advice(mail) if mail is not None else ""
        if hint and item.phase != "offline-retrying":
            text = f"{text} — {hint}"
    elif item.failures:
        text = "; ".join(failure(f) for f in item.failures[:2])
    elif item.activity == "syncing" and item.progress:
        folder, done, total = item.progress
        text = f"syncing {sanitize(folder)}" + (f" {done}/{total}" if total else "")
    elif item.activity == "polling":
        text = f"checking every {item.interval} s"
    else:
        text = _ACTIVITY.get(item.activity, item.state)
    if item.retry_in is not None:
        text = f"{text} — retrying in {max(1, round(item.retry_in))} s"
    return sanitize(text)


def _tidy(text: str) -> str:
    """Server texts sometimes arrive as b'...' reprs; show the words only."""
    return re.sub(r"""\bb(['"])(.*?)\1""", r"\2", str(text))


_KIND_WORDS = {
    "connection-lost": "the connection to the mail server was lost",
    "unreachable": "the mail server cannot be reached",
    "timeout": "the mail server did not answer in time",
    "busy": "the mail server is busy; it asked to try again later",
    "authentication": "the mail server refused the login",
    "security": "the connection could not be secured",
    "protocol": "the mail server broke the protocol",
    "refused": "the mail server refused",
}

# An authorization server's failures (protocol "http"), by kind.
_HTTP_KIND_WORDS = {
    "connection-lost": "the connection to the authorization server was lost",
    "unreachable": "the authorization server cannot be reached",
    "timeout": "the authorization server did not answer in time",
    "busy": "the authorization server is busy; it asked to try again later",
    "authentication": "the authorization server refused the sign-in",
    "security": "the connection to the authorization server could not be secured",
    "protocol": "the authorization server's answer cannot be read",
    "refused": "the authorization server refused",
}

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
}
