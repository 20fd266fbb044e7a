"""A threaded folder as a list source: JWZ trees (tuimail.core.threads) over the store.

Building reads only what threading needs for every message of the folder (one light
query); the list then asks for pages, and only the rows of a page are read in full (by
id), so scrolling a threaded 100k folder costs what scrolling a flat one does.

Invariants: `lines` has one entry per shown row (a collapsed thread is one row); a row
whose message is not here (a parent never received, or a message that just left) is a
placeholder with a negative id, which no action touches; flags are read fresh with each
page, so a thread's unread mark follows reading without a rebuild; `refresh()` rebuilds
only when messages came or went.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Sequence
from typing import Any

from tuimail.core.threads import (
    ThreadInput,
    ThreadLine,
    ThreadNode,
    _ids,
    base_subject,
    build_threads,
    flatten,
    paused_gc,
)

MISSING = "(message not here)"


class ThreadSource:
    """count()/rows() like the other list sources, plus collapse/expand and members."""

    def __init__(
        self,
        store: Any,
        folder: Any,
        *,
        reverse: bool = False,
        collapsed: set[str] | None = None,
        collapse_all: bool = False,
    ) -> None:
        self.store = store
        self.folder = folder
        self.reverse = reverse  # oldest thread first
        self.collapsed: set[str] = set(collapsed or ())  # toggled against collapse_all
        self.collapse_all = collapse_all
        self.lines: list[ThreadLine] = []
        self._members: dict[str, list[int]] = {}
        self._root_of: dict[int, str] = {}
        self._signature: tuple[int, int] | None = None
        self._subjects: frozenset[str] | None = None  # _root_subjects()
        self.shown_for: tuple = ()  # what the UI built this for (its folder, its order)
        self.rebuilding = False  # the UI is building its successor (rebuilt())
        self.rebuild()

    # -- building ---------------------------------------------------------------------

    def rebuild(self) -> None:
        self._signature = self.store.folder_signature(self.folder)
        with paused_gc():
            self._rebuild()

    def _rebuild(self) -> None:
        items = [
            ThreadInput(i, mid or "", irt or "", refs or "", subject or "", date or 0.0, not seen)
            for i, mid, irt, refs, subject, date, seen in self.store.thread_inputs(self.folder)
        ]
        self.roots = build_threads(items)
        members: dict[str, list[int]] = {}
        root_of: dict[int, str] = {}
        for root in self.roots:
            ids = [node.item.id for node in root.walk() if node.item is not None]
            members[root.key] = ids
            for message_id in ids:
                root_of[message_id] = root.key
        self._members, self._root_of = members, root_of
        self._subjects = None
        self.collapsed &= set(members)
        self._flatten()

    def _flatten(self) -> None:
        lines = flatten(self.roots, self.collapsed, collapse_all=self.collapse_all)
        if self.reverse:  # threads oldest first; each thread still reads top-down
            groups: list[list[ThreadLine]] = []
            for line in lines:
                if line.is_root:
                    groups.append([])
                groups[-1].append(line)
            lines = [line for group in reversed(groups) for line in group]
        self.lines = lines

    def stale(self) -> bool:
        """Messages came or went since the tree was built."""
        return self.store.folder_signature(self.folder) != self._signature

    def refresh(self) -> bool:
        """Rebuild if messages came or went since; True if it did."""
        if not self.stale():
            return False
        self.rebuild()
        return True

    def rebuilt(self) -> ThreadSource:
        """A new tree of the same folder, with the same threads collapsed (to build off
        the UI thread and swap in). When the only change is new mail that starts threads
        of its own, those are added to a copy of this tree (the same tree a full rebuild
        gives, without re-reading and re-threading the folder: the worker's time is the
        loop's wait for the GIL)."""
        grown = self._with_new_threads()
        if grown is not None:
            return grown
        fresh = ThreadSource(
            self.store,
            self.folder,
            reverse=self.reverse,
            collapsed=self.collapsed,
            collapse_all=self.collapse_all,
        )
        fresh.shown_for = self.shown_for
        return fresh

    def _with_new_threads(self) -> ThreadSource | None:
        """A copy with the messages that arrived since the build as one-message threads,
        or None when a full rebuild is needed: a message went, or a new one refers to
        another (References / In-Reply-To), is referred to, shares its Message-ID or
        its base subject with a thread, or its date equals a thread's latest (threads
        of the same date keep the order the store reads them in, which only a rebuild
        knows)."""
        if self._signature is None or not self._root_of or not hasattr(self, "roots"):
            return None
        signature = self.store.folder_signature(self.folder)
        rows = self.store.thread_inputs(self.folder, after=max(self._root_of))
        count, total = self._signature
        if not rows or (count + len(rows), total + sum(r[0] for r in rows)) != signature:
            return None
        items = [
            ThreadInput(i, mid or "", irt or "", refs or "", subject or "", date or 0.0, not seen)
            for i, mid, irt, refs, subject, date, seen in rows
        ]
        bases = self._root_subjects()
        keys: set[str] = set()
        for item in items:
            key = item.message_id.strip()
            base = base_subject(item.subject)
            if (
                not key
                or key.startswith("\0")  # the form of the keys made for messages without one
                or key in keys
                or _ids(item.references)
                or _ids(item.in_reply_to)
                or (base and base in bases)
                or self.store.thread_links_to(self.folder, key) != 1
            ):
                return None
            keys.add(key)
            if base:
                bases = bases | {base}
        roots, lines = list(self.roots), list(self.lines)
        for item in items:
            if item.date != item.date:  # NaN: no place among the others
                return None
            at = bisect.bisect_left(roots, -item.date, key=lambda n: -n.latest)
            if at < len(roots) and roots[at].latest == item.date:
                return None  # a date of another thread (or of another new message)
            key = item.message_id.strip()
            node = ThreadNode(key)
            node.item, node.latest, node.count, node.unread = item, item.date, 1, int(item.unread)
            # Its row goes before the row of the thread shown after it (the one after it
            # among the roots; the one before it when threads are shown oldest first).
            if self.reverse:
                shown_next = roots[at - 1] if at > 0 else None
            else:
                shown_next = roots[at] if at < len(roots) else None
            row = len(lines) if shown_next is None else _root_row(lines, shown_next.key)
            roots.insert(at, node)
            lines.insert(row, ThreadLine(item.id, 0, "", key, True, False, 1, item.unread))
        grown = copy.copy(self)
        grown.roots, grown.lines, grown._signature, grown._subjects = roots, lines, signature, bases
        grown._members, grown._root_of = dict(self._members), dict(self._root_of)
        for item in items:
            grown._members[item.message_id.strip()] = [item.id]
            grown._root_of[item.id] = item.message_id.strip()
        grown.collapsed = set(self.collapsed)
        grown.rebuilding = False
        return grown

    def _root_subjects(self) -> frozenset[str]:
        """The base subjects of the threads' roots (made once per tree, then carried)."""
        if self._subjects is None:
            self._subjects = frozenset(
                base_subject(root.item.subject) for root in self.roots if root.item is not None
            )
        return self._subjects

    # -- the list source --------------------------------------------------------------

    def count(self) -> int:
        return len(self.lines)

    def rows(self, offset: int, limit: int) -> Sequence[Any]:
        from tuimail.core.service import MessageRow, view_row

        page = self.lines[offset : offset + limit]
        found = {r.id: r for r in self.store.messages_by_ids([x.id for x in page if x.id])}
        hidden = [i for x in page if x.collapsed for i in self._members.get(x.root, ())]
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
                or (line.collapsed and any(i in unread for i in self._members.get(line.root, ()))),
            }
            if stored is None:
                placeholder = -(offset + n + 1)
                row = MessageRow(placeholder, "", "", 0, None, "", MISSING, seen=True, **tree)
            else:
                row = view_row(stored, line.depth, **tree)
            out.append(row)
        return out

    # -- threads ----------------------------------------------------------------------

    def toggle(self, key: str) -> None:
        """Collapse the thread `key` if it is open, open it if it is collapsed."""
        self.collapsed ^= {key}
        self._flatten()

    def toggle_all(self) -> None:
        """Every thread collapsed (or, when they already are, every one open)."""
        self.collapse_all = not self.collapse_all
        self.collapsed.clear()
        self._flatten()

    def index_of(self, key: str) -> int:
        """The row of thread `key`'s root (0 if it is gone)."""
        return next((i for i, line in enumerate(self.lines) if line.root == key), 0)

    def thread_members(self, message_id: int) -> list[Any]:
        """Every message of the thread `message_id` is in (collapsed or not)."""
        from tuimail.core.service import view_row

        key = self._root_of.get(message_id)
        ids = self._members.get(key, []) if key is not None else []
        return [view_row(r) for r in self.store.messages_by_ids(ids)]


def _root_row(lines: list[ThreadLine], key: str) -> int:
    """The row of thread `key`'s root."""
    return next(i for i, line in enumerate(lines) if line.is_root and line.root == key)
