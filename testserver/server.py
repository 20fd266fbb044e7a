"""`MailServer`: the whole bundled mail system, started in one line.

    with MailServer() as server:            # or: async with MailServer() as server
        alice = server.new_user()
        server.deliver(alice, raw)
        ... connect to server.host, server.ports.imap_tls, trust server.ca_file ...

All protocol servers run on one asyncio event loop in a background thread and share one
`MailStore`. Ports are chosen by the OS unless given. The server binds loopback only
unless told otherwise, and never relays mail anywhere: mail for non-local recipients
is recorded in `outbound`.

Besides IMAP, POP3 and SMTP it always runs a DNS server (`dns_port`, `dns`, `set_dns`,
`resolver()`) and an autoconfig web server (`https_port`, `http_port`, `set_autoconfig`,
`autoconfig_requests`). The default zone makes imap., pop3., smtp., mail., mx. and
autoconfig.<domain> and <domain> itself resolve to the bound host, gives <domain> an MX,
publishes RFC 6186/8314 SRV records for the protocol ports that were started, and the
DKIM key of selector "test" (test._domainkey.<domain>) that the SMTP server signs with.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from testserver.autoconfig import AutoconfigServer
from testserver.certs import DEFAULT_NAMES, TestCA, shared_ca
from testserver.dns import DNSServer, Zone
from testserver.faults import FaultPlan
from testserver.mailauth import DkimSigner
from testserver.mailstore import MailStore
from testserver.peer import PeerPorts, PeerUser

# Protocol servers: constructor (store, ssl_context, faults, **options) and
# `async start(host, port_tls=0, port_starttls=0) -> (tls_port, starttls_port)`,
# `async stop()`.
PROTOCOLS = ("imap", "pop3", "smtp")


class MailServer:
    kind = "bundled"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        domain: str = "example.test",
        cert: str = "good",
        ca: TestCA | None = None,
        ports: dict[str, int] | None = None,
        options: dict[str, dict[str, Any]] | None = None,
        protocols: tuple[str, ...] = PROTOCOLS,
        seed: str | None = None,
        bulk: int = 0,
        users: list[tuple[str, str]] | None = None,
        dns_zone: Zone | None = None,
        alpn: dict[str, tuple[str, ...]] | None = None,
        oauth: bool = False,
    ) -> None:
        self.host = host
        self.domain = domain
        self.store = MailStore()
        self.faults = FaultPlan()
        self.ca = ca or shared_ca()
        self.ca_file = self.ca.ca_file
        self.certificate = self.ca.issue(cert)
        self._wanted_ports = dict(ports or {})
        # ALPN (RFC 7301) each protocol's TLS ports select from (default: its own name;
        # a client offering nothing in the list gets no ALPN answer, as from most servers).
        self._alpn = dict(alpn or {})
        self._options = options or {}
        self.protocols = protocols
        self._servers: dict[str, Any] = {}
        self._bound: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._user_counter = itertools.count(1)
        self._seed = seed
        self._bulk = bulk
        self._initial_users = list(users or [])
        # Users made through this object (add_user/new_user/seed), with their passwords.
        self.users: list[PeerUser] = []
        # (mail_from, rcpt, raw) of every message for a non-local recipient (never relayed).
        self.outbound: list[tuple[str, str, bytes]] = []
        self.dns = DNSServer(dns_zone if dns_zone is not None else {})
        self._default_zone = dns_zone is None
        self.autoconfig: AutoconfigServer | None = None
        # The OAuth 2.0 authorization server (testserver.oauth) when `oauth`: its tokens are
        # then accepted by IMAP, POP3 and SMTP as OAUTHBEARER and XOAUTH2.
        self._want_oauth = oauth
        self.oauth = None

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> MailServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.call_soon(ready.set)
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="testserver", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            self._add_initial_data()
            if self._want_oauth:
                self._start_oauth()
            self.call(self._start_servers()).result(timeout=30)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_oauth(self) -> None:
        from testserver.oauth import OAuthServer
        from testserver.oauth_tokens import TokenRegistry

        def authenticate(login: str, password: str) -> str | None:
            user = self.store.authenticate(login, password)
            return user.login if user else None

        self.store.tokens = TokenRegistry()
        self.oauth = OAuthServer(
            self.certificate.server_context(("http/1.1",)),
            authenticate,
            self.store.tokens,
            host=self.host,
            port=self._wanted_ports.get("oauth", 0),
        ).start()
        self.store.oauth_issuer = self.oauth.issuer
        self._bound["oauth"] = self.oauth.port

    def _add_initial_data(self) -> None:
        for local, password in self._initial_users:
            self.add_user(local, password)
        if self._seed or self._bulk:
            from testserver import seed

            if self._seed:
                seed.apply(self, self._seed)
            if self._bulk:
                seed.bulk(self, self._bulk)

    async def _start_servers(self) -> None:
        for protocol in self.protocols:
            context = self.certificate.server_context(self._alpn.get(protocol, (protocol,)))
            cls = _server_class(protocol)
            options = dict(self._options.get(protocol, {}))
            if protocol == "smtp":
                options.setdefault("outbound", self.outbound)
                options.setdefault("hostname", f"smtp.{self.domain}")
                options.setdefault("dns", self.dns)
                options.setdefault("dkim_domain", self.domain)
            server = cls(self.store, context, self.faults, **options)
            tls_port, starttls_port = await server.start(
                self.host,
                self._wanted_ports.get(f"{protocol}_tls", 0),
                self._wanted_ports.get(f"{protocol}_starttls", 0),
            )
            self._servers[protocol] = server
            self._bound[f"{protocol}_tls"] = tls_port
            self._bound[f"{protocol}_starttls"] = starttls_port
        self._bound["dns"] = await self.dns.start(self.host, self._wanted_ports.get("dns", 0))
        self._servers["dns"] = self.dns
        self.autoconfig = AutoconfigServer(
            self.certificate.server_context(), ca=self.ca, names=DEFAULT_NAMES
        )
        https_port, http_port = await self.autoconfig.start(
            self.host, self._wanted_ports.get("https", 0), self._wanted_ports.get("http", 0)
        )
        self._servers["autoconfig"] = self.autoconfig
        self._bound["https"], self._bound["http"] = https_port, http_port
        if self._default_zone:
            self.dns.zone = self.default_zone()

    async def _stop_servers(self) -> None:
        for server in reversed(list(self._servers.values())):
            try:
                await asyncio.wait_for(server.stop(), 10)
            except Exception:
                pass
        self._servers.clear()

    def stop(self) -> None:
        if self.oauth is not None:
            self.oauth.stop()
            self.oauth = None
        if self._loop is None:
            return
        if self._loop.is_running():
            try:
                self.call(self._stop_servers()).result(timeout=10)
            except Exception:
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()
        self._loop = None

    def call(self, coro) -> Future:
        """Run a coroutine on the server's loop from any thread."""
        assert self._loop is not None, "server not started"
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> MailServer:
        await asyncio.get_running_loop().run_in_executor(None, self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    # -- what clients need ------------------------------------------------------------

    @property
    def ports(self) -> PeerPorts:
        b = dict.fromkeys(_PORT_NAMES, 0) | self._bound
        return PeerPorts(
            imap_tls=b["imap_tls"],
            imap_starttls=b["imap_starttls"],
            pop3_tls=b["pop3_tls"],
            pop3_starttls=b["pop3_starttls"],
            smtp_tls=b["smtp_tls"],
            smtp_starttls=b["smtp_starttls"],
        )

    @property
    def bound_ports(self) -> dict[str, int]:
        """Every bound port by name: imap_tls ... smtp_starttls, dns, https, http."""
        return dict(self._bound)

    @property
    def dns_port(self) -> int:
        return self._bound.get("dns", 0)

    @property
    def https_port(self) -> int:
        return self._bound.get("https", 0)

    @property
    def http_port(self) -> int:
        return self._bound.get("http", 0)

    def protocol_server(self, name: str) -> Any:
        """The running server object for "imap", "pop3", "smtp", "dns" or "autoconfig"
        (e.g. `protocol_server("smtp").auth_log`, `.accepted`)."""
        return self._servers[name]

    # -- DNS and autoconfig -----------------------------------------------------------

    def default_zone(self) -> dict[str, list[tuple[str, str]]]:
        """The zone served unless `dns_zone` was given (see the module docstring)."""
        address = "127.0.0.1" if self.host in ("0.0.0.0", "", "localhost") else self.host
        address = "::1" if address == "::" else address
        rtype = "AAAA" if ":" in address else "A"
        d = self.domain
        zone: dict[str, list[tuple[str, str]]] = {
            d: [(rtype, address), ("MX", f"10 mx.{d}."), ("TXT", "v=spf1 mx -all")],
        }
        for name in ("imap", "pop3", "smtp", "mail", "mx", "autoconfig"):
            zone[f"{name}.{d}"] = [(rtype, address)]
        # The key the SMTP server signs submitted mail with (selector "test").
        zone |= DkimSigner(d).zone_records()
        srv = {
            "imap_tls": ("_imaps._tcp", "imap"),
            "imap_starttls": ("_imap._tcp", "imap"),
            "pop3_tls": ("_pop3s._tcp", "pop3"),
            "pop3_starttls": ("_pop3._tcp", "pop3"),
            "smtp_tls": ("_submissions._tcp", "smtp"),
            "smtp_starttls": ("_submission._tcp", "smtp"),
        }
        for port_name, (label, host) in srv.items():
            port = self._bound.get(port_name)
            if port:
                zone[f"{label}.{d}"] = [("SRV", f"0 1 {port} {host}.{d}.")]
        return zone

    def set_dns(self, zone: Zone) -> None:
        """Replace the whole zone the DNS server answers from."""
        self._default_zone = False
        self.dns.zone = zone

    def resolver(self, timeout: float = 5.0):
        """A dnspython resolver asking only this server's DNS."""
        return self.dns.resolver(timeout)

    def set_autoconfig(self, domain: str, xml: str | bytes | None, **kwargs: Any) -> None:
        """Serve autoconfig XML for a domain (None: 404). kwargs: status, content_type."""
        assert self.autoconfig is not None, "server not started"
        self.autoconfig.set_autoconfig(domain, xml, **kwargs)

    @property
    def autoconfig_requests(self):
        """Every HTTP(S) request the autoconfig server received (AutoconfigRequest)."""
        return list(self.autoconfig.requests) if self.autoconfig else []

    # -- users and mail ---------------------------------------------------------------

    def add_user(self, local: str, password: str | None = None) -> PeerUser:
        email = local if "@" in local else f"{local}@{self.domain}"
        password = password or secrets.token_urlsafe(12)
        self.store.add_user(email, password, email)
        user = PeerUser(login=email, password=password, email=email)
        self.users.append(user)
        return user

    def new_user(self) -> PeerUser:
        return self.add_user(f"user{next(self._user_counter)}")

    def deliver(self, user: PeerUser | str, raw: bytes, folder: str = "INBOX") -> None:
        self.store.deliver(_login(user), raw, folder)

    def messages(self, user: PeerUser | str, folder: str = "INBOX") -> list[bytes]:
        return [m.raw for m in self.store.messages(_login(user), folder)]

    def wait_for_message(
        self,
        user: PeerUser | str,
        predicate: Callable[[bytes], bool],
        timeout: float = 10.0,
        folder: str = "INBOX",
    ) -> bytes:
        message = self.store.wait_for_message(
            _login(user), lambda m: predicate(m.raw), timeout, folder
        )
        return message.raw


_PORT_NAMES = [f"{p}_{s}" for p in PROTOCOLS for s in ("tls", "starttls")]


def _login(user: PeerUser | str) -> str:
    return user.login if isinstance(user, PeerUser) else user


def _server_class(protocol: str):
    if protocol == "imap":
        from testserver.imap.server import IMAPServer

        return IMAPServer
    if protocol == "pop3":
        from testserver.pop3 import POP3Server

        return POP3Server
    from testserver.smtp import SMTPServer

    return SMTPServer
