"""A threaded folder as a list source: JWZ trees (tuimail.core.threads) over the store.

Building reads only what threading needs for every message of the folder (one light
query); the list then asks for pages, and only the rows of a page are read in full (by
id), so scrolling a threaded 100k folder costs what scrolling a flat one does.

Invariants: `lines` has one entry per shown row (a collapsed thread is one row); a row
whose message is not here (a parent never received, or a message that just left) is a
placeholder with a negative id, which no action touches; flags are read fresh with each
page, so a thread's unread mark follows reading without a rebuild; `refresh()` rebuilds
only when messages came or went. `rebuilt()` gives exactly the tree a full rebuild
gives (rows, depth, order, collapsed threads) while re-threading only the threads the
change can reach (see `_updated`).
"""

from __future__ import annotations

import copy
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from operator import attrgetter, mul
from typing import Any

from tuimail.core.layered_map import LayeredMap
from tuimail.core.threads import (
    Links,
    ThreadInput,
    ThreadLine,
    ThreadNode,
    base_subject,
    build_threads,
    flatten,
    mention_keys,
    paused_gc,
)

# An update re-threads the threads it can reach; past these it is a full rebuild (which
# then costs about what the update would).
UPDATE_MESSAGES = 2_000  # messages that came or went since the tree was built
UPDATE_SHARE = 4  # re-threading more than a quarter of the folder

Threads = str | tuple[str, ...]  # one thread's key, or several (a value of the indexes)
_id = attrgetter("id")


class ThreadSource:
    """count()/rows() like the other list sources, plus collapse/expand and members."""

    def __init__(
        self,
        store: Any,
        folder: Any,
        *,
        reverse: bool = False,
        collapsed: AbstractSet[str] | None = None,
        collapse_all: bool = False,
    ) -> None:
        self.store = store
        self.folder = folder
        self.reverse = reverse  # oldest thread first
        # Toggled against collapse_all. Never changed in place (a new set each time): a
        # worker building the successor reads lines, collapsed and collapse_all together.
        self.collapsed: frozenset[str] = frozenset(collapsed or ())
        self.collapse_all = collapse_all
        self.roots: list[ThreadNode] = []
        self.lines: list[ThreadLine] = []
        # Layered (tuimail.core.layered_map): a successor copies them at the cost of what
        # changed, not of the whole folder.
        self._roots: LayeredMap[str, ThreadNode] = LayeredMap()  # thread key -> its root
        self._root_of: LayeredMap[int, str] = LayeredMap()  # message id -> its thread's key
        # Message-ID -> the thread(s) with a message that has it or cites it; base
        # subject -> the thread(s) whose root has it; the base subjects with a root that
        # is a reply (only those group threads). What `_updated` needs to know which
        # threads a change can reach.
        self._index: LayeredMap[str, Threads] = LayeredMap()
        self._bases: LayeredMap[str, Threads] = LayeredMap()
        self._replied: frozenset[str] = frozenset()
        self._signature: tuple[int, int, int] | None = None
        self._newest = 0  # the highest message id when built (new mail comes above it)
        self.shown_for: tuple = ()  # what the UI built this for (its folder, its order)
        self.rebuilding = False  # the UI is building its successor (rebuilt())
        self.again = False  # and more changed meanwhile: look again when it is done
        self.rebuild()

    # -- building ---------------------------------------------------------------------

    def rebuild(self) -> None:
        with paused_gc():
            self._rebuild()

    def _rebuild(self) -> None:
        items = _inputs(self.store.thread_inputs(self.folder))
        links = Links()
        self.roots = build_threads(items, links=links)
        roots, root_of, index, bases = _indexes(self.roots, links)
        self._roots, self._root_of = LayeredMap(roots), LayeredMap(root_of)
        self._index, self._bases = LayeredMap(index), LayeredMap(bases)
        self._replied = frozenset(links.replied)
        # What was built (not a second query: mail arriving meanwhile is then stale).
        self._signature = _signature(list(map(_id, items)))
        self._newest = items[-1].id if items else 0
        self.collapsed = frozenset(self.collapsed & roots.keys())
        self.lines = self._lines(self.collapsed, self.collapse_all)

    def _lines(self, collapsed: frozenset[str], collapse_all: bool) -> list[ThreadLine]:
        lines = flatten(self.roots, collapsed, collapse_all=collapse_all)
        if self.reverse:  # threads oldest first; each thread still reads top-down
            groups: list[list[ThreadLine]] = []
            for line in lines:
                if line.is_root:
                    groups.append([])
                groups[-1].append(line)
            lines = [line for group in reversed(groups) for line in group]
        return lines

    def follow(self, shown: ThreadSource) -> bool:
        """Take the threads collapsed in `shown` (the tree this one succeeds, collapsed or
        opened while this one was built in a worker); True if that changed the rows."""
        collapsed = frozenset(key for key in shown.collapsed if key in self._roots)
        if (collapsed, shown.collapse_all) == (self.collapsed, self.collapse_all):
            return False
        lines = self._lines(collapsed, shown.collapse_all)
        self.collapsed, self.collapse_all, self.lines = collapsed, shown.collapse_all, lines
        return True

    def stale(self) -> bool:
        """Messages came or went since the tree was built."""
        return self.store.folder_signature(self.folder) != self._signature

    def refresh(self) -> bool:
        """Bring the tree up to date in place if messages came or went since (only the
        threads they reach are threaded again, as in `rebuilt`); True if any did."""
        if not self.stale():
            return False
        updated = self._updated()
        if updated is None:
            self.rebuild()
        else:
            self.__dict__.update(updated.__dict__)
        return True

    def rebuilt(self) -> ThreadSource:
        """The tree of the folder as it is now, with the same threads collapsed (to build
        off the UI thread and swap in; this one is left as it was). Only the threads that
        the messages which came or went can reach are threaded again (`_updated`); a
        full rebuild when that is most of the folder."""
        return self._updated() or self._fresh()

    def successor(self) -> ThreadSource | None:
        """`rebuilt()` if messages came or went since the build, else None (one count
        over the folder, not two: for a worker)."""
        signature = self.store.folder_signature(self.folder)
        if signature == self._signature:
            return None
        return self._updated(signature) or self._fresh()

    def _fresh(self) -> ThreadSource:
        fresh = ThreadSource(
            self.store,
            self.folder,
            reverse=self.reverse,
            collapsed=self.collapsed,
            collapse_all=self.collapse_all,
        )
        fresh.shown_for = self.shown_for
        return fresh

    def _updated(self, signature: tuple[int, int, int] | None = None) -> ThreadSource | None:
        """A copy with the messages that came or went since the build, or None when a full
        rebuild is due (nothing built yet, or too much changed: UPDATE_MESSAGES,
        UPDATE_SHARE).

        Exact, not a heuristic: threading joins two messages only through a Message-ID
        that one has or cites and the other has or cites, or through the base subject of
        their threads' roots when one of those roots is a reply. So the threads reached
        from the change through those (the closure: `_reach`) are threaded again from
        their messages in the same order a full build reads them (by id), and every other
        thread is what a full build makes of it, kept as it is. Roots are ordered by (latest date, newest id), which no two
        share, so the new threads' places are found by bisection."""
        if self._signature is None:
            return None
        if signature is None:
            signature = self.store.folder_signature(self.folder)
        newer = _inputs(self.store.thread_inputs(self.folder, after=self._newest))
        gone: set[int] = set()
        if _signature(newer, self._signature) == signature:
            arrived = newer  # only new mail (the usual case): no need to list the folder
        else:  # something left, or came with an older id (moved here)
            present = set(self.store.message_ids(self.folder))
            gone = self._root_of.keys_not_in(present)
            came = sorted(self._root_of.missing(present))
            if len(gone) + len(came) > UPDATE_MESSAGES:
                return None
            arrived = _inputs(self.store.thread_inputs(self.folder, ids=came)) if came else []
        if len(arrived) > UPDATE_MESSAGES:
            return None
        reach = self._reach(gone, arrived)
        if reach is None:
            return None
        affected, roots, links = reach
        return self._spliced(affected, roots, links)

    def _reach(
        self, gone: Iterable[int], arrived: list[ThreadInput]
    ) -> tuple[set[str], list[ThreadNode], Links] | None:
        """The keys of the threads the change reaches, and their messages (without the
        ones gone, with the ones arrived) threaded again; None past UPDATE_SHARE."""
        gone = set(gone)
        affected: set[str] = {self._root_of[i] for i in gone}
        todo_threads = list(affected)
        todo_keys = [key for item in arrived for key in mention_keys(item)]
        looked: set[str] = set()
        limit = max(64, len(self._root_of) // UPDATE_SHARE)

        def add(threads: Threads | None) -> None:
            for key in (threads,) if isinstance(threads, str) else threads or ():
                if key not in affected:
                    affected.add(key)
                    todo_threads.append(key)

        members = 0
        while True:
            while todo_threads or todo_keys:
                while todo_keys:
                    key = todo_keys.pop()
                    if key not in looked:
                        looked.add(key)
                        add(self._index.get(key))
                while todo_threads:
                    root = self._roots[todo_threads.pop()]
                    if root.item is not None:
                        base = base_subject(root.item.subject)
                        if base in self._replied:  # its root may have hosted others
                            add(self._bases.get(base))
                    for node in root.walk():
                        if node.item is not None:
                            members += 1
                            todo_keys.extend(mention_keys(node.item))
                if members > limit:
                    return None
            ids = [i for key in affected for i in self._members(key) if i not in gone]
            ids.extend(item.id for item in arrived)
            # Read again (not the tree's copies): the flags may have changed since.
            items = _inputs(self.store.thread_inputs(self.folder, ids=sorted(ids)))
            if any(item.date != item.date for item in items):  # NaN: no place in the order
                return None
            links = Links()
            roots = build_threads(items, links=links)
            before = len(affected)
            for base in links.bases:  # a root may now group with another thread by subject
                if base in links.replied or base in self._replied:
                    add(self._bases.get(base))
            if len(affected) == before:
                return affected, roots, links

    def _spliced(
        self,
        affected: set[str],
        new_roots: list[ThreadNode],
        links: Links,
    ) -> ThreadSource:
        """A copy of this tree with the threads `affected` replaced by `new_roots`."""
        # As shown now, read at once (the UI thread may collapse a thread meanwhile).
        shown_lines, shown_collapsed, collapse_all = self.lines, self.collapsed, self.collapse_all
        new_by_key, new_root_of, new_index, new_bases = _indexes(new_roots, links)
        roots_by_key, root_of = self._roots.copy(), self._root_of.copy()
        index, by_base = self._index.copy(), self._bases.copy()
        left: set[int] = set()
        subjects = set(new_bases)
        old = [roots_by_key.pop(key) for key in affected]  # the threads replaced
        for root in old:
            if root.item is not None:
                base = base_subject(root.item.subject)
                subjects.add(base)
                by_base[base] = _without(by_base.get(base), root.key)
            for node in root.walk():
                if node.item is not None:
                    left.add(node.item.id)
                    del root_of[node.item.id]
                    for cited in mention_keys(node.item):
                        index.pop(cited, None)  # cited by affected threads only (closure)
        roots_by_key.update(new_by_key)
        root_of.update(new_root_of)
        index.update(new_index)
        for base, threads in new_bases.items():  # beside the threads of this base kept
            for key in (threads,) if isinstance(threads, str) else threads:
                by_base[base] = _with(by_base[base], key) if by_base.get(base) else key
        for base in subjects:
            if not by_base.get(base):
                by_base.pop(base, None)
        # A base's roots kept beside the new ones have no reply among them (else they
        # were all reached): its roots have one if the new ones do.
        replied = (self._replied - subjects) | links.replied
        collapsed = frozenset(
            key for key in shown_collapsed if key not in affected or key in new_by_key
        )

        # The roots and rows: the old threads out, the new ones in, each found by bisection
        # on its rank (rows hold whole threads in list order: no pass over every row).
        roots = list(self.roots)
        lines = list(shown_lines)
        cuts = []
        for root in old:
            start = _first_row(lines, root, self.reverse, self._roots.__getitem__)
            end = start + 1
            while end < len(lines) and not lines[end].is_root:
                end += 1
            cuts.append((start, end))
        for start, end in sorted(cuts, reverse=True):
            del lines[start:end]
        for root in sorted(old, key=_rank, reverse=True):
            del roots[bisect_left(roots, _rank(root), key=_rank)]

        for root in new_roots:  # the rows hold kept threads and new ones: roots_by_key's
            roots.insert(bisect_left(roots, _rank(root), key=_rank), root)
            row = _first_row(lines, root, self.reverse, roots_by_key.__getitem__)
            lines[row:row] = flatten([root], collapsed, collapse_all=collapse_all)

        updated = copy.copy(self)
        updated.roots, updated.lines, updated.collapsed = roots, lines, collapsed
        updated.collapse_all = collapse_all
        updated._roots, updated._root_of = roots_by_key, root_of
        updated._index, updated._bases, updated._replied = index, by_base, frozenset(replied)
        removed, added = left - new_root_of.keys(), new_root_of.keys() - left
        assert self._signature is not None
        count, total, squares = _signature(added, self._signature)
        _, less, less_squares = _signature(removed)
        updated._signature = (count - len(removed), total - less, squares - less_squares)
        updated._newest = max(self._newest, max(added, default=0))
        updated.rebuilding = updated.again = False
        return updated

    def _members(self, key: str) -> list[int]:
        """The ids of thread `key`'s messages, top to bottom."""
        root = self._roots.get(key)
        if root is None:
            return []
        return [node.item.id for node in root.walk() if node.item is not None]

    # -- the list source --------------------------------------------------------------

    def count(self) -> int:
        return len(self.lines)

    def rows(self, offset: int, limit: int) -> Sequence[Any]:
        from tuimail.core.service import MessageRow, view_row

        page = self.lines[offset : offset + limit]
        found = {r.id: r for r in self.store.messages_by_ids([x.id for x in page if x.id])}
        members = {x.root: self._members(x.root) for x in page if x.collapsed}
        hidden = [i for ids in members.values() for i in ids]
        unread = self.store.unread_among(hidden) if hidden else set()
        out = []
        for n, line in enumerate(page):
            stored = found.get(line.id) if line.id is not None else None
            seen = stored.seen if stored is not None else True
            tree = {
                "tree": line.prefix,
                "thread_key": line.root,
                "thread_root": line.is_root,
                "thread_count": line.count if line.is_root else 0,
                "collapsed": line.collapsed,
                "thread_unread": (not seen)
                or (line.collapsed and any(i in unread for i in members.get(line.root, ()))),
            }
            if stored is None:
                placeholder = -(offset + n + 1)
                # no subject: the list says what a placeholder is (ui message_list)
                row = MessageRow(placeholder, "", "", 0, None, "", "", seen=True, **tree)
            else:
                row = view_row(stored, line.depth, **tree)
            out.append(row)
        return out

    # -- threads ----------------------------------------------------------------------

    def toggle(self, key: str) -> None:
        """Collapse the thread `key` if it is open, open it if it is collapsed."""
        collapsed = self.collapsed ^ {key}
        lines = self._lines(collapsed, self.collapse_all)
        self.collapsed, self.lines = collapsed, lines

    def toggle_all(self) -> None:
        """Every thread collapsed (or, when they already are, every one open)."""
        collapse_all = not self.collapse_all
        lines = self._lines(frozenset(), collapse_all)
        self.collapse_all, self.collapsed, self.lines = collapse_all, frozenset(), lines

    def row_of(self, message_id: int) -> int | None:
        """The row showing message `message_id` (its thread's row when the thread is
        collapsed); None if it is not in this tree."""
        key = self._root_of.get(message_id)
        if key is None:
            return None
        start = _first_row(self.lines, self._roots[key], self.reverse, self._roots.__getitem__)
        if start >= len(self.lines) or self.lines[start].root != key:
            return None
        for row in range(start, len(self.lines)):
            line = self.lines[row]
            if line.id == message_id or (line.collapsed and line.root == key):
                return row
            if row > start and line.is_root:
                break
        return start

    def index_of(self, key: str) -> int:
        """The row of thread `key`'s root (0 if it is gone)."""
        root = self._roots.get(key)
        if root is None:
            return 0
        row = _first_row(self.lines, root, self.reverse, self._roots.__getitem__)
        return row if row < len(self.lines) and self.lines[row].root == key else 0

    def thread_members(self, message_id: int) -> list[Any]:
        """Every message of the thread `message_id` is in (collapsed or not)."""
        from tuimail.core.service import view_row

        key = self._root_of.get(message_id)
        ids = self._members(key) if key is not None else []
        return [view_row(r) for r in self.store.messages_by_ids(ids)]


def _inputs(rows: Iterable[tuple]) -> list[ThreadInput]:
    return [
        ThreadInput(i, mid or "", irt or "", refs or "", subject or "", date or 0.0, not seen)
        for i, mid, irt, refs, subject, date, seen in rows
    ]


def _signature(
    messages: Iterable[ThreadInput] | Iterable[int], plus: tuple[int, int, int] = (0, 0, 0)
) -> tuple[int, int, int]:
    """The store's folder_signature of these messages (ThreadInputs or ids), added to
    `plus`."""
    ids = [m if isinstance(m, int) else m.id for m in messages]
    return (plus[0] + len(ids), plus[1] + sum(ids), plus[2] + sum(map(mul, ids, ids)))


def _rank(root: ThreadNode) -> tuple[float, int]:
    """Roots in list order (newest activity first) are in ascending rank."""
    return (-root.latest, -root.newest)


def _recency(root: ThreadNode) -> tuple[float, int]:
    """Roots in list order oldest thread first (`reverse`) are in ascending recency."""
    return (root.latest, root.newest)


def _first_row(
    lines: Sequence[ThreadLine],
    root: ThreadNode,
    reverse: bool,
    root_named: Callable[[str], ThreadNode],
) -> int:
    """The row where thread `root` starts in `lines` (or would start, if it is not
    there): rows hold whole threads in list order and no two roots share a rank, so a
    bisection on the rank of each row's thread (`root_named`: thread key -> root)."""
    rank = _recency if reverse else _rank
    return bisect_left(lines, rank(root), key=lambda line: rank(root_named(line.root)))


def _indexes(
    roots: list[ThreadNode], links: Links
) -> tuple[dict[str, ThreadNode], dict[int, str], dict[str, Threads], dict[str, Threads]]:
    """The roots by key, each message's thread, the threads having or citing each
    Message-ID, and the threads whose root has each base subject."""
    by_key: dict[str, ThreadNode] = {}
    root_of: dict[int, str] = {}
    for root in roots:
        key = root.key
        by_key[key] = root
        stack = [root]
        while stack:  # every node, in no particular order (not walk(): a generator)
            node = stack.pop()
            if node.item is not None:
                root_of[node.item.id] = key
            if node.children:
                stack.extend(node.children)
    # Each thread's ids first (a set per thread: the replies of a thread cite the same
    # ids again and again), then each id's threads.
    cited_by: dict[str, set[str]] = {}
    for message_id, own, cited in links.mentions:
        thread = root_of[message_id]
        ids = cited_by.get(thread)
        if ids is None:
            ids = cited_by[thread] = set()
        ids.update(cited)
        ids.add(own)
    index: dict[str, Threads] = {}
    get = index.get
    for thread, ids in cited_by.items():
        ids.discard("")
        for key in ids:
            held = get(key)
            index[key] = thread if held is None else _with(held, thread)
    by_base: dict[str, Threads] = {}
    for base, shown in links.bases.items():
        keys = tuple(root.key for root in shown)
        by_base[base] = keys[0] if len(keys) == 1 else keys
    return by_key, root_of, index, by_base


def _without(held: Threads | None, thread: str) -> Threads | None:
    if held is None or held == thread:
        return None
    if isinstance(held, str):
        return held
    rest = tuple(key for key in held if key != thread)
    return rest[0] if len(rest) == 1 else rest or None


def _with(held: Threads, thread: str) -> Threads:
    if isinstance(held, str):
        return held if held == thread else (held, thread)
    return held if thread in held else (*held, thread)
