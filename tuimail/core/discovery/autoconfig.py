"""Thunderbird autoconfig (clientConfig v1.1) over HTTPS, certificate verified.

Asked at https://autoconfig.<domain>/mail/config-v1.1.xml and
https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml. No redirects are followed
and plain HTTP is never used: a document an attacker can edit would choose the servers.
"""

from __future__ import annotations

import http.client
import ssl
import xml.etree.ElementTree as ET

from tuimail.core.deadline import Deadline
from tuimail.core.discovery.model import Candidate
from tuimail.core.discovery.resolver import Resolver, connect_any
from tuimail.core.discovery.srv import in_domain
from tuimail.core.errors import (
    ConnectionLost,
    MailError,
    ProtocolViolation,
    Refused,
    SecurityFailure,
    TimedOut,
    Unreachable,
)
from tuimail.core.tls import client_context, tls_reason

MAX_BYTES = 1 << 20
SOCKET_TYPES = {"SSL": "tls", "TLS": "tls", "STARTTLS": "starttls", "PLAIN": "plain"}


class AutoconfigError(OSError):
    """The document could not be had: `failure` is the typed reason (Unreachable,
    TimedOut, ConnectionLost, ProtocolViolation, Refused with the HTTP status as its
    code, SecurityFailure), worded at the edge (tuimail.detect_words); the text is a plain
    detail for logs, not a sentence."""

    def __init__(self, failure: MailError) -> None:
        super().__init__(f"{failure.kind}: {failure.message or failure.code}")
        self.failure = failure


class AutoconfigTLSError(AutoconfigError):
    """The HTTPS look-up could not be secured: `failure` is the typed SecurityFailure."""

    def __init__(self, failure: SecurityFailure) -> None:
        super().__init__(failure)
        data = failure.data if isinstance(failure.data, dict) else {}
        extra = data.get("library")
        self.args = (f"TLS: {failure.reason}" + (f" ({extra})" if extra else ""),)


def document_error(exc: ValueError, url: str) -> AutoconfigError:
    """A document that cannot be used (parse's ValueError) as a typed failure."""
    return AutoconfigError(ProtocolViolation(str(exc), protocol="http", host=url))


def autoconfig_urls(domain: str, https_port: int = 443) -> list[tuple[str, str]]:
    """(host, path) pairs to ask, in order."""
    return [
        (f"autoconfig.{domain}", "/mail/config-v1.1.xml"),
        (domain, "/.well-known/autoconfig/mail/config-v1.1.xml"),
    ]


def url_text(host: str, path: str, port: int) -> str:
    return f"https://{host}{'' if port == 443 else f':{port}'}{path}"


# The whole fetch (connection, TLS, request, answer) ends by this many timeouts from its
# start, however slowly the server trickles its bytes: a detection thread stuck reading
# would also hold the process open at its exit.
DEADLINE_TIMEOUTS = 2


class _Connection(http.client.HTTPSConnection):
    def __init__(self, host, port, context, addresses, timeout, deadline: Deadline) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._addresses = addresses
        self._tls_context = context
        self._deadline = deadline

    def connect(self) -> None:
        sock = self._deadline.watch(connect_any(self._addresses, self.port, self.timeout))
        self.sock = self._deadline.secure(self._tls_context, sock, self.host)


def fetch(
    resolver: Resolver,
    host: str,
    path: str,
    *,
    port: int = 443,
    timeout: float = 10.0,
    ca_file: str | None = None,
) -> bytes:
    """GET the document; AutoconfigError (its typed failure) when there is none."""
    try:
        addresses = resolver.addresses(host, port, timeout)
    except OSError as exc:  # DNSError: a timeout or a failed query
        if isinstance(exc, TimeoutError):
            raise AutoconfigError(
                TimedOut(reason="dns-timeout", protocol="dns", host=host)
            ) from None
        raise AutoconfigError(Unreachable(reason="dns", protocol="dns", host=host)) from None
    if not addresses:
        raise AutoconfigError(Unreachable(reason="no-such-host", protocol="http", host=host))
    deadline = Deadline(timeout * DEADLINE_TIMEOUTS)
    conn = _Connection(host, port, client_context(ca_file), addresses, timeout, deadline)
    try:
        with deadline:
            body = _get(conn, host, path)
    except (AutoconfigError, ValueError):
        if deadline.expired:  # whatever the shut-down socket made the library raise
            failure = TimedOut(reason="web", data={"what": "timeout"}, protocol="http", host=host)
            raise AutoconfigError(failure) from None
        raise
    finally:
        conn.close()
    if deadline.expired:  # the body may be what arrived before the socket was shut down
        failure = TimedOut(reason="web", data={"what": "timeout"}, protocol="http", host=host)
        raise AutoconfigError(failure)
    return body


def _get(conn: _Connection, host: str, path: str) -> bytes:
    """The document at `path`: AutoconfigError (typed) when there is none."""
    kw = {"protocol": "http", "host": host}
    try:
        conn.request("GET", path, headers={"User-Agent": "tuimail", "Accept": "*/*"})
        response = conn.getresponse()
    except ssl.SSLError as exc:
        reason, data = tls_reason(exc)
        raise AutoconfigTLSError(
            SecurityFailure(reason=reason, data=data, protocol="http")
        ) from None

    except http.client.HTTPException as exc:
        failure = ProtocolViolation(
            reason="web", data={"what": "not-http", "type": type(exc).__name__}, **kw
        )
        raise AutoconfigError(failure) from None
    except OSError as exc:  # refused, reset, timed out, unreachable
        raise AutoconfigError(_transport(exc, host)) from None
    if response.status != 200:
        failure = Refused(
            reason="web",
            data={"what": "no-document"},
            code=response.status,
            server_text=str(response.reason or "")[:80],
            **kw,
        )
        raise AutoconfigError(failure)
    try:
        body = response.read(MAX_BYTES + 1)
    except OSError as exc:
        raise AutoconfigError(_transport(exc, host)) from None
    except http.client.HTTPException:
        failure = ProtocolViolation(reason="web", data={"what": "cut-short"}, **kw)
        raise AutoconfigError(failure) from None
    if len(body) > MAX_BYTES:
        failure = ProtocolViolation(
            reason="web", data={"what": "too-big", "limit": MAX_BYTES}, **kw
        )
        raise AutoconfigError(failure)
    return body


def _transport(exc: OSError, host: str) -> MailError:
    """A failed connection to the web server, typed as the transport classifier types
    a mail server's (tuimail.core.net_errors), naming the web server."""
    kw = {"protocol": "http", "host": host, "reason": "web"}
    if isinstance(exc, TimeoutError):
        return TimedOut(data={"what": "timeout"}, **kw)
    if isinstance(exc, ConnectionRefusedError):
        return Unreachable(data={"what": "refused"}, **kw)
    if isinstance(exc, ConnectionError):
        return ConnectionLost(data={"what": "lost"}, **kw)
    detail = exc.strerror or type(exc).__name__
    return Unreachable(data={"what": "unreachable", "detail": detail}, **kw)


def parse(xml: bytes, email: str, domain: str, source: str = "autoconfig") -> list[Candidate]:
    """Candidates from a clientConfig document (in its order); ValueError if unusable."""
    if b"<!DOCTYPE" in xml[:4096].upper() or b"<!ENTITY" in xml.upper():
        raise ValueError("the document declares a DTD or entities, which is not allowed")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"the document is not valid XML ({exc})") from None
    provider = root.find("emailProvider")
    if root.tag != "clientConfig" or provider is None:
        raise ValueError("the document is not a clientConfig")
    local = email.partition("@")[0]
    candidates: list[Candidate] = []
    for order, server in enumerate(
        provider.findall("incomingServer") + provider.findall("outgoingServer")
    ):
        protocol = (server.get("type") or "").lower()
        if protocol not in ("imap", "pop3", "smtp"):
            continue
        host = _text(server, "hostname")
        host = (
            host.replace("%EMAILDOMAIN%", domain)
            .replace("%EMAILLOCALPART%", local)
            .replace("%EMAILADDRESS%", email)
            .strip()
            .rstrip(".")
            .lower()
        )
        socket_type = SOCKET_TYPES.get(_text(server, "socketType").upper())
        port_text = _text(server, "port")
        if not host or socket_type is None or not port_text.isdigit():
            continue
        port = int(port_text)
        if not 0 < port < 65536:
            continue
        candidates.append(
            Candidate(
                protocol,
                host,
                port,
                socket_type,
                source,
                order,
                outside_domain=not in_domain(host, domain),
            )
        )
    if not candidates:
        raise ValueError("the document names no usable server")
    return candidates


def _text(element: ET.Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""
