"""What discovery passes around: candidates, probe results, progress events."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tuimail.core.errors import MailError

SECURITY_RANK = {"tls": 0, "starttls": 1, "plain": 2}
SOURCES = ("srv", "autoconfig", "mx", "ispdb", "guess")


@dataclass(frozen=True)
class Candidate:
    """One server to try: where, how secured, and which method found it."""

    protocol: str  # "imap" | "pop3" | "smtp"
    host: str
    port: int
    security: str  # "tls" | "starttls" | "plain"
    source: str  # "srv" | "autoconfig" | "mx" | "ispdb" | "guess"
    order: int = 0  # the source's own preference (SRV priority/weight, XML order)
    outside_domain: bool = False  # host not under the user's domain: confirm with user

    @property
    def role(self) -> str:
        return "outgoing" if self.protocol == "smtp" else "incoming"


@dataclass
class ProbeResult:
    candidate: Candidate
    ok: bool
    detail: str  # plain: what worked, or why not (people read `failure` worded at the edge)
    capabilities: list[str] = field(default_factory=list)
    auth_mechanisms: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False  # not tried (e.g. plain without --allow-plain)
    pin: str | None = None  # a self-signed server's key SHA-256, for the user to pin
    untrusted_issuer: bool = False  # failed only for want of a known issuer
    verified: bool = True  # False: taken from the shipped ISP database, no probe answered
    failure: MailError | None = field(default=None, repr=False)  # why not, typed

    def to_dict(self) -> dict:
        out = asdict(self.candidate)
        out.pop("order", None)
        out.pop("untrusted_issuer", None)
        out.update(
            ok=self.ok,
            skipped=self.skipped,
            certificate_sha256=self.pin,
            detail=self.detail,
            auth_mechanisms=list(self.auth_mechanisms),
            seconds=round(self.seconds, 3),
            verified=self.verified,
        )
        return out


@dataclass(frozen=True)
class Event:
    """A progress report: one look-up or probe finished (the UI shows these live)."""

    stage: str  # "srv" | "autoconfig" | "mx" | "dns" | "probe" | "pin" | "login"
    target: str  # what was asked: a DNS name, a URL, "imap imap.example.org:993 tls"
    ok: bool
    detail: str
    result: ProbeResult | None = None
    check: Any = None  # a login's LoginCheck (tuimail.core.discovery.verify)
    failure: Any = None  # a look-up's typed failure (MailError), worded at the edge
