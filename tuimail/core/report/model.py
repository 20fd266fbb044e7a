"""The delivery report's types: plain data, every string already sanitised.

Invariant: whoever builds these (tuimail.core.report.build) passes every string that came
from the message through `sanitize`; renderers (CLI, UI) may print them as they are, but the
UI must still hand them to Textual as Text, never as markup.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Hop:
    """One Received header, oldest first (number 1 is the first server the message met).

    `parsed` is False when neither mail-parser nor the fallback found a from/by/date in it:
    then only `raw` is meaningful, and the hop is still shown (never dropped).
    """

    number: int
    raw: str
    parsed: bool
    from_host: str = ""
    from_address: str = ""  # the [IP] the receiving server saw, if it wrote one
    by_host: str = ""
    protocol: str = ""  # the `with` word as written: SMTP, ESMTPS, ESMTPSA, LMTP, HTTP...
    encrypted: bool | None = None  # None: the header does not say
    authenticated: bool | None = None
    local: bool = False  # between programs on one machine (localhost, LMTP, pickup)
    time: datetime | None = None  # aware, as the server wrote it
    delay: float | None = None  # seconds since the previous hop with a time
    notes: tuple[str, ...] = ()  # "clock looks off", "waited 2 h", "could not read"


@dataclass(frozen=True)
class Verdict:
    """One method's result in an Authentication-Results header (RFC 8601)."""

    method: str  # spf | dkim | dmarc | arc | iprev | auth | ...
    result: str  # pass | fail | softfail | neutral | none | temperror | permerror | policy
    properties: tuple[tuple[str, str], ...] = ()  # (ptype.property, value), e.g. header.d
    reason: str = ""
    comment: str = ""

    def prop(self, *names: str) -> str:
        """The first property among `names` (e.g. "header.d", "header.i"), or ""."""
        for name in names:
            for key, value in self.properties:
                if key == name:
                    return value
        return ""


@dataclass(frozen=True)
class AuthResults:
    """One Authentication-Results (or ARC-Authentication-Results) header."""

    authserv_id: str
    verdicts: tuple[Verdict, ...]
    trusted: bool  # added by the user's own provider (see build.py for the rule)
    source: str  # "Authentication-Results" | "ARC-Authentication-Results i=N"
    raw: str
    parsed: bool = True


@dataclass(frozen=True)
class Explanation:
    """A sentence for people about one aspect; level: ok | info | warning | bad."""

    topic: str  # spf | dkim | dmarc | arc | combined | sender | reply-to | spam | route | ...
    level: str
    text: str


@dataclass(frozen=True)
class DkimCheck:
    """tuimail's own verification of one DKIM-Signature."""

    domain: str
    selector: str
    result: str  # pass | fail | no key | error
    reason: str  # one of DKIM_REASONS; worded at the edge (tuimail.words.dkim.dkim_detail)
    data: dict = field(default_factory=dict)  # what the words need, strings sanitised
    provider_said: str = ""  # the provider's result for the same d=/s=, "" if it said none


# DkimCheck.reason (data as noted): the words for people are tuimail.words.dkim.dkim_detail.
DKIM_REASONS = (
    "valid",  # the signature verifies: signed parts unchanged
    "does-not-verify",  # dkimpy's ValidationError (data: library, its words)
    "cannot-check",  # another DKIMException (data: library)
    "library-failed",  # dkimpy crashed on hostile input (data: type, the exception's)
    "no-key",  # no TXT record at the key's name (data: name)
    "key-lookup-failed",  # the key's DNS query failed (data: name, rtype, timed_out, detail)
    "malformed",  # no key was even asked for
    "changed",  # the key was found but the signature does not match
    "too-large",  # the message is over MAX_MESSAGE_BYTES (data: limit)
)


@dataclass(frozen=True)
class SpamInfo:
    """What X-Spam-* headers say (claims of some server on the way)."""

    flagged: bool | None
    score: float | None
    required: float | None
    tests: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]


@dataclass
class DeliveryReport:
    """Everything the report shows, in the order it is shown."""

    hops: list[Hop] = field(default_factory=list)
    received_count: int = 0  # Received headers in the message (hops + omitted == this)
    omitted_hops: int = 0  # beyond the bound; counted, never silently lost
    total_seconds: float | None = None
    written: datetime | None = None  # the Date header (the sender's clock)
    written_to_first_hop: float | None = None  # seconds from Date to the first hop's time
    provider: str = ""  # authserv-id trusted as the user's provider, "" if none
    provider_rule: str = ""
    auth_results: list[AuthResults] = field(default_factory=list)
    explanations: list[Explanation] = field(default_factory=list)
    warnings: list[Explanation] = field(default_factory=list)
    spam: SpamInfo | None = None
    dkim_signatures: list[tuple[str, str]] = field(default_factory=list)  # (d=, s=)
    dkim_checks: list[DkimCheck] | None = None  # None: not asked for
    from_header: str = ""
    from_domain: str = ""

    def as_dict(self) -> dict:
        """JSON-ready: times as ISO 8601 strings."""
        data = asdict(self)
        for hop in data["hops"]:
            hop["time"] = hop["time"].isoformat() if hop["time"] else None
        data["written"] = self.written.isoformat() if self.written else None
        return data
