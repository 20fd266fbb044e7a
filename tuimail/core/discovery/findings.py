"""What detection concluded, as data for the edge to word (tuimail.detect_words).

Core makes no sentence here (tests/test_layers.py): each item says what kind of thing
was found and carries the hosts, ports, security and typed failures it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from tuimail.core.errors import MailError

if TYPE_CHECKING:
    from tuimail.core.discovery.model import Candidate, ProbeResult


class ConfirmKind(Enum):
    """Why a chosen server needs the user's explicit yes before any password goes to it."""

    PLAIN = "plain"  # it works only without encryption
    WEAKER = "weaker"  # a stronger way to the same role was offered and failed
    OUTSIDE = "outside"  # it is outside the address's domain (found by SRV, MX, autoconfig)


@dataclass(frozen=True)
class Confirm:
    """One reason to ask. `chosen` is the server picked for `role`; for WEAKER,
    `stronger` is the failed probe (its typed `failure` says why); for OUTSIDE, `domain`
    is the address's domain."""

    kind: ConfirmKind
    role: str  # "incoming" | "outgoing"
    chosen: Candidate
    stronger: ProbeResult | None = None
    domain: str = ""


class NoticeKind(Enum):
    """Something the user should know about a detection that worked."""

    PLAIN_SKIPPED = "plain_skipped"  # servers not tried because they would be unencrypted
    ISPDB_UNPROBED = "ispdb_unprobed"  # settings from the shipped ISP database, untried
    DEADLINE = "deadline"  # the detection's time was up: servers not answered by then failed


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    provider: str = ""  # ISPDB_UNPROBED: the provider's display name
    seconds: float = 0.0  # DEADLINE: the time limit


class NotFoundReason(Enum):
    """Why detection has no usable pair of servers."""

    NOT_AN_ADDRESS = "not_an_address"  # the input has no usable domain
    NOTHING = "nothing"  # no working server at all
    ONE_ROLE = "one_role"  # one role was found, the other not


class NotFoundHint(Enum):
    """What may still help when nothing was found (the first that applies)."""

    PLAIN_SKIPPED = "plain_skipped"  # some servers might work without encryption
    PINNABLE = "pinnable"  # a certificate from an unknown authority: --ca-file or a pin
    NOT_SECURED = "not_secured"  # some servers answered but could not be secured


@dataclass(frozen=True)
class NotFound:
    """Detection's typed error. `named_by`: the sources (not guessing) that named the
    secure servers tried; `found`: ONE_ROLE's server that works; `failures`: the typed
    failures of the secure probes, in report order."""

    reason: NotFoundReason
    email: str
    domain: str
    named_by: tuple[str, ...] = ()
    hint: NotFoundHint | None = None
    found: Candidate | None = None
    failures: tuple[MailError, ...] = field(default=(), repr=False)
    guessed: bool = True  # the usual host names were tried (not when the time was up first)
