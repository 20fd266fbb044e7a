"""The bundled SMTP submission server (aiosmtpd), which never relays anything.

Two ports: STARTTLS (587-style; nothing but EHLO/NOOP/QUIT/STARTTLS before TLS, AUTH
offered and accepted only after it) and implicit TLS (465-style). AUTH PLAIN or LOGIN is
required before MAIL. Recipients in a local domain that are not users get 550 at RCPT.
A message for a local user goes into their INBOX at once; a message
for anyone else is only recorded in `outbound` as (mail_from, rcpt, raw). The bytes of a
message are kept exactly as received (after SMTP dot-unstuffing); a local delivery only
gets trace headers put in front, as a real receiving server does (testserver/mailauth.py):
  Received (the delivery hop, "with LMTP", by imap.<domain>)
  Authentication-Results (spf, dkim per signature, dmarc, computed against the zone of
                          the bundled DNS server; results already carrying this server's
                          authserv-id are removed first, RFC 8601 5)
  DKIM-Signature (when the From domain is local and the sender logged in; selector "test",
                  the key published in the DNS zone)
  Received (the submission hop: "with ESMTPSA" after STARTTLS or on the TLS port)
`outbound` and `accepted` keep the bytes as the client sent them.
SMTPUTF8 (RFC 6531) is offered unless `smtputf8=False` (then aiosmtpd refuses UTF-8 in
MAIL/RCPT with 500); `accepted` records the MAIL options (SMTPUTF8 or not) of each message.

Under the `no_starttls` / `strip_starttls` faults the STARTTLS port behaves like a server
without TLS (or one behind a stripping attacker): AUTH is offered and accepted in
plaintext, so a test can see, in `auth_log`, whether a client sent its password in clear.
Under `no_reply_after_data` the message is delivered but the connection is closed
instead of the 250 (the client cannot know: the case that causes duplicates); under
`swallow` the client gets 250 and nothing is delivered. `accepted` lists every message
answered with 250 (or about to be) with its envelope, login and whether TLS was on.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import ssl
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

from testserver import sasl_oauth
from testserver.dns import DNSServer
from testserver.faults import Fault, FaultPlan, find
from testserver.mailauth import DkimSigner, evaluate, from_domain, strip_results
from testserver.mailstore import MailStore, StoreError

STAGES = ("CONNECT", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "EOD")

# aiosmtpd warns on every AUTH about its own deprecated attribute; keep real errors only.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass(frozen=True)
class AuthAttempt:
    """One AUTH the server saw (never the password)."""

    login: str
    success: bool
    tls: bool
    port: str  # "tls" | "starttls"


@dataclass(frozen=True)
class Submission:
    """One message the server accepted (250 after DATA)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    login: str | None
    tls: bool
    port: str
    delivered: bool  # False under the `swallow` fault
    mail_options: tuple[str, ...] = ()


def _reply(fault: Fault) -> str:
    code = fault.code or 451
    text = fault.message or ("Temporary failure" if code < 500 else "Permanent failure")
    return f"{code} {text}"


class _Session(SMTP):
    """One connection: aiosmtpd's SMTP plus the faults chosen for it."""

    line_length_limit = 1 << 16  # lenient, as Postfix is with over-long lines

    def __init__(self, owner: SMTPServer, port: str, faults: list[Fault], **kwargs) -> None:
        self.owner = owner
        self.port_name = port
        self.faults = faults
        self.sent = 0
        self.greeted = False
        self.close_instead_of_reply = False
        super().__init__(owner.handler, **kwargs)
        self._smtp_methods = {
            name: self._with_faults(name, method) for name, method in self._smtp_methods.items()
        }

    @property
    def is_tls(self) -> bool:
        return self.port_name == "tls" or self._tls_protocol is not None

    async def auth_OAUTHBEARER(self, _server, args: list[str]) -> AuthResult:
        return await self._auth_oauth("OAUTHBEARER", args)

    async def auth_XOAUTH2(self, _server, args: list[str]) -> AuthResult:
        return await self._auth_oauth("XOAUTH2", args)

    async def _auth_oauth(self, mechanism: str, args: list[str]) -> AuthResult:
        """A bearer token (offered only when the server runs its OAuth server); a bad one
        gets the error challenge, then 535 5.7.8."""
        if len(args) == 1:
            data = await self.challenge_auth("")
            if data is MISSING:
                return AuthResult(success=False, handled=True)
        else:
            try:
                data = base64.b64decode("" if args[1] == "=" else args[1], validate=True)
            except ValueError:
                await self.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        owner = self.owner
        login, _why = sasl_oauth.check(owner.store.tokens, mechanism, data)
        owner.auth_log.append(
            AuthAttempt(login or "", login is not None, self.is_tls, self.port_name)
        )
        if login is None:
            answer = await self.challenge_auth(
                sasl_oauth.error_challenge(mechanism, owner.store.oauth_issuer)
            )
            if answer is MISSING:
                return AuthResult(success=False, handled=True)
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=login)

    def _with_faults(self, name: str, method):
        async def run(arg):
            if find(self.faults, "drop", name):
                self._close()
                return
            if find(self.faults, "bye", name):
                await self.push("421 4.3.2 Service shutting down, closing channel")
                self._close()
                return
            await method(arg)

        return run

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # -- the connection --------------------------------------------------------------

    def eof_received(self) -> bool | None:
        # The client closed a silent session (it gave up): counted, and closed here too
        # (aiosmtpd would keep a plain connection half-open).
        silent = find(self.faults, "silent")
        if silent is None:
            return super().eof_received()
        self._silent_counted = True
        silent.abandoned += 1
        super().eof_received()
        return False

    def connection_lost(self, error: Exception | None) -> None:
        # A TLS client's close ends here without an EOF of its own.
        silent = find(self.faults, "silent")
        if silent is not None and not getattr(self, "_silent_counted", False):
            self._silent_counted = True
            silent.abandoned += 1
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        if find(self.faults, "silent"):
            with contextlib.suppress(Exception):
                while await self._reader.read(4096):
                    pass
            return
        bye = next((f for f in self.faults if f.kind == "bye" and not f.command), None)
        connect = self._stage_fault("CONNECT")
        if bye or connect:
            text = "421 4.3.2 Service not available, closing channel"
            await self.push(_reply(connect) if connect else text)
            self._close()
            return
        await super()._handle_client()

    async def push(self, status) -> None:
        data = status.encode("utf-8") if isinstance(status, str) else bytes(status)
        if self.close_instead_of_reply:
            self._close()
            return
        if data.startswith(b"220 Ready to start TLS"):
            inject = find(self.faults, "inject_before_starttls")
            if inject:
                await self._write(inject.data)
            await self._write(data + b"\r\n")
            inject = find(self.faults, "inject_after_starttls")
            if inject:
                await self._write(inject.data)
            if find(self.faults, "starttls_fail"):
                self._close()
                raise asyncio.CancelledError
            return
        await self._write(data + b"\r\n")

    async def _write(self, data: bytes) -> None:
        delay = find(self.faults, "delay")
        if delay:
            await asyncio.sleep(delay.delay)
        drop = find(self.faults, "drop")
        if drop and drop.after_bytes is not None and self.sent + len(data) >= drop.after_bytes:
            self._writer.write(data[: max(0, drop.after_bytes - self.sent)])
            self._close()
            raise asyncio.CancelledError
        self.sent += len(data)
        drip = find(self.faults, "drip")
        if drip:
            step = max(1, drip.chunk)
            for i in range(0, len(data), step):
                self._writer.write(data[i : i + step])
                await self._writer.drain()
                await asyncio.sleep(drip.delay)
            return
        self._writer.write(data)
        await self._writer.drain()

    def _stage_fault(self, stage: str, address: str | None = None) -> Fault | None:
        for fault in self.faults:
            if fault.kind != "reply" or (fault.command or "").upper() != stage:
                continue
            if stage == "RCPT" and fault.match and address is not None:
                if fault.match.strip("<>").lower() != address.strip("<>").lower():
                    continue
            return fault
        return None

    # -- commands whose faults aiosmtpd has no hook for ------------------------------

    async def smtp_STARTTLS(self, arg: str):
        if find(self.faults, "no_starttls"):
            await self.push("454 4.7.0 TLS not available")
            return
        await super().smtp_STARTTLS(arg)

    async def smtp_DATA(self, arg: str) -> None:
        fault = self._stage_fault("DATA")
        if fault and self.envelope is not None and self.envelope.rcpt_tos:
            await self.push(_reply(fault))
            return
        await super().smtp_DATA(arg)


class _Handler:
    """aiosmtpd hooks: faults at each stage, authentication, delivery."""

    def __init__(self, owner: SMTPServer) -> None:
        self.owner = owner

    async def handle_EHLO(self, server: _Session, session, envelope, hostname, responses):
        fault = server._stage_fault("EHLO")
        if fault:
            return [_reply(fault)]
        session.host_name = hostname
        if any(find(server.faults, k) for k in ("no_starttls", "strip_starttls")):
            responses = [r for r in responses if r[4:].upper() != "STARTTLS"]
        if find(server.faults, "no_auth"):
            responses = [r for r in responses if not r[4:].upper().startswith("AUTH ")]
        mechanisms = find(server.faults, "auth_mechanisms")
        if mechanisms or find(server.faults, "oauth_only"):
            offered = mechanisms.data.decode("ascii", "replace") if mechanisms else ""
            offered = offered or "XOAUTH2 OAUTHBEARER"
            responses = [
                f"{r[:4]}AUTH {offered}" if r[4:].upper().startswith("AUTH ") else r
                for r in responses
            ]
        return [r[:3] + "-" + r[4:] for r in responses[:-1]] + [responses[-1]]

    async def handle_AUTH(self, server: _Session, session, envelope, args):
        fault = server._stage_fault("AUTH")
        if fault:
            return _reply(fault)
        oauth = bool(args) and args[0].upper() in ("XOAUTH2", "OAUTHBEARER")
        if find(server.faults, "oauth_only") and not oauth:
            return "504 5.5.4 Password logins are disabled here: use OAUTHBEARER or XOAUTH2"
        return MISSING

    async def handle_MAIL(self, server: _Session, session, envelope, address, options):
        fault = server._stage_fault("MAIL")
        if fault:
            return _reply(fault)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server: _Session, session, envelope, address, options):
        fault = server._stage_fault("RCPT", address)
        if fault:
            return _reply(fault)
        if self.owner.is_local_domain(address) and self.owner.store.find_recipient(address) is None:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: _Session, session, envelope):
        raw = envelope.original_content or b""
        fault = server._stage_fault("EOD")
        if fault:
            return _reply(fault)
        swallow = bool(find(server.faults, "swallow"))
        login = session.auth_data if isinstance(session.auth_data, str) else None
        self.owner.accepted.append(
            Submission(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                login=login,
                tls=server.is_tls,
                port=server.port_name,
                delivered=not swallow,
                mail_options=tuple(envelope.mail_options),
            )
        )
        if not swallow:
            try:
                copy = self.owner.trace(server, session, envelope, raw)
                self.owner.deliver(envelope.mail_from or "", envelope.rcpt_tos, raw, copy)
            except StoreError as exc:
                return f"452 4.3.1 {str(exc).splitlines()[0]}"
        if find(server.faults, "no_reply_after_data"):
            # Delivered, but the client never hears so: the case that makes duplicates.
            server.close_instead_of_reply = True
        return "250 2.0.0 Ok: queued"

    async def handle_exception(self, error: Exception) -> str:
        return "451 4.3.0 Internal server error"  # never a traceback or an exception text


class SMTPServer:
    """Submission on an implicit-TLS port and a STARTTLS port, on the caller's loop."""

    def __init__(
        self,
        store: MailStore,
        ssl_context: ssl.SSLContext,
        faults: FaultPlan | None = None,
        *,
        outbound: list | None = None,
        hostname: str = "smtp.example.test",
        local_domains: tuple[str, ...] | None = None,
        data_size_limit: int = 64 * 1024 * 1024,
        timeout: float = 300.0,
        smtputf8: bool = True,
        dns: DNSServer | None = None,
        dkim_domain: str | None = None,
    ) -> None:
        self.store = store
        self.ssl_context = ssl_context
        self.faults = faults or FaultPlan()
        self.outbound: list[tuple[str, str, bytes]] = outbound if outbound is not None else []
        self.accepted: list[Submission] = []
        self.auth_log: list[AuthAttempt] = []
        self.hostname = hostname
        self.local_domains = local_domains
        self.data_size_limit = data_size_limit
        self.timeout = timeout
        self.smtputf8 = smtputf8
        self.dns = dns
        self.signer = DkimSigner(dkim_domain) if dkim_domain else None
        self.handler = _Handler(self)
        self._servers: list[asyncio.base_events.Server] = []
        self._sessions: weakref.WeakSet[_Session] = weakref.WeakSet()

    # -- policy ----------------------------------------------------------------------

    def is_local_domain(self, address: str) -> bool:
        domain = address.rpartition("@")[2].strip("<>").lower()
        if self.local_domains is not None:
            return domain in self.local_domains
        return any(u.email.rpartition("@")[2] == domain for u in self.store.users())

    def deliver(
        self,
        mail_from: str,
        rcpt_tos: list[str],
        raw: bytes,
        local_copy: Callable[[str], bytes] | None = None,
    ) -> None:
        """Local users get `local_copy(rcpt)` (default: `raw`); others are recorded in
        `outbound` as sent."""
        for rcpt in rcpt_tos:
            user = self.store.find_recipient(rcpt)
            if user is not None:
                self.store.deliver(user.login, local_copy(rcpt) if local_copy else raw)
            else:
                self.outbound.append((mail_from, rcpt, raw))

    def trace(self, server: _Session, session, envelope, raw: bytes) -> Callable[[str], bytes]:
        """rcpt -> the bytes a local delivery of `raw` stores (see the module docstring)."""
        login = session.auth_data if isinstance(session.auth_data, str) else None
        signature = b""
        domain = from_domain(raw)
        if self.signer and login and domain and self.is_local_domain(f"x@{domain}"):
            signature = self.signer.signature(raw)
        body = raw
        if find(server.faults, "alter_body"):  # a footer added after signing (a list would)
            body += b"-- \r\nAdded after signing.\r\n"
        submitted = datetime.now(UTC).replace(microsecond=0)
        hold = find(server.faults, "hold")
        delivered = submitted + timedelta(seconds=hold.delay if hold else 0)
        peer = session.peer[0] if isinstance(session.peer, tuple) else "unknown"
        helo = session.host_name or "unknown"
        protocol = "ESMTP" + ("S" if server.is_tls else "") + ("A" if login else "")
        queue_id = secrets.token_hex(5).upper()
        txt = self.dns.txt if self.dns else (lambda _name: None)
        hosts = self.dns.hosts if self.dns else (lambda _name, _rtype: [])
        authserv_id = self.hostname
        body = strip_results(body, authserv_id)
        verdicts = evaluate(signature + body, peer, envelope.mail_from or "", txt, hosts)
        results = verdicts.header(authserv_id)
        imap_host = "imap." + self.hostname.partition(".")[2]

        def local_copy(rcpt: str) -> bytes:
            lmtp = (
                f"Received: from {self.hostname}\r\n\tby {imap_host} (tuimail test LMTP) "
                f"with LMTP id {queue_id}\r\n\tfor <{rcpt}>; {format_datetime(delivered)}\r\n"
            )
            smtp = (
                f"Received: from {helo} (unknown [{peer}])\r\n\tby {self.hostname} "
                f"(tuimail test ESMTP) with {protocol} id {queue_id}\r\n\tfor <{rcpt}>; "
                f"{format_datetime(submitted)}\r\n"
            )
            return lmtp.encode() + results + signature + smtp.encode() + body

        return local_copy

    def _authenticate(self, session: _Session, mechanism: str, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        user = self.store.authenticate(login, password)
        self.auth_log.append(
            AuthAttempt(login, user is not None, session.is_tls, session.port_name)
        )
        if user is None:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=user.login)

    # -- life cycle --------------------------------------------------------------------

    def _factory(self, port: str):
        loop = asyncio.get_running_loop()

        def make() -> _Session:
            faults = self.faults.for_connection("smtp", port)
            plaintext_auth = port == "starttls" and any(
                find(faults, k) for k in ("no_starttls", "strip_starttls")
            )
            with warnings.catch_warnings():
                # AUTH without STARTTLS on the implicit-TLS port is safe: TLS is already on.
                warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
                session = self._make_session(port, faults, plaintext_auth, loop)
            self._sessions.add(session)
            return session

        return make

    def _make_session(self, port, faults, plaintext_auth, loop) -> _Session:
        return _Session(
            self,
            port,
            faults,
            hostname=self.hostname,
            ident="tuimail test ESMTP",
            decode_data=False,
            enable_SMTPUTF8=self.smtputf8,
            data_size_limit=self.data_size_limit,
            timeout=self.timeout,
            tls_context=self.ssl_context if port == "starttls" else None,
            require_starttls=port == "starttls" and not plaintext_auth,
            auth_required=True,
            auth_require_tls=port == "starttls" and not plaintext_auth,
            authenticator=lambda srv, _s, _e, mech, data: self._authenticate(srv, mech, data),
            auth_exclude_mechanism=[]
            if self.store.tokens is not None
            else ["OAUTHBEARER", "XOAUTH2"],
            loop=loop,
        )

    async def start(self, host: str, port_tls: int = 0, port_starttls: int = 0) -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        tls = await loop.create_server(self._factory("tls"), host, port_tls, ssl=self.ssl_context)
        plain = await loop.create_server(self._factory("starttls"), host, port_starttls)
        self._servers = [tls, plain]
        return tls.sockets[0].getsockname()[1], plain.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for session in list(self._sessions):
            if session.transport is not None:
                with contextlib.suppress(Exception):
                    session.transport.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
        self._servers = []
