"""DNS for discovery: the system's, or one named server for every look-up.

With `--nameserver HOST[:PORT]` every query goes there, host addresses included: we
resolve A/AAAA ourselves and connect to the address while the host name is still used
for SNI and certificate checks.
"""

from __future__ import annotations

import ipaddress
import socket

import dns.exception
import dns.resolver

from tuimail.core.errors import MailError, TimedOut, Unreachable


class NameserverError(ValueError):
    """The --nameserver value cannot be used, as data: `problem` "not-found" (its host
    name has no address) or "bad-port", and the `nameserver` as given; the edge words it
    (tuimail.words.nameserver). Its text is a record for logs."""

    def __init__(self, problem: str, nameserver: str) -> None:
        super().__init__(f"nameserver: {problem}")
        self.problem = problem
        self.nameserver = nameserver


def parse_nameserver(value: str) -> tuple[str, int]:
    """'1.2.3.4', '1.2.3.4:5353', '::1', '[::1]:5353' or 'dns.example' -> (ip, port)."""
    value = value.strip()
    host, port = value, 53
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], value)
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        port = _port(port_text, value)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            host = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0][4][0]
        except OSError:
            raise NameserverError("not-found", value) from None
    return host, port


def _port(text: str, value: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise NameserverError("bad-port", value)
    return int(text)


class Resolver:
    """SRV/MX/address look-ups with one timeout; `custom` when a nameserver was named."""

    def __init__(self, nameserver: str | None = None, timeout: float = 5.0) -> None:
        self.custom = nameserver is not None
        if nameserver is not None:
            ip, port = parse_nameserver(nameserver)
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [ip]
            resolver.port = port
        else:
            try:
                resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                resolver = dns.resolver.Resolver(configure=False)
                resolver.nameservers = ["127.0.0.53"]
        resolver.timeout = resolver.lifetime = timeout
        resolver.cache = None
        self.dns = resolver

    def query(self, name: str, rtype: str, timeout: float | None = None):
        """The answer's records, [] for NXDOMAIN / no answer; DNSError on failure."""
        try:
            answer = self.dns.resolve(
                name, rtype, lifetime=timeout or self.dns.lifetime, search=False
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.Timeout:
            raise DNSTimeout(name, rtype) from None
        except dns.exception.DNSException as exc:
            raise DNSError(name, rtype, str(exc) or type(exc).__name__) from None
        return list(answer)

    def addresses(self, host: str, port: int, timeout: float | None = None) -> list[str]:
        """IP addresses to connect to for `host` (through the named server if any)."""
        try:
            ipaddress.ip_address(host)
            return [host]
        except ValueError:
            pass
        if not self.custom:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError:
                return []
            return list(dict.fromkeys(info[4][0] for info in infos))
        found: list[str] = []
        for rtype in ("A", "AAAA"):
            try:
                found += [r.address for r in self.query(host, rtype, timeout)]
            except DNSError:
                if rtype == "A":
                    raise
        return found


class DNSError(OSError):
    """A DNS query failed (not: the name does not exist). `reason` (tuimail.core.errors
    REASONS) and `data` (name, rtype: the query; detail: the DNS library's own words)
    as a MailError's: the words for people are the edge's, through dns_failure. Its
    text is a record for logs."""

    reason = "dns-query"

    def __init__(self, name: str = "", rtype: str = "", detail: str = "") -> None:
        super().__init__(f"dns {rtype} {name}: {detail or self.reason}")
        self.data = {"name": name, "rtype": rtype, "detail": detail}


class DNSTimeout(DNSError, TimeoutError):
    """No answer from the DNS server in time (a type, so nobody reads the words)."""

    reason = "dns-timeout"


def dns_failure(exc: DNSError) -> MailError:
    """A failed DNS query as a typed error: TimedOut or Unreachable by its class, with
    its reason and data (the words: tuimail.words.reasons.reason_words)."""
    kind = TimedOut if isinstance(exc, TimeoutError) else Unreachable
    data = dict(getattr(exc, "data", None) or {})
    host = str(data.get("name") or "") or None
    return kind(protocol="dns", host=host, reason=getattr(exc, "reason", "dns-query"), data=data)


def connect_any(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """TCP to the first address that answers; TCP_NODELAY on."""
    last: OSError | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            last = exc
            continue
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        return sock
    raise last or OSError("no address to connect to")
