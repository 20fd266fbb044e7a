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
        return [DkimCheck("", "", "error", "too-large", {"limit": MAX_MESSAGE_BYTES})]
    for index, (domain, selector) in enumerate(report.dkim_signatures[:MAX_SIGNATURES]):
        said = provider.get((domain.lower(), selector)) or provider.get((domain.lower(), ""), "")
        result, reason, data = _verify(raw, index, resolver)
        clean = {k: sanitize(v) if isinstance(v, str) else v for k, v in data.items()}
        checks.append(DkimCheck(domain, selector, result, reason, clean, said))
    return checks


def _lookup_failed(exc: DNSError) -> dict:
    """A key look-up that failed, as data (worded by tuimail.words.dkim.dkim_detail)."""
    return {
        "name": exc.data.get("name"),
        "rtype": exc.data.get("rtype"),
        "timed_out": isinstance(exc, TimeoutError),
        "detail": exc.data.get("detail"),
    }


def _verify(raw: bytes, index: int, resolver: Resolver) -> tuple[str, str, dict]:
    """(result, reason, data): result as in DkimCheck, reason one of DKIM_REASONS."""
    lookups: list[tuple[str, object]] = []  # (name, "found" | "missing" | failure data)

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
        return "fail", "does-not-verify", {"library": str(exc)}
    except dkim.DKIMException as exc:
        return "error", "cannot-check", {"library": str(exc)}
    except Exception as exc:  # dkimpy on hostile input: data, not a crash
        return "error", "library-failed", {"type": type(exc).__name__}
    if ok:
        return "pass", "valid", {}
    for name, outcome in lookups:
        if outcome == "missing":
            return "no key", "no-key", {"name": name}
        if isinstance(outcome, dict):
            return "error", "key-lookup-failed", outcome
    if not lookups:
        return "error", "malformed", {}
    return "fail", "changed", {}
