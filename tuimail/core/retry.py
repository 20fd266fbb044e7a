"""The one retry policy: exponential back-off with jitter and a cap, decided by type.

    policy = RetryPolicy(first=5, cap=300)
    policy.delay(0), policy.delay(1), ...   # ~5, ~10, ~20 ... never above 300 s
    policy.wait(attempt, error)             # the same, with a longer floor for violations
    next_phase(error)                       # what an account does after `error`

Transient errors (lost, unreachable, timed out, busy) are retried by themselves after
`delay(attempt)`. A protocol violation is too (the connection it happened on is already
dropped; a fresh one may behave), but never sooner than `violation_first` (within the
cap), so a broken server is not hammered. A rejected password never is (lock-out risk:
the user is asked); security failures and other permanent errors stop and are explained.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from tuimail.core.errors import AuthenticationFailed, MailError, ProtocolViolation


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
    violation_first: float = 30.0  # the floor after a protocol violation (within the cap)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number `attempt` (0-based); within the cap."""
        base = min(self.cap, self.first * self.factor ** max(attempt, 0))
        spread = base * self.jitter * (2 * rand() - 1)
        return max(0.0, min(self.cap, base + spread))

    def wait(
        self,
        attempt: int,
        error: BaseException | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """`delay(attempt)`; after a protocol violation at least `violation_first` (capped)."""
        wait = self.delay(attempt, rand)
        if isinstance(error, ProtocolViolation):
            wait = max(wait, min(self.cap, self.violation_first))
        return wait


def retryable(error: BaseException) -> bool:
    """Whether an account tries again by itself after `error`: a transient failure, or a
    protocol violation (on a fresh connection, after a longer wait)."""
    if isinstance(error, ProtocolViolation):
        return True
    return isinstance(error, MailError) and error.retry


def next_phase(error: MailError) -> Phase:
    """What the account does after `error`, from its type alone."""
    if isinstance(error, AuthenticationFailed):
        return Phase.NEEDS_PASSWORD
    if retryable(error):
        return Phase.OFFLINE_RETRYING
    return Phase.ERROR
