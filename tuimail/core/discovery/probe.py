"""Speak each protocol far enough to know a server works and how it is secured.

IMAP: greeting, CAPABILITY; POP3: greeting, CAPA; SMTP: greeting, EHLO. For STARTTLS
the capability must be advertised, the command accepted, no byte may be waiting before
the handshake, the certificate must verify, and the capabilities are asked again under
TLS (what was said in clear is thrown away). Probes never log in: login verification
uses the runtime's own logins (tuimail.core.discovery.verify).
"""

from __future__ import annotations

import socket
import ssl
import time

from tuimail.core.connect import (
    INJECTION_MESSAGE,
    PlaintextInjectionError,
    TLSRequiredError,
    ensure_nothing_pending,
    starttls_handshake,
)
from tuimail.core.discovery.model import Candidate, ProbeResult
from tuimail.core.discovery.resolver import DNSError, Resolver, connect_any
from tuimail.core.errors import (
    ConnectionLost,
    MailError,
    ProtocolViolation,
    Refused,
    SecurityFailure,
    ServerBusy,
    TimedOut,
    Unreachable,
)
from tuimail.core.net_errors import classify_transport
from tuimail.core.tls import mail_context, tls_reason

# OpenSSL verify codes: self-signed leaf, self-signed root in chain, unknown issuer.
UNTRUSTED_ISSUER_CODES = (18, 19, 20)
UNKNOWN_ISSUER = 20  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
# SecurityFailure reasons about the certificate itself (a pin could stand in for it)
CERTIFICATE_REASONS = ("untrusted", "expired", "not-yet-valid", "hostname", "certificate")

MAX_LINE = 65536
# One probe (greeting, capabilities, STARTTLS, capabilities again) reads at most this much
# and ends by PROBE_TIMEOUTS socket timeouts from its connection, however slowly a server
# trickles its lines or however many it sends: a probe thread reading for ever also held
# `tuimail detect` (and the app) open at exit, whatever detection's own time limit.
MAX_PROBE_BYTES = 1 << 20
PROBE_TIMEOUTS = 3

# What a server says in clear before TLS may come from anyone on the path: its words
# are not kept (a refused STARTTLS carries only its reply code). People read the typed
# reason worded at the edge (tuimail.detect_words); these are plain details, not sentences.
STARTTLS_MISSING = "TLS: starttls-missing"
STARTTLS_REFUSED = "TLS: starttls-refused"


class ProbeError(Exception):
    """The connection could not be secured: `reason` is the SecurityFailure reason
    (SECURITY_REASONS); the message is a plain detail. Every other failure of a probe is
    raised typed where it happens (TimedOut, ConnectionLost, Unreachable,
    ProtocolViolation, Refused, ServerBusy) and worded at the edge (tuimail.detect_words)."""

    def __init__(self, message: str, reason: str = "", code: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.code = code  # a refused STARTTLS's reply code (SMTP), never the words


class LineClient:
    """A tiny line-oriented client with an explicit buffer (so STARTTLS is exact).

    Bounded: `deadline` (time.monotonic(); None: only the socket's timeout per wait) ends
    every read after it with TimedOut, and more than MAX_PROBE_BYTES read in all is a
    ProtocolViolation (response-too-big)."""

    def __init__(self, sock: socket.socket, host: str, deadline: float | None = None) -> None:
        self.sock = sock
        self.host = host
        self.buffer = b""
        self.deadline = deadline
        self.received = 0

    def readline(self) -> bytes:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE:
                raise ProtocolViolation(reason="line-too-long", data={"limit": MAX_LINE})
            chunk = self._recv()
            if not chunk:
                raise ConnectionLost(reason="closed")
            self.received += len(chunk)
            if self.received > MAX_PROBE_BYTES:
                raise ProtocolViolation(reason="response-too-big", data={"limit": MAX_PROBE_BYTES})
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r")

    def _recv(self) -> bytes:
        """One recv, waiting no longer than the socket's timeout nor past the deadline."""
        if self.deadline is None:
            try:
                return self.sock.recv(4096)
            except TimeoutError:
                raise TimedOut() from None
        timeout = self.sock.gettimeout()
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimedOut()
        self.sock.settimeout(remaining if timeout is None else min(timeout, remaining))
        try:
            return self.sock.recv(4096)
        except TimeoutError:
            raise TimedOut() from None
        finally:
            self.sock.settimeout(timeout)

    def send(self, line: str | bytes) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.sock.sendall(data + b"\r\n")

    def start_tls(self, context: ssl.SSLContext, pin: str | None) -> None:
        if self.buffer:
            raise PlaintextInjectionError(INJECTION_MESSAGE)
        ensure_nothing_pending(None, self.sock)
        self.sock = starttls_handshake(self.sock, self.host, context, pin)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# -- per protocol ----------------------------------------------------------------------


def _imap_caps(client: LineClient, tag: str) -> list[str]:
    client.send(f"{tag} CAPABILITY")
    caps: list[str] = []
    while True:
        line = client.readline().decode("utf-8", "replace")
        if line.upper().startswith("* CAPABILITY "):
            caps = line[len("* CAPABILITY ") :].split()
        elif line.startswith(f"{tag} "):
            if not line[len(tag) + 1 :].upper().startswith("OK"):
                said = line[len(tag) + 1 :][:80]
                raise ProtocolViolation(reason="capability-refused", server_text=said)
            return [c.upper() for c in caps]


def _imap(client: LineClient, security: str, context, pin, inspect_only=False) -> list[str]:
    greeting = client.readline().decode("utf-8", "replace")
    if not greeting.upper().startswith(("* OK", "* PREAUTH")):
        raise ProtocolViolation(reason="not-server", protocol="imap", server_text=greeting[:60])
    caps = _imap_caps(client, "t1")
    if security == "starttls":
        if "STARTTLS" not in caps:
            raise ProbeError(STARTTLS_MISSING, "starttls-missing")
        client.send("t2 STARTTLS")
        line = client.readline().decode("utf-8", "replace")
        if not line.upper().startswith("T2 OK"):
            raise ProbeError(STARTTLS_REFUSED, "starttls-refused")
        client.start_tls(context, pin)
        if inspect_only:
            return []
        caps = _imap_caps(client, "t3")
    client.send("t9 LOGOUT")
    return caps


def imap_mechanisms(caps: list[str]) -> list[str]:
    mechs = [c[5:] for c in caps if c.startswith("AUTH=")]
    if "LOGINDISABLED" not in caps:
        mechs.append("LOGIN")
    return mechs


def _pop3_capa(client: LineClient) -> list[str]:
    client.send("CAPA")
    first = client.readline().decode("utf-8", "replace")
    if not first.startswith("+OK"):
        return []
    caps = []
    while True:
        line = client.readline().decode("utf-8", "replace")
        if line == ".":
            return caps
        caps.append(line.upper())


def _pop3(client: LineClient, security: str, context, pin, inspect_only=False) -> list[str]:
    greeting = client.readline().decode("utf-8", "replace")
    if not greeting.startswith("+OK"):
        raise ProtocolViolation(reason="not-server", protocol="pop3", server_text=greeting[:60])
    caps = _pop3_capa(client)
    if security == "starttls":
        if "STLS" not in caps:
            raise ProbeError(STARTTLS_MISSING, "starttls-missing")
        client.send("STLS")
        line = client.readline().decode("utf-8", "replace")
        if not line.startswith("+OK"):
            raise ProbeError(STARTTLS_REFUSED, "starttls-refused")
        client.start_tls(context, pin)
        if inspect_only:
            return []
        caps = _pop3_capa(client)
    client.send("QUIT")
    return caps


def pop3_mechanisms(caps: list[str]) -> list[str]:
    mechs: list[str] = []
    for cap in caps:
        if cap.startswith("SASL "):
            mechs += cap.split()[1:]
    if "USER" in caps or not caps:
        mechs.append("USER")
    return mechs


def _smtp_reply(client: LineClient) -> tuple[int, list[str]]:
    lines = []
    while True:
        line = client.readline().decode("utf-8", "replace")
        if len(line) < 3 or not line[:3].isdigit():
            raise ProtocolViolation(reason="not-server", protocol="smtp", server_text=line[:60])
        lines.append(line[4:])
        if len(line) == 3 or line[3] != "-":
            return int(line[:3]), lines


def _ehlo(client: LineClient) -> list[str]:
    client.send("EHLO tuimail.localhost")
    code, lines = _smtp_reply(client)
    if code != 250:
        said = " ".join(lines)[:80]
        raise Refused(reason="reply", data={"stage": "EHLO"}, code=code, server_text=said)
    return [line.upper() for line in lines[1:]]


def smtp_session(
    client: LineClient, security: str, context, pin, inspect_only: bool = False
) -> list[str]:
    """Greeting, EHLO and (when asked) STARTTLS; the EHLO keywords under TLS
    (`inspect_only`: stop right after the handshake, saying nothing more)."""
    code, lines = _smtp_reply(client)
    if code != 220:
        kind = ServerBusy if 400 <= code < 500 else Refused
        raise kind(reason="greeting-refused", protocol="smtp", code=code)
    caps = _ehlo(client)
    if security == "starttls":
        if "STARTTLS" not in caps:
            raise ProbeError(STARTTLS_MISSING, "starttls-missing")
        client.send("STARTTLS")
        code, lines = _smtp_reply(client)
        if code != 220:
            raise ProbeError(STARTTLS_REFUSED, "starttls-refused", code)
        client.start_tls(context, pin)
        if inspect_only:
            return []
        caps = _ehlo(client)
    return caps


def _smtp(client: LineClient, security: str, context, pin, inspect_only=False) -> list[str]:
    caps = smtp_session(client, security, context, pin, inspect_only)
    if inspect_only:
        return caps
    client.send("QUIT")
    return caps


def smtp_mechanisms(caps: list[str]) -> list[str]:
    for cap in caps:
        if cap.startswith("AUTH ") or cap.startswith("AUTH="):
            return cap[5:].split()
    return []


_SPEAKERS = {"imap": _imap, "pop3": _pop3, "smtp": _smtp}
_MECHANISMS = {"imap": imap_mechanisms, "pop3": pop3_mechanisms, "smtp": smtp_mechanisms}


def open_line_client(
    candidate: Candidate,
    resolver: Resolver,
    timeout: float,
    ca_file: str | None,
    pin: str | None = None,
    context: ssl.SSLContext | None = None,
) -> tuple[LineClient, ssl.SSLContext]:
    """TCP (+ implicit TLS) to the candidate's host, resolved through our resolver."""
    try:
        addresses = resolver.addresses(candidate.host, candidate.port, timeout)
    except DNSError as exc:
        if isinstance(exc, TimeoutError):
            raise TimedOut(reason="dns-timeout", protocol="dns", host=candidate.host) from None
        raise Unreachable(reason="dns", protocol="dns", host=candidate.host) from None
    if not addresses:
        raise no_such_host(candidate.host)
    context = context or mail_context(candidate.protocol, candidate.security, ca_file, pin)
    try:
        sock = connect_any(addresses, candidate.port, timeout)
    except OSError as exc:
        raise classify_transport(exc, candidate.protocol, candidate.host) from None
    sock.settimeout(timeout)
    client = LineClient(sock, candidate.host, time.monotonic() + timeout * PROBE_TIMEOUTS)
    if candidate.security == "tls":
        try:
            # The context checks the certificate (or the pin) and ALPN in the handshake.
            client.sock = context.wrap_socket(sock, server_hostname=candidate.host)
        except BaseException:
            sock.close()
            raise
    return client, context


def probe(
    candidate: Candidate,
    resolver: Resolver,
    *,
    timeout: float = 10.0,
    ca_file: str | None = None,
    pin: str | None = None,
) -> ProbeResult:
    """Try one candidate; never raises (the result says what went wrong)."""
    start = time.monotonic()
    client = None
    try:
        client, context = open_line_client(candidate, resolver, timeout, ca_file, pin)
        caps = _SPEAKERS[candidate.protocol](client, candidate.security, context, pin)
        mechs = _MECHANISMS[candidate.protocol](caps)
        detail = f"ok: {candidate.security}"  # plain: worded at the edge (detect_words)
        return ProbeResult(candidate, True, detail, caps, mechs, time.monotonic() - start)
    except Exception as exc:  # every failure is kept typed, worded at the edge
        failure = probe_failure(exc, candidate.protocol, candidate.host)
        result = ProbeResult(
            candidate, False, plain_failure(failure), [], [], time.monotonic() - start
        )
        result.failure = failure
        # Self-signed or from an unknown authority: detection may read the key afterwards,
        # in a handshake of its own (pin.read_pin), for the user to compare.
        result.untrusted_issuer = (
            getattr(exc, "verify_code", None) in UNTRUSTED_ISSUER_CODES and not pin
        )
        return result
    finally:
        if client is not None:
            client.close()


def security_failure(exc: BaseException) -> SecurityFailure | None:
    """The typed failure of a connection that could not be secured (its reason decided
    by the TLS classifier or the STARTTLS policy), None for any other failure."""
    if isinstance(exc, SecurityFailure):
        return exc
    if isinstance(exc, ProbeError):
        return SecurityFailure(reason=exc.reason, code=exc.code) if exc.reason else None
    if isinstance(exc, TLSRequiredError):
        return SecurityFailure(reason=exc.reason, data=exc.data, server_text=exc.server_text)
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        reason, data = tls_reason(exc)
        return SecurityFailure(reason=reason, data=data)
    return None


def plain_detail(failure: SecurityFailure) -> str:
    """Not a sentence: the typed reason and the library's or server's own words, kept
    only for a caller that shows no failure; people read `failure` worded at the edge
    (tuimail.detect_words)."""
    data = failure.data if isinstance(failure.data, dict) else {}
    extra = data.get("library") or failure.server_text
    return f"TLS: {failure.reason}" + (f" ({extra})" if extra else "")


def no_such_host(host: str, protocol: str | None = None) -> Unreachable:
    """A host name our resolver found no address for (NXDOMAIN or no A/AAAA)."""
    return Unreachable(reason="no-such-host", protocol=protocol, host=host)


def probe_failure(exc: BaseException, protocol: str, host: str) -> MailError:
    """The typed failure of a probe or a connection made for one: a SecurityFailure, a
    typed error raised by the probe, or the transport classifier's (tuimail.core.net_errors)."""
    failure = security_failure(exc) or classify_transport(exc, protocol, host)
    if failure is None:
        failure = ProtocolViolation(reason="unexpected", data={"type": type(exc).__name__})
        failure.__cause__ = exc
    if not failure.protocol:
        failure.protocol = protocol
    if not failure.host:
        failure.host = host
    return failure


def plain_failure(failure: MailError) -> str:
    """Not a sentence: the failure's kind and core's short message, for logs and callers
    that show no failure; people read `failure` worded at the edge (tuimail.detect_words)."""
    if isinstance(failure, SecurityFailure) and failure.reason:
        return plain_detail(failure)
    detail = failure.message or failure.reason or failure.server_text or ""
    return f"{failure.kind}: {detail}" if detail else failure.kind
