"""The typed failure model: every failure tuimail meets, raised where it happens.

Invariants:
- An error's class decides what happens next (retry, ask for a password, stop and explain);
  nothing anywhere decides by reading an error's text.
- Each error carries the server's own response code and words (`code`, `server_text`), as
  received, unsanitised: sentences for people are made at the edge (cli/, ui/), which sanitise.
- Classifying a library's exception into one of these types happens in one classifier per
  protocol, next to that protocol's session code, and nowhere else.

The tree:

    MailError
      TransientError            retry later, with back-off (the account goes offline-retrying)
        ConnectionLost            the connection broke or was closed by the peer
        Unreachable               no route, refused, DNS failure
        TimedOut                  no (complete) answer within the deadline
        ServerBusy                IMAP [UNAVAILABLE]/[INUSE], POP3 [IN-USE]/[SYS/TEMP]/
                                  [LOGIN-DELAY], SMTP 4xx
      PermanentError            retrying the same thing will fail the same way
        AuthenticationFailed      IMAP [AUTHENTICATIONFAILED], POP3 [AUTH], SMTP 535: ask the user
        SecurityFailure           certificate, pin, missing/refused STARTTLS, plaintext injection
        ProtocolViolation         the server broke the protocol: drop the connection at once
        Refused                   the server refused this action (NO, -ERR, 5xx)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tuimail.core.logs import without_secrets


class MailError(Exception):
    """Base of every typed failure. `retry` says whether trying again later may succeed."""

    kind: ClassVar[str] = "error"
    retry: ClassVar[bool] = False

    def __init__(
        self,
        message: str = "",
        *,
        protocol: str | None = None,
        code: str | int | None = None,
        server_text: str | None = None,
        host: str | None = None,
        reason: str = "",
        data: dict | None = None,
    ) -> None:
        # A server may echo what it was sent (an AUTH line, a password): no secret tuimail
        # holds (tuimail.core.logs.remember_secret) stays in words shown, logged or kept
        # on disk (the outbox).
        if message:
            message = without_secrets(message)
        if server_text:
            server_text = without_secrets(server_text)
        super().__init__(
            message or server_text or (f"{self.kind}: {reason}" if reason else self.kind)
        )
        self.message = message  # a record, for errors made outside the classifiers only
        self.protocol = protocol  # "imap", "pop3", "smtp", "http", "dns"
        self.code = code  # IMAP response code ("UNAVAILABLE"), SMTP reply code (535), ...
        self.server_text = server_text  # the server's own words, as received (no secret)
        self.host = host
        # Which failure of its kind, as a key (REASONS, or SECURITY_REASONS for a
        # SecurityFailure), "" when the kind says it all; `data` what a sentence needs
        # (a limit, the line the server sent, the library's own words as "detail").
        self.reason = reason
        self.data = dict(data or {})

    def __str__(self) -> str:
        """A record for logs; sentences for people: tuimail.words.failures.failure_words."""
        if self.message or self.server_text or not self.reason:
            return self.message or self.server_text or self.kind
        return f"{self.kind}: {self.reason}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, protocol={self.protocol!r}, "
            f"code={self.code!r}, server_text={self.server_text!r}"
            + (f", reason={self.reason!r}, data={self.data!r})" if self.reason else ")")
        )


class TransientError(MailError):
    """Trying again later may work: back off, then retry by itself."""

    kind = "transient"
    retry = True


class ConnectionLost(TransientError):
    kind = "connection-lost"


class Unreachable(TransientError):
    kind = "unreachable"


class TimedOut(TransientError):
    kind = "timeout"


class ServerBusy(TransientError):
    kind = "busy"


class PermanentError(MailError):
    """Retrying the same thing fails the same way: stop and say so."""

    kind = "permanent"
    retry = False


class AuthenticationFailed(PermanentError):
    """The server rejected the credentials: never retried by itself (lock-out risk)."""

    kind = "authentication"


class SecurityFailure(PermanentError):
    """Certificate, pin or TLS policy: stop, explain, never send a credential.

    `reason` says which (decided by the TLS classifier, tuimail.core.tls.tls_reason, from
    the library's verify code and exception types, or where the policy refused):
    one of SECURITY_REASONS, "" when not known; `data` what a person needs to act on it
    (the trusted and the seen pin, the verify code, the library's own words, ...)."""

    kind = "security"


SECURITY_REASONS = (
    "untrusted",  # self-signed, unknown issuer, incomplete chain (data: verify_code)
    "expired",
    "not-yet-valid",
    "hostname",  # the certificate does not name the host
    "certificate",  # any other verification failure (data: verify_code, library)
    "pin",  # the key is not the pinned one (data: expected, actual; actual "" = no cert)
    "alpn",  # the server answered for another protocol (data: wanted, selected)
    "not-tls",  # the server did not answer with TLS at all
    "protocol-version",  # no TLS 1.2 or newer in common
    "handshake",  # any other handshake failure (data: library)
    "ca-file",  # the account's ca_file cannot be used (data: path, problem)
    "starttls-missing",  # STARTTLS / STLS not offered
    "starttls-refused",  # the server refused STARTTLS (code, server_text)
    "starttls-closed",  # accepted STARTTLS, then closed instead of starting TLS
    "preauth-in-clear",  # IMAP PREAUTH greeting before STARTTLS: nothing read can be trusted
    "injection",  # bytes between the STARTTLS reply and the handshake
    "privacy-required",  # IMAP [PRIVACYREQUIRED]: the server wants encryption for this
    "login-disabled",  # IMAP LOGINDISABLED and no AUTH=PLAIN on this connection
    "not-https",  # an authorization server not reached over https
    "state-mismatch",  # the browser's answer does not belong to this sign-in (OAuth state)
)

# MailError.reason for the other kinds: what the per-protocol classifiers (and the
# protocols' session code, tuimail.core.connect) decided, with `data` as noted.
REASONS = (
    "closed",  # ConnectionLost: the server closed the connection
    "mid-line",  # ConnectionLost: closed in the middle of a line (data: line)
    "dns",  # Unreachable: the host name does not resolve
    "no-such-host",  # Unreachable: the name server has no address for the host (NXDOMAIN)
    "lookup-timeout",  # TimedOut: a detection look-up did not finish in time
    "dns-timeout",  # TimedOut: the name server did not answer in time (data: name, rtype
    # when a query of tuimail's own: tuimail.core.discovery.resolver)
    "dns-query",  # Unreachable: a DNS query failed (data: name, rtype, detail: the DNS
    # library's words)
    "web",  # a web server's failure fetching an autoconfig document (data: what, one of
    # WEB_FAILURES; detail, type, limit as noted there)
    "unreadable-update",  # ProtocolViolation: an IDLE update that cannot be read (data: item,
    # what: HIGHESTMODSEQ, FETCH update, flags, MODSEQ, UID, VANISHED, message count)
    "not-server",  # ProtocolViolation: a probe's greeting is not the protocol's
    "capability-refused",  # ProtocolViolation: a probe's CAPABILITY was refused
    "unexpected",  # ProtocolViolation: a probe stopped on an error not foreseen (data: type)
    "connection-refused",  # Unreachable: the port refused the connection
    "no-route",  # Unreachable: no route, network down (data: detail)
    "greeting-refused",  # ServerBusy: BYE (or NO) as the greeting
    "no-greeting",  # TimedOut: connected, and no greeting came in time (data: encrypted)
    "in-use",  # ServerBusy: POP3 [IN-USE], another session has the mailbox
    "login-delay",  # ServerBusy: POP3 [LOGIN-DELAY]
    "temporary",  # ServerBusy: POP3 [SYS/TEMP] and the like
    "reply",  # SMTP: the reply code at a stage (data: stage)
    "mechanism",  # Refused: the server does not take this login method (SMTP 504)
    "login-not-ascii",  # Refused: a non-ASCII login or password, and no AUTH=PLAIN (IMAP)
    "line-too-long",  # ProtocolViolation (data: limit, in bytes)
    "item-too-big",  # ProtocolViolation: an announced literal over the limit (data: size, limit)
    "response-too-big",  # ProtocolViolation: more than `limit` bytes for one command
    "unexpected-tag",  # ProtocolViolation: an answer to a command not sent (data: line)
    "not-protocol",  # ProtocolViolation: the server does not speak it (data: line, stage)
    "early-success",  # ProtocolViolation: SMTP AUTH answered 235 before its exchange (data: stage)
    "unexpected-reply",  # ProtocolViolation: a positive SMTP reply where another was due
    "garbage",  # ProtocolViolation: a line that is not the protocol (server_text: it)
    "list-line",  # ProtocolViolation: a LIST line that cannot be read (server_text: the line;
    # data: problem, one of imap.names.LIST_PROBLEMS, size)
    "unparsable",  # ProtocolViolation: an answer the library could not parse
    "not-greeting",  # ProtocolViolation: a greeting that is not the protocol's
    "bad-bytes",  # ProtocolViolation: bytes that are not valid in an answer
    "too-much-data",  # ProtocolViolation: more than tuimail can hold
    "bad-search",  # ProtocolViolation: a search answer that is not IMAP (data: problem:
    # unreadable-set, impossible-set, too-many (limit), incomplete)
    "search-refused",  # Refused: the server refused a UID SEARCH
    "refused-to",  # Refused: the server refused a step (data: what, one of REFUSED_STEPS)
    "no-folder",  # Refused: no folder of that name here (data: folder)
    "folder-gone",  # Refused: the folder no longer exists on the server (data: folder)
    "renumbered",  # Refused: UIDVALIDITY changed: a queued change not applied (data: folder)
    "folder-changed",  # Refused: UIDVALIDITY changed while opening a message (data: folder)
    "message-missing",  # Refused: the message is no longer in the store
    "message-moving",  # Refused: the message is still being moved on the server
    "message-gone",  # Refused: the message is no longer on the server
    "cut-short-message",  # Refused: POP3 RETR gave the start only (no blank line, and
    # under half the size LIST gave)
    "unreadable-messages",  # Refused: messages of a folder the server could not send this
    # pass (a NO to their FETCH, or a BYE/closed connection; code and server_text: its
    # first one's; data: uids (up to 50), count); the next pass asks for them again
    "empty-message",  # Refused: a message sent empty (POP3 RETR "+OK" and nothing; IMAP BODY[] of
    # nothing for a message of some RFC822.SIZE)
    "unknown-action",  # Refused: a queued action of a kind this tuimail does not know (data: kind)
    "no-exists",  # ProtocolViolation: a SELECT/EXAMINE answer without EXISTS
    "bad-numbers",  # ProtocolViolation: a SELECT/EXAMINE answer whose numbers are not numbers
    "oauth",  # the authorization server refused or failed a step (data: step, one of
    # OAUTH_STEPS; code: its OAuth error code, server_text: its error_description)
    "sign-in",  # SignInError: the sign-in did not happen (code: access_denied,
    # expired_token, cancelled, timeout, no_refresh_token, or the server's OAuth code)
    "no-device-sign-in",  # Refused: the provider has no device sign-in
    "no-browser-sign-in",  # Refused: the provider has no browser sign-in
    "no-client",  # Refused: the account has no OAuth client_id or token endpoint (data: account)
    "no-access-token",  # ProtocolViolation: a token answer without an access_token
    "incomplete-answer",  # ProtocolViolation: a device sign-in answer lacking a field
    "not-json",  # ProtocolViolation: an HTTP answer that is not a JSON object (code: status)
    "token-rejected",  # AuthenticationFailed: the server refused the OAuth token (data:
    # login, and its error challenge's status and scope, "" when it sent none)
    "no-oauth",  # Refused: the server offers no OAuth login (data: offered, a list)
    "login-busy",  # ServerBusy: the mail server cannot log in now (OAuth login)
    "auth-command-refused",  # ProtocolViolation: the server did not take AUTHENTICATE (BAD)
    "local-store",  # the local store (SQLite) failed during the step; data: detail, full
    "other",  # anything else; data: detail (the library's or tuimail's own words)
)

# data["what"] of a "web" error: timeout, refused, lost, unreachable (detail), not-http
# (type), no-document (code: the HTTP status), cut-short, too-big (limit).
WEB_FAILURES = (
    "timeout",
    "refused",
    "lost",
    "unreachable",
    "not-http",
    "no-document",
    "cut-short",
    "too-big",
)

# data["step"] of an "oauth" error: what the authorization server was asked.
OAUTH_STEPS = ("device-start", "sign-in", "exchange", "renew")

# data["what"] of a "refused-to" error: the step the server refused.
REFUSED_STEPS = ("list-folders", "flag-changes", "headers", "change-flags")


class ProtocolViolation(PermanentError):
    """The peer broke the protocol. The connection it happened on is dropped before anything
    else is sent on it; a fresh connection may be tried later."""

    kind = "protocol"


class Refused(PermanentError):
    """The server refused this action (IMAP NO, POP3 -ERR, SMTP 5xx)."""

    kind = "refused"


def error_record(error: MailError) -> dict:
    """A typed error as plain data (JSON): what the outbox keeps on disk. Its class is
    kept as `kind`; `error_from_record` gives back an error of the same kind."""
    record = {
        "kind": error.kind,
        "protocol": error.protocol,
        "code": error.code,
        "enhanced": getattr(error, "enhanced", None),
        "server_text": error.server_text,
        "host": error.host,
    }
    if error.reason or error.data:
        record["reason"] = error.reason
        record["data"] = dict(error.data)
    return record


def error_from_record(record: dict) -> MailError:
    """The typed error a record (error_record) describes; an unknown kind is a MailError."""
    cls = _BY_KIND.get(str(record.get("kind", "")), MailError)
    code = record.get("code")
    kw = {
        "protocol": _str_or_none(record.get("protocol")),
        "code": code if isinstance(code, str | int) and not isinstance(code, bool) else None,
        "server_text": _str_or_none(record.get("server_text")),
        "host": _str_or_none(record.get("host")),
    }
    data = record.get("data")
    error = cls(
        reason=str(record.get("reason") or ""), data=data if isinstance(data, dict) else None, **kw
    )
    error.enhanced = _str_or_none(record.get("enhanced"))  # type: ignore[attr-defined]
    return error


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


_BY_KIND: dict[str, type[MailError]] = {
    cls.kind: cls
    for cls in (
        ConnectionLost,
        Unreachable,
        TimedOut,
        ServerBusy,
        AuthenticationFailed,
        SecurityFailure,
        ProtocolViolation,
        Refused,
        TransientError,
        PermanentError,
    )
}


@dataclass(frozen=True)
class Failure:
    """A typed failure and where it happened: what core hands out instead of a sentence.

    `error` is the typed failure (a MailError, or for a password source that failed, the
    secrets module's PasswordError); `folder` the folder it concerns ("" for the account);
    `action` what was being done (SYNC, LIST, FLUSH, OUTBOX, SEARCH, or a queued action's
    kind such as "move"). The words for people are made at the edge (tuimail.words)."""

    error: BaseException
    account: str = ""
    folder: str = ""
    action: str = ""
    item: str = ""  # which one, when the folder is not enough (a POP3 message number)


# Failure.action values core uses (a queued action's own kind is used as is).
SYNC = "sync"  # a folder (or the account) could not be synced
LIST = "list"  # the server listed a folder that cannot be read (server_text: the line)
FLUSH = "flush"  # a local change could not reach the server yet (it stays queued)
OUTBOX = "outbox"  # the outbox could not be sent now (it stays queued)
SEARCH = "search"  # the server search failed; the local one was used
RETR = "retr"  # POP3: the server refused to send one message (`item`: its number)
