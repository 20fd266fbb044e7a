"""The facade the UI (and anything interactive) talks to: accounts, folders, lists, actions.

The UI never talks IMAP or SQL. It calls `MailService` methods from worker threads
(every method may block on the network or disk) and listens to `ServiceEvent`s, which
are delivered by calling `listener(event)` from whatever thread produced them — the UI
hops back to its own thread (`App.call_from_thread`).

Lists are read through `MessageListSource` (`count()` and `rows(offset, limit)`), so the
message list only ever asks for the rows it paints.

This module never imports textual.
"""

from __future__ import annotations

import asyncio
import email
import email.utils
import logging
import re
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tuimail.core.account import Account
from tuimail.core.errors import OUTBOX, SEARCH
from tuimail.core.retry import RetryPolicy
from tuimail.core.runtime import AccountRuntime, AccountState, ServiceEvent
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret

__all__ = ["AccountRuntime", "AccountState", "ServiceEvent", "MailService"]

SPECIAL_ORDER = {"inbox": 0, "drafts": 1, "sent": 2, "archive": 3, "junk": 4, "trash": 5}
UNIFIED = "__unified__"
MAX_SHOWN_DEPTH = 6  # levels of indentation in the folder tree


# -- view models ----------------------------------------------------------------------


@dataclass(frozen=True)
class FolderInfo:
    account: str
    name: str  # the server's name (sanitize before display)
    special_use: str | None = None  # "inbox", "sent", "trash", ...
    unread: int = 0
    total: int = 0
    delimiter: str | None = "/"  # the server's hierarchy delimiter (None: a flat name)

    @property
    def label(self) -> str:
        """The last level of the name, split at the folder's own delimiter only (a dot in
        "Projects/v2.0" or a "[" in "[b]x" is part of the name)."""
        leaf = self.name.rsplit(self.delimiter, 1)[-1] if self.delimiter else self.name
        return sanitize(leaf or self.name)

    @property
    def depth(self) -> int:
        """How deep the folder sits, bounded so a very deep one stays on screen."""
        if not self.delimiter:
            return 0
        return min(self.name.strip(self.delimiter).count(self.delimiter), MAX_SHOWN_DEPTH)


@dataclass(frozen=True)
class MessageRow:
    id: int  # unique within the service
    account: str
    folder: str
    uid: int
    date: datetime | None
    sender: str
    subject: str
    size: int = 0
    seen: bool = False
    flagged: bool = False
    answered: bool = False
    has_attachments: bool = False
    depth: int = 0
    message_id: str = ""
    thread: str = ""  # the store's thread id (References/In-Reply-To)
    recipients: str = ""  # To: as stored (sanitized), shown instead of the sender in Sent
    note: str = ""  # why the header could only be read in part (store.headers), else ""
    # In a thread tree (tuimail.core.thread_list): the tree lines before the subject, the
    # thread's key, whether this is its first row, its size, collapsed, any unread in it.
    tree: str = ""
    thread_key: str = ""
    thread_root: bool = False
    thread_count: int = 0
    collapsed: bool = False
    thread_unread: bool = False

    @property
    def flags_key(self) -> tuple[bool, bool, bool, bool, bool]:
        return (self.seen, self.flagged, self.answered, self.collapsed, self.thread_unread)


class MessageListSource(Protocol):
    def count(self) -> int: ...

    def rows(self, offset: int, limit: int) -> Sequence[MessageRow]: ...


@dataclass
class ReaderBlock:
    kind: str  # "text", "quote", "signature"
    text: str


@dataclass
class ReaderAttachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass
class ReaderView:
    """A message ready to show: every string already sanitized."""

    headers: list[tuple[str, str]]
    blocks: list[ReaderBlock]
    links: list[str]
    attachments: list[ReaderAttachment]
    subject: str = ""


@dataclass
class Draft:
    """What the composer edits (replaced by tuimail.core.compose.Draft when it lands)."""

    account: str
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    attachments: list[str] = field(default_factory=list)
    in_reply_to: str = ""
    references: str = ""
    reply_to: MessageRow | None = None  # the message answered (flagged \\Answered on send)
    # Attachments carried over (forward, a reopened draft): their names are listed in
    # `attachments` like paths, and a name found here is these bytes, not a file.
    carried: list[Any] = field(default_factory=list)
    message_id: str = ""  # kept by a saved or reopened draft; sending removes that draft
    resumed_from: MessageRow | None = None  # the Drafts message this was opened from
    kind: str = "new"  # "new", "reply", "forward", "draft" (reopened): where typing starts
    identity: str = ""  # the From address (one of the account's identities); "": its own


Listener = Callable[[ServiceEvent], None]
PasswordGetter = Callable[[Account], Secret]


FRESH_QUEUED = 120.0  # seconds: a queued message younger than this is being sent by send()


class ServiceError(Exception):
    """An error whose message is a sentence for the user."""


class QueuedError(ServiceError):
    """Not sent now, but safe on disk in the outbox (it is tried again by itself)."""


# -- list sources ---------------------------------------------------------------------


class ListSource:
    """A snapshot list of rows (one folder, the unified inbox, or search results)."""

    def __init__(self, rows: Sequence[MessageRow]) -> None:
        self._rows = list(rows)

    def count(self) -> int:
        return len(self._rows)

    def rows(self, offset: int, limit: int) -> Sequence[MessageRow]:
        return self._rows[offset : offset + limit]


class SearchResults(ListSource):
    """Search hits (a virtual folder). `refresh()` re-reads them from the store, so a
    result read or flagged shows it, and one moved away (deleted, archived) leaves."""

    def __init__(self, store: Any, rows: Sequence[MessageRow]) -> None:
        super().__init__(rows)
        self.store = store

    def refresh(self) -> None:
        found = {r.id: r for r in self.store.messages_by_ids([r.id for r in self._rows])}
        self._rows = [
            replace(view_row(found[r.id]), depth=r.depth)
            for r in self._rows
            if r.id in found and found[r.id].folder == r.folder
        ]


# -- rendering ------------------------------------------------------------------------


def render(raw: bytes) -> ReaderView:
    """The reader's view of a message, from tuimail.core.mime (sanitized there)."""
    from tuimail.core.mime import parse_message, render_message

    rendered = render_message(parse_message(raw))
    blocks = [ReaderBlock(b.kind, "\n".join(b.lines)) for b in rendered.blocks]
    attachments = [
        ReaderAttachment(a.index, a.filename, a.content_type, a.size) for a in rendered.attachments
    ]
    subject = next((v for k, v in rendered.headers if k.lower() == "subject"), "")
    links = list(rendered.links)
    for block in blocks:  # plain-text URLs are numbered too
        for match in _LINK.finditer(block.text):
            if match.group() not in links:
                links.append(match.group())
    view = ReaderView(list(rendered.headers), blocks, links, attachments, subject)
    for note in rendered.notes:
        view.blocks.append(ReaderBlock("note", note))
    return view


_LINK = re.compile(r"(?:https?://|mailto:)[^\s<>\"')\]]+")


# -- the service ----------------------------------------------------------------------


def view_row(row: Any, depth: int = 0, **tree: Any) -> MessageRow:
    """A store row as the list shows it (`tree`: the thread tree fields of MessageRow)."""
    date = datetime.fromtimestamp(row.date, UTC) if row.date else None
    return MessageRow(
        id=row.id,
        account=row.account,
        folder=row.folder,
        uid=row.uid or 0,
        date=date,
        sender=row.from_name or row.from_addr,
        # A message whose header was only partly readable is marked (the note says why).
        subject=f"(!) {row.subject}" if getattr(row, "note", "") else row.subject,
        size=row.size,
        seen=row.seen,
        flagged=row.flagged,
        answered=row.answered,
        has_attachments=row.has_attachments,
        depth=depth,
        message_id=row.message_id,
        thread=row.thread_id or "",
        recipients=getattr(row, "to_addrs", "") or "",
        note=getattr(row, "note", "") or "",
        **tree,
    )


STORE_SORTS = {"date": "date", "sender": "from", "subject": "subject", "size": "size"}


class StoreSource:
    """A folder (or the unified inbox) read page by page from the store. `reverse` reads
    the same order from the other end (oldest, smallest, Z first).

    By date (the index's order) a page is read at its offset. The other sorts have no
    index: `count()` sorts the folder's ids once (a fraction of a second at 100,000, so
    call it off the UI thread, as the list does) and a page is then read by its ids, not
    by sorting the whole folder again for every page (0.7 s each at 100,000). The order
    is the one of the last `count()`; the list calls it again whenever the store changed."""

    def __init__(self, store: Any, folder: Any, sort: str = "date", reverse: bool = False) -> None:
        self.store = store
        self.folder = folder
        self.sort = STORE_SORTS.get(sort, "date")
        self.reverse = reverse
        self._count: int | None = None
        self._ids: Sequence[int] | None = None  # the order, for sorts without an index
        self._keep_order = False  # the next count() keeps `_ids` (see `without`)

    def without(self, ids: Sequence[int]) -> StoreSource:
        """This folder in the order last read, less `ids` (moved away just now): the
        list of a sort without index re-read at once, without sorting the folder again.
        Its next `count()` keeps that order; the one after sorts afresh."""
        source = StoreSource(self.store, self.folder, reverse=self.reverse)
        source.sort = self.sort
        if self._ids is not None:
            drop = set(ids)
            source._ids = array("q", (i for i in self._ids if i not in drop))
            source._keep_order = True
        return source

    def count(self) -> int:
        if self.sort != "date":
            if self._keep_order and self._ids is not None:
                self._keep_order = False
                self._count = len(self._ids)
                return self._count
            self._ids = self.store.message_ids(self.folder, self.sort)
            self._count = len(self._ids)
            return self._count
        self._count = self.store.count_messages(self.folder)
        return self._count

    def rows(self, offset: int, limit: int) -> Sequence[MessageRow]:
        if self.sort != "date":
            if self._ids is None:
                self.count()
            ids = self._ids or ()
            if self.reverse:
                end = max(0, len(ids) - offset)
                page = list(reversed(ids[max(0, end - limit) : end]))
            else:
                page = list(ids[offset : offset + limit])
            return [view_row(r) for r in self.store.messages_by_ids(page)]
        if not self.reverse:
            found = self.store.message_rows(self.folder, offset, limit, self.sort)
            return [view_row(r) for r in found]
        total = self._count if self._count is not None else self.count()
        start = max(0, total - offset - limit)
        size = max(0, total - offset - start)
        found = self.store.message_rows(self.folder, start, size, self.sort) if size else []
        return [view_row(r) for r in reversed(found)]


class MailService:
    """Everything the UI needs, for all configured accounts, over one local store."""

    def __init__(
        self,
        accounts: dict[str, Account],
        *,
        password_for: PasswordGetter | None = None,
        listener: Listener | None = None,
        idle: bool = True,
        store: Any = None,
        retry_after: float = 5.0,
        outbox_interval: float = 30.0,
    ) -> None:
        from tuimail.core.store import Store

        self.accounts = dict(accounts)
        self._password_for = password_for
        self.listener = listener
        self.store = store if store is not None else Store()
        for account in self.accounts.values():
            self.store.account_id(account.name, account.email, account.protocol)
        self._undo: list[tuple[str, Callable[[], None]]] = []
        self.outbox: list[Draft] = []  # being sent right now
        self.outbox_waiting = 0  # messages in the on-disk outbox, not sent yet (status bar)
        self.outbox_passes = 0  # completed outbox passes (tests wait for a count, not a sleep)
        self.errors: list[ServiceEvent] = []  # every "error" and "warning" event, in order
        self._idle = idle
        self.retry_after = retry_after  # seconds before the first reconnect when offline
        self.outbox_interval = outbox_interval  # seconds between looks for due messages
        self._outbox_stop = threading.Event()
        self._outbox_lock = threading.Lock()  # one outbox pass at a time
        self._outbox_thread: threading.Thread | None = None
        self._backends = {name: self._runtime(acc) for name, acc in self.accounts.items()}

    # plumbing
    def password_for(self, account: Account) -> Secret:
        if self._password_for is not None:
            return self._password_for(account)
        from tuimail.core.secrets import get_password

        return get_password(account)

    def _emit(self, event: ServiceEvent) -> None:
        if event.kind in ("error", "warning"):
            self.errors.append(event)
        if self.listener is not None:
            try:
                self.listener(event)
            except Exception:
                pass

    def _runtime(self, account: Account) -> AccountRuntime:
        return AccountRuntime(
            account,
            self.store,
            password_for=self.password_for,
            emit=self._emit,
            policy=RetryPolicy(first=self.retry_after),
            idle=self._idle,
        )

    def backend(self, account: str) -> AccountRuntime:
        try:
            return self._backends[account]
        except KeyError:
            raise ServiceError(f"There is no account called {sanitize(account)}.") from None

    # life cycle (blocking: call from a worker)
    def _count_outbox(self) -> int:
        """Messages waiting in the accounts' outboxes (a failed send stays there)."""
        from tuimail.core.outbox import Outbox

        try:
            return sum(len(Outbox(name).entries()) for name in self.accounts)
        except Exception:
            return 0

    def start(self) -> None:
        """Start every account (its runtime: a first pass, then push or retries)."""
        self.outbox_waiting = self._count_outbox()
        for backend in self._backends.values():
            backend.start(self.retry_after)
        self.start_outbox()

    def start_outbox(self) -> None:
        """Send what waits in the outbox when it is due (a 4xx or a lost connection
        earlier), now and every `outbox_interval` seconds, until stop()."""
        if self.outbox_interval <= 0:
            return

        def loop() -> None:
            while True:
                self.send_due_outbox()
                if self._outbox_stop.wait(self.outbox_interval):
                    return

        thread = threading.Thread(target=loop, name="outbox", daemon=True)
        thread.start()  # then kept: stop() joins only a started thread
        self._outbox_thread = thread

    def send_due_outbox(self, *, force: bool = False) -> int:
        """One pass over every account's outbox; how many messages went out.

        Only due messages (queued, or retrying past their next attempt) are sent, or with
        `force` failed ones too; one that "may have been sent" is never sent again here.
        """
        from tuimail.core.outbox import Outbox

        sent = 0
        with self._outbox_lock:
            for name, account in list(self.accounts.items()):
                outbox = Outbox(name)
                try:
                    outbox.recover()  # "sending" left by a process that died
                    outbox.prune_sent(account.sent_retention_days)  # sent/ stays bounded
                    fresh = time.time() - FRESH_QUEUED
                    todo = outbox.sendable(force=force)
                    if not force:  # a just-queued message is the composer's own first attempt
                        todo = [e for e in todo if e.state != "queued" or e.created < fresh]
                    if not todo:
                        continue
                    password = self.password_for(account)
                    results = [
                        asyncio.run(outbox.send(e.id, account, password, force=force)) for e in todo
                    ]
                except Exception as exc:  # offline, no password: the next pass tries again
                    self._emit(ServiceEvent("error", name, error=exc, action=OUTBOX))
                    continue
                done = [e for e in results if e.state in ("sent", "partial")]
                sent += len(done)
                if done:
                    self._emit(ServiceEvent("sent", name, count=len(done)))
                    self._refresh_sent(name)
        self.outbox_passes += 1
        waiting = self._count_outbox()
        if sent or waiting != self.outbox_waiting:  # the status bar only hears of changes
            self.outbox_waiting = waiting
            self._emit(ServiceEvent("outbox", "", count=len(self.outbox)))
        return sent

    def _refresh_sent(self, account: str) -> None:
        """Show the server's copy in Sent (best effort: the message is sent either way)."""
        sent = self.special_folder(account, "sent")
        if sent:
            try:
                self.backend(account).refresh_folder(sent)
            except Exception:
                pass

    def add_account(self, account: Account) -> None:
        self.accounts[account.name] = account
        self.store.account_id(account.name, account.email, account.protocol)
        self._backends[account.name] = self._runtime(account)

    def replace_account(self, account: Account) -> None:
        """New settings for an account (e.g. a server key trusted again): its
        connections close and are made again with them."""
        old = self._backends.get(account.name)
        self.accounts[account.name] = account
        self._backends[account.name] = self._runtime(account)
        if old is not None:
            old.close()

    def start_account(self, name: str) -> None:
        self.backend(name).start(self.retry_after)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every account's threads and the outbox thread, and join them."""
        self._outbox_stop.set()
        for backend in self._backends.values():
            backend.close(timeout)
        thread = self._outbox_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def threads(self) -> list[threading.Thread]:
        """Threads the service started that still run (none after stop())."""
        own = [t for b in self._backends.values() for t in b.threads()]
        thread = self._outbox_thread
        return own + ([thread] if thread is not None and thread.is_alive() else [])

    def states(self) -> dict[str, AccountState]:
        return {name: b.state for name, b in self._backends.items()}

    # folders and lists
    def folders(self) -> list[FolderInfo]:
        out: list[FolderInfo] = []
        for _name, backend in self._backends.items():
            out.extend(
                sorted(
                    backend.folders.values(),
                    key=lambda f: (SPECIAL_ORDER.get(f.special_use or "", 9), f.name.lower()),
                )
            )
        return out

    def folder_names(self, account: str) -> list[str]:
        return [f.name for f in self.folders() if f.account == account]

    def special_folder(self, account: str, special: str) -> str | None:
        folder = self.store.folder_by_role(account, special)
        if folder is None and special == "inbox":
            return "INBOX" if self.store.folder_id(account, "INBOX") else None
        return folder.name if folder is not None else None

    def source(
        self,
        account: str,
        folder: str,
        sort: str = "date",
        threaded: bool = False,
        reverse: bool = False,
    ) -> MessageListSource:
        """A folder's (or the unified inbox's) list. Threaded: JWZ thread trees, threads
        by their latest message (tuimail.core.thread_list; building it reads the whole
        folder's threading headers, so call this from a worker); else sorted by `sort`
        ("date", "sender", "subject", "size"), `reverse` turning the order round."""
        from tuimail.core.store import UNIFIED_INBOX

        ref = UNIFIED_INBOX if account == UNIFIED else self.store.folder_id(account, folder)
        if ref is None:
            return ListSource([])
        if threaded:
            from tuimail.core.thread_list import ThreadSource

            return ThreadSource(self.store, ref, reverse=reverse)
        return StoreSource(self.store, ref, sort, reverse)

    def search(
        self, query: str, account: str | None = None, folder: str | None = None
    ) -> MessageListSource:
        """Local full-text search (headers and cached bodies) in every account, plus a
        server-side search of the open IMAP folder (finds bodies never downloaded)."""
        query = query.strip()
        if not query:
            return ListSource([])
        try:
            found = {r.id: r for r in self.store.search(query, limit=1000)}
        except Exception as exc:
            raise ServiceError(f"That search did not work: {sanitize(str(exc))}.") from None
        if account in self._backends and folder and self.accounts[account].protocol == "imap":
            from tuimail.core.imap.search import SearchQuery, server_search

            backend = self.backend(account)
            try:
                with backend.lock:
                    rows = server_search(
                        backend._engine("command"), folder, SearchQuery(text=query)
                    )
                found.update({r.id: r for r in rows})
            except Exception as exc:
                self._emit(ServiceEvent("error", account, folder, error=exc, action=SEARCH))
        rows = sorted(found.values(), key=lambda r: -(r.date or 0))
        return SearchResults(self.store, [view_row(r) for r in rows])

    address_book_command: str | None = None  # [settings] address_book_command

    def addresses(self, prefix: str) -> list[str]:
        """Address completion: `address_book_command` first, then the people you wrote
        to and received mail from (tuimail.core.addressbook), best first, "Name <addr>"."""
        from tuimail.core.addressbook import AddressBook, command_contacts

        out: list[str] = []
        if self.address_book_command:
            out += [c.formatted() for c in command_contacts(self.address_book_command, prefix)]
        try:
            book = getattr(self, "_address_book", None)
            if book is None:
                from tuimail.core.compose import own_addresses

                own: set[str] = set()
                for account in self.accounts.values():
                    own |= own_addresses(account)  # address, aliases, identities
                book = self._address_book = AddressBook(self.store, own)
            book.refresh()
            out += [c.formatted() for c in book.complete(prefix, limit=20)]
        except Exception as exc:  # completion never breaks the composer
            logging.getLogger("tuimail").debug("address completion failed: %s", type(exc).__name__)
        return list(dict.fromkeys(out))[:20]

    # reading
    def raw(self, row: MessageRow) -> bytes:
        return self.backend(row.account).fetch_body(row.id)

    def read(self, row: MessageRow, *, mark_seen: bool = True) -> ReaderView:
        """The message, rendered; it is marked read unless `mark_seen` is false (a
        preview: the UI marks it later, see [ui] mark_read_delay)."""
        view = render(self.raw(row))
        if row.note:
            view.blocks.append(ReaderBlock("note", row.note))
        if mark_seen and not row.seen:
            try:
                self.set_seen([row], True)
            except Exception as exc:  # reading works offline; the flag waits
                self._emit(ServiceEvent("error", row.account, row.folder, error=exc))
        return view

    def new_messages(self, account: str, folder: str, count: int, limit: int = 10) -> list[Any]:
        """The `count` messages that just arrived in a folder (the newest by UID, at most
        `limit`), as tuimail.core.hooks.NewMessage for notifications and hooks."""
        from tuimail.core.hooks import from_rows

        fid = self.store.folder_id(account, folder or "INBOX")
        if fid is None or count <= 0:
            return []
        return from_rows(self.store.message_rows(fid, 0, min(count, limit), "uid"), limit)

    def reread(self, rows: Sequence[MessageRow]) -> list[MessageRow]:
        """`rows` as the store has them now (flags, folder); rows gone are dropped."""
        found = {r.id: r for r in self.store.messages_by_ids([r.id for r in rows if r.id >= 0])}
        return [view_row(found[r.id]) for r in rows if r.id in found]

    def thread_rows(self, row: MessageRow) -> list[MessageRow]:
        """The messages of `row`'s conversation in its account (oldest first)."""
        if row.id < 0:
            return []
        return [view_row(r) for r in self.store.thread(row.id)]

    def raws(self, rows: Sequence[MessageRow]) -> list[bytes]:
        """The raw messages (fetched when not cached), in order."""
        return [self.raw(r) for r in rows if r.id >= 0]

    def save_eml(self, rows: Sequence[MessageRow], target: str | Path) -> list[Path]:
        """Save messages as .eml: one to a file (or into a directory), several into a
        directory, named after their subjects; existing files are never overwritten."""
        from tuimail.core.message_files import save_eml

        rows = [r for r in rows if r.id >= 0]
        messages = [(r.subject, raw) for r, raw in zip(rows, self.raws(rows), strict=True)]
        try:
            return save_eml(messages, target)
        except OSError as exc:
            raise ServiceError(
                f"Cannot save into {sanitize(str(target))}: {exc.strerror or exc}."
            ) from None

    def delivery_report(
        self, row: MessageRow, *, check_dkim: bool = False, nameserver: str | None = None
    ):
        """The delivery report (tuimail.core.report) of a message; with `check_dkim`, also
        tuimail's own DKIM check, asking DNS (the system's resolver or `nameserver`)."""
        from tuimail.core.report import build_report
        from tuimail.core.report import check_dkim as own_check

        account = self.accounts[row.account]
        raw = self.raw(row)
        hosts = (account.domain, account.incoming.host, account.outgoing.host)
        report = build_report(raw, own_domains=tuple(h.lower() for h in hosts if h))
        if check_dkim:
            from tuimail.core.connect import account_timeout
            from tuimail.core.discovery.resolver import Resolver
            from tuimail.core.report.dkim_check import dns_timeout

            resolver = Resolver(nameserver, dns_timeout(account_timeout(account)))
            report.dkim_checks = own_check(raw, report, resolver)
        return report

    def raw_source(self, row: MessageRow) -> str:
        """The whole message as text, sanitized."""
        from tuimail.core.mime import raw_source

        return raw_source(self.raw(row))

    def save_attachment(self, row: MessageRow, index: int, directory: str | Path) -> Path:
        from tuimail.core.mime import AttachmentError, parse_message, save_attachment

        directory = Path(directory).expanduser()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            return save_attachment(parse_message(self.raw(row)), index, directory)
        except AttachmentError as exc:
            raise ServiceError(str(exc)) from None
        except OSError as exc:
            raise ServiceError(
                f"Cannot save into {sanitize(str(directory))}: {exc.strerror}."
            ) from None

    def open_attachment(self, row: MessageRow, index: int) -> str:
        """Save into a private temporary directory and open with a viewer if there is a
        display; returns a sentence saying what happened."""
        from tuimail.core.mime import AttachmentError, open_attachment, parse_message
        from tuimail.core.private import private_temp_dir

        directory = private_temp_dir("tuimail-open-")  # removed when tuimail exits
        try:
            result = open_attachment(parse_message(self.raw(row)), index, directory)
        except AttachmentError as exc:
            raise ServiceError(str(exc)) from None
        return str(result)

    def view_attachment(self, row: MessageRow, index: int):
        """How to show attachment `index` (tuimail.core.attachment_view.ViewPlan): its
        text for the reader, a mailcap pager's output, or a command to run."""
        from tuimail.core.attachment_view import plan_view
        from tuimail.core.mime import parse_message
        from tuimail.core.mime.attachments import has_display
        from tuimail.core.private import private_temp_dir

        parsed = parse_message(self.raw(row))
        att = next((a for a in parsed.attachments if a.index == index), None)
        if att is None:
            raise ServiceError(f"There is no attachment number {index}.")
        directory = Path(private_temp_dir("tuimail-view-"))  # removed when tuimail exits
        return plan_view(
            att.filename, att.content_type, att.payload, directory, display=has_display()
        )

    def html_as_text(self, row: MessageRow) -> str | None:
        """The HTML version of a message that also has a plain one, as text."""
        from tuimail.core.attachment_view import html_alternative

        return html_alternative(self.raw(row))

    # actions: the store changes at once (the list repaints), then the server is told
    def _changed(self, rows: Sequence[MessageRow], *folders: tuple[str, str]) -> None:
        for account, folder in {(r.account, r.folder) for r in rows} | set(folders):
            self._emit(ServiceEvent("messages", account, folder))

    def _by_account(self, rows: Sequence[MessageRow]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for row in rows:
            out.setdefault(row.account, []).append(row.id)
        return out

    def _act(self, rows: Sequence[MessageRow], method: str, *args: Any) -> None:
        self._act_local(rows, method, *args)()

    def _act_local(self, rows: Sequence[MessageRow], method: str, *args: Any) -> Callable[[], None]:
        for account, ids in self._by_account(rows).items():
            getattr(self.backend(account).actions, method)(ids, *args)

        def remote() -> None:
            self._changed(rows)
            self._flush_and_resync(rows)

        return remote

    def _flush_and_resync(self, rows: Sequence[MessageRow]) -> None:
        """Replay now (the replay reads back FLAGS and MODSEQ of what it changed, so the
        next queued change carries a current MODSEQ; after a conflict the server's flags
        are in the store, so the list repaints)."""
        for account in self._by_account(rows):
            self.backend(account).flush()
        self._changed(rows)

    def _store_flag(self, rows: Sequence[MessageRow], flag: str, add: bool) -> None:
        if flag == "\\Answered":
            for account, ids in self._by_account(rows).items():
                actions = self.backend(account).actions
                if add:
                    actions._flags(ids, add=[flag])
                else:
                    actions._flags(ids, remove=[flag])
            self._changed(rows)
            self._flush_and_resync(rows)
            return
        names = {"\\Seen": ("mark_read", "mark_unread"), "\\Flagged": ("flag", "unflag")}
        self._act(rows, names[flag][0 if add else 1])

    def set_seen(self, rows: Sequence[MessageRow], seen: bool) -> None:
        self._store_flag(rows, "\\Seen", seen)

    def set_flagged(self, rows: Sequence[MessageRow], flagged: bool) -> None:
        self._store_flag(rows, "\\Flagged", flagged)

    def unread_count(self, account: str, folder: str) -> int:
        fid = self.backend(account).folder_id(folder)
        return len(self.store.message_rows(fid, 0, 1_000_000, "uid", "unread"))

    def mark_all_read(self, account: str, folder: str) -> int:
        """Every unread message of the folder read; undo (u) makes them unread again."""
        fid = self.backend(account).folder_id(folder)
        rows = [view_row(r) for r in self.store.message_rows(fid, 0, 1_000_000, "uid", "unread")]
        if rows:
            self.set_seen(rows, True)
            self._undo.append(
                (f"Marked {len(rows)} message(s) read", lambda: self.set_seen(rows, False))
            )
        return len(rows)

    def _moved(self, rows: Sequence[MessageRow], target: str | None, label: str) -> None:
        undo = self._moved_remote(rows[0].account, rows, target)
        self._undo.append((label, undo))

    def _undo_in(self, account: str, target: str | None, origins: Sequence[str] = ()) -> None:
        """Undo the last move in `account`; the folders involved are re-read (the rows
        put back get their new UIDs)."""
        backend = self.backend(account)
        if not backend.actions.undo():
            raise ServiceError("There is nothing to undo.")
        self._emit(ServiceEvent("folders", account))
        backend.flush()
        for folder in self.folder_names(account):
            if folder == target or folder.upper() == "INBOX" or folder in origins:
                try:
                    backend.refresh_folder(folder)
                except Exception:
                    pass
        self._emit(ServiceEvent("folders", account))

    def move(self, rows: Sequence[MessageRow], target: str, *, copy: bool = False) -> None:
        """Move (or copy) to `target` in the same account; a move can be undone."""
        if not rows:
            return
        account = rows[0].account
        backend = self.backend(account)
        backend.folder_id(target)
        ids = [r.id for r in rows if r.account == account]
        if copy:
            backend.actions.copy(ids, target)
            self._changed(rows, (account, target))
            backend.flush()
            backend.refresh_folder(target)
            return
        backend.actions.move(ids, target)
        noun = "message" if len(ids) == 1 else "messages"
        self._moved(rows, target, f"Moved {len(ids)} {noun}")

    def deletes_for_ever(self, rows: Sequence[MessageRow]) -> bool:
        """Deleting these expunges them (they are in Trash, or there is no Trash): no undo."""
        return any(
            r.folder == self.special_folder(r.account, "trash")
            or self.special_folder(r.account, "trash") is None
            for r in rows
        )

    def delete(self, rows: Sequence[MessageRow]) -> None:
        """To Trash (undoable); in Trash itself, or with no Trash, expunged."""
        self.begin("delete", rows)()

    def archive(self, rows: Sequence[MessageRow]) -> None:
        self.begin("archive", rows)()

    def begin(self, action: str, rows: Sequence[MessageRow]) -> Callable[[], None]:
        """Apply a user action to the local store now (fast, no network: the list shows
        it at once) and return the rest (tell the server, refresh, remember the undo),
        which the caller runs next, from a worker, in the order the actions were typed.

        `action`: "delete", "archive", "flag", "unflag", "read", "unread". `rows` may be a
        batch (tagged rows, from several folders and accounts): it is ONE undo entry."""
        rows = [r for r in rows if r.id >= 0]  # thread placeholders are no messages
        if not rows:
            return lambda: None
        noun = "message" if len(rows) == 1 else "messages"
        if action in ("flag", "unflag", "read", "unread"):
            method = {"read": "mark_read", "unread": "mark_unread"}.get(action, action)
            attr, wanted = {
                "flag": ("flagged", True),
                "unflag": ("flagged", False),
                "read": ("seen", True),
                "unread": ("seen", False),
            }[action]
            changed = [r for r in rows if getattr(r, attr) != wanted]
            remote = self._act_local(rows, method)
            back = {"mark_read": "mark_unread", "mark_unread": "mark_read"}.get(
                method, "unflag" if method == "flag" else "flag"
            )
            past = {"flag": "Flagged", "unflag": "Unflagged", "read": "Marked read"}.get(
                action, "Marked unread"
            )

            def flags_remote() -> None:
                remote()
                if changed:
                    self._undo.append(
                        (f"{past} {len(changed)} {noun}", lambda: self._act(changed, back))
                    )

            return flags_remote
        if action not in ("delete", "archive"):
            raise ValueError(action)
        steps: list[Callable[[], Callable[[], None] | None]] = []
        for account, ids in self._by_account(rows).items():
            steps.append(self._begin_in(action, account, [r for r in rows if r.id in set(ids)]))
        label = f"{'Archived' if action == 'archive' else 'Deleted'} {len(rows)} {noun}"

        def remote() -> None:
            undos = [u for u in (step() for step in steps) if u is not None]
            if undos:
                self._undo.append((label, lambda: [u() for u in undos] and None))

        return remote

    def _begin_in(
        self, action: str, account: str, rows: list[MessageRow]
    ) -> Callable[[], Callable[[], None] | None]:
        """The local part of a delete/archive in one account; returns the remote part,
        which returns the undo for this account (None: nothing to undo)."""
        backend = self.backend(account)
        ids = [r.id for r in rows]
        if action == "archive":
            backend.actions.archive(ids)
            target = self.special_folder(account, "archive") or "Archive"
            return lambda: self._moved_remote(account, rows, target)
        trash = self.special_folder(account, "trash")
        if backend.pop3_state is not None:  # for delete_on_server_when_deleted_locally
            backend.pop3_state.mark_deleted_locally(account, ids)
        backend.actions.delete(ids)
        if trash and any(r.folder != trash for r in rows):
            return lambda: self._moved_remote(account, rows, trash)

        def purge() -> None:
            self._changed(rows)
            backend.flush()

        return purge

    def _moved_remote(
        self, account: str, rows: Sequence[MessageRow], target: str | None
    ) -> Callable[[], None]:
        """Tell the server about a local move in `account`; returns its undo."""
        backend = self.backend(account)
        self._changed(rows, *([(account, target)] if target else []))
        backend.flush()
        if target:
            try:
                backend.refresh_folder(target)  # the moved rows get their new UIDs
            except Exception as exc:
                self._emit(ServiceEvent("error", account, target, error=exc))
        origins = sorted({r.folder for r in rows})
        return lambda: self._undo_in(account, target, origins)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> str:
        if not self._undo:
            raise ServiceError("There is nothing to undo.")
        label, fn = self._undo.pop()
        fn()
        return f"Undone: {label.lower()}"

    # folders
    def _folder_op(self, account: str, method: str, *args: str) -> None:
        backend = self.backend(account)
        getattr(backend.actions, method)(*args)  # a refusal is typed (ActionError)
        self._emit(ServiceEvent("folders", account))
        backend.flush()
        if backend.pop3_state is None:  # POP3 folders are local: nothing to sync
            backend.sync()

    def create_folder(self, account: str, name: str) -> None:
        self._folder_op(account, "create_folder", name)

    def rename_folder(self, account: str, old: str, new: str) -> None:
        self._folder_op(account, "rename_folder", old, new)

    def can_delete_folder(self, account: str, name: str) -> bool:
        """INBOX and the special folders (Sent, Drafts, Trash, Archive, Junk...) are kept."""
        if name.upper() == "INBOX":
            return False
        info = self.backend(account).folders.get(name)
        return info is not None and not info.special_use

    def delete_folder(self, account: str, name: str) -> None:
        if not self.can_delete_folder(account, name):
            raise ServiceError(f"The folder {sanitize(name)} cannot be deleted.")
        backend = self.backend(account)
        if backend.pop3_state is not None:  # its messages are deleted locally
            fid = backend.folder_id(name)
            ids = [r.id for r in self.store.message_rows(fid, 0, 10_000_000, "uid")]
            backend.pop3_state.mark_deleted_locally(account, ids)
        self._folder_op(account, "delete_folder", name)

    def watch_folder(self, account: str, folder: str) -> None:
        """Push for the folder the UI shows (INBOX is always watched)."""
        if account in self._backends:
            self._backends[account].watch_folder(folder)

    # composing and sending (tuimail.core.compose / outbox / drafts)
    def _core_draft(self, draft: Draft):
        from tuimail.core import compose

        attachments = []
        carried = {a.filename: a for a in draft.carried}
        for path in draft.attachments:
            if path in carried:
                attachments.append(carried[path])
                continue
            p = Path(path).expanduser()
            try:
                attachments.append(compose.Attachment.from_path(p))
            except OSError as exc:
                raise ServiceError(
                    f"Cannot read the attachment {sanitize(str(p))}: {exc.strerror}."
                ) from None
        return compose.Draft(
            from_addr=self._from_of(draft),
            to=_split(draft.to),
            cc=_split(draft.cc),
            bcc=_split(draft.bcc),
            subject=draft.subject,
            body=draft.body,
            attachments=attachments,
            in_reply_to=draft.in_reply_to or None,
            references=draft.references.split() if draft.references else [],
            message_id=draft.message_id or None,
        )

    def identities(self) -> list[Any]:
        """Every identity of every account (tuimail.core.identities.Identity), for From."""
        from tuimail.core.identities import every_identity

        return every_identity(self.accounts.values())

    def identity_of(self, draft: Draft) -> Any:
        """The identity a draft is written as (the account's own when none matches)."""
        from tuimail.core.identities import find

        return find(self.accounts[draft.account], draft.identity)

    def _from_of(self, draft: Draft) -> str:
        from tuimail.core import compose

        identity = self.identity_of(draft)
        return compose.format_address(identity.name, identity.email)

    def _ui_draft(self, account: str, core, row: MessageRow | None = None) -> Draft:
        from tuimail.core import compose
        from tuimail.core.identities import find

        carried = _carried(core.attachments)
        written_as = compose.address_of(core.from_addr) if core.from_addr else ""
        return Draft(
            account=account,
            identity=find(self.accounts[account], written_as).email,
            to=sanitize(", ".join(core.to)),
            cc=sanitize(", ".join(core.cc)),
            bcc=sanitize(", ".join(core.bcc)),
            subject=sanitize(core.subject),
            body=sanitize(core.body, multiline=True),
            attachments=[a.filename for a in carried],
            in_reply_to=core.in_reply_to or "",
            references=" ".join(core.references),
            reply_to=row,
            carried=carried,
            message_id=core.message_id or "",
        )

    def new_draft(self, account: str, identity: str = "") -> Draft:
        """A new message: empty but for the signature of the account (or of its identity
        with the address `identity`)."""
        from tuimail.core import compose
        from tuimail.core.identities import find

        written_as = find(self.accounts[account], identity)
        return self._ui_draft(
            account, compose.new_draft(self.accounts[account], identity=written_as)
        )

    def is_draft(self, row: MessageRow) -> bool:
        """The message lives in its account's Drafts folder (it can be reopened)."""
        return row.folder == self.special_folder(row.account, "drafts")

    def resume_draft(self, row: MessageRow) -> Draft:
        """A saved draft back in the composer: headers, body and attachments."""
        from tuimail.core import compose

        draft = self._ui_draft(row.account, compose.draft_from_message(self.raw(row)))
        draft.resumed_from, draft.kind = row, "draft"
        if draft.in_reply_to:  # a reply: sending it still marks the original answered
            draft.reply_to = self._row_with_message_id(row.account, draft.in_reply_to)
        return draft

    def _row_with_message_id(self, account: str, message_id: str) -> MessageRow | None:
        """A message of `account` with this Message-ID (as stored, with or without <>)."""
        try:
            found = self.store.conn.execute(
                "SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id "
                "JOIN accounts a ON a.id = f.account_id "
                "WHERE a.name = ? AND m.message_id IN (?, ?) ORDER BY m.id LIMIT 1",
                (account, message_id, message_id.strip("<>")),
            ).fetchone()
            row = self.store.message(found[0]) if found else None
        except Exception:  # the store is busy: the flag is a nicety, the draft is not
            return None
        return view_row(row) if row is not None else None

    def discard_draft(self, draft: Draft) -> None:
        """The draft was sent: its copy in Drafts (server and this computer) goes."""
        from tuimail.core.drafts import DraftStore

        account = self.accounts[draft.account]
        row = draft.resumed_from
        if row is not None:
            backend = self.backend(row.account)
            backend.actions.purge([row.id])
            self._changed([row])
            backend.flush()
        if draft.message_id:
            store = DraftStore(account.name)
            for draft_id in store.find(draft.message_id):
                password = self.password_for(account) if account.protocol == "imap" else None
                store.delete(draft_id, account, password)
            drafts = self.special_folder(account.name, "drafts")
            if drafts and account.protocol == "imap":
                self.backend(account.name).refresh_folder(drafts)

    def reply_draft(self, row: MessageRow, *, all: bool = False, to_list: bool = False) -> Draft:
        """A reply (to the sender; `all`: everyone; `to_list`: the list's List-Post)."""
        from tuimail.core import compose

        try:
            core = compose.reply(
                self.raw(row), self.accounts[row.account], reply_all=all, to_list=to_list
            )
        except compose.NoListAddress as exc:
            raise ServiceError(f"No reply to the list: {exc}.") from None
        draft = self._ui_draft(row.account, core, row)
        draft.kind = "reply"
        return draft

    def forward_draft(self, row: MessageRow, *, as_attachment: bool = False) -> Draft:
        """Inline (the text quoted, the attachments carried) or the whole message
        attached as message/rfc822."""
        from tuimail.core import compose

        core = compose.forward(
            self.raw(row), self.accounts[row.account], as_attachment=as_attachment
        )
        draft = self._ui_draft(row.account, core)
        draft.kind = "forward"
        return draft

    def send(self, draft: Draft) -> None:
        """Put the message in the outbox (on disk first), then one submission attempt."""
        from tuimail.core import compose
        from tuimail.core.outbox import Outbox

        account = self.accounts[draft.account]
        bad = compose.invalid_recipients(draft.to, draft.cc, draft.bcc)
        if bad:
            raise ServiceError(f"Not an e-mail address: {sanitize(bad[0])}. Nothing was sent.")
        core = self._core_draft(draft)
        if not (core.to or core.cc or core.bcc):
            raise ServiceError("Add at least one recipient.")
        raw, sender, recipients = compose.message_bytes(core, account)
        outbox = Outbox(account.name)
        entry = outbox.enqueue(raw, sender, recipients)
        if draft.resumed_from is not None or draft.message_id:
            try:  # safe in the outbox now: the draft it was is done with
                self.discard_draft(draft)
            except Exception as exc:
                self._emit(ServiceEvent("error", draft.account, error=exc))
        self.outbox.append(draft)
        self.outbox_waiting = self._count_outbox()
        self._emit(ServiceEvent("outbox", draft.account, count=len(self.outbox)))
        try:
            password = self.password_for(account)
            entry = asyncio.run(outbox.send(entry.id, account, password))
        finally:
            self.outbox.remove(draft)
            self.outbox_waiting = self._count_outbox()
            self._emit(ServiceEvent("outbox", draft.account, count=len(self.outbox)))
        if entry.state not in ("sent", "partial"):
            reason = sanitize(entry.last_error or entry.state)
            raise QueuedError(f"The message was not sent ({reason}); it waits in the outbox.")
        self._refresh_sent(draft.account)
        self._mark_answered(draft.reply_to)

    def save_draft(self, draft: Draft) -> str:
        from tuimail.core.drafts import DraftStore

        account = self.accounts[draft.account]
        store = DraftStore(account.name)
        core = self._core_draft(draft)
        same = store.find(draft.message_id) if draft.message_id else []
        password = self.password_for(account)
        info = store.save(core, account, password, draft_id=same[0] if same else None)
        draft.message_id = core.message_id or ""
        if draft.resumed_from is not None and not info.server_error:
            old, draft.resumed_from = draft.resumed_from, None
            if old.uid != info.server_uid:  # the reopened copy is replaced by this one
                backend = self.backend(old.account)
                backend.actions.purge([old.id])
                backend.flush()
        if info.server_error:
            return f"this computer only ({sanitize(info.server_error)})"
        folder = info.server_folder or "Drafts"
        try:
            self.backend(draft.account).refresh_folder(folder)
        except Exception:
            pass
        return folder

    def _mark_answered(self, row: MessageRow | None) -> None:
        if row is not None:
            try:
                self._store_flag([row], "\\Answered", True)
            except Exception:
                pass


def _carried(attachments: Sequence[Any]) -> list[Any]:
    """Carried attachments with names fit for the composer's Attach list: no commas,
    sanitized, each name once."""
    out: list[Any] = []
    names: set[str] = set()
    for attachment in attachments:
        name = sanitize(attachment.filename).replace(",", "_").strip() or "attachment"
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        n = 2
        while name in names:
            name = f"{stem} ({n}){dot}{ext}"
            n += 1
        names.add(name)
        out.append(replace(attachment, filename=name))
    return out


def _split(value: str) -> list[str]:
    return [
        email.utils.formataddr((name, addr)) if name else addr
        for name, addr in email.utils.getaddresses([value or ""])
        if addr
    ]
