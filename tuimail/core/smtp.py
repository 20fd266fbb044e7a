"""Submission over SMTP with aiosmtplib: TLS always (unless the account says plain).

`submit` runs one transaction and either returns which recipients took the message or
raises `SubmitError` whose `kind` tells the outbox what to do next:

- "temporary": 4xx or a network failure before the message could have been accepted
  (retry later);
- "permanent": 5xx, including 535 authentication failed (keep, needs the user);
- "security": the connection could not be encrypted or verified (nothing was sent,
  no password either);
- "maybe_sent": the connection was lost after the message data went out and before
  the server's reply: it may have been delivered, so it is never resent by itself
  (RFC 1047).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

import aiosmtplib
from aiosmtplib import errors as smtp_errors

from tuimail.core.account import Account
from tuimail.core.connect import TLSRequiredError, smtp_kwargs
from tuimail.core.errors import (
    MailError,
    ProtocolViolation,
    SecurityFailure,
    TimedOut,
    Unreachable,
    error_record,
)
from tuimail.core.mime.seven_bit import seven_bit
from tuimail.core.mime.utf8_headers import downgrade
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret
from tuimail.core.smtp_address import (
    AddressError,
    EnvelopeAddress,
    EnvelopePlan,
    envelope_address,
    plan_envelope,
)
from tuimail.core.smtp_client import Smtp
from tuimail.core.smtp_data import DataStalled
from tuimail.core.smtp_errors import classify_reply, classify_smtp
from tuimail.core.tls import CAFileError

Kind = Literal["temporary", "permanent", "security", "maybe_sent"]
DEFAULT_TIMEOUT = 60.0
log = logging.getLogger("tuimail.smtp")
EHLO_NAME = "[127.0.0.1]"  # do not tell the server the machine's host name


@dataclass
class SubmitResult:
    accepted: list[str]
    # address -> the server's reply ("550 5.1.1 ..."), or, refused here before sending,
    # the problem as data (AddressError.refusal(): {"problem", "detail"})
    refused: dict[str, str | dict] = field(default_factory=dict)
    reply: str = ""


# SubmitError.reason: which failure, as a key (never a sentence; tuimail.words says it).
REASONS = (
    "reply",  # the server refused with a reply (`error`: its code, enhanced code, words)
    "unreachable",  # no connection (`error`: the transport's typed failure)
    "security",  # the connection could not be secured (`error`: SecurityFailure)
    "lost",  # the connection was lost or timed out before the message went out
    "no-mechanism",  # no login method tuimail supports (data: offered)
    "no-login",  # the server offers no AUTH at all (setup verification)
    "login-failed",  # the login failed without a reply (`error`)
    "token-rejected",  # the OAuth token was refused (`error`; data: why)
    "sender-invalid",  # the sender cannot be sent (data: address, problem)
    "recipients-refused",  # nobody took it (`refused`: address -> reply or local reason)
    "maybe-sent",  # lost after the data went out: it may have been delivered
    "unexpected",  # a bug or an unforeseen error (data: type)
)


class SubmitError(Exception):
    """A failed submission.

    `kind` is what the outbox does next; `reason` which failure (a key of REASONS);
    `error` the typed failure (tuimail.core.smtp_errors) it was decided from, carrying
    the server's reply code, enhanced code and words, when there is one; `stage` the
    SMTP step ("connect", "EHLO", "AUTH", "MAIL FROM", "RCPT", "DATA", ...); `data` what
    a sentence needs (host, port, an address, the mechanisms offered). Sentences for
    people are made at the edge (tuimail.words.outbox.submit_failure) from `record()`.
    """

    def __init__(
        self,
        kind: Kind,
        reason: str,
        code: int | None = None,
        refused: dict[str, str | dict] | None = None,
        error: MailError | None = None,
        *,
        stage: str = "",
        data: dict | None = None,
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.error = error
        if code is None and error is not None and isinstance(error.code, int):
            code = error.code
        self.code = code
        self.refused = refused or {}
        self.stage = stage
        self.data = dict(data or {})

    def record(self) -> dict:
        """Plain data (JSON) for the outbox: reason, stage, data and the typed error."""
        return {
            "reason": self.reason,
            "stage": self.stage or None,
            "data": dict(self.data),
            "refused": dict(self.refused),
            "error": error_record(self.error) if self.error is not None else None,
        }

    def __str__(self) -> str:
        """A short record (logs, the doctor's report): the server's code and words and
        where; sentences for people are tuimail.words.outbox.submit_error."""
        parts = []
        error = self.error
        if error is not None and (error.code is not None or error.server_text):
            parts.append(" ".join(str(x) for x in (error.code, error.server_text) if x))
        elif error is not None:
            parts.append(str(error))  # its record: kind and reason
        if self.refused:
            parts.append("; ".join(f"{a}: {_refusal(r)}" for a, r in self.refused.items()))
        head = self.reason + (f" at {self.stage}" if self.stage else "")
        said = "; ".join(p for p in parts if p)
        return sanitize(f"{said} ({head})" if said else head)


def recipient_refusal(code: int, message: object) -> dict:
    """A recipient the server refused at RCPT, as data (the outbox keeps it): the reply
    code as an int and the server's words. The outbox decides from `code` alone whether
    the recipient is tried again (4xx) or refused for good."""
    return {"code": int(code), "server_text": _server_text(message)}


def refusal_code(value: object) -> int | None:
    """The reply code of a server's refusal (recipient_refusal), None for a recipient
    refused here before sending (smtp_address) or a record from an older tuimail."""
    code = value.get("code") if isinstance(value, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _refusal(value: str | dict) -> str:
    """A refused recipient's reason as a record (logs): the reply, or the problem key."""
    if isinstance(value, str):
        return value
    code = refusal_code(value)
    if code is not None:
        return f"{code} {value.get('server_text') or ''}".strip()
    return f"local: {value.get('problem')}"


def _kind(error: MailError) -> Kind:
    if isinstance(error, SecurityFailure):
        return "security"
    return "temporary" if error.retry else "permanent"


def _server_text(message: object) -> str:
    return sanitize(str(message or "").strip())


def _reply_error(stage: str, code: int, message: object, **kw) -> SubmitError:
    error = classify_reply(code, str(message or ""), stage)
    return SubmitError(_kind(error), "reply", code, error=error, stage=stage, **kw)


def _failure(stage: str, exc: BaseException, host: str, reason: str = "") -> SubmitError:
    """A non-reply failure (unreachable, lost, timed out, TLS) as a SubmitError, by the
    type of the typed error it is classified as."""
    error = classify_smtp(exc, stage, host=host)
    if not reason:
        if isinstance(error, SecurityFailure):
            reason = "security"
        elif isinstance(error, Unreachable):
            reason = "unreachable"
        else:
            reason = "lost"  # lost, timed out (a greeting that never came too)
    kind = "temporary" if reason in ("unreachable", "lost") else _kind(error)
    return SubmitError(kind, reason, error=error, stage=stage)


def _maybe_sent(exc: BaseException, refused: dict) -> SubmitError:
    """The connection failed after the message data went out: the server may well have
    taken the message (never retried as if it had not)."""
    error = classify_smtp(exc, "end of data")
    return SubmitError(
        "maybe_sent", "maybe-sent", refused=refused, error=error, stage="end of data"
    )


def _account_address(account: Account) -> str | None:
    """Where the outgoing server is when the account names its own DNS server
    (connect.account_address); a failure to find it is the connect stage's."""
    from tuimail.core.connect import account_address

    try:
        return account_address(account, account.outgoing)
    except MailError as exc:
        failed = _failure("connect", exc, account.outgoing.host)
        failed.data.update(_where(account))
        raise failed from exc


def _where(account: Account) -> dict:
    return {"host": account.outgoing.host, "port": account.outgoing.port}


def _where_text(account: Account) -> str:
    return f"{account.outgoing.host} port {account.outgoing.port}"


async def submit(
    account: Account,
    password: Secret | None,
    sender: str,
    recipients: list[str],
    raw: bytes,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    before_data: Callable[[], None] | None = None,
    address: str | None = None,
    after_data: Callable[[list[str], dict], None] | None = None,
) -> SubmitResult:
    """Send `raw` (CRLF bytes) to `recipients`; raise SubmitError if nobody took it, or
    a "maybe_sent" one when a later SMTPUTF8 transaction's answer was unclear after an
    earlier one was taken (`data["accepted"]`: who has it; `after_data` told already).

    `before_data` is called right before DATA (the outbox records it durably);
    `after_data(accepted, refused)` as soon as the server's reply to the data took it
    (once per transaction), before QUIT: what QUIT does, or an interruption while it is
    in flight, never makes a delivered message look "maybe sent".
    `address`: the IP to connect to when the caller resolved the host itself
    (`tuimail doctor --nameserver`); the certificate is still checked against the host.
    """
    try:
        async with _connection(account, timeout, address) as smtp:
            await _login(smtp, account, password)
            result = await _transaction(smtp, sender, recipients, raw, before_data, after_data)
    except SubmitError as exc:
        log.warning("SMTP %s: %s (%s)", _where_text(account), exc, exc.kind)
        raise
    log.info("SMTP %s took the message: %s", _where_text(account), result.reply)
    return result


async def check_login(
    account: Account,
    password: Secret,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    address: str | None = None,
) -> str:
    """Connect under the TLS policy and log in with the one SMTP login (one AUTH), then
    QUIT; nothing is sent. Returns the mechanism; raises SubmitError (`.error` typed)."""
    async with _connection(account, timeout, address) as smtp:
        try:
            await smtp.ehlo()
            if not smtp.supports_extension("auth"):
                _no_auth_before_starttls(smtp, account)
                raise SubmitError("permanent", "no-login", stage="EHLO")
            return await smtp_login(smtp, account.login, password)
        except smtp_errors.SMTPException as exc:
            if isinstance(exc, smtp_errors.SMTPResponseException):
                raise _reply_error("EHLO", exc.code, exc.message) from exc
            raise _failure("EHLO", exc, account.outgoing.host) from exc


@asynccontextmanager
async def _connection(
    account: Account, timeout: float, address: str | None
) -> AsyncIterator[aiosmtplib.SMTP]:
    """A connection to the outgoing server under the account's TLS policy (greeting,
    EHLO and STARTTLS done), closed with QUIT afterwards. `address`: the IP to connect
    to (else the account's own DNS server's answer, else the host name); the certificate
    is checked against the host all the same. Every SubmitError raised, here or inside,
    carries the host and port in its data."""
    settings = account.outgoing
    try:
        kwargs = smtp_kwargs(settings, account.ca_file, timeout)
    except CAFileError as exc:  # the account's configuration: permanent, never retried
        failed = _failure("connect", exc, settings.host, "security")
        failed.data.update(_where(account))
        raise failed from exc
    if settings.security == "plain":
        kwargs["use_tls"] = False
        kwargs["start_tls"] = False
    if address is None:
        address = _account_address(account)
    if address is not None:
        try:
            sock = socket.create_connection((address, settings.port), timeout=timeout)
        except OSError as exc:
            failed = _failure("connect", exc, settings.host, "unreachable")
            failed.data.update(_where(account))
            raise failed from exc
        sock.setblocking(False)
        kwargs["sock"], kwargs["port"] = sock, None
    smtp = Smtp(**kwargs, local_hostname=EHLO_NAME)
    where = _where_text(account)
    try:
        log.debug("SMTP connecting to %s (%s)", where, settings.security)
        await _connect(smtp, account, where)
        log.debug("SMTP connected to %s", where)
        yield smtp
    except SubmitError as exc:
        for key, value in _where(account).items():
            exc.data.setdefault(key, value)
        raise
    except (asyncio.CancelledError, KeyboardInterrupt):
        smtp.close()  # interrupted: closed at once, no QUIT to wait for
        raise
    finally:
        if smtp.is_connected:
            try:
                await smtp.quit(timeout=5)
            except (smtp_errors.SMTPException, OSError):
                smtp.close()
            except BaseException:  # interrupted (Ctrl-C, the app quitting): no socket left
                smtp.close()
                raise


async def _connect(smtp: aiosmtplib.SMTP, account: Account, where: str) -> None:
    host = account.outgoing.host
    try:
        await smtp.connect()  # the context compares a pin inside the handshake
    except smtp_errors.SMTPConnectResponseError as exc:
        raise _reply_error("greeting", exc.code, exc.message) from exc
    except (ssl.SSLError, TLSRequiredError) as exc:
        raise _failure("connect", exc, host, "security") from exc
    except (smtp_errors.SMTPConnectError, smtp_errors.SMTPTimeoutError, OSError) as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ssl.SSLError):
            raise _failure("connect", cause, host, "security") from exc
        failed = _failure("connect", exc, host)
        if isinstance(exc, smtp_errors.SMTPConnectTimeoutError) and isinstance(
            cause, smtp_errors.SMTPTimeoutError
        ):  # connected, and the greeting never came (aiosmtplib's own cause)
            error = failed.error
            if isinstance(error, TimedOut) and not error.reason:
                error.reason = "no-greeting"
                error.data["encrypted"] = account.outgoing.security == "tls"
        raise failed from exc
    except smtp_errors.SMTPResponseException as exc:  # EHLO / STARTTLS refused
        if account.outgoing.security != "starttls":
            raise _reply_error("EHLO", exc.code, exc.message) from exc
        refused = _reply_error("STARTTLS", exc.code, exc.message)
        refused.kind = "security"  # whatever the code: nothing is sent unencrypted
        raise refused from exc
    except smtp_errors.SMTPException as exc:
        error = classify_smtp(exc, "EHLO", host=host)
        reason = "security" if isinstance(error, SecurityFailure) else "lost"
        raise SubmitError(_kind(error), reason, error=error, stage="EHLO") from exc


# Preference order of the one mechanism tried (all need TLS, which the policy ensures).
MECHANISMS = ("plain", "login", "cram-md5")


async def _login(smtp: aiosmtplib.SMTP, account: Account, password: Secret | None) -> None:
    if password is None:
        return
    try:
        await smtp.ehlo()
    except smtp_errors.SMTPResponseException as exc:
        raise _reply_error("EHLO", exc.code, exc.message) from exc
    except (smtp_errors.SMTPServerDisconnected, smtp_errors.SMTPTimeoutError, OSError) as exc:
        raise _failure("EHLO", exc, account.outgoing.host, "lost") from exc
    if not smtp.supports_extension("auth"):
        _no_auth_before_starttls(smtp, account)
        return  # the server takes mail without AUTH (e.g. trusted network)
    await smtp_login(smtp, account.login, password)


def _no_auth_before_starttls(smtp: aiosmtplib.SMTP, account: Account) -> None:
    """Raise a security SubmitError when an unencrypted connection (security = "plain")
    offers no AUTH but STARTTLS: the server logs in only after STARTTLS (Postfix's
    smtpd_tls_auth_only), so sending without a login there only meets a refusal."""
    if account.outgoing.security == "plain" and smtp.supports_extension("starttls"):
        host = account.outgoing.host
        error = SecurityFailure(
            reason="login-disabled", protocol="smtp", host=host, data={"encrypted": False}
        )
        raise SubmitError("security", "security", error=error, stage="EHLO")


async def smtp_login(smtp: aiosmtplib.SMTP, login: str, password: Secret) -> str:
    """The one SMTP login (outbox, setup verification, doctor): exactly one AUTH command
    with the first mechanism in MECHANISMS the server offers; a rejection (535) is raised,
    never followed by another mechanism (aiosmtplib's `login()` would try each in turn).
    Returns the mechanism used. An OAuth account's BearerToken goes out with OAUTHBEARER
    or XOAUTH2 instead, renewed once and tried once more when the server rejects it."""
    from tuimail.core.secrets import BearerToken

    if isinstance(password, BearerToken):
        return await _bearer_login(smtp, login, password)
    offered = [m.lower() for m in smtp.supported_auth_methods]
    mechanism = next((m for m in MECHANISMS if m in offered), None)
    if mechanism is None:
        # What the server advertised (aiosmtplib's supported_auth_methods keeps only the
        # ones it implements: a server offering GSSAPI NTLM was said to offer "none").
        advertised = [str(m).upper()[:40] for m in smtp.server_auth_methods[:20]]
        raise SubmitError("permanent", "no-mechanism", stage="AUTH", data={"offered": advertised})
    method = getattr(smtp, "auth_" + mechanism.replace("-", ""))
    try:
        log.debug("SMTP > AUTH %s (as %s)", mechanism.upper(), login)
        await method(login, password.reveal())
        log.debug("SMTP < authenticated")
    except smtp_errors.SMTPResponseException as exc:
        raise _reply_error("AUTH", exc.code, exc.message) from exc
    except (smtp_errors.SMTPServerDisconnected, smtp_errors.SMTPTimeoutError, OSError) as exc:
        raise _failure("AUTH", exc, str(getattr(smtp, "hostname", "") or ""), "lost") from exc
    except smtp_errors.SMTPException as exc:
        error = classify_smtp(exc, "AUTH")
        raise SubmitError("permanent", "login-failed", error=error, stage="AUTH") from exc
    return mechanism.upper()


async def _bearer_login(smtp: aiosmtplib.SMTP, login: str, token: Secret) -> str:
    from tuimail.core.oauth2.auth import TokenRejected, smtp_authenticate
    from tuimail.core.oauth2.tokens import with_bearer_async

    host = str(getattr(smtp, "hostname", "") or "")
    port = int(getattr(smtp, "port", 0) or 0)

    async def attempt(current: Secret) -> str:
        log.debug("SMTP > AUTH (OAuth, as %s)", login)
        return await smtp_authenticate(smtp, login, current, host=host, port=port)

    try:
        mechanism = await with_bearer_async(token, attempt)
    except TokenRejected as exc:
        challenge = {k: exc.data.get(k) for k in ("status", "scope") if exc.data.get(k)}
        raise SubmitError(
            "permanent",
            "token-rejected",
            exc.code if isinstance(exc.code, int) else None,
            error=exc,
            stage="AUTH",
            data=challenge or None,
        ) from exc
    except MailError as exc:  # not signed in / revoked, busy, lost, no OAuth offered
        reason = "security" if isinstance(exc, SecurityFailure) else "login-failed"
        raise SubmitError(_kind(exc), reason, error=exc, stage="AUTH") from exc
    log.debug("SMTP < authenticated")
    return mechanism


async def _transaction(
    smtp: aiosmtplib.SMTP,
    sender: str,
    recipients: list[str],
    raw: bytes,
    before_data: Callable[[], None] | None,
    after_data: Callable[[list[str], dict], None] | None = None,
) -> SubmitResult:
    lost = (smtp_errors.SMTPServerDisconnected, smtp_errors.SMTPTimeoutError, OSError)
    try:
        if smtp.last_ehlo_response is None:
            await smtp.ehlo()
    except smtp_errors.SMTPResponseException as exc:
        raise _reply_error("EHLO", exc.code, exc.message) from exc
    except lost as exc:
        raise _failure("EHLO", exc, "", "lost") from exc
    log.debug("SMTP < EHLO extensions: %s", ",".join(sorted(smtp.esmtp_extensions)))
    try:
        plan = plan_envelope(
            sender, recipients, server_smtputf8=smtp.supports_extension("smtputf8")
        )
    except AddressError as exc:
        raise SubmitError(
            "permanent",
            "sender-invalid",
            stage="MAIL FROM",
            data={"address": sanitize(sender), "problem": exc.problem, "detail": exc.detail},
        ) from exc
    refused: dict[str, str | dict] = dict(plan.refused)
    batches = _batches(plan, raw, eight_bit=smtp.supports_extension("8bitmime"))
    accepted: list[str] = []
    reply = ""

    def taken(batch_accepted: list[str], batch_refused: dict) -> None:
        if after_data is not None:  # with the refusals so far (here, an earlier batch)
            after_data(batch_accepted, {**refused, **batch_refused})

    for number, (batch, smtputf8, data) in enumerate(batches):
        try:
            result = await _send_batch(smtp, plan.sender, batch, data, smtputf8, before_data, taken)
        except SubmitError as exc:
            if number == 0 and len(batches) > 1 and exc.reason == "recipients-refused":
                refused.update(exc.refused)  # the other batch may still go
                await _reset(smtp)
                continue
            if not accepted:
                exc.refused = {**refused, **exc.refused}
                if exc.reason == "recipients-refused":
                    exc.data["local"] = bool(plan.refused)
                raise
            if exc.kind == "maybe_sent":
                # Some recipients already took it and this batch's data went out without a
                # clear answer: this batch may have it too. Never a refusal (a 4xx would be
                # sent again by itself: twice); after_data has recorded the earlier batch.
                exc.refused = {**refused, **exc.refused}
                exc.data["accepted"] = list(accepted)
                raise
            # Some recipients already took it: the rest are refused with this failure
            # (a 4xx stays in the outbox and is tried again; nothing is sent twice).
            # A code outside 400..599 is no reply code (aiosmtplib's -1 for an answer that
            # is not SMTP): the server's fault, tried again (421), never shown as "-1".
            code = exc.code if exc.code is not None and 400 <= exc.code <= 599 else None
            violation = isinstance(exc.error, ProtocolViolation)
            if code is None:
                code = 421 if exc.kind == "temporary" or violation else 554
            said = exc.error.server_text if exc.error is not None else ""
            why = recipient_refusal(code, said or ("" if violation else str(exc)))
            refused.update({a.original: exc.refused.get(a.original, why) for a in batch})
            break
        accepted += result.accepted
        refused.update(result.refused)
        reply = result.reply
        if number + 1 < len(batches):
            await _reset(smtp)
    return SubmitResult(accepted, refused, reply)


def _batches(
    plan: EnvelopePlan, raw: bytes, *, eight_bit: bool
) -> list[tuple[list[EnvelopeAddress], bool, bytes]]:
    """The transactions one message needs: (recipients, SMTPUTF8?, the bytes to send).

    SMTPUTF8 and raw UTF-8 headers (RFC 6531/6532) only for recipients whose address needs
    them; everyone else gets the headers in ASCII without SMTPUTF8 (RFC 6857 style), as a
    next hop without SMTPUTF8 (Dovecot's LMTP behind Postfix) bounces a message that asked
    for it. Without `eight_bit` (the server offers no 8BITMIME) those copies are 7-bit data
    (RFC 6152 section 3: the same message in quoted-printable/base64, headers downgraded
    on the way; the outbox and Sent keep the original); the SMTPUTF8 copy goes as it is.
    """
    needs = [r for r in plan.recipients if r.needs_smtputf8]
    plain = [r for r in plan.recipients if not r.needs_smtputf8]
    if plan.smtputf8 and (not plain or envelope_address(plan.sender).needs_smtputf8):
        return [(plan.recipients, True, raw)]  # a UTF-8 sender: every copy needs it
    ascii_form = downgrade(raw) if eight_bit else seven_bit(raw)
    batches = [(plain, False, ascii_form)] if plain else []
    if needs:  # only when the server offers SMTPUTF8 (else they were refused)
        batches.append((needs, True, raw))
    return batches or [([], False, ascii_form)]


async def _reset(smtp: aiosmtplib.SMTP) -> None:
    """RSET between two transactions on one connection (a lost one shows at MAIL FROM)."""
    try:
        await smtp.rset()
    except (smtp_errors.SMTPException, OSError):
        pass


async def _send_batch(
    smtp: aiosmtplib.SMTP,
    sender: str,
    recipients: list[EnvelopeAddress],
    raw: bytes,
    smtputf8: bool,
    before_data: Callable[[], None] | None,
    after_data: Callable[[list[str], dict], None] | None = None,
) -> SubmitResult:
    """One MAIL FROM / RCPT TO / DATA transaction; raises SubmitError when nobody
    took the message."""
    lost = (smtp_errors.SMTPServerDisconnected, smtp_errors.SMTPTimeoutError, OSError)
    options = ["SMTPUTF8"] if smtputf8 else []
    if not raw.isascii() and smtp.supports_extension("8bitmime"):
        options.append("BODY=8BITMIME")  # RFC 6152: 8-bit data is declared as such
    encoding = "utf-8" if smtputf8 else "ascii"
    log.debug("SMTP > MAIL FROM:<%s> %s", sender, " ".join(options))
    try:
        await smtp.mail(sender, options=options, encoding=encoding)
    except smtp_errors.SMTPResponseException as exc:
        raise _reply_error("MAIL FROM", exc.code, exc.message) from exc
    except lost as exc:
        raise _failure("MAIL FROM", exc, "", "lost") from exc

    accepted: list[str] = []
    refused: dict[str, str | dict] = {}
    temporary = False
    for address in recipients:
        rcpt = address.original
        try:
            log.debug("SMTP > RCPT TO:<%s>", address.wire)
            await smtp.rcpt(address.wire, encoding=encoding)
            accepted.append(rcpt)
        except smtp_errors.SMTPResponseException as exc:
            if not 400 <= exc.code <= 599:
                # Not a refusal: aiosmtplib's -1 for an answer that is not SMTP or too
                # long to hold ("-1 Response too long" was recorded as the recipient's
                # refusal), or a positive code where only a failure raises. The server's
                # fault for the whole transaction, as at MAIL FROM.
                raise _reply_error("RCPT", exc.code, exc.message, refused=refused) from exc
            refused[rcpt] = recipient_refusal(exc.code, exc.message)
            temporary = temporary or 400 <= exc.code < 500
        except lost as exc:
            raise _failure("RCPT", exc, "", "lost") from exc
    if not accepted:
        raise SubmitError(
            "temporary" if temporary else "permanent",
            "recipients-refused",
            refused=refused,
            stage="RCPT",
            data={"local": False},
        )

    # Know whether the message data itself went out: after that, a lost connection
    # means "may have been delivered".
    data_sent = False
    protocol = smtp.protocol
    original_write = protocol.write

    def write(data: bytes) -> None:
        nonlocal data_sent
        if data != b"DATA\r\n":
            data_sent = True
        original_write(data)

    if before_data is not None:
        before_data()
    protocol.write = write  # type: ignore[method-assign]
    try:
        log.debug("SMTP > DATA (%d bytes, not logged)", len(raw))
        response = await smtp.data(raw)
    except smtp_errors.SMTPResponseException as exc:
        if data_sent and not 200 <= exc.code < 600:
            # No reply code at all (aiosmtplib's -1: a garbled or over-long answer)
            # after the data went out: the server may well have taken the message.
            raise _maybe_sent(exc, refused) from exc
        raise _reply_error(
            "end of data" if data_sent else "DATA", exc.code, exc.message, refused=refused
        ) from exc
    except DataStalled as exc:  # its end never went out: sent again later, sent once
        raise _failure("DATA", exc, "", "lost") from exc
    except lost as exc:
        if data_sent:
            raise _maybe_sent(exc, refused) from exc
        raise _failure("DATA", exc, "", "lost") from exc
    finally:
        if getattr(protocol, "write", None) is write:
            protocol.write = original_write  # type: ignore[method-assign]
    if after_data is not None:  # taken: recorded before anything else can interrupt
        after_data(list(accepted), dict(refused))
    return SubmitResult(accepted, refused, f"{response.code} {_server_text(response.message)}")
