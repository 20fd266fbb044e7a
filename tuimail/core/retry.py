"""The one retry policy: exponential back-off with jitter and a cap, decided by type.

    policy = RetryPolicy(first=5, cap=300)
    policy.delay(0), policy.delay(1), ...   # ~5, ~10, ~20 ... never above 300 s
    next_phase(error)                       # what an account does after `error`

Transient errors (lost, unreachable, timed out, busy) are retried by themselves after
`delay(attempt)`; a rejected password never is (lock-out risk: the user is asked);
security failures and other permanent errors stop and are explained.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from tuimail.core.errors import AuthenticationFailed, MailError


class Phase(StrEnum):
    """The explicit states of an account runtime."""

    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE_RETRYING = "offline-retrying"
    NEEDS_PASSWORD = "needs-password"
    ERROR = "error"
    STOPPED = "stopped"


@dataclass(frozen=True)
class RetryPolicy:
    first: float = 5.0  # seconds before the first retry
    cap: float = 300.0  # never wait longer than this
    factor: float = 2.0
    jitter: float = 0.25  # +-25 %: accounts and programs do not retry in step

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number `attempt` (0-based); within the cap."""
        base = min(self.cap, self.first * self.factor ** max(attempt, 0))
        spread = base * self.jitter * (2 * rand() - 1)
        return max(0.0, min(self.cap, base + spread))


def next_phase(error: MailError) -> Phase:
    """What the account does after `error`, from its type alone."""
    if isinstance(error, AuthenticationFailed):
        return Phase.NEEDS_PASSWORD
    if error.retry:
        return Phase.OFFLINE_RETRYING
    return Phase.ERROR
