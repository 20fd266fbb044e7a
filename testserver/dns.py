"""A small authoritative DNS server on loopback, answering from a zone the test gives.

    zone = {
        "_imaps._tcp.example.test": [("SRV", "0 1 993 imap.example.test.")],
        "example.test": [("MX", "10 mx.example.test."), ("TXT", "v=spf1 -all")],
        "imap.example.test": [("A", "127.0.0.1")],
    }
    with DNSServer(zone) as dns_server:           # its own thread, or
        resolver = dns_server.resolver()          # `await dns_server.start()` on a loop
        resolver.resolve("_imaps._tcp.example.test", "SRV")

Names are case-insensitive and the trailing dot is optional. Unknown names get NXDOMAIN,
known names without the asked type get NOERROR with an empty answer. A CNAME is followed
inside the zone. UDP and (when the same port is free) TCP. Every query is recorded in
`queries` as (name, type) so tests can assert what a client looked up.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from collections.abc import Iterable, Mapping

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset

Records = list[tuple[str, str]]
Zone = Mapping[str, Iterable[tuple[str, str]]]

SUPPORTED_TYPES = ("SRV", "MX", "A", "AAAA", "TXT", "PTR", "CNAME", "NS")


def _key(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _parse(name: str, rtype: str, value: str) -> dns.rdata.Rdata:
    rtype = rtype.upper()
    if rtype not in SUPPORTED_TYPES:
        raise ValueError(f"unsupported record type {rtype!r} for {name}")
    if rtype == "TXT" and not value.lstrip().startswith('"'):
        value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return dns.rdata.from_text(
        dns.rdataclass.IN,
        dns.rdatatype.from_text(rtype),
        value,
        origin=dns.name.root,
        relativize=False,
    )


class DNSServer:
    """UDP (+TCP) DNS on loopback. Start with `await start()` or as a context manager."""

    def __init__(self, zone: Zone | None = None, *, ttl: int = 60) -> None:
        self.ttl = ttl
        self.host = "127.0.0.1"
        self.port = 0
        self.tcp = False  # True when TCP is served on the same port
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._zone: dict[str, list[tuple[str, str, dns.rdata.Rdata]]] = {}
        self.zone = zone or {}
        self._transport: asyncio.DatagramTransport | None = None
        self._tcp_server: asyncio.base_events.Server | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None
        self._own_thread: threading.Thread | None = None

    # -- the zone -----------------------------------------------------------------------

    @property
    def zone(self) -> dict[str, Records]:
        """A copy of the zone as given (names normalized)."""
        with self._lock:
            return {name: [(t, v) for t, v, _ in rrs] for name, rrs in self._zone.items()}

    @zone.setter
    def zone(self, zone: Zone) -> None:
        parsed = {_key(name): self._parse_records(name, records) for name, records in zone.items()}
        with self._lock:
            self._zone = parsed

    def set_records(self, name: str, records: Iterable[tuple[str, str]] | None) -> None:
        """Replace a name's records. None removes the name (NXDOMAIN); [] keeps it with
        no records (NOERROR, empty answer)."""
        key = _key(name)
        if records is None:
            with self._lock:
                self._zone.pop(key, None)
            return
        parsed = self._parse_records(name, records)
        with self._lock:
            self._zone[key] = parsed

    def add_record(self, name: str, rtype: str, value: str) -> None:
        parsed = self._parse_records(name, [(rtype, value)])
        with self._lock:
            self._zone.setdefault(_key(name), []).extend(parsed)

    @staticmethod
    def _parse_records(
        name: str, records: Iterable[tuple[str, str]]
    ) -> list[tuple[str, str, dns.rdata.Rdata]]:
        return [(t.upper(), v, _parse(name, t, v)) for t, v in records]

    def lookup(self, name: str, rtype: str) -> list[dns.rdata.Rdata] | None:
        """The zone's records of one type for a name, without a query (None: no such name)."""
        with self._lock:
            records = self._zone.get(_key(name))
        if records is None:
            return None
        return [r for t, _, r in records if t == rtype.upper()]

    def txt(self, name: str) -> list[str] | None:
        """TXT values (strings of one record joined) or None when the name does not exist."""
        found = self.lookup(name, "TXT")
        if found is None:
            return None
        return [b"".join(r.strings).decode("utf-8", "replace") for r in found]

    def hosts(self, name: str, rtype: str) -> list[str]:
        """A/AAAA addresses or MX exchange names of a name in the zone ([] if none)."""
        found = self.lookup(name, rtype) or []
        if rtype.upper() == "MX":
            return [r.exchange.to_text().rstrip(".") for r in found]
        return [r.address for r in found]

    # -- answering ----------------------------------------------------------------------

    def answer(self, wire: bytes) -> bytes | None:
        """The response to one query in wire format (None if it cannot be parsed at all)."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return _formerr(wire, dns.rcode.FORMERR)
        try:
            return self._answer(query)
        except Exception:
            return _formerr(wire, dns.rcode.SERVFAIL)

    def _answer(self, query: dns.message.Message) -> bytes:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        response.flags &= ~dns.flags.RA
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        qname, qtype = question.name, question.rdtype
        with self._lock:
            self.queries.append((_key(qname.to_text()), dns.rdatatype.to_text(qtype)))
            zone = self._zone
        if question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        name = qname
        for _ in range(8):  # follow CNAME chains inside the zone, bounded
            records = zone.get(_key(name.to_text()))
            if records is None:
                if name == qname:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                break
            wanted = [r for t, _, r in records if dns.rdatatype.from_text(t) == qtype]
            if wanted:
                response.answer.append(self._rrset(name, qtype, wanted))
                break
            cnames = [r for t, _, r in records if t == "CNAME"]
            if not cnames or qtype == dns.rdatatype.CNAME:
                break
            response.answer.append(self._rrset(name, dns.rdatatype.CNAME, cnames[:1]))
            name = cnames[0].target
        return response.to_wire()

    def _rrset(self, name: dns.name.Name, rdtype: int, rdatas: list) -> dns.rrset.RRset:
        rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdtype)
        for rdata in rdatas:
            rrset.add(rdata, self.ttl)
        return rrset

    # -- life cycle on an asyncio loop --------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        loop = asyncio.get_running_loop()
        server = self

        class _UDP(asyncio.DatagramProtocol):
            def connection_made(self, transport) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr) -> None:
                reply = server.answer(data)
                if reply is not None:
                    self.transport.sendto(reply, addr)

        # UDP and TCP on the same port: with an OS-chosen port the TCP twin may be taken by
        # another process, so try a few ports before settling for UDP alone.
        attempts = 20 if port == 0 else 1
        for attempt in range(attempts):
            transport, _ = await loop.create_datagram_endpoint(_UDP, local_addr=(host, port))
            bound = transport.get_extra_info("sockname")[1]
            try:
                self._tcp_server = await asyncio.start_server(self._serve_tcp, host, bound)
                self.tcp = True
                break
            except OSError:
                if attempt == attempts - 1:
                    break  # keep UDP alone
                transport.close()
        self._transport = transport
        self.host = host
        self.port = bound
        return self.port

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                reply = self.answer(await reader.readexactly(length))
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._tcp_server is not None:
            self._tcp_server.close()
            await self._tcp_server.wait_closed()
            self._tcp_server = None

    # -- standalone: its own thread -----------------------------------------------------

    def __enter__(self) -> DNSServer:
        loop = asyncio.new_event_loop()
        self._own_loop = loop
        self._own_thread = threading.Thread(target=loop.run_forever, name="dns", daemon=True)
        self._own_thread.start()
        asyncio.run_coroutine_threadsafe(self.start(self.host, self.port), loop).result(10)
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

    def resolver(self, timeout: float = 5.0) -> dns.resolver.Resolver:
        """A dnspython resolver that asks only this server (no system configuration)."""
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [self.host]
        resolver.port = self.port
        resolver.timeout = resolver.lifetime = timeout
        resolver.cache = None
        return resolver


def _formerr(wire: bytes, rcode: int) -> bytes | None:
    """An error reply carrying the query id, when the header at least is readable."""
    if len(wire) < 12:
        return None
    (query_id,) = struct.unpack("!H", wire[:2])
    flags = dns.flags.QR | rcode
    return struct.pack("!HHHHHH", query_id, flags, 0, 0, 0, 0)
