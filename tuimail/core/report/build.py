"""Raw message -> DeliveryReport (no network: tuimail's own DKIM check is dkim_check.py).

Which Authentication-Results are the user's provider's (trusted) and which are claims:
  * the route is read newest first: the provider's part is every hop down to the *entry*
    hop, the first (from the top) whose sending host belongs to another organisation;
  * a result is trusted if its authserv-id belongs to one of the provider's organisations
    (the by-hosts of that part, and the account's own domains when known): RFC 8601 5
    obliges a server to delete results carrying its own authserv-id when mail arrives,
    so such a header can only be the provider's; or
  * it sits above the entry hop's Received header (added after the message arrived).
Everything else, and every ARC-Authentication-Results of another authserv-id, is shown as
a claim made by an earlier server that tuimail cannot verify.
"""

from __future__ import annotations

import re

from tuimail.core.mime.charsets import decode_header_bytes
from tuimail.core.mime.headers import (
    decode_header_value,
    parse_addresses,
    parse_date,
    parse_header_fields,
    split_header_block,
)
from tuimail.core.report.authres import parse_auth_results
from tuimail.core.report.domains import org_domain
from tuimail.core.report.explain import explain_results, route_explanations
from tuimail.core.report.model import AuthResults, DeliveryReport, Hop
from tuimail.core.report.received import parse_hops
from tuimail.core.report.sender import sender_warnings
from tuimail.core.report.spam import explain_spam, read_spam
from tuimail.core.sanitize import sanitize

MAX_AUTH_HEADERS = 50
_RECEIVED = re.compile(rb"^received[ \t]*:", re.IGNORECASE | re.MULTILINE)
MAX_FIELDS = 5000


def build_report(raw: bytes, *, own_domains: tuple[str, ...] = ()) -> DeliveryReport:
    """The delivery report of one message. Never raises on any input; bounded work.

    `own_domains`: the account's domains (its address, its servers), used to recognise
    the provider's Authentication-Results.
    """
    block, _ = split_header_block(raw)
    fields = parse_header_fields(block, limit=MAX_FIELDS)
    report = DeliveryReport()
    received = [(i, decode_header_bytes(v)) for i, (n, v) in enumerate(fields) if n == "received"]
    report.received_count = max(len(received), _count_received(block))
    hops, report.omitted_hops = parse_hops([v for _, v in received], report.received_count)
    report.hops = hops
    times = [h.time for h in hops if h.time is not None]
    if len(times) >= 2:
        report.total_seconds = (times[-1] - times[0]).total_seconds()

    date = next((v for n, v in fields if n == "date"), None)
    report.written = parse_date(date)
    if report.written is not None and times:
        try:
            report.written_to_first_hop = (times[0] - report.written).total_seconds()
        except (OverflowError, ValueError):
            report.written = None

    provider_orgs, entry_position = _provider(received, hops, own_domains)
    report.provider = ", ".join(sorted(provider_orgs))
    auth_fields = [
        (i, n, decode_header_bytes(v))
        for i, (n, v) in enumerate(fields)
        if n in ("authentication-results", "arc-authentication-results")
    ][:MAX_AUTH_HEADERS]
    for position, name, value in auth_fields:
        authserv_id, instance, verdicts, understood = parse_auth_results(value)
        by_id = bool(authserv_id) and org_domain(authserv_id) in provider_orgs
        by_place = name == "authentication-results" and position < entry_position
        source = "Authentication-Results"
        if name == "arc-authentication-results":
            source = f"ARC-Authentication-Results i={instance if instance is not None else '?'}"
        report.auth_results.append(
            AuthResults(
                authserv_id=authserv_id,
                verdicts=tuple(verdicts),
                trusted=(by_id or by_place) and bool(hops),
                source=source,
                raw=sanitize(" ".join(value.split())[:2000]),
                parsed=understood,
            )
        )
    trusted = [a for a in report.auth_results if a.trusted]
    if trusted:
        report.provider_rule = (
            "results written by your provider's servers ("
            + ", ".join(sorted({a.authserv_id or "no name" for a in trusted}))
            + ")"
        )

    from_pairs = _addresses(fields, "from")
    from_name, from_addr = from_pairs[0] if from_pairs else ("", "")
    from_name, from_addr = _cut(from_name), _cut(from_addr)
    report.from_header = sanitize(f"{from_name} <{from_addr}>" if from_name else from_addr)
    report.from_domain = sanitize(from_addr.rpartition("@")[2].strip().lower().rstrip("."))
    report.dkim_signatures = _signatures(fields)

    report.explanations = route_explanations(report) + explain_results(report)
    reply_to = _addresses(fields, "reply-to")
    to = _addresses(fields, "to") + _addresses(fields, "cc")
    report.warnings = sender_warnings(
        report, from_name, from_addr, reply_to, to, own_domains=own_domains
    )
    report.spam = read_spam([(n, decode_header_bytes(v)) for n, v in fields])
    if report.spam is not None:
        report.explanations += explain_spam(report.spam)
    return report


def _cut(text: str, limit: int = 300) -> str:
    """Header text shown in the report is bounded (a 100 kB display name is absurd)."""
    return text if len(text) <= limit else text[:limit] + "…"


def _count_received(block: bytes) -> int:
    """Received headers in the whole header block (even past what is read), any line ends."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return len(_RECEIVED.findall(block))


def _addresses(fields: list[tuple[str, bytes]], name: str) -> list[tuple[str, str]]:
    for n, v in fields:
        if n == name:
            return [(_cut(n), _cut(a)) for n, a in parse_addresses(decode_header_value(v))[:50]]
    return []


def _signatures(fields: list[tuple[str, bytes]]) -> list[tuple[str, str]]:
    """(d=, s=) of every DKIM-Signature header, in order (bounded)."""
    out = []
    for n, v in fields:
        if n != "dkim-signature":
            continue
        tags = {}
        for part in decode_header_bytes(v).split(";"):
            key, _, value = part.strip().partition("=")
            tags[key.strip().lower()] = "".join(value.split())
        out.append((sanitize(tags.get("d", "")[:255]), sanitize(tags.get("s", "")[:255])))
        if len(out) >= 20:
            break
    return out


def _provider(
    received: list[tuple[int, str]], hops: list[Hop], own_domains: tuple[str, ...]
) -> tuple[set[str], int]:
    """(the provider's organisational domains, header position of the entry hop's Received).

    Position -1 when there is no Received header at all (nothing is placed above it).
    """
    orgs = {org_domain(d) for d in own_domains if d}
    if not hops:
        return orgs - {""}, -1
    newest_first = list(reversed(hops))
    positions = [i for i, _ in received][: len(newest_first)]
    entry_position = positions[-1]
    for hop, position in zip(newest_first, positions, strict=False):
        if hop.by_host and not _is_address(hop.by_host):
            orgs.add(org_domain(hop.by_host))
        sender_org = org_domain(hop.from_host) if hop.from_host else ""
        if hop.from_host and not hop.local and sender_org and sender_org not in orgs:
            if not _is_address(hop.from_host) or hop.from_address:
                entry_position = position
                break
    return orgs - {""}, entry_position


def _is_address(host: str) -> bool:
    text = host.strip("[]()")
    return text.replace(".", "").isdigit() or ":" in text
