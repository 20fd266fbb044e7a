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
import email.policy
import email.utils
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

from tuimail.core.account import Account
from tuimail.core.sanitize import sanitize, sanitize_filename
from tuimail.core.secrets import Secret

SPECIAL_ORDER = {"inbox": 0, "drafts": 1, "sent": 2, "archive": 3, "junk": 4, "trash": 5}
UNIFIED = "__unified__"


# -- view models ----------------------------------------------------------------------


@dataclass(frozen=True)
class FolderInfo:
    account: str
    name: str  # the server's name (sanitize before display)
    special_use: str | None = None  # "inbox", "sent", "trash", ...
    unread: int = 0
    total: int = 0

    @property
    def label(self) -> str:
        return sanitize(self.name.rsplit("/", 1)[-1].rsplit(".", 1)[-1])


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

    @property
    def flags_key(self) -> tuple[bool, bool, bool]:
        return (self.seen, self.flagged, self.answered)


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
class AccountState:
    state: str = "offline"  # "offline", "syncing", "idle", "polling", "error"
    detail: str = ""
    retry_at: float | None = None


@dataclass
class ServiceEvent:
    kind: str  # "state", "folders", "messages", "new-mail", "error", "outbox", "info"
    account: str = ""
    folder: str = ""
    text: str = ""
    count: int = 0


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


Listener = Callable[[ServiceEvent], None]
PasswordGetter = Callable[[Account], Secret]


class ServiceError(Exception):
    """An error whose message is a sentence for the user."""


# -- list sources ---------------------------------------------------------------------


class ListSource:
    """A snapshot list of rows (one folder, the unified inbox, or search results)."""

    def __init__(self, rows: Sequence[MessageRow]) -> None:
        self._rows = list(rows)

    def count(self) -> int:
        return len(self._rows)

    def rows(self, offset: int, limit: int) -> Sequence[MessageRow]:
        return self._rows[offset : offset + limit]


def sort_rows(rows: Iterable[MessageRow], sort: str = "date", threaded: bool = False):
    rows = list(rows)
    if sort == "sender":
        rows.sort(key=lambda r: (r.sender.lower(), _ts(r)))
    elif sort == "subject":
        rows.sort(key=lambda r: (_base_subject(r.subject), -_ts(r)))
    else:
        rows.sort(key=lambda r: -_ts(r))
    if threaded:
        rows = _thread(rows)
    return rows


def _ts(row: MessageRow) -> float:
    return row.date.timestamp() if row.date else 0.0


_RE_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|wg)\s*(\[\d+\])?:\s*)+", re.I)


def _base_subject(subject: str) -> str:
    return _RE_PREFIX.sub("", subject or "").strip().lower()


def _thread(rows: list[MessageRow]) -> list[MessageRow]:
    """Group by base subject; a thread sits where its newest message is, oldest first."""
    groups: dict[str, list[MessageRow]] = {}
    order: list[str] = []
    for row in rows:
        key = _base_subject(row.subject)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(row)
    out: list[MessageRow] = []
    for key in order:
        members = sorted(groups[key], key=_ts)
        for i, row in enumerate(members):
            out.append(replace(row, depth=0 if i == 0 else 1))
    return out


# -- rendering (interim until tuimail.core.mime lands) ---------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "tr", "li", "h1", "h2", "h3"):
            self.parts.append("\n")
        if tag == "a":
            href = dict(attrs).get("href")
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f" <{href}> ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_LINK = re.compile(r"(?:https?://|mailto:)[^\s<>\"')\]]+")


def _part_text(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def render_raw(raw: bytes) -> ReaderView:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    headers = []
    for name in ("From", "To", "Cc", "Date", "Subject"):
        try:
            value = msg.get(name)
        except Exception:  # malformed header: show it raw
            value = msg.get_all(name, failobj=[""])[0] if msg.get_all(name) else None
        if value:
            headers.append((name, sanitize(str(value))))
    body_part = None
    try:
        body_part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        body_part = None
    text = ""
    if body_part is not None:
        text = _part_text(body_part)
        if body_part.get_content_subtype() == "html":
            text = html_to_text(text)
    text = sanitize(text, multiline=True)
    blocks: list[ReaderBlock] = []
    in_sig = False
    for line in text.split("\n"):
        kind = "text"
        if line.rstrip() == "--" and line.startswith("--"):
            in_sig = True
        if in_sig:
            kind = "signature"
        elif line.startswith(">"):
            kind = "quote"
        if blocks and blocks[-1].kind == kind:
            blocks[-1].text += "\n" + line
        else:
            blocks.append(ReaderBlock(kind, line))
    links: list[str] = []
    for match in _LINK.finditer(text):
        if match.group() not in links:
            links.append(match.group())
    attachments = []
    try:
        parts = list(msg.iter_attachments())
    except Exception:
        parts = []
    for i, part in enumerate(parts):
        payload = part.get_payload(decode=True) or b""
        attachments.append(
            ReaderAttachment(
                i,
                sanitize(part.get_filename() or f"attachment-{i + 1}"),
                sanitize(part.get_content_type()),
                len(payload),
            )
        )
    return ReaderView(headers, blocks, links, attachments, sanitize(str(msg.get("Subject", ""))))


# -- the service ----------------------------------------------------------------------


class _AccountBackend:
    """One account's server side: a command connection (locked) and an IDLE thread."""

    def __init__(self, service: MailService, account: Account) -> None:
        self.service = service
        self.account = account
        self.lock = threading.RLock()
        self.client: Any = None
        self.folders: dict[str, FolderInfo] = {}
        self.messages: dict[str, dict[int, MessageRow]] = {}
        self.state = AccountState()
        self._stop = threading.Event()
        self._idle_thread: threading.Thread | None = None

    # connection
    def _connect(self):
        from tuimail.core.connect import open_imap

        client = open_imap(self.account.incoming, self.account.ca_file, timeout=20)
        password = self.service.password_for(self.account)
        client.login(self.account.login, password.reveal())
        return client

    def conn(self):
        if self.client is None:
            self.client = self._connect()
        return self.client

    def close(self) -> None:
        self._stop.set()
        with self.lock:
            if self.client is not None:
                try:
                    self.client.logout()
                except Exception:
                    pass
                self.client = None

    def set_state(self, state: str, detail: str = "") -> None:
        self.state = AccountState(state, detail)
        self.service._emit(ServiceEvent("state", self.account.name, text=detail))

    # sync
    def sync(self) -> None:
        self.set_state("syncing", "syncing")
        try:
            with self.lock:
                client = self.conn()
                folders = {}
                for flags, _delim, name in client.list_folders():
                    if isinstance(name, bytes):
                        name = name.decode("utf-8", "replace")
                    flags = {f.decode() if isinstance(f, bytes) else str(f) for f in flags}
                    if "\\Noselect" in flags:
                        continue
                    special = _special(name, flags)
                    folders[name] = FolderInfo(self.account.name, name, special)
                for name in folders:
                    self._sync_folder(client, name, folders)
                self.folders = folders
        except Exception as exc:
            self.client = None
            self.set_state("error", describe_error(exc))
            self.service._emit(ServiceEvent("error", self.account.name, text=describe_error(exc)))
            return
        self.set_state("idle", "connected")
        self.service._emit(ServiceEvent("folders", self.account.name))

    def _sync_folder(self, client, name: str, folders: dict[str, FolderInfo]) -> list[int]:
        client.select_folder(name, readonly=True)
        uids = client.search(["ALL"])
        had = name in self.messages
        known = self.messages.get(name, {})
        new_uids = [u for u in uids if u not in known]
        fresh: dict[int, MessageRow] = {u: known[u] for u in uids if u in known}
        if known:
            flags = client.fetch([u for u in uids if u in known], ["FLAGS"]) if fresh else {}
            for uid, data in flags.items():
                fresh[uid] = replace(fresh[uid], **_flag_fields(data[b"FLAGS"]))
        for chunk_start in range(0, len(new_uids), 500):
            chunk = new_uids[chunk_start : chunk_start + 500]
            data = client.fetch(
                chunk, ["FLAGS", "RFC822.SIZE", "BODY.PEEK[HEADER]", "BODYSTRUCTURE"]
            )
            for uid, item in data.items():
                fresh[uid] = self.service._row_from_fetch(self.account.name, name, uid, item)
        self.messages[name] = fresh
        unread = sum(1 for r in fresh.values() if not r.seen)
        folders[name] = replace(folders[name], unread=unread, total=len(fresh))
        return new_uids if had else []

    def refresh_folder(self, name: str) -> list[int]:
        with self.lock:
            client = self.conn()
            folders = dict(self.folders)
            if name not in folders:
                return []
            new = self._sync_folder(client, name, folders)
            self.folders = folders
        self.service._emit(ServiceEvent("messages", self.account.name, name))
        return new

    # push
    def start_idle(self) -> None:
        self._idle_thread = threading.Thread(
            target=self._idle_loop, name=f"idle-{self.account.name}", daemon=True
        )
        self._idle_thread.start()

    def _idle_loop(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                client = self._connect()
                client.select_folder("INBOX", readonly=True)
                backoff = 1.0
                while not self._stop.is_set():
                    client.idle()
                    responses = client.idle_check(timeout=5)
                    client.idle_done()
                    if self._stop.is_set():
                        break
                    if any(
                        r[1] in (b"EXISTS", b"EXPUNGE", b"FETCH") for r in responses if len(r) > 1
                    ):
                        new = self.refresh_folder("INBOX")
                        if new:
                            self.service._emit(
                                ServiceEvent("new-mail", self.account.name, "INBOX", count=len(new))
                            )
                try:
                    client.logout()
                except Exception:
                    pass
            except Exception as exc:
                if self._stop.is_set():
                    return
                self.set_state("offline", f"offline, retrying in {int(backoff)} s")
                self.service._emit(
                    ServiceEvent("error", self.account.name, text=describe_error(exc))
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60)


def _flag_fields(flags) -> dict[str, bool]:
    names = {f.decode() if isinstance(f, bytes) else str(f) for f in flags}
    return {
        "seen": "\\Seen" in names,
        "flagged": "\\Flagged" in names,
        "answered": "\\Answered" in names,
    }


def _special(name: str, flags: set[str]) -> str | None:
    if name.upper() == "INBOX":
        return "inbox"
    for special in ("Sent", "Drafts", "Trash", "Junk", "Archive"):
        if f"\\{special}" in flags:
            return special.lower()
    return None


def describe_error(exc: BaseException) -> str:
    """A sentence for the user, never a traceback."""
    import ssl

    from tuimail.core.tls import describe_ssl_error

    if isinstance(exc, ServiceError):
        return str(exc)
    if isinstance(exc, ssl.SSLError):
        return describe_ssl_error(exc)
    if isinstance(exc, ConnectionRefusedError):
        return "The server refused the connection."
    if isinstance(exc, (TimeoutError, OSError)) and "timed out" in str(exc):
        return "The server did not answer in time."
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, bytes):
        text = exc.decode("utf-8", "replace")
    text = sanitize(text)
    if "authenticat" in text.lower() or "login" in text.lower():
        return f"The server refused the login: {text}"
    return f"Something went wrong: {text}"


class MailService:
    """Everything the UI needs, for all configured accounts."""

    def __init__(
        self,
        accounts: dict[str, Account],
        *,
        password_for: PasswordGetter | None = None,
        listener: Listener | None = None,
        idle: bool = True,
    ) -> None:
        self.accounts = dict(accounts)
        self._password_for = password_for
        self.listener = listener
        self._backends = {name: _AccountBackend(self, acc) for name, acc in self.accounts.items()}
        self._ids = 0
        self._ids_lock = threading.Lock()
        self._undo: list[tuple[str, Callable[[], None]]] = []
        self.outbox: list[Draft] = []
        self.errors: list[str] = []
        self._idle = idle

    # plumbing
    def password_for(self, account: Account) -> Secret:
        if self._password_for is not None:
            return self._password_for(account)
        from tuimail.core import secrets

        getter = getattr(secrets, "get_password", None)
        if getter is None:
            raise ServiceError(f"No password is known for {account.name}.")
        return getter(account)

    def _emit(self, event: ServiceEvent) -> None:
        if event.kind == "error":
            self.errors.append(event.text)
        if self.listener is not None:
            try:
                self.listener(event)
            except Exception:
                pass

    def _next_id(self) -> int:
        with self._ids_lock:
            self._ids += 1
            return self._ids

    def _row_from_fetch(self, account: str, folder: str, uid: int, item: dict) -> MessageRow:
        header = item.get(b"BODY[HEADER]") or b""
        msg = email.message_from_bytes(header, policy=email.policy.default)
        try:
            date = email.utils.parsedate_to_datetime(str(msg.get("Date", "")))
        except (TypeError, ValueError, IndexError):
            date = None
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        try:
            sender_h = msg.get("From")
            addrs = getattr(sender_h, "addresses", ()) if sender_h is not None else ()
            sender = (addrs[0].display_name or addrs[0].addr_spec) if addrs else str(sender_h or "")
        except Exception:
            sender = ""
        try:
            subject = str(msg.get("Subject", "") or "")
        except Exception:
            subject = ""
        structure = repr(item.get(b"BODYSTRUCTURE", b"")).lower()
        return MessageRow(
            id=self._next_id(),
            account=account,
            folder=folder,
            uid=uid,
            date=date,
            sender=sender,
            subject=subject,
            size=int(item.get(b"RFC822.SIZE", 0) or 0),
            has_attachments="attachment" in structure,
            message_id=str(msg.get("Message-ID", "") or ""),
            **_flag_fields(item.get(b"FLAGS", ())),
        )

    def backend(self, account: str) -> _AccountBackend:
        try:
            return self._backends[account]
        except KeyError:
            raise ServiceError(f"There is no account called {sanitize(account)}.") from None

    # life cycle (blocking: call from a worker)
    def start(self) -> None:
        """Sync every account once, then start push."""
        for backend in self._backends.values():
            backend.sync()
            if self._idle and backend.state.state != "error":
                backend.start_idle()

    def stop(self) -> None:
        for backend in self._backends.values():
            backend.close()

    def states(self) -> dict[str, AccountState]:
        return {name: b.state for name, b in self._backends.items()}

    # folders and lists
    def folders(self) -> list[FolderInfo]:
        out: list[FolderInfo] = []
        for backend in self._backends.values():
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
        for f in self.backend(account).folders.values():
            if f.special_use == special:
                return f.name
        return None

    def source(
        self, account: str, folder: str, sort: str = "date", threaded: bool = False
    ) -> MessageListSource:
        if account == UNIFIED:
            rows: list[MessageRow] = []
            for name, backend in self._backends.items():
                inbox = self.special_folder(name, "inbox") or "INBOX"
                rows.extend(backend.messages.get(inbox, {}).values())
            return ListSource(sort_rows(rows, sort, threaded))
        rows = list(self.backend(account).messages.get(folder, {}).values())
        return ListSource(sort_rows(rows, sort, threaded))

    def search(self, query: str) -> MessageListSource:
        """Local search over sender and subject of every cached message."""
        words = query.lower().split()
        hits = []
        for backend in self._backends.values():
            for rows in backend.messages.values():
                for row in rows.values():
                    hay = f"{row.sender} {row.subject}".lower()
                    if all(w in hay for w in words):
                        hits.append(row)
        return ListSource(sort_rows(hits))

    def addresses(self, prefix: str) -> list[str]:
        """Address completion from senders in the cache."""
        prefix = prefix.lower()
        seen: list[str] = []
        for backend in self._backends.values():
            for rows in backend.messages.values():
                for row in rows.values():
                    if row.sender.lower().startswith(prefix) and row.sender not in seen:
                        seen.append(row.sender)
        return seen[:20]

    # reading
    def raw(self, row: MessageRow) -> bytes:
        backend = self.backend(row.account)
        with backend.lock:
            client = backend.conn()
            client.select_folder(row.folder, readonly=True)
            data = client.fetch([row.uid], ["BODY.PEEK[]"])
        item = data.get(row.uid)
        if not item:
            raise ServiceError("That message is no longer on the server.")
        return item[b"BODY[]"]

    def read(self, row: MessageRow) -> ReaderView:
        view = render_raw(self.raw(row))
        if not row.seen:
            self.set_seen([row], True)
        return view

    def save_attachment(self, row: MessageRow, index: int, directory: str | Path) -> Path:
        msg = email.message_from_bytes(self.raw(row), policy=email.policy.default)
        parts = list(msg.iter_attachments())  # type: ignore[attr-defined]
        part = parts[index]
        directory = Path(directory).expanduser()
        directory.mkdir(parents=True, exist_ok=True)
        name = sanitize_filename(part.get_filename())
        target = directory / name
        stem, dot, ext = name.rpartition(".")
        n = 1
        while target.exists():
            target = directory / (f"{stem} ({n}).{ext}" if dot else f"{name} ({n})")
            n += 1
        target.write_bytes(part.get_payload(decode=True) or b"")
        return target

    # actions
    def _update_rows(self, rows: Sequence[MessageRow], **changes: Any) -> None:
        for row in rows:
            backend = self.backend(row.account)
            folder = backend.messages.get(row.folder, {})
            if row.uid in folder:
                folder[row.uid] = replace(folder[row.uid], **changes)
        self._recount(rows)

    def _recount(self, rows: Sequence[MessageRow]) -> None:
        for account, folder in {(r.account, r.folder) for r in rows}:
            backend = self.backend(account)
            msgs = backend.messages.get(folder, {})
            if folder in backend.folders:
                backend.folders[folder] = replace(
                    backend.folders[folder],
                    unread=sum(1 for r in msgs.values() if not r.seen),
                    total=len(msgs),
                )
            self._emit(ServiceEvent("messages", account, folder))

    def _store(self, rows: Sequence[MessageRow], flag: bytes, add: bool) -> None:
        by_folder: dict[tuple[str, str], list[int]] = {}
        for row in rows:
            by_folder.setdefault((row.account, row.folder), []).append(row.uid)
        for (account, folder), uids in by_folder.items():
            backend = self.backend(account)
            with backend.lock:
                client = backend.conn()
                client.select_folder(folder)
                if add:
                    client.add_flags(uids, [flag])
                else:
                    client.remove_flags(uids, [flag])

    def set_seen(self, rows: Sequence[MessageRow], seen: bool) -> None:
        self._store(rows, b"\\Seen", seen)
        self._update_rows(rows, seen=seen)

    def set_flagged(self, rows: Sequence[MessageRow], flagged: bool) -> None:
        self._store(rows, b"\\Flagged", flagged)
        self._update_rows(rows, flagged=flagged)

    def mark_all_read(self, account: str, folder: str) -> int:
        rows = [r for r in self.backend(account).messages.get(folder, {}).values() if not r.seen]
        if rows:
            self.set_seen(rows, True)
        return len(rows)

    def move(self, rows: Sequence[MessageRow], target: str, *, copy: bool = False) -> None:
        """Move (or copy) to `target` in the same account; undoable."""
        if not rows:
            return
        account = rows[0].account
        backend = self.backend(account)
        if target not in backend.folders:
            raise ServiceError(f"There is no folder called {sanitize(target)}.")
        by_folder: dict[str, list[MessageRow]] = {}
        for row in rows:
            by_folder.setdefault(row.folder, []).append(row)
        with backend.lock:
            client = backend.conn()
            for folder, group in by_folder.items():
                client.select_folder(folder)
                uids = [r.uid for r in group]
                if copy:
                    client.copy(uids, target)
                else:
                    client.move(uids, target)
                    for uid in uids:
                        backend.messages.get(folder, {}).pop(uid, None)
        self._recount(rows)
        backend.refresh_folder(target)
        if not copy:
            ids = [r.message_id for r in rows]
            sources = {r.message_id: r.folder for r in rows}

            def undo() -> None:
                self._move_back(account, target, ids, sources)

            verb = "Moved" if target != self.special_folder(account, "trash") else "Deleted"
            self._undo.append((f"{verb} {len(rows)} message(s)", undo))

    def _move_back(self, account: str, where: str, ids: list[str], sources: dict[str, str]):
        backend = self.backend(account)
        with backend.lock:
            backend.refresh_folder(where)
            rows = [r for r in backend.messages.get(where, {}).values() if r.message_id in ids]
            client = backend.conn()
            client.select_folder(where)
            for row in rows:
                client.move([row.uid], sources.get(row.message_id, "INBOX"))
                backend.messages[where].pop(row.uid, None)
        for folder in set(sources.values()) | {where}:
            backend.refresh_folder(folder)

    def delete(self, rows: Sequence[MessageRow]) -> None:
        """Move to Trash (undoable); in Trash itself, expunge for good."""
        if not rows:
            return
        account = rows[0].account
        trash = self.special_folder(account, "trash")
        if trash and rows[0].folder != trash:
            self.move(rows, trash)
            return
        backend = self.backend(account)
        with backend.lock:
            client = backend.conn()
            client.select_folder(rows[0].folder)
            uids = [r.uid for r in rows]
            client.add_flags(uids, [b"\\Deleted"])
            client.uid_expunge(uids) if hasattr(client, "uid_expunge") else client.expunge()
            for uid in uids:
                backend.messages.get(rows[0].folder, {}).pop(uid, None)
        self._recount(rows)

    def archive(self, rows: Sequence[MessageRow]) -> None:
        if not rows:
            return
        target = self.special_folder(rows[0].account, "archive")
        if target is None:
            raise ServiceError("This account has no Archive folder.")
        self.move(rows, target)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> str:
        if not self._undo:
            raise ServiceError("There is nothing to undo.")
        label, fn = self._undo.pop()
        fn()
        return f"Undone: {label.lower()}"

    # folders
    def create_folder(self, account: str, name: str) -> None:
        backend = self.backend(account)
        with backend.lock:
            backend.conn().create_folder(name)
        backend.sync()

    def rename_folder(self, account: str, old: str, new: str) -> None:
        backend = self.backend(account)
        with backend.lock:
            backend.conn().rename_folder(old, new)
            backend.messages.pop(old, None)
        backend.sync()

    def delete_folder(self, account: str, name: str) -> None:
        backend = self.backend(account)
        with backend.lock:
            backend.conn().delete_folder(name)
            backend.messages.pop(name, None)
        backend.sync()

    # composing and sending
    def build_message(self, draft: Draft) -> EmailMessage:
        account = self.accounts[draft.account]
        msg = EmailMessage()
        sender = (
            email.utils.formataddr((account.display_name, account.email))
            if account.display_name
            else account.email
        )
        msg["From"] = sender
        for name, value in (("To", draft.to), ("Cc", draft.cc)):
            if value.strip():
                msg[name] = value
        msg["Subject"] = draft.subject
        msg["Date"] = email.utils.formatdate(localtime=True)
        msg["Message-ID"] = email.utils.make_msgid(domain=account.domain or None)
        if draft.in_reply_to:
            msg["In-Reply-To"] = draft.in_reply_to
            msg["References"] = (draft.references + " " + draft.in_reply_to).strip()
        msg.set_content(draft.body)
        for path in draft.attachments:
            p = Path(path).expanduser()
            try:
                data = p.read_bytes()
            except OSError as exc:
                raise ServiceError(f"Cannot read the attachment {p}: {exc.strerror}.") from None
            msg.add_attachment(
                data, maintype="application", subtype="octet-stream", filename=p.name
            )
        return msg

    def reply_draft(self, row: MessageRow, *, all: bool = False) -> Draft:
        raw = self.raw(row)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        account = self.accounts[row.account]
        view = render_raw(raw)
        to = str(msg.get("Reply-To") or msg.get("From") or "")
        cc = ""
        if all:
            others = []
            for header in ("To", "Cc"):
                for _n, addr in email.utils.getaddresses([str(msg.get(header, ""))]):
                    if addr and addr.lower() != account.email.lower() and addr not in to:
                        others.append(addr)
            cc = ", ".join(others)
        subject = str(msg.get("Subject", ""))
        if not subject.lower().startswith("re:"):
            subject = "Re: " + subject
        body_text = "\n".join(b.text for b in view.blocks if b.kind != "signature")
        sender = dict(view.headers).get("From", "")
        quoted = "\n".join("> " + line if line else ">" for line in body_text.split("\n"))
        return Draft(
            account=row.account,
            to=sanitize(to),
            cc=sanitize(cc),
            subject=sanitize(subject),
            body=f"\n\n{sender} wrote:\n{quoted}\n",
            in_reply_to=str(msg.get("Message-ID", "")),
            references=str(msg.get("References", "")),
        )

    def forward_draft(self, row: MessageRow) -> Draft:
        view = render_raw(self.raw(row))
        subject = view.subject
        if not subject.lower().startswith("fwd:"):
            subject = "Fwd: " + subject
        head = "\n".join(f"{k}: {v}" for k, v in view.headers)
        body = "\n".join(b.text for b in view.blocks)
        return Draft(
            account=row.account,
            subject=subject,
            body=f"\n\n-------- Forwarded message --------\n{head}\n\n{body}\n",
        )

    def send(self, draft: Draft) -> None:
        """Submit over SMTP (TLS enforced) and keep a copy in Sent."""
        import aiosmtplib

        from tuimail.core.connect import smtp_kwargs

        account = self.accounts[draft.account]
        msg = self.build_message(draft)
        recipients = [a for _n, a in email.utils.getaddresses([draft.to, draft.cc, draft.bcc]) if a]
        if not recipients:
            raise ServiceError("Add at least one recipient.")
        self.outbox.append(draft)
        self._emit(ServiceEvent("outbox", draft.account, count=len(self.outbox)))
        password = self.password_for(account)

        async def submit() -> None:
            kwargs = smtp_kwargs(account.outgoing, account.ca_file, timeout=30)
            async with aiosmtplib.SMTP(**kwargs) as smtp:
                await smtp.login(account.login, password.reveal())
                await smtp.send_message(msg, recipients=recipients)

        try:
            asyncio.run(submit())
        except Exception as exc:
            raise ServiceError(f"The message was not sent: {describe_error(exc)}") from None
        finally:
            self.outbox.remove(draft)
            self._emit(ServiceEvent("outbox", draft.account, count=len(self.outbox)))
        if account.save_sent_copy:
            sent = self.special_folder(draft.account, "sent")
            if sent:
                self._append(draft.account, sent, msg, [b"\\Seen"])
        if draft.in_reply_to:
            self._mark_answered(draft.account, draft.in_reply_to)

    def save_draft(self, draft: Draft) -> str:
        folder = self.special_folder(draft.account, "drafts")
        if folder is None:
            raise ServiceError("This account has no Drafts folder.")
        self._append(draft.account, folder, self.build_message(draft), [b"\\Draft", b"\\Seen"])
        return folder

    def _append(self, account: str, folder: str, msg: EmailMessage, flags) -> None:
        backend = self.backend(account)
        with backend.lock:
            backend.conn().append(folder, msg.as_bytes(), flags)
        backend.refresh_folder(folder)

    def _mark_answered(self, account: str, message_id: str) -> None:
        backend = self.backend(account)
        rows = [
            r
            for msgs in backend.messages.values()
            for r in msgs.values()
            if r.message_id == message_id
        ]
        if rows:
            self._store(rows, b"\\Answered", True)
            self._update_rows(rows, answered=True)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
