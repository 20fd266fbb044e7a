"""Thunderbird-style autoconfig over HTTPS (and plain HTTP), answering from what a test sets.

    server.set_autoconfig("example.test", autoconfig_xml(
        "example.test", imap=("imap.example.test", 993, "SSL"),
        smtp=("smtp.example.test", 465, "SSL")))

Answers `GET /mail/config-v1.1.xml` with Host `autoconfig.<domain>` and
`GET /.well-known/autoconfig/mail/config-v1.1.xml` with Host `<domain>` (any query string,
e.g. `?emailaddress=...`); 404 otherwise. Every request is recorded in `requests`.

With a `TestCA`, a client asking (by SNI) for a name the default certificate does not
cover gets a certificate for that name from the same CA, so any test domain works.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

CONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml"
MAX_HEADER = 16384

Server = tuple[str, int, str]  # (hostname, port, "SSL" | "STARTTLS" | "plain")


@dataclass(frozen=True)
class AutoconfigRequest:
    scheme: str  # "https" | "http"
    method: str
    host: str  # Host header without the port, lower case
    path: str
    query: dict[str, list[str]]
    sni: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Answer:
    body: bytes
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def autoconfig_xml(
    domain: str,
    imap: Server | list[Server] | None = None,
    pop3: Server | list[Server] | None = None,
    smtp: Server | list[Server] | None = None,
    *,
    username: str = "%EMAILADDRESS%",
    display_name: str | None = None,
    authentication: str = "password-cleartext",
    oauth2: dict[str, str] | None = None,
) -> str:
    """A valid clientConfig (v1.1) document for one provider; `oauth2` adds an <oAuth2>
    block (issuer, scope, authURL, tokenURL) as Thunderbird's ISP database has them."""

    def servers(tag: str, kind: str, given) -> list[str]:
        if given is None:
            return []
        items = [given] if isinstance(given, tuple) else list(given)
        out = []
        for host, port, socket_type in items:
            out.append(
                f'    <{tag} type="{kind}">\n'
                f"      <hostname>{escape(host)}</hostname>\n"
                f"      <port>{int(port)}</port>\n"
                f"      <socketType>{escape(socket_type)}</socketType>\n"
                f"      <username>{escape(username)}</username>\n"
                f"      <authentication>{escape(authentication)}</authentication>\n"
                f"    </{tag}>\n"
            )
        return out

    name = escape(display_name or domain)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<clientConfig version="1.1">\n',
        f'  <emailProvider id="{escape(domain)}">\n',
        f"    <domain>{escape(domain)}</domain>\n",
        f"    <displayName>{name}</displayName>\n",
        f"    <displayShortName>{name}</displayShortName>\n",
        *servers("incomingServer", "imap", imap),
        *servers("incomingServer", "pop3", pop3),
        *servers("outgoingServer", "smtp", smtp),
        "  </emailProvider>\n",
        *(
            ["  <oAuth2>\n"]
            + [f"    <{k}>{escape(v)}</{k}>\n" for k, v in oauth2.items()]
            + ["  </oAuth2>\n"]
            if oauth2
            else []
        ),
        "</clientConfig>\n",
    ]
    return "".join(parts)


def _host_without_port(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


class AutoconfigServer:
    """HTTPS (and HTTP) autoconfig. `await start(host)` on a loop, or use as a context manager."""

    def __init__(self, ssl_context: ssl.SSLContext, *, ca=None, names=()) -> None:
        self._ssl_context = ssl_context
        self._ca = ca  # a testserver.certs.TestCA, to issue certificates for other names
        self._default_names = {n.lower() for n in names}
        self._extra_contexts: dict[str, ssl.SSLContext] = {}
        self._answers: dict[str, _Answer] = {}
        self._lock = threading.Lock()
        self.requests: list[AutoconfigRequest] = []
        self.host = "127.0.0.1"
        self.https_port = 0
        self.http_port = 0
        self._servers: list[asyncio.base_events.Server] = []
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._own_thread: threading.Thread | None = None
        ssl_context.sni_callback = self._sni

    # -- content ------------------------------------------------------------------------

    def set_autoconfig(
        self,
        domain: str,
        xml: str | bytes | None,
        *,
        status: int = 200,
        content_type: str = "text/xml; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Serve `xml` for the domain (None stops serving it: 404). `status` and
        `headers` make other answers, e.g. status=301, headers={"Location": url}."""
        key = domain.strip().rstrip(".").lower()
        with self._lock:
            if xml is None:
                self._answers.pop(key, None)
            else:
                body = xml.encode() if isinstance(xml, str) else bytes(xml)
                self._answers[key] = _Answer(body, status, content_type, dict(headers or {}))

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def _route(self, host: str, path: str) -> _Answer | None:
        if path == CONFIG_PATH and host.startswith("autoconfig."):
            domain = host[len("autoconfig.") :]
        elif path == WELL_KNOWN_PATH:
            domain = host
        else:
            return None
        with self._lock:
            return self._answers.get(domain)

    # -- TLS: certificates for any asked name -------------------------------------------

    def _covered(self, name: str) -> bool:
        if name in self._default_names:
            return True
        head, _, rest = name.partition(".")
        return bool(rest) and f"*.{rest}" in self._default_names

    def _sni(self, sslobj: ssl.SSLObject, name: str | None, _context) -> None:
        with contextlib.suppress(Exception):
            sslobj.tuimail_sni = name  # what the client asked for, for `requests`
        if not name or self._ca is None or self._covered(name.lower()):
            return None
        name = name.lower()
        try:
            with self._lock:
                context = self._extra_contexts.get(name)
            if context is None:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                self._ca._ca.issue_cert(name).configure_cert(context)
                with self._lock:
                    self._extra_contexts[name] = context
            sslobj.context = context
        except Exception:
            return None  # fall back to the default certificate
        return None

    # -- HTTP ---------------------------------------------------------------------------

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scheme: str
    ) -> None:
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
            except asyncio.LimitOverrunError:
                await self._reply(writer, 431, b"header too large\n", "text/plain")
                return
            await self._handle(head, writer, scheme)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError, ssl.SSLError):
            pass
        except Exception:  # never a traceback to the client
            with contextlib.suppress(Exception):
                await self._reply(writer, 500, b"internal error\n", "text/plain")
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, head: bytes, writer: asyncio.StreamWriter, scheme: str) -> None:
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, _version = lines[0].split(" ")
        except ValueError:
            await self._reply(writer, 400, b"bad request\n", "text/plain")
            return
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        url = urlsplit(target)
        host = _host_without_port(headers.get("host", ""))
        sslobj = writer.get_extra_info("ssl_object")
        request = AutoconfigRequest(
            scheme=scheme,
            method=method,
            host=host,
            path=unquote(url.path),
            query=parse_qs(url.query),
            sni=getattr(sslobj, "tuimail_sni", None) if sslobj else None,
            headers=headers,
        )
        with self._lock:
            self.requests.append(request)
        if method not in ("GET", "HEAD"):
            await self._reply(writer, 405, b"method not allowed\n", "text/plain")
            return
        answer = self._route(host, request.path)
        if answer is None:
            await self._reply(writer, 404, b"not found\n", "text/plain")
            return
        body = answer.body if method == "GET" else b""
        await self._reply(
            writer, answer.status, body, answer.content_type, len(answer.body), answer.headers
        )

    @staticmethod
    async def _reply(
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        content_type: str,
        length: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"HTTP/1.1 {status} {reason.get(status, 'Status')}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\n"
            f"{extra}Connection: close\r\n\r\n"
        )
        writer.write(head.encode("latin-1") + body)
        await writer.drain()

    # -- life cycle -----------------------------------------------------------------------

    async def start(
        self, host: str = "127.0.0.1", https_port: int = 0, http_port: int = 0
    ) -> tuple[int, int]:
        """Listen for HTTPS and HTTP; returns (https_port, http_port)."""
        self.host = host
        https = await asyncio.start_server(
            lambda r, w: self._serve(r, w, "https"), host, https_port, ssl=self._ssl_context
        )
        http = await asyncio.start_server(lambda r, w: self._serve(r, w, "http"), host, http_port)
        self._servers = [https, http]
        self.https_port = https.sockets[0].getsockname()[1]
        self.http_port = http.sockets[0].getsockname()[1]
        return self.https_port, self.http_port

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
        self._servers = []

    def __enter__(self) -> AutoconfigServer:
        loop = asyncio.new_event_loop()
        self._own_loop = loop
        self._own_thread = threading.Thread(target=loop.run_forever, name="autoconfig", daemon=True)
        self._own_thread.start()
        asyncio.run_coroutine_threadsafe(self.start(self.host), loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        loop = self._own_loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._own_thread is not None:
            self._own_thread.join(10)
        loop.close()
        self._own_loop = None
