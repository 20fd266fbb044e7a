"""argparse types shared by the commands: a bad value is a usage error (exit 2) with one
sentence, never a failure later in the network code (nan, inf or a negative timeout
reached socket and thread waits: OverflowError, ValueError)."""

from __future__ import annotations

import argparse
import math

LONGEST = 7 * 24 * 3600.0  # a week: longer waits are typos, and overflow some clocks


def seconds(text: str) -> float:
    """A timeout in seconds: a number above 0, at most a week."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    if value > LONGEST:
        raise argparse.ArgumentTypeError(f"{text!r} is more than a week ({LONGEST:.0f} s)")
    return value
