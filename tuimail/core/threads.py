"""Thread trees from References / In-Reply-To (Jamie Zawinski's algorithm, as mutt, aerc and
Thunderbird use it), with missing parents kept as placeholders and a subject fallback for mail
whose references were lost.

    roots = build_threads(items)                # newest activity first
    lines = flatten(roots, collapsed={key, ...})  # what the list shows, with tree lines

Invariants: every input message appears exactly once in the forest; no cycle is ever built
(a reference that would make one is ignored); work is linear in the number of messages plus
references (each message's references are capped), so 100k messages thread in well under a
second; nothing here reads the network or the store.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

MAX_REFERENCES = 100  # a hostile References header cannot make threading quadratic
_PREFIXES = ("re", "fw", "fwd", "aw", "sv", "vs", "antw", "rif", "r", "tr", "wg")


class ThreadInput(NamedTuple):
    """One message as threading sees it (a tuple: cheap to make 100k of)."""

    id: int  # the store's message row id
    message_id: str
    in_reply_to: str = ""
    references: str = ""  # whitespace-separated message ids, oldest first
    subject: str = ""
    date: float = 0.0
    unread: bool = False


class ThreadNode:
    """A message (`item`), or a placeholder for a parent that is not here (`item is None`).
    `latest`, `count` and `unread` summarise the subtree. `parent` is used while building
    only: the trees build_threads returns have none (no cycles, so a tree can be kept out of
    the cyclic collector's walks and still be freed when dropped)."""

    __slots__ = ("key", "item", "parent", "children", "latest", "newest", "count", "unread")

    def __init__(self, key: str) -> None:
        self.key = key
        self.item: ThreadInput | None = None
        self.parent: ThreadNode | None = None
        self.children: list[ThreadNode] = []
        self.latest = 0.0
        self.newest = 0  # id of the newest message below: ties in `latest` as the list breaks them
        self.count = 0
        self.unread = 0

    def walk(self):
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass
class Links:
    """What a build tells an incremental update (tuimail.core.thread_list) of how its
    threads could join others."""

    # (message row id, its own Message-ID, the ids it cites) of every message
    mentions: list[tuple[int, str, list[str]]] = field(default_factory=list)
    bases: dict[str, list[ThreadNode]] = field(default_factory=dict)  # roots by base subject
    replied: set[str] = field(default_factory=set)  # base subjects with a reply ("Re:") root


class ThreadLine(NamedTuple):
    """One row of a threaded list."""

    id: int | None  # message row id; None for a placeholder of a missing parent
    depth: int
    prefix: str  # tree drawing, e.g. "│ ├─"
    root: str  # the key of the thread this row belongs to (for collapse/expand)
    is_root: bool
    collapsed: bool  # a collapsed thread's root row: `count` messages hidden under it
    count: int
    has_unread: bool


def _ids(text: str) -> list[str]:
    """Message ids of a References / In-Reply-To value (angle brackets kept, case kept)."""
    if not text:
        return []
    if "," in text or ";" in text:
        text = text.replace(",", " ").replace(";", " ")
    out = [
        t for t in text.replace(">", "> ").split() if t[0] == "<" and t[-1] == ">" and len(t) > 2
    ]
    return out[-MAX_REFERENCES:] if len(out) > MAX_REFERENCES else out


def subject_parts(subject: str) -> tuple[str, bool]:
    """(base subject folded for comparison, whether it carried a reply/forward prefix):
    "Re: [list] Fwd: Hello" -> ("hello", True); "[list] Hello" -> ("hello", False)."""
    s = subject.strip()
    reply = False
    changed = True
    while changed and s:
        changed = False
        if s.startswith("["):
            end = s.find("]")
            if 0 < end < 40:
                s, changed = s[end + 1 :].lstrip(), True
                continue
        head, colon, rest = s.partition(":")
        if colon and len(head) <= 6:
            word = head.strip().lower().rstrip("0123456789[]() ")
            if word in _PREFIXES:
                s, changed, reply = rest.lstrip(), True, True
    return " ".join(s.lower().split()), reply


def base_subject(subject: str) -> str:
    return subject_parts(subject)[0]


@contextmanager
def paused_gc():
    """No cyclic garbage collection while 100k nodes (with parent links) are made: the
    collector would walk them again and again (measured: half the time of a 100k build)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def build_threads(
    items: Iterable[ThreadInput],
    *,
    by_subject: bool = True,
    links: Links | None = None,
) -> list[ThreadNode]:
    """The forest of `items`, newest activity first. The result depends on the order of
    `items` only where mail disagrees (two parents claimed for one message, a Message-ID
    twice): give them in a fixed order (the store's id order) to get the same forest
    from the same mail. `links` (if given) is filled in: what an incremental update needs
    (tuimail.core.thread_list)."""
    with paused_gc():
        return _build_threads(items, by_subject, links)


def citations(item: ThreadInput) -> list[str]:
    """The message ids `item` cites, oldest first, as threading links them: References,
    then In-Reply-To's last id if References does not end with it."""
    refs = _ids(item.references)
    if item.in_reply_to:
        reply_to = _ids(item.in_reply_to)
        if reply_to and (not refs or refs[-1] != reply_to[-1]):
            refs.append(reply_to[-1])
    return refs


def mention_keys(item: ThreadInput) -> list[str]:
    """Every message id whose presence can change where `item` goes (its own and the
    ones it cites): two messages sharing none of them thread independently."""
    own = item.message_id.strip()
    refs = citations(item)
    if own:
        refs.append(own)
    return refs


def _build_threads(
    items: Iterable[ThreadInput],
    by_subject: bool,
    links: Links | None = None,
) -> list[ThreadNode]:
    mentions = links.mentions if links is not None else None
    table: dict[str, ThreadNode] = {}
    serial = 0

    def reachable(ancestor: ThreadNode, node: ThreadNode) -> bool:
        """True if `node` is `ancestor` or below it (linking would make a cycle)."""
        probe: ThreadNode | None = ancestor
        steps = 0
        while probe is not None and steps < 10_000:
            if probe is node:
                return True
            probe = probe.parent
            steps += 1
        return steps >= 10_000

    def link(parent: ThreadNode, child: ThreadNode) -> None:
        if child.parent is not None or parent is child or reachable(parent, child):
            return
        child.parent = parent
        parent.children.append(child)

    get = table.get
    for item in items:
        own = key = item.message_id.strip()
        node = get(key) if key else None
        if node is None or node.item is not None:  # no id, or a duplicate id: a new one
            if node is not None or not key:
                # Named after the store's id (not a count): the same message gets the same
                # key in every build, whatever else came or went. The trailing space keeps
                # it apart from every Message-ID (those are stripped).
                key = f"\0{item.id} "
                if key in table:  # the same id twice (never from the store)
                    serial += 1
                    key = f"\0{item.id}.{serial} "
            node = table[key] = ThreadNode(key)
        node.item = item
        refs = citations(item)
        previous: ThreadNode | None = None
        for n, ref in enumerate(refs):
            ref_node = get(ref)
            if ref_node is None:
                ref_node = table[ref] = ThreadNode(ref)
            else:
                refs[n] = ref_node.key  # one str per id, however many cite it
            if previous is not None and ref_node.parent is None:
                link(previous, ref_node)
            previous = ref_node
        if mentions is not None:
            mentions.append((item.id, own, refs))
        if previous is not None and previous is not node:
            if node.parent is not None and node.parent is not previous:
                # The message's own references win over what others implied.
                node.parent.children.remove(node)
                node.parent = None
            link(previous, node)

    roots = [node for node in table.values() if node.parent is None]
    roots = _prune(roots)
    if by_subject:
        roots = _group_by_subject(roots, links)
    for root in roots:
        _summarise(root)
        for node in root.walk():  # handed out acyclic: freed by reference counting alone
            node.parent = None
    # Newest first; messages of the same second by id, newest first, as the flat list
    # orders them (store _SORTS "date": m.date DESC, m.id DESC).
    roots.sort(key=_recency, reverse=True)
    return roots


def _recency(node: ThreadNode) -> tuple[float, int]:
    return (node.latest, node.newest)


def _position(node: ThreadNode) -> tuple[float, int]:
    """Where a reply sits among its siblings: oldest first, a tie by id (as date_asc)."""
    item = node.item
    return (item.date, item.id) if item else (node.latest, node.newest)


def _prune(roots: list[ThreadNode]) -> list[ThreadNode]:
    """Placeholders (referenced, not here) below a root give their children to their
    parent; an empty root is dropped, replaced by its only child, or kept to group several
    replies to a message that is not here."""
    out: list[ThreadNode] = []
    for root in roots:
        _splice_placeholders(root)
        if root.item is None:
            if not root.children:
                continue
            if len(root.children) == 1:
                child = root.children[0]
                child.parent = None
                out.append(child)
                continue
        out.append(root)
    return out


def _splice_placeholders(root: ThreadNode) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        kept: list[ThreadNode] = []
        pending = deque(node.children)
        while pending:
            kid = pending.popleft()
            if kid.item is None:
                pending.extendleft(reversed(kid.children))
                continue
            kid.parent = node
            kept.append(kid)
            stack.append(kid)
        node.children = kept


def _group_by_subject(roots: list[ThreadNode], links: Links | None = None) -> list[ThreadNode]:
    """Threads whose root lost its references but has the same base subject join the
    thread started by the original (not-a-reply) message: the first such root in the
    order given, else the first reply. Roots that are not replies stay roots, so where
    no root of a base subject is a reply, nothing joins and the order does not matter.
    `links` (if given) gets the roots that stay roots by base subject (every root that
    joined another has the base of the one it joined) and the bases with a reply root."""
    first: dict[str, tuple[ThreadNode, bool]] = {}
    parts: list[tuple[str, bool]] = []
    for root in roots:
        base, reply = subject_parts(root.item.subject) if root.item is not None else ("", False)
        parts.append((base, reply))
        if not base:
            continue
        if reply and links is not None:
            links.replied.add(base)
        held = first.get(base)
        if held is None or (held[1] and not reply):
            first[base] = (root, reply)
    out = []
    for root, (base, reply) in zip(roots, parts, strict=True):
        held = first.get(base) if base else None
        if held is None or held[0] is root or not reply:
            out.append(root)
            if links is not None and base:
                links.bases.setdefault(base, []).append(root)
            continue
        host = held[0]
        root.parent = host
        host.children.append(root)
    return out


def _summarise(root: ThreadNode) -> None:
    """latest/count/unread for every node (iterative post-order), children by date."""
    order = list(root.walk())
    for node in reversed(order):
        item = node.item
        latest, newest = (item.date, item.id) if item else (0.0, 0)
        count = 1 if item else 0
        unread = 1 if item and item.unread else 0
        for child in node.children:
            if child.latest > latest or (child.latest == latest and child.newest > newest):
                latest, newest = child.latest, child.newest
            count += child.count
            unread += child.unread
        node.latest, node.newest, node.count, node.unread = latest, newest, count, unread
        if len(node.children) > 1:
            node.children.sort(key=_position)


def flatten(
    roots: list[ThreadNode],
    collapsed: AbstractSet[str] | None = None,
    *,
    collapse_all: bool = False,
) -> list[ThreadLine]:
    """The rows of a threaded list: a collapsed thread is its root row only."""
    with paused_gc():
        return _flatten(roots, collapsed, collapse_all)


def _flatten(roots: list[ThreadNode], collapsed: AbstractSet[str] | None, collapse_all: bool):
    collapsed = collapsed or set()
    lines: list[ThreadLine] = []
    for root in roots:
        shut = collapse_all != (root.key in collapsed)  # the set toggles the default
        lines.append(
            ThreadLine(
                root.item.id if root.item else None,
                0,
                "",
                root.key,
                True,
                shut and root.count > 1,
                root.count,
                root.unread > 0,
            )  # fmt: skip
        )
        if shut:
            continue
        stack: list[tuple[ThreadNode, int, str, bool]] = [
            (child, 1, "", i == len(root.children) - 1)
            for i, child in reversed(list(enumerate(root.children)))
        ]
        while stack:
            node, depth, above, last = stack.pop()
            prefix = above + ("└─" if last else "├─")
            lines.append(
                ThreadLine(
                    node.item.id if node.item else None,
                    depth,
                    prefix,
                    root.key,
                    False,
                    False,
                    node.count,
                    node.unread > 0,
                )  # fmt: skip
            )
            below = above + ("  " if last else "│ ")
            kids = node.children
            for i in range(len(kids) - 1, -1, -1):
                stack.append((kids[i], depth + 1, below, i == len(kids) - 1))
    return lines
