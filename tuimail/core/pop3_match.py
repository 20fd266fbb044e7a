"""Which earlier download a message with the header fields of one is: the evidence rule.

Equal stable header keys (`tuimail.core.pop3_keys`) do not make two messages one: a copy
delivered twice, or a message arriving with the fields of one downloaded earlier that
has since left the server, has them too. Taking such a message for the earlier download
would never download it (and, with a deletion policy, delete it unread). So every
download keeps its evidence: the size the server gave it when last seen, whether it was
on the server at the last check, and its body (hash and size) as downloaded.

For the messages of one session with equal header fields (a group, in message number
order) and the earlier downloads of those fields no other message of the session
stands for (the candidates):

- Cheap (no transfer): every message pairs with its own candidate that was on the server
  at the last check and either has the size the server gives now or the same body size
  (the size less the header as TOP gave it: an mbox server wrote status fields into it).
- Otherwise the whole group is decided by body (one RETR each): a message is the
  candidate with the same body hash (the same fields and the same body: that message,
  back on the server, and its content is stored), else it is new. A candidate without
  body evidence (a download removed from the store before this was recorded) is taken
  by the earlier rule given by the caller (header fields and size).

The whole group, not only the unpaired ones: pairing one message by size can be wrong
(the download left, a new copy of its size arrived, and the other's size changed), and
then the new copy would be lost. What stays uncertain: between two checks, a download
leaving the server and a message arriving with the same header fields and the same
size (or body size), which is taken for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tuimail.core.pop3_keys import header_size

if TYPE_CHECKING:
    from tuimail.core.pop3 import KnownMessage, OnServer

BodyOf = Callable[[int], "str | None"]  # message number -> body hash (None: refused)
OldRule = Callable[["OnServer", "KnownMessage"], bool]


def cheap(entry: OnServer, candidate: KnownMessage) -> bool:
    """The server's listing alone shows `entry` is the download `candidate` (header
    fields known equal): it was on the server at the last check and has its size, or
    the same body size."""
    if candidate.removed or candidate.absent or entry.size is None:
        return False
    if candidate.size is not None and candidate.size == entry.size:
        return True
    return (
        candidate.body_size is not None
        and entry.header is not None
        and entry.size - header_size(entry.header) == candidate.body_size
    )


def same(entry: OnServer, number: int, candidate: KnownMessage, body_of: BodyOf) -> bool | None:
    """One message against the one download its UIDL names (header fields known equal):
    the cheap rule, else the body (None: the server refused to send it). A download
    without body evidence is taken as before (it is the one)."""
    if candidate.body is None or cheap(entry, candidate):
        return True
    digest = body_of(number)
    return None if digest is None else digest == candidate.body


def resolve(
    members: Sequence[tuple[int, OnServer]],
    candidates: Sequence[KnownMessage],
    body_of: BodyOf,
    old_rule: OldRule,
) -> dict[int, KnownMessage | None]:
    """Message number -> the candidate it is (None: new) for each member of a group;
    a number left out could not be read (the server refused it), so it is neither
    downloaded nor deleted this time. Each candidate stands for one message at most."""
    if not candidates:
        return {number: None for number, _entry in members}
    free = list(candidates)
    pairs: dict[int, KnownMessage | None] = {}
    for number, entry in members:
        match = next((c for c in free if cheap(entry, c)), None)
        if match is None:
            break
        free.remove(match)
        pairs[number] = match
    else:
        return pairs
    free = list(candidates)
    result: dict[int, KnownMessage | None] = {}
    for number, _entry in members:
        digest = body_of(number)
        if digest is None:
            continue
        match = next((c for c in free if c.body == digest), None)
        if match is not None:
            free.remove(match)
        result[number] = match
    for number, entry in members:
        if number in result and result[number] is None:
            match = next((c for c in free if c.body is None and old_rule(entry, c)), None)
            if match is not None:
                free.remove(match)
                result[number] = match
    return result
