"""Passwords: held in memory in a type that never shows its value.

Textual's crash screen prints local variables; logs print reprs. A `Secret` prints as
``***`` everywhere; only `reveal()` gives the password, at the moment it is sent.
"""

from __future__ import annotations


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self):  # never pickled to disk by accident
        raise TypeError("a Secret cannot be pickled")


def as_secret(value: str | Secret) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)
