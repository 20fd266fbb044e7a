"""DNS checks for the account's domain: MX, SRV, SPF, DMARC, DKIM, MTA-STS, TLS-RPT, PTR.

Only DNS is asked (the MTA-STS policy file is never fetched). The first queries go out
together, so a name server that does not answer costs one timeout and is reported once.
"""

from __future__ import annotations

import base64
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.name
import dns.reversename

from tuimail.core.account import Account
from tuimail.core.discovery.mx import provider_domain
from tuimail.core.discovery.resolver import DNSError, NameserverError, Resolver, dns_failure
from tuimail.core.discovery.srv import SERVICES
from tuimail.core.doctor.report import CheckResult

_ALL = re.compile(r"^([+\-~?]?)all$", re.IGNORECASE)


@dataclass
class _Answer:
    """One query's records, or the DNS error it ended with, and the time it took."""

    records: list[Any] = field(default_factory=list)
    error: DNSError | None = None
    seconds: float = 0.0


def _ask(resolver: Resolver, name: str, rtype: str) -> _Answer:
    start = time.monotonic()
    try:
        records = resolver.query(name, rtype)
    except DNSError as exc:
        return _Answer(error=exc, seconds=time.monotonic() - start)
    return _Answer(records, seconds=time.monotonic() - start)


def _texts(answer: _Answer) -> list[str]:
    """TXT records as strings (a record's character-strings are concatenated)."""
    return [b"".join(r.strings).decode("utf-8", "replace") for r in answer.records]


def _tagged(texts: list[str], version: str) -> list[str]:
    """The records that start with `version` (e.g. 'v=DMARC1'), case-insensitively."""
    pattern = re.compile(rf"^\s*{re.escape(version)}\s*(;|$)", re.IGNORECASE)
    return [t for t in texts if pattern.match(t)]


def _tags(record: str) -> dict[str, str]:
    """'v=DMARC1; p=none' -> {'v': 'DMARC1', 'p': 'none'} (keys lower-cased)."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags.setdefault(key.strip().lower(), value.strip())
    return tags


def _dns_failure(name: str, group: str, answer: _Answer) -> CheckResult:
    failure = dns_failure(answer.error) if answer.error is not None else None
    data = {"finding": "dns-silent"}
    return CheckResult(name, group, "failure", "", "", answer.seconds, failure, data)


def check_dns(
    account: Account,
    nameserver: str | None,
    timeout: float,
    dkim_selector: str | None = None,
) -> list[CheckResult]:
    """Every DNS check for the domain of `account.email`, group "DNS for <domain>"."""
    domain = account.email.rpartition("@")[2].strip().rstrip(".").lower()
    group = f"DNS for {domain or account.email}"
    if not domain:
        return [_found("domain", group, "failure", "no-domain", email=account.email)]
    try:
        resolver = Resolver(nameserver, timeout)
    except NameserverError:  # worded at the edge (tuimail.doctor_words)
        data = {"finding": "nameserver", "nameserver": nameserver}
        return [CheckResult("name server", group, "failure", "", data=data)]

    try:
        dns.name.from_text(domain)
    except dns.exception.DNSException:
        data = {"domain": domain, "email": account.email}
        return [_found("domain", group, "failure", "bad-domain", **data)]
    known = account.extra.get("dkim_selector")  # `dkim_selector = "..."` in the config
    selector = (dkim_selector or (known if isinstance(known, str) else "")).strip()
    selector = selector.rstrip(".") or None
    wanted: dict[str, tuple[str, str]] = {
        "mx": (domain, "MX"),
        "txt": (domain, "TXT"),
        "dmarc": (f"_dmarc.{domain}", "TXT"),
        "mta-sts": (f"_mta-sts.{domain}", "TXT"),
        "tls-rpt": (f"_smtp._tls.{domain}", "TXT"),
    }
    for label in SERVICES:
        wanted[label] = (f"{label}.{domain}", "SRV")
    if selector:
        wanted["dkim"] = (f"{selector}._domainkey.{domain}", "TXT")
    answers = _ask_all(resolver, wanted)

    if all(a.error is not None for a in answers.values()):
        took = max(a.seconds for a in answers.values())
        error = answers["mx"].error
        assert error is not None
        data = {"finding": "dns-down", "nameserver": nameserver}  # None: the system's
        return [CheckResult("DNS server", group, "failure", "", "", took, dns_failure(error), data)]

    results = [_check_mx(resolver, account, domain, group, answers["mx"])]
    results.append(_check_srv(account, domain, group, answers))
    results.append(_check_spf(domain, group, answers["txt"]))
    results.append(_check_dmarc(domain, group, answers["dmarc"]))
    if selector:
        results.append(_check_dkim(selector, domain, group, answers["dkim"]))
    results.append(_check_mta_sts(domain, group, answers["mta-sts"]))
    results.append(_check_tls_rpt(domain, group, answers["tls-rpt"]))
    results.append(_check_ptr(resolver, account, group))
    return results


def _ask_all(resolver: Resolver, wanted: dict[str, tuple[str, str]]) -> dict[str, _Answer]:
    with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
        futures = {
            key: pool.submit(_ask, resolver, name, rtype) for key, (name, rtype) in wanted.items()
        }
    return {key: future.result() for key, future in futures.items()}


# -- MX -------------------------------------------------------------------------------


def _found(
    name: str, group: str, status: str, finding: str, seconds: float = 0.0, **data: Any
) -> CheckResult:
    """A DNS finding as data: its kind and what its words need (tuimail.doctor_dns_words)."""
    return CheckResult(name, group, status, "", "", seconds, data={"finding": finding, **data})  # type: ignore[arg-type]


def _check_mx(
    resolver: Resolver, account: Account, domain: str, group: str, answer: _Answer
) -> CheckResult:
    if answer.error is not None:
        return _dns_failure("MX", group, answer)
    records = sorted(answer.records, key=lambda r: r.preference)
    hosts = [str(r.exchange).rstrip(".").lower() for r in records]
    if hosts and not any(hosts):
        return _found("MX", group, "failure", "mx-null", answer.seconds, domain=domain)
    if not hosts:
        own = _ask(resolver, domain, "A")
        took = answer.seconds + own.seconds
        if own.records:
            address = str(own.records[0].address)
            return _found(
                "MX", group, "warning", "mx-fallback", took, domain=domain, address=address
            )
        return _found("MX", group, "failure", "mx-none", took, domain=domain)
    listed = [[int(r.preference), h] for r, h in zip(records, hosts, strict=True) if h]
    real = [h for h in hosts if h][:5]
    with ThreadPoolExecutor(max_workers=len(real)) as pool:
        lookups = list(pool.map(lambda h: _addresses(resolver, h), real))
    took = answer.seconds + max(s for _, _, s in lookups)
    unknown = [h for h, (found, _err, _s) in zip(real, lookups, strict=True) if not found]
    errors = [err for _found, err, _s in lookups if err is not None]
    if len(unknown) == len(real) and errors:
        return _dns_failure("MX", group, _Answer(error=errors[0], seconds=took))
    if len(unknown) == len(real):
        return _found("MX", group, "failure", "mx-no-address", took, mx=listed)
    if unknown:
        return _found("MX", group, "warning", "mx-some-unknown", took, mx=listed, unknown=unknown)
    incoming = account.incoming.host.lower().rstrip(".")
    if incoming in hosts:
        relation = "same-host"
    elif any(provider_domain(h) == provider_domain(incoming) for h in real):
        relation = "same-provider"
    else:
        relation = "elsewhere"
    data = {"mx": listed, "incoming": incoming, "relation": relation}
    return _found("MX", group, "ok", "mx", took, **data)


def _addresses(resolver: Resolver, host: str) -> tuple[list[str], DNSError | None, float]:
    start = time.monotonic()
    try:
        found = resolver.addresses(host, 25)
    except DNSError as exc:
        return [], exc, time.monotonic() - start
    return found, None, time.monotonic() - start


# -- SRV (RFC 6186 / 8314) --------------------------------------------------------------


def _check_srv(
    account: Account, domain: str, group: str, answers: dict[str, _Answer]
) -> CheckResult:
    took = max(answers[label].seconds for label in SERVICES)
    failed = [label for label in SERVICES if answers[label].error is not None]
    if failed:
        return _dns_failure("SRV records", group, answers[failed[0]])
    published: list[dict[str, Any]] = []  # target "": the service is not offered
    elsewhere: list[dict[str, Any]] = []
    for label, (protocol, security) in SERVICES.items():
        for record in answers[label].records:
            target = str(record.target).rstrip(".").lower()
            published.append({"service": label, "target": target, "port": int(record.port)})
            if not target:
                continue
            if protocol == "smtp":
                settings = account.outgoing
            elif protocol == account.protocol:
                settings = account.incoming
            else:
                continue  # the other incoming protocol: often another host, not ours
            configured = settings.host.lower().rstrip(".")
            same_service = settings.security == security
            if target != configured or (same_service and int(record.port) != settings.port):
                elsewhere.append(
                    {
                        "service": label,
                        "target": target,
                        "port": int(record.port),
                        "host": configured,
                        "configured_port": settings.port,
                    }
                )
    if not published:
        return _found("SRV records", group, "ok", "srv-none", took)
    if elsewhere:
        return _found("SRV records", group, "warning", "srv-elsewhere", took, srv=elsewhere)
    return _found("SRV records", group, "ok", "srv", took, srv=published)


# -- SPF ------------------------------------------------------------------------------


def _check_spf(domain: str, group: str, answer: _Answer) -> CheckResult:
    if answer.error is not None:
        return _dns_failure("SPF", group, answer)
    took = answer.seconds
    records = [t for t in _texts(answer) if re.match(r"^v=spf1(\s|$)", t, re.IGNORECASE)]
    if not records:
        return _found("SPF", group, "warning", "spf-none", took, domain=domain)
    if len(records) > 1:
        return _found("SPF", group, "failure", "spf-many", took, records=records)
    record = records[0]
    terms = record.split()[1:]
    qualifiers = [m.group(1) for m in map(_ALL.match, terms) if m]
    redirect = next((t for t in terms if t.lower().startswith("redirect=")), None)
    if qualifiers and qualifiers[0] in ("", "+"):
        return _found("SPF", group, "failure", "spf-plus-all", took, record=record)
    if qualifiers and qualifiers[0] == "?":
        return _found("SPF", group, "warning", "spf-neutral", took, record=record)
    senders = [t for t in terms if not _ALL.match(t) and "=" not in t.split(":")[0]]
    if not senders and redirect is None and qualifiers and qualifiers[0] in ("-", "~"):
        return _found("SPF", group, "failure", "spf-no-sender", took, record=record, domain=domain)
    if not qualifiers and redirect is None:
        return _found("SPF", group, "warning", "spf-no-all", took, record=record)
    return _found("SPF", group, "ok", "spf", took, record=record)


# -- DMARC ----------------------------------------------------------------------------


def _check_dmarc(domain: str, group: str, answer: _Answer) -> CheckResult:
    name = f"_dmarc.{domain}"
    if answer.error is not None:
        return _dns_failure("DMARC", group, answer)
    took = answer.seconds
    records = _tagged(_texts(answer), "v=DMARC1")
    if not records:
        return _found("DMARC", group, "warning", "dmarc-none", took, at=name, domain=domain)
    if len(records) > 1:
        return _found("DMARC", group, "failure", "dmarc-many", took, at=name, count=len(records))
    record = records[0]
    policy = _tags(record).get("p", "").lower()
    if policy in ("quarantine", "reject"):
        return _found("DMARC", group, "ok", "dmarc", took, record=record)
    if policy == "none":
        return _found("DMARC", group, "warning", "dmarc-monitor", took, record=record)
    data = {"record": record, "at": name, "domain": domain}
    return _found("DMARC", group, "warning", "dmarc-invalid", took, **data)


# -- DKIM -----------------------------------------------------------------------------


def _check_dkim(selector: str, domain: str, group: str, answer: _Answer) -> CheckResult:
    name = f"{selector}._domainkey.{domain}"
    if answer.error is not None:
        return _dns_failure("DKIM", group, answer)
    took = answer.seconds
    records = [t for t in _texts(answer) if "p" in _tags(t)]
    where = {"at": name, "selector": selector}
    if not records:
        return _found("DKIM", group, "failure", "dkim-none", took, **where)
    key = re.sub(r"\s+", "", _tags(records[0])["p"])
    if not key:
        return _found("DKIM", group, "failure", "dkim-revoked", took, **where)
    bits = _key_bits(key)
    if bits is None:
        return _found("DKIM", group, "failure", "dkim-unreadable", took, **where)
    if bits and bits < 1024:
        return _found("DKIM", group, "failure", "dkim-weak", took, bits=bits, **where)
    return _found("DKIM", group, "ok", "dkim", took, bits=bits, **where)  # bits 0: not RSA


def _key_bits(key: str) -> int | None:
    """The RSA key size (0 for other key types), None when it is not a key."""
    try:
        der = base64.b64decode(key, validate=True)
    except ValueError:
        return None
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        public = load_der_public_key(der)
    except ValueError:
        # Ed25519 DKIM keys (RFC 8463) are the raw 32 bytes, not DER.
        return 0 if len(der) == 32 else None
    except Exception:
        return None
    return public.key_size if isinstance(public, rsa.RSAPublicKey) else 0


# -- MTA-STS and TLS-RPT ------------------------------------------------------------------


def _optional_txt(
    label: str, prefix: str, domain: str, version: str, group: str, answer: _Answer, needed: str
) -> CheckResult:
    """An optional TXT record (`version` e.g. "v=STSv1") at `prefix`.`domain`; `needed` the tag a
    record must have. Findings "optional-none", "optional-many", "optional-incomplete"
    (`missing` the tag), "optional" (the record); `txt` says which (the edge's words for
    what it is for and how to publish it: tuimail.doctor_dns_words)."""
    if answer.error is not None:
        return _dns_failure(label, group, answer)
    took = answer.seconds
    records = _tagged(_texts(answer), version)
    txt = {"txt": label, "at": f"{prefix}.{domain}", "domain": domain}
    if not records:
        return _found(label, group, "ok", "optional-none", took, **txt)
    if len(records) > 1:
        data = {**txt, "version": version, "count": len(records)}
        return _found(label, group, "warning", "optional-many", took, **data)
    if not _tags(records[0]).get(needed):
        data = {**txt, "record": records[0], "missing": needed}
        return _found(label, group, "warning", "optional-incomplete", took, **data)
    return _found(label, group, "ok", "optional", took, record=records[0], **txt)


def _check_mta_sts(domain: str, group: str, answer: _Answer) -> CheckResult:
    return _optional_txt("MTA-STS", "_mta-sts", domain, "v=STSv1", group, answer, "id")


def _check_tls_rpt(domain: str, group: str, answer: _Answer) -> CheckResult:
    return _optional_txt("TLS-RPT", "_smtp._tls", domain, "v=TLSRPTv1", group, answer, "rua")


# -- PTR ------------------------------------------------------------------------------


def _check_ptr(resolver: Resolver, account: Account, group: str) -> CheckResult:
    """Each address of the outgoing server, its PTR name and whether that name resolves
    back to it: `ptr` a list of {address, name (None: no PTR record), back}."""
    host = account.outgoing.host.lower().rstrip(".")
    name = "PTR of the outgoing server"
    start = time.monotonic()
    if host == "localhost" or host.endswith(".localhost"):
        return _found(name, group, "ok", "ptr-local", host=host)
    found, error, _ = _addresses(resolver, host)
    if error is not None:
        return _dns_failure(name, group, _Answer(error=error, seconds=time.monotonic() - start))
    if not found:
        return _found(name, group, "warning", "ptr-no-address", time.monotonic() - start, host=host)
    ptr: list[dict[str, Any]] = []
    for address in found:
        reverse = dns.reversename.from_address(address).to_text()
        try:
            names = [str(r.target).rstrip(".").lower() for r in resolver.query(reverse, "PTR")]
        except DNSError as exc:
            return _dns_failure(name, group, _Answer(error=exc, seconds=time.monotonic() - start))
        back = [n for n in names if address in _addresses(resolver, n)[0]]
        named = back[0] if back else (names[0] if names else None)
        ptr.append({"address": address, "name": named, "back": bool(back)})
    took = time.monotonic() - start
    if not all(p["back"] for p in ptr):
        return _found(name, group, "warning", "ptr-wrong", took, host=host, ptr=ptr)
    return _found(name, group, "ok", "ptr", took, host=host, ptr=ptr)
