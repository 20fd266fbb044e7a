"""tuimail's own DKIM check (dkimpy), asking DNS through the doctor's Resolver.

On request only: it needs the network. Each DKIM-Signature is verified on its own; the
result is compared with what the user's provider said for the same domain and selector.
The DNS answers come from `Resolver` (the system's resolver, or `--nameserver`), never
from dkimpy's own resolver, so the same DNS settings apply as for the doctor.
"""

from __future__ import annotations

import logging

import dkim

from tuimail.core.discovery.resolver import DNSError, Resolver
from tuimail.core.report.explain import provider_verdicts
from tuimail.core.report.model import DeliveryReport, DkimCheck
from tuimail.core.sanitize import sanitize

MAX_SIGNATURES = 10
MAX_DNS_SECONDS = 10.0  # a key look-up; the account's timeout when shorter


def dns_timeout(account_seconds: float) -> float:
    """Seconds one DKIM key look-up may take: DNS answers in milliseconds or not at all."""
    return min(account_seconds, MAX_DNS_SECONDS)


MAX_MESSAGE_BYTES = 32 * 1024 * 1024

_quiet = logging.getLogger("tuimail.dkim")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def check_dkim(
    raw: bytes, report: DeliveryReport, resolver: Resolver | None = None
) -> list[DkimCheck]:
    """Verify every DKIM-Signature (at most MAX_SIGNATURES); never raises."""
    resolver = resolver or Resolver()
    provider = {}
    for v in provider_verdicts(report, "dkim"):
        key = (
            (v.prop("header.d") or v.prop("header.i").rpartition("@")[2]).lower(),
            v.prop("header.s"),
        )
        provider.setdefault(key, v.result)
    checks: list[DkimCheck] = []
    if len(raw) > MAX_MESSAGE_BYTES:
        return [DkimCheck("", "", "error", "the message is too large to check here")]
    for index, (domain, selector) in enumerate(report.dkim_signatures[:MAX_SIGNATURES]):
        said = provider.get((domain.lower(), selector)) or provider.get((domain.lower(), ""), "")
        result, detail = _verify(raw, index, resolver)
        checks.append(DkimCheck(domain, selector, result, sanitize(detail), said))
    return checks


def _lookup_failed(exc: DNSError) -> str:
    """The report's words for a key look-up that failed, from the error's data."""
    query = f"the DNS query for {exc.data.get('name')} ({exc.data.get('rtype')})"
    if isinstance(exc, TimeoutError):
        return f"{query} timed out"
    return f"{query} failed ({exc.data.get('detail')})"


def _verify(raw: bytes, index: int, resolver: Resolver) -> tuple[str, str]:
    lookups: list[tuple[str, str]] = []  # (name, outcome): "found" | "missing" | error text

    def txt(name: bytes, timeout: float = 5) -> bytes | None:
        # dkimpy passes its own 5 s: the resolver's (the account's, if shorter) still bounds it
        text = name.decode("ascii", "replace").rstrip(".")
        try:
            records = resolver.query(text, "TXT", timeout=min(timeout, resolver.dns.lifetime))
        except DNSError as exc:
            lookups.append((text, _lookup_failed(exc)))
            raise dkim.DnsTimeoutError(str(exc)) from None
        if not records:
            lookups.append((text, "missing"))
            return None
        lookups.append((text, "found"))
        return b"".join(b"".join(r.strings) for r in records[:1])

    try:
        verifier = dkim.DKIM(raw, logger=_quiet, minkey=1024)
        ok = verifier.verify(idx=index, dnsfunc=txt)
    except dkim.ValidationError as exc:  # body hash mismatch, expired, bad tags
        return "fail", f"the signature does not verify ({exc})"
    except dkim.DKIMException as exc:
        return "error", f"the signature cannot be checked: {exc}"
    except Exception as exc:  # dkimpy on hostile input: a sentence, not a crash
        return "error", f"the signature cannot be checked ({type(exc).__name__})"
    if ok:
        return "pass", "the signature is valid: signed parts unchanged"
    for name, outcome in lookups:
        if outcome == "missing":
            return "no key", f"no key is published at {name}: the signature cannot be valid"
        if outcome != "found":
            return "error", f"the key could not be fetched ({outcome})"
    if not lookups:
        return "error", "the signature is malformed"
    return "fail", "the signature does not match: the message was changed after signing"
