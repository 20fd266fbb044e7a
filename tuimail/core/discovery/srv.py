"""RFC 6186 SRV records, with RFC 8314's _submissions (implicit-TLS submission)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tuimail.core.discovery.model import Candidate, SrvNote
from tuimail.core.discovery.resolver import DNSError, Resolver, dns_failure

# label -> (protocol, security). _imap/_pop3/_submission mean STARTTLS: we never accept
# them in clear unless the user allowed plain (detect adds the plain variant then).
SERVICES = {
    "_imaps._tcp": ("imap", "tls"),
    "_imap._tcp": ("imap", "starttls"),
    "_pop3s._tcp": ("pop3", "tls"),
    "_pop3._tcp": ("pop3", "starttls"),
    "_submissions._tcp": ("smtp", "tls"),
    "_submission._tcp": ("smtp", "starttls"),
}


def lookup_srv(
    resolver: Resolver, domain: str, timeout: float | None = None
) -> tuple[list[Candidate], list[SrvNote]]:
    """Candidates from SRV records, best first; plus typed notes for the names that gave
    none (a DNS failure, or a record saying the service is not offered)."""
    candidates: list[Candidate] = []
    notes: list[SrvNote] = []
    order = 0
    # All six queries at once: a name server that does not answer costs one timeout.
    with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
        answers = {
            label: pool.submit(resolver.query, f"{label}.{domain}", "SRV", timeout)
            for label in SERVICES
        }
    for label, (protocol, security) in SERVICES.items():
        name = f"{label}.{domain}"
        try:
            records = answers[label].result()
        except DNSError as exc:
            notes.append(SrvNote(name, dns_failure(exc)))
            continue
        if len(records) == 1 and str(records[0].target) == ".":
            notes.append(SrvNote(name))
            continue
        # Lowest priority first; within a priority, higher weight first (deterministic).
        records = sorted(records, key=lambda r: (r.priority, -r.weight))
        for record in records:
            target = str(record.target).rstrip(".").lower()
            if not target:
                continue
            candidates.append(
                Candidate(
                    protocol,
                    target,
                    int(record.port),
                    security,
                    "srv",
                    order,
                    outside_domain=not in_domain(target, domain),
                )
            )
            order += 1
    return candidates, notes


def in_domain(host: str, domain: str) -> bool:
    host, domain = host.lower().rstrip("."), domain.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)
