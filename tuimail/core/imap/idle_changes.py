"""What a server said during IDLE, read from imapclient's parsed untagged responses.

    changes = IdleChanges()
    changes.read(client.idle_check(timeout))   # as often as needed, then the DONE tail
    changes.changed                            # anything about the mailbox at all
    changes.flags                              # {uid: (flags, modseq)}: FETCH naming a UID
    changes.count_after(count_before)          # the server's message count now, if known

Only facts are kept: flag updates that name their UID (QRESYNC servers always do), UID
ranges of VANISHED (never expanded: a server may say 1:4294967295), the last EXISTS, how
many EXPUNGEs (message numbers, which need the folder's numbering to apply), and the
HIGHESTMODSEQ announced. A response of a known kind whose shape is wrong raises
ProtocolViolation: the watcher then drops the connection and starts again from the server's
state rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tuimail.core.errors import ProtocolViolation

MAX_UID = (1 << 32) - 1


@dataclass
class IdleChanges:
    exists: int | None = None  # the last EXISTS
    expunges: int = 0  # EXPUNGE responses (message numbers)
    vanished: list[tuple[int, int]] = field(default_factory=list)  # UID ranges
    flags: dict[int, tuple[tuple[str, ...], int | None]] = field(default_factory=dict)
    unnamed_fetches: int = 0  # FETCH without a UID: a changed-since query finds them
    highestmodseq: int | None = None
    # the count's history in order: ("exists", n) | ("gone", k)
    _counts: list[tuple[str, int]] = field(default_factory=list)

    @classmethod
    def told_exists(cls, count: int) -> IdleChanges:
        """As if the server had just said `* count EXISTS`."""
        changes = cls()
        changes.read([(count, b"EXISTS")])
        return changes

    @property
    def changed(self) -> bool:
        return bool(
            self.exists is not None
            or self.expunges
            or self.vanished
            or self.flags
            or self.unnamed_fetches
        )

    def count_after(self, before: int) -> int:
        """The mailbox's message count after these responses, from `before`."""
        count = before
        for kind, value in self._counts:
            count = value if kind == "exists" else count - value
        return count

    def impossible(self, before: int) -> bool:
        """More messages said gone than the mailbox held at that point (each UID of an
        unsolicited VANISHED, each EXPUNGE, names a message that was there)."""
        count = before
        for kind, value in self._counts:
            count = value if kind == "exists" else count - value
            if count < 0:
                return True
        return False

    def read(self, responses) -> None:
        for response in responses or ():
            self._read_one(response)

    def _read_one(self, response) -> None:
        if not isinstance(response, tuple) or not response:
            return
        if response[0] == b"VANISHED":
            self._vanished(response[1:])
            return
        if len(response) < 2:
            return
        head, kind = response[0], response[1]
        if isinstance(head, int) and isinstance(kind, bytes):
            word = kind.upper()
            if word == b"EXISTS":
                self.exists = _count(head)
                self._counts.append(("exists", self.exists))
            elif word == b"EXPUNGE":
                self.expunges += 1
                self._counts.append(("gone", 1))
            elif word == b"FETCH":
                self._fetch(response[2] if len(response) > 2 else None)
            return  # RECENT and others: nothing to apply
        if head == b"VANISHED":
            self._vanished(response[1:])
        elif (
            head == b"OK"
            and isinstance(kind, bytes)
            and kind.upper().startswith(b"[HIGHESTMODSEQ ")
        ):
            value = kind[15:].split(b"]", 1)[0].strip()
            if not value.isdigit():
                raise _unreadable("HIGHESTMODSEQ")
            self.highestmodseq = int(value)

    def _fetch(self, items) -> None:
        if not isinstance(items, tuple) or len(items) % 2:
            raise _unreadable("FETCH update")
        values = {
            name.upper(): value
            for name, value in zip(items[::2], items[1::2], strict=True)
            if isinstance(name, bytes)
        }
        uid, flags, modseq = values.get(b"UID"), values.get(b"FLAGS"), values.get(b"MODSEQ")
        if flags is None:
            return  # nothing about flags (a server may say other things)
        if not isinstance(flags, tuple) or not all(isinstance(f, bytes) for f in flags):
            raise _unreadable("flags")
        if isinstance(modseq, tuple) and len(modseq) == 1:
            modseq = modseq[0]
        if modseq is not None and not (isinstance(modseq, int) and modseq > 0):
            raise _unreadable("MODSEQ")
        if uid is None:
            self.unnamed_fetches += 1
            return
        if not isinstance(uid, int) or not 0 < uid <= MAX_UID:
            raise _unreadable("UID")
        text = tuple(f.decode("utf-8", "replace") for f in flags)
        self.flags[uid] = (text, modseq)

    def _vanished(self, rest: tuple) -> None:
        earlier = False
        parts: list[str] = []
        for item in rest:
            if isinstance(item, tuple):
                earlier = earlier or any(
                    isinstance(i, bytes) and i.upper() == b"EARLIER" for i in item
                )
            elif isinstance(item, int):
                parts.append(str(item))
            elif isinstance(item, bytes):
                parts.append(item.decode("ascii", "replace"))
        ranges = _ranges(",".join(parts))
        if not ranges:
            raise _unreadable("VANISHED")
        self.vanished.extend(ranges)
        if not earlier:  # an unsolicited VANISHED lowers the count (RFC 7162 3.2.10)
            self._counts.append(("gone", sum(high - low + 1 for low, high in ranges)))


def _unreadable(item: str) -> ProtocolViolation:
    """An update the connection cannot go on after: `item` names what could not be read
    (worded at the edge, tuimail.words)."""
    return ProtocolViolation(reason="unreadable-update", data={"item": item}, protocol="imap")


def _count(value: int) -> int:
    if not 0 <= value <= MAX_UID:
        raise _unreadable("message count")
    return value


def _ranges(text: str) -> list[tuple[int, int]]:
    """'1:3,7' -> [(1, 3), (7, 7)]; anything else in it makes the whole set unreadable."""
    out: list[tuple[int, int]] = []
    for part in text.split(","):
        low, _, high = part.strip().partition(":")
        if not low.isdigit() or not (high or low).isdigit():
            return []
        a, b = int(low), int(high or low)
        if not (0 < a <= MAX_UID and 0 < b <= MAX_UID):
            return []
        out.append((min(a, b), max(a, b)))
    return out
