"""Thunderbird autoconfig (clientConfig v1.1) over HTTPS, certificate verified.

Asked at https://autoconfig.<domain>/mail/config-v1.1.xml and
https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml. No redirects are followed
and plain HTTP is never used: a document an attacker can edit would choose the servers.
"""

from __future__ import annotations

import http.client
import ssl
import xml.etree.ElementTree as ET

from tuimail.core.discovery.model import Candidate
from tuimail.core.discovery.resolver import Resolver, connect_any
from tuimail.core.discovery.srv import in_domain
from tuimail.core.errors import SecurityFailure
from tuimail.core.tls import client_context, tls_reason

MAX_BYTES = 1 << 20
SOCKET_TYPES = {"SSL": "tls", "TLS": "tls", "STARTTLS": "starttls", "PLAIN": "plain"}


class AutoconfigTLSError(OSError):
    """The HTTPS look-up could not be secured: `failure` is the typed SecurityFailure
    (worded at the edge, tuimail.detect_words); the text is a plain detail, not a sentence."""

    def __init__(self, failure: SecurityFailure) -> None:
        data = failure.data if isinstance(failure.data, dict) else {}
        extra = data.get("library")
        super().__init__(f"TLS: {failure.reason}" + (f" ({extra})" if extra else ""))
        self.failure = failure


def autoconfig_urls(domain: str, https_port: int = 443) -> list[tuple[str, str]]:
    """(host, path) pairs to ask, in order."""
    return [
        (f"autoconfig.{domain}", "/mail/config-v1.1.xml"),
        (domain, "/.well-known/autoconfig/mail/config-v1.1.xml"),
    ]


def url_text(host: str, path: str, port: int) -> str:
    return f"https://{host}{'' if port == 443 else f':{port}'}{path}"


class _Connection(http.client.HTTPSConnection):
    def __init__(self, host, port, context, addresses, timeout) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._addresses = addresses
        self._tls_context = context

    def connect(self) -> None:
        sock = connect_any(self._addresses, self.port, self.timeout)
        self.sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)


def fetch(
    resolver: Resolver,
    host: str,
    path: str,
    *,
    port: int = 443,
    timeout: float = 10.0,
    ca_file: str | None = None,
) -> bytes:
    """GET the document; OSError (with a sentence) when there is none."""
    addresses = resolver.addresses(host, port, timeout)
    if not addresses:
        raise OSError(f"{host} does not exist")
    conn = _Connection(host, port, client_context(ca_file), addresses, timeout)
    try:
        try:
            conn.request("GET", path, headers={"User-Agent": "tuimail", "Accept": "*/*"})
            response = conn.getresponse()
        except ssl.SSLError as exc:
            reason, data = tls_reason(exc)
            raise AutoconfigTLSError(
                SecurityFailure(reason=reason, data=data, protocol="http")
            ) from None

        except (http.client.HTTPException, ConnectionError, TimeoutError) as exc:
            raise OSError(f"no answer ({exc.__class__.__name__})") from None
        if response.status != 200:
            raise OSError(f"HTTP status {response.status}")
        body = response.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise OSError("the document is too large")
        return body
    finally:
        conn.close()


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
