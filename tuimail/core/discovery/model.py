"""What discovery passes around: candidates, probe results, progress events."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
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
    detail: str  # plain, not a sentence: people read it worded at the edge (detect_words)
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


class Step(Enum):
    """What a look-up found (Event.note), for the edge to word."""

    SRV_RECORDS = "srv_records"  # `count` records (0: none), `srv` the per-name notes
    AUTOCONFIG = "autoconfig"  # a document listing `count` servers
    MX_NONE = "mx_none"  # the domain has no MX record
    MX_SAME_DOMAIN = "mx_same_domain"  # the first MX `host` is in the address's domain
    MX_PROVIDER = "mx_provider"  # the first MX `host` belongs to the provider `name`
    ISPDB = "ispdb"  # the shipped ISP database knows the provider `name`
    PIN_READ = "pin_read"  # the certificate's key `pin` (SHA-256) was read; nothing sent
    PIN_UNREADABLE = "pin_unreadable"  # the key could not be read


@dataclass(frozen=True)
class SrvNote:
    """One SRV name that gave no server: `failure` is its typed DNS failure, or None
    when the record says the service is not offered (RFC 6186 target ".")."""

    name: str
    failure: MailError | None = None


@dataclass(frozen=True)
class Note:
    """A look-up's typed outcome (no sentence: tuimail.detect_words words it)."""

    step: Step
    count: int = 0
    host: str = ""
    name: str = ""
    pin: str = ""
    srv: tuple[SrvNote, ...] = ()


@dataclass(frozen=True)
class Event:
    """A progress report: one look-up or probe finished (the UI shows these live).
    Exactly what happened is typed: a probe's `result`, a login's `check`, a look-up's
    `failure` (MailError) or `note`; people read it worded by tuimail.detect_words.event."""

    stage: str  # "srv" | "autoconfig" | "mx" | "ispdb" | "probe" | "pin" | "login"
    target: str  # what was asked: a DNS name, a URL, "imap imap.example.org:993 tls"
    ok: bool
    result: ProbeResult | None = None
    check: Any = None  # a login's LoginCheck (tuimail.core.discovery.verify)
    failure: Any = None  # a look-up's typed failure (MailError), worded at the edge
    note: Note | None = None

    @property
    def detail(self) -> str:
        """Plain, not a sentence (logs, core's own JSON): the kind of outcome."""
        if self.result is not None:
            return self.result.detail
        if self.check is not None:
            return self.check.detail
        if isinstance(self.failure, MailError):
            failure = self.failure
            detail = failure.message or failure.reason or failure.server_text or ""
            return f"{failure.kind}: {detail}" if detail else failure.kind
        if self.note is not None:
            return self.note.step.value
        return ""
