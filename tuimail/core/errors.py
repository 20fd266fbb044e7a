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
    ) -> None:
        super().__init__(message or server_text or self.kind)
        self.message = message
        self.protocol = protocol  # "imap", "pop3", "smtp", "http", "dns"
        self.code = code  # IMAP response code ("UNAVAILABLE"), SMTP reply code (535), ...
        self.server_text = server_text  # the server's own words, as received
        self.host = host

    def __str__(self) -> str:
        return self.message or self.server_text or self.kind

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, protocol={self.protocol!r}, "
            f"code={self.code!r}, server_text={self.server_text!r})"
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
    """Certificate, pin or TLS policy: stop, explain, never send a credential."""

    kind = "security"


class ProtocolViolation(PermanentError):
    """The peer broke the protocol. The connection it happened on is dropped before anything
    else is sent on it; a fresh connection may be tried later."""

    kind = "protocol"


class Refused(PermanentError):
    """The server refused this action (IMAP NO, POP3 -ERR, SMTP 5xx)."""

    kind = "refused"


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
