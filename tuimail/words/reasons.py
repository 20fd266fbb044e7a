"""What a classifier's reason (tuimail.core.errors.REASONS) and its data mean, in
words, without the server's own words (tuimail.words.failures adds those).
"""

from __future__ import annotations

from tuimail.core.errors import (
    AuthenticationFailed,
    MailError,
)
from tuimail.words.kinds import KIND_WORDS
from tuimail.words.plain import folder as shown_folder
from tuimail.words.plain import plain, whole
from tuimail.words.sign_in import SIGN_IN_CODES, challenge_words

# Why a LIST line cannot be read (tuimail.core.imap.names.LIST_PROBLEMS).
LIST_LINE = {
    "not-list": "not a LIST answer",
    "literal-unannounced": "a literal where no name was announced",
    "unterminated": "an unterminated quoted name",
    "literal-missing": "a literal that never came",
    "no-name": "no folder name",
    "empty-name": "an empty folder name",
    "name-too-long": "a folder name of {size} bytes",
    "nul-cr-lf": "NUL, CR or LF in a folder name",
    "not-utf8": "a folder name in 8-bit bytes that are not UTF-8",
}


def reason_words(error: MailError) -> str:
    """What a classifier's reason (tuimail.core.errors.REASONS) and data mean, without
    the server's words; "" when the error has no reason this knows."""
    reason = error.reason
    data = error.data if isinstance(error.data, dict) else {}
    name = _PROTOCOLS.get(str(error.protocol or ""), "")
    line = plain(data.get("line"))
    if len(line) > 60:
        line = line[:60] + "..."
    if reason in ("dns-query", "dns-timeout") and data.get("name"):
        query = f"the DNS query for {plain(data.get('name'))} ({plain(data.get('rtype'))})"
        if reason == "dns-timeout":
            return f"{query} timed out: the name server did not answer in time"
        detail = plain(data.get("detail"))
        return f"{query} failed ({detail})" if detail else f"{query} failed"
    if reason == "dns-query":
        return "a DNS query failed"
    if reason == "token-rejected":
        why = challenge_words(data)
        who = plain(error.host) or "the server"
        return f"{who} rejected the OAuth token for {plain(data.get('login'))}" + (
            f" ({why})" if why else ""
        )
    if reason == "no-oauth":
        listed = data.get("offered") if isinstance(data.get("offered"), list) else []
        offered = ", ".join(plain(m) for m in listed) or "none"
        return f"the server offers no OAuth login (OAUTHBEARER or XOAUTH2; it offers: {offered})"
    if isinstance(error, AuthenticationFailed) and data.get("login"):
        return f"{plain(error.host) or 'the server'} refused the login for {plain(data['login'])}"
    stage = plain(data.get("stage"))
    at = "the greeting" if stage in ("", "greeting") else stage
    if reason == "reply":
        return f"the server answered {plain(error.code)} at {at}"
    if reason == "early-success":
        return (
            f"the server answered {plain(error.code)} (success) to the login command before "
            "the login exchange took place (not SMTP): tuimail does not count that as a login"
        )
    if reason == "unexpected-reply":
        return f"the server answered {plain(error.code)} at {at}, which is not an answer there"
    if reason == "not-protocol" and stage:
        it = f' (it sent "{line}")' if line else ""
        return f"the server's answer at {at} is not SMTP{it}; the connection was closed"
    if reason == "not-protocol":
        it = f' (it sent "{line}")' if line else ""
        return f"the mail server does not speak {name or 'the protocol'}{it}; the connection was closed"
    if reason == "list-line":
        why = LIST_LINE.get(plain(data.get("problem")), "a line that is not LIST")
        size = data.get("size")
        why = why.format(size=f"{size:,}" if isinstance(size, int) else "?")
        return f"the server listed a folder tuimail cannot read ({why})"
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
    if reason == "no-greeting" and data.get("encrypted") is False:
        return (
            "the mail server did not answer in time (it sent no greeting); if this port "
            'expects TLS from the start (as 993, 995 and 465 usually do), set security = "tls"'
        )
    if reason == "not-greeting":
        return f"the mail server's greeting is not {_GREETING.get(name, 'what tuimail expects')}"
    if reason == "bad-bytes":
        return f"the mail server sent bytes that are not valid in {_ARTICLE.get(name, 'an')} {name} answer".replace(
            "  ", " "
        )
    if reason == "bad-search":
        problem = _SEARCH_PROBLEMS.get(plain(data.get("problem")), "an unreadable answer")
        if "{" in problem:
            problem = problem.format(whole(data.get("limit")) or 0)
        return f"the mail server sent {problem} in a search answer (not IMAP); the connection was closed"
    if reason == "no-route":
        detail = plain(data.get("detail"))
        return "the mail server cannot be reached" + (f" ({detail})" if detail else "")
    if reason == "local-store":
        why = " (is the disk full?)" if data.get("full") else ""
        return f"the local store on this computer could not be written{why}: " + plain(
            data.get("detail")
        )
    if reason == "other":
        return plain(data.get("detail"))
    if reason == "unreadable-messages":
        return unreadable_messages(data)
    if reason == "oauth":
        step = _OAUTH_STEPS.get(plain(data.get("step")), "the sign-in failed")
        return f"{step} at the authorization server"
    if reason == "sign-in":
        code = plain(error.code)
        return SIGN_IN_CODES.get(code) or f"the sign-in was declined ({code or 'no code'})"
    if reason == "web":
        what = plain(data.get("what"))
        words = _WEB.get(what, "the web server failed")
        if what == "too-big":
            words = words.format(
                whole(data.get("limit")) // 1024 if whole(data.get("limit")) else "?"
            )
        extra = plain(data.get("detail") or data.get("type"))
        return f"{words} ({extra})" if extra else words
    if reason == "unreadable-update":
        item = plain(data.get("item")) or "update"
        if item == "message count":
            return "the server sent an impossible message count"
        return f"the server sent {'' if item == 'flags' else 'an '}unreadable {item}"
    if reason == "not-server":
        return f"this is not {_ARTICLE.get(name, 'a')} {name or 'mail'} server"
    if reason == "no-such-host":
        return f"{plain(error.host) or 'the host'} does not exist"
    if reason == "unexpected":
        return f"the probe failed ({plain(data.get('type')) or 'error'})"
    if reason == "no-client":
        return f"the account {plain(data.get('account'))} has no OAuth client_id or token_endpoint"
    if reason == "not-json":
        return f"the authorization server's answer (HTTP {plain(error.code)}) is not a JSON object"
    if reason == "refused-to":
        return f"the server refused to {_REFUSED_STEPS.get(plain(data.get('what')), 'do this')}"
    if reason in _DATA_WORDS:
        return _DATA_WORDS[reason].format(
            folder=shown_folder(data.get("folder")) or "?", kind=plain(data.get("kind")) or "?"
        )
    words = _REASON_WORDS.get(reason, "")
    detail = plain(data.get("detail"))
    if detail and not words:
        words = f"{KIND_WORDS.get(error.kind, 'the request failed')} ({detail})"
    return words


def _size(value: object) -> str:
    """A byte count as people read limits: "1 MB" for whole megabytes, else "8,192 bytes"."""
    size = whole(value)
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
    "login-not-ascii": (
        "the mail server offers only LOGIN, which cannot carry a user name or password "
        "with characters outside ASCII (it has no AUTHENTICATE PLAIN)"
    ),
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
    "cut-short-message": (
        "the server sent only the start of the message (no text, and under half the size it listed)"
    ),
    "empty-message": "the server sent the message empty, without a header or text",
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


def unreadable_messages(data: dict) -> str:
    """ "1 message could not be read from the server (UID 17)" (an "unreadable-messages"
    error's data: count, uids)."""
    count = whole(data.get("count")) or 0
    uids = [u for u in data.get("uids") or () if whole(u) is not None]
    shown = ", ".join(str(u) for u in uids[:10]) + (", ..." if count > min(len(uids), 10) else "")
    noun = "message" if count == 1 else "messages"
    label = "UID" if count == 1 else "UIDs"
    return f"{count} {noun} could not be read from the server ({label} {shown})"
