"""DNS checks for the account's domain: MX, SRV, SPF, DMARC, DKIM, MTA-STS, TLS-RPT, PTR.

Only DNS is asked (the MTA-STS policy file is never fetched). The first queries go out
together, so a name server that does not answer costs one timeout and is reported once.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
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
    return CheckResult(
        name,
        group,
        "failure",
        "",
        "the domain's name servers (or the DNS resolver in between) did not answer; "
        "try again later, and if it persists ask whoever runs the domain's DNS",
        answer.seconds,
        failure=failure,
        data={"finding": "dns-silent"},
    )


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
        return [
            CheckResult(
                "domain",
                group,
                "failure",
                f"the address {account.email} has no domain part",
                "correct the account's email address",
            )
        ]
    where = f"the name server {nameserver}" if nameserver else "this computer's DNS resolver"
    try:
        resolver = Resolver(nameserver, timeout)
    except NameserverError:  # worded at the edge (tuimail.doctor_words)
        data = {"finding": "nameserver", "nameserver": nameserver}
        return [CheckResult("name server", group, "failure", "", data=data)]

    try:
        dns.name.from_text(domain)
    except dns.exception.DNSException:
        return [
            CheckResult(
                "domain",
                group,
                "failure",
                f"{domain} (from the address {account.email}) is not a valid domain name",
                "correct the account's email address",
            )
        ]
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
        return [
            CheckResult(
                "DNS server",
                group,
                "failure",
                "",
                "check the network connection and the DNS settings of this computer "
                "(or the --nameserver given); the servers' host names cannot be found "
                "either while DNS does not answer",
                took,
                failure=dns_failure(error),
                data={"finding": "dns-down", "where": where},
            )
        ]

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


def _check_mx(
    resolver: Resolver, account: Account, domain: str, group: str, answer: _Answer
) -> CheckResult:
    if answer.error is not None:
        return _dns_failure("MX", group, answer)
    records = sorted(answer.records, key=lambda r: r.preference)
    hosts = [str(r.exchange).rstrip(".").lower() for r in records]
    if hosts and not any(hosts):
        return CheckResult(
            "MX",
            group,
            "failure",
            f"{domain} publishes a null MX (RFC 7505): it accepts no mail at all",
            f"if mail to @{domain} should arrive, the domain owner must replace the null "
            "MX with the provider's MX records",
            answer.seconds,
        )
    if not hosts:
        own = _ask(resolver, domain, "A")
        took = answer.seconds + own.seconds
        if own.records:
            return CheckResult(
                "MX",
                group,
                "warning",
                f"{domain} has no MX record; senders fall back to the domain's own address "
                f"{own.records[0].address}, which many refuse to do",
                f"publish MX records for {domain} pointing at the provider's mail servers "
                "(the provider's setup page lists them)",
                took,
            )
        return CheckResult(
            "MX",
            group,
            "failure",
            f"{domain} has no MX record (and no address): mail to this domain cannot be delivered",
            f"the domain owner must publish MX records for {domain} pointing at the "
            f"provider's mail servers, e.g. '{domain}. MX 10 mx.provider.example.' "
            "(the provider's setup page lists the real names)",
            took,
        )
    listed = ", ".join(f"{r.preference} {h}" for r, h in zip(records, hosts, strict=True) if h)
    real = [h for h in hosts if h][:5]
    with ThreadPoolExecutor(max_workers=len(real)) as pool:
        lookups = list(pool.map(lambda h: _addresses(resolver, h), real))
    took = answer.seconds + max(s for _, _, s in lookups)
    unknown = [h for h, (found, _err, _s) in zip(real, lookups, strict=True) if not found]
    errors = [err for _found, err, _s in lookups if err is not None]
    if len(unknown) == len(real) and errors:
        return _dns_failure("MX", group, _Answer(error=errors[0], seconds=took))
    if len(unknown) == len(real):
        return CheckResult(
            "MX",
            group,
            "failure",
            f"MX {listed}, but no MX host has an address in DNS: mail to this domain "
            "cannot be delivered",
            "the MX records must name hosts that exist (A/AAAA records); ask the domain "
            "owner to correct them to the provider's mail servers",
            took,
        )
    if unknown:
        return CheckResult(
            "MX",
            group,
            "warning",
            f"MX {listed}; {', '.join(unknown)} has no address in DNS, so senders waste "
            "time on it before trying the next",
            "remove the MX records that name hosts without an address",
            took,
        )
    incoming = account.incoming.host.lower().rstrip(".")
    if incoming in hosts:
        relation = "the incoming server is one of them"
    elif any(provider_domain(h) == provider_domain(incoming) for h in real):
        relation = f"same provider as the incoming server {incoming}"
    else:
        relation = (
            f"the incoming server {incoming} is another machine, which is normal: the MX "
            "receives mail from other servers, the incoming server hands it to you"
        )
    return CheckResult("MX", group, "ok", f"{listed}; {relation}", "", took)


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
    published: list[str] = []
    elsewhere: list[str] = []
    for label, (protocol, security) in SERVICES.items():
        for record in answers[label].records:
            target = str(record.target).rstrip(".").lower()
            if not target:
                published.append(f"{label}: not offered")
                continue
            published.append(f"{label} -> {target}:{record.port}")
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
                    f"{label} points at {target}:{record.port} but the account uses "
                    f"{configured}:{settings.port}"
                )
    if not published:
        return CheckResult(
            "SRV records",
            group,
            "ok",
            "none published (RFC 6186 records are optional; the settings were found another way)",
            "",
            took,
        )
    if elsewhere:
        return CheckResult(
            "SRV records",
            group,
            "warning",
            "; ".join(elsewhere),
            "if the provider moved its servers, update the account's settings to the "
            "published ones; otherwise the domain owner should correct the SRV records, "
            "which other mail programs use to find the servers",
            took,
        )
    return CheckResult(
        "SRV records",
        group,
        "ok",
        "; ".join(published) + " (consistent with the account)",
        "",
        took,
    )


# -- SPF ------------------------------------------------------------------------------


def _check_spf(domain: str, group: str, answer: _Answer) -> CheckResult:
    if answer.error is not None:
        return _dns_failure("SPF", group, answer)
    took = answer.seconds
    records = [t for t in _texts(answer) if re.match(r"^v=spf1(\s|$)", t, re.IGNORECASE)]
    example = "'v=spf1 include:<the provider's SPF domain> -all'"
    if not records:
        return CheckResult(
            "SPF",
            group,
            "warning",
            f"{domain} has no SPF record: receivers cannot tell which servers may send "
            f"mail as @{domain}, so your mail is more likely to be marked as spam",
            f"publish one TXT record at {domain} such as {example} (the provider "
            "documents the exact record)",
            took,
        )
    if len(records) > 1:
        shown = " | ".join(records)
        return CheckResult(
            "SPF",
            group,
            "failure",
            f"{len(records)} SPF records ({shown}): receivers treat this as an error and "
            "SPF fails for all your mail",
            "merge them into a single 'v=spf1 ... -all' TXT record and delete the others",
            took,
        )
    record = records[0]
    terms = record.split()[1:]
    qualifiers = [m.group(1) for m in map(_ALL.match, terms) if m]
    redirect = next((t for t in terms if t.lower().startswith("redirect=")), None)
    if qualifiers and qualifiers[0] in ("", "+"):
        return CheckResult(
            "SPF",
            group,
            "failure",
            f"'{record}' ends in '+all': anyone may send as you, on any server",
            "replace '+all' with '-all' (or '~all') so that only the servers listed "
            "before it may send as this domain",
            took,
        )
    if qualifiers and qualifiers[0] == "?":
        return CheckResult(
            "SPF",
            group,
            "warning",
            f"'{record}' ends in '?all': neutral, it says nothing about other servers",
            "end the record with '-all' (or '~all') once it lists all your real senders",
            took,
        )
    senders = [t for t in terms if not _ALL.match(t) and "=" not in t.split(":")[0]]
    if not senders and redirect is None and qualifiers and qualifiers[0] in ("-", "~"):
        return CheckResult(
            "SPF",
            group,
            "failure",
            f"'{record}' lists no server at all: it says nothing may send mail as "
            f"@{domain}, so every message you send fails SPF (and is refused or junked "
            "where DMARC applies)",
            f"list the provider's sending servers before the 'all', e.g. {example}; "
            "'v=spf1 -all' alone is only for domains that never send mail",
            took,
        )
    if not qualifiers and redirect is None:
        return CheckResult(
            "SPF",
            group,
            "warning",
            f"'{record}' has no 'all' rule: servers not listed are neutral, not refused",
            "end the record with '-all' (or '~all')",
            took,
        )
    return CheckResult("SPF", group, "ok", f"'{record}'", "", took)


# -- DMARC ----------------------------------------------------------------------------


def _check_dmarc(domain: str, group: str, answer: _Answer) -> CheckResult:
    name = f"_dmarc.{domain}"
    if answer.error is not None:
        return _dns_failure("DMARC", group, answer)
    took = answer.seconds
    example = f"'v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{domain}'"
    records = _tagged(_texts(answer), "v=DMARC1")
    if not records:
        return CheckResult(
            "DMARC",
            group,
            "warning",
            f"no DMARC record at {name}: receivers have no policy for mail that claims "
            "to be from you but fails SPF and DKIM, and large providers expect one",
            f"publish a TXT record at {name} such as {example} (start with p=none to "
            "watch the reports, then tighten it)",
            took,
        )
    if len(records) > 1:
        return CheckResult(
            "DMARC",
            group,
            "failure",
            f"{len(records)} DMARC records at {name}: receivers ignore them all",
            "keep a single v=DMARC1 record and delete the others",
            took,
        )
    record = records[0]
    policy = _tags(record).get("p", "").lower()
    if policy in ("quarantine", "reject"):
        return CheckResult("DMARC", group, "ok", f"'{record}'", "", took)
    if policy == "none":
        return CheckResult(
            "DMARC",
            group,
            "warning",
            f"'{record}': p=none is monitoring only; mail forged in your name is "
            "delivered as usual",
            "when the reports show your own mail passes, change to p=quarantine, then p=reject",
            took,
        )
    return CheckResult(
        "DMARC",
        group,
        "warning",
        f"'{record}' has no valid policy (p= must be none, quarantine or reject)",
        f"correct the record at {name}, e.g. {example}",
        took,
    )


# -- DKIM -----------------------------------------------------------------------------


def _check_dkim(selector: str, domain: str, group: str, answer: _Answer) -> CheckResult:
    name = f"{selector}._domainkey.{domain}"
    if answer.error is not None:
        return _dns_failure("DKIM", group, answer)
    took = answer.seconds
    records = [t for t in _texts(answer) if "p" in _tags(t)]
    if not records:
        return CheckResult(
            "DKIM",
            group,
            "failure",
            f"no DKIM key at {name}: mail signed with selector '{selector}' fails DKIM",
            f"publish the public key the provider gives for selector '{selector}' as a "
            "TXT record ('v=DKIM1; k=rsa; p=...'); check the selector (it is the s= of "
            "the DKIM-Signature header of a mail you sent)",
            took,
        )
    key = re.sub(r"\s+", "", _tags(records[0])["p"])
    if not key:
        return CheckResult(
            "DKIM",
            group,
            "failure",
            f"the DKIM key at {name} is revoked (empty p=)",
            f"publish the current key for selector '{selector}', or sign with another one",
            took,
        )
    bits = _key_bits(key)
    if bits is None:
        return CheckResult(
            "DKIM",
            group,
            "failure",
            f"the DKIM key at {name} cannot be read (p= is not a public key)",
            "copy the key from the provider again: it is often cut when pasted",
            took,
        )
    if bits and bits < 1024:
        return CheckResult(
            "DKIM",
            group,
            "failure",
            f"the DKIM key at {name} has only {bits} bits: receivers ignore it",
            "create a 2048-bit key and publish it (a new selector avoids a gap)",
            took,
        )
    size = f"{bits}-bit key" if bits else "key"
    return CheckResult("DKIM", group, "ok", f"{size} published at {name}", "", took)


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
    label: str,
    name: str,
    version: str,
    group: str,
    answer: _Answer,
    purpose: str,
    how: str,
    needed: Callable[[dict[str, str]], str | None],
) -> CheckResult:
    if answer.error is not None:
        return _dns_failure(label, group, answer)
    took = answer.seconds
    records = _tagged(_texts(answer), version)
    if not records:
        return CheckResult(
            label, group, "ok", f"not published at {name} (optional: {purpose})", how, took
        )
    if len(records) > 1:
        return CheckResult(
            label,
            group,
            "warning",
            f"{len(records)} {version} records at {name}: senders ignore them all",
            f"keep a single {version} record and delete the others",
            took,
        )
    problem = needed(_tags(records[0]))
    if problem:
        return CheckResult(label, group, "warning", f"'{records[0]}' {problem}", how, took)
    return CheckResult(label, group, "ok", f"'{records[0]}'", "", took)


def _check_mta_sts(domain: str, group: str, answer: _Answer) -> CheckResult:
    result = _optional_txt(
        "MTA-STS",
        f"_mta-sts.{domain}",
        "v=STSv1",
        group,
        answer,
        "it lets other mail servers insist on TLS when delivering to you",
        f"publish a TXT record at _mta-sts.{domain} ('v=STSv1; id=20250101') and the "
        f"policy file at https://mta-sts.{domain}/.well-known/mta-sts.txt",
        lambda tags: None if tags.get("id") else "has no id=, so senders ignore it",
    )
    if result.status == "ok" and result.seen.startswith("'"):
        result.seen += " (only DNS was checked, not the policy file)"
    return result


def _check_tls_rpt(domain: str, group: str, answer: _Answer) -> CheckResult:
    return _optional_txt(
        "TLS-RPT",
        f"_smtp._tls.{domain}",
        "v=TLSRPTv1",
        group,
        answer,
        "it asks other servers to report TLS delivery problems to you",
        f"publish a TXT record at _smtp._tls.{domain} such as "
        f"'v=TLSRPTv1; rua=mailto:tls-reports@{domain}'",
        lambda tags: None if tags.get("rua") else "has no rua=, so no report can be sent",
    )


# -- PTR ------------------------------------------------------------------------------


def _check_ptr(resolver: Resolver, account: Account, group: str) -> CheckResult:
    host = account.outgoing.host.lower().rstrip(".")
    name = "PTR of the outgoing server"
    start = time.monotonic()
    if host == "localhost" or host.endswith(".localhost"):
        return CheckResult(
            name,
            group,
            "ok",
            f"{host} is this computer (RFC 6761): it has no public address whose PTR "
            "receiving servers would check",
        )
    found, error, _ = _addresses(resolver, host)
    if error is not None:
        return _dns_failure(name, group, _Answer(error=error, seconds=time.monotonic() - start))
    if not found:
        return CheckResult(
            name,
            group,
            "warning",
            f"the outgoing server {host} has no address in DNS, so its PTR cannot be checked",
            "check the outgoing server's host name in the account settings",
            time.monotonic() - start,
        )
    seen: list[str] = []
    problems: list[str] = []
    for address in found:
        reverse = dns.reversename.from_address(address).to_text()
        try:
            names = [str(r.target).rstrip(".").lower() for r in resolver.query(reverse, "PTR")]
        except DNSError as exc:
            return _dns_failure(name, group, _Answer(error=exc, seconds=time.monotonic() - start))
        if not names:
            problems.append(f"{address} (of {host}) has no PTR record")
            continue
        back = [n for n in names if address in _addresses(resolver, n)[0]]
        if back:
            seen.append(f"{address} -> {back[0]}")
        else:
            problems.append(
                f"{address} (of {host}) has the PTR name {names[0]}, which does not "
                f"resolve back to {address}"
            )
    took = time.monotonic() - start
    if problems:
        return CheckResult(
            name,
            group,
            "warning",
            "; ".join(problems + seen),
            "only the owner of the address (the provider) can set its PTR record; it "
            "should name the server and that name should resolve back to the address, "
            "or receiving servers that check it may treat the mail as spam",
            took,
        )
    return CheckResult(name, group, "ok", "; ".join(seen) + " (and back)", "", took)
