"""The one mail store that the bundled IMAP, POP3 and SMTP servers share.

Everything is in memory and guarded by one re-entrant lock, so sessions on the server's
event loop and test code on other threads can use it at the same time. Changes are
announced to listeners (IMAP IDLE sessions, ``wait_for_message``) while the lock is held,
so a listener sees every change exactly once and in order.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

DELIMITER = "/"
SPECIAL_USE_FOLDERS = {
    "Sent": "\\Sent",
    "Drafts": "\\Drafts",
    "Trash": "\\Trash",
    "Junk": "\\Junk",
    "Archive": "\\Archive",
}
SYSTEM_FLAGS = ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")

# One source of UIDVALIDITY values, increasing across the process: a folder that is
# deleted and created again, or that a test resets, never repeats an old value.
_uidvalidity_counter = itertools.count(int(time.time()) % 1_000_000_000)


class StoreError(Exception):
    """A request the store cannot carry out; the message is safe to show to a client."""


@dataclass(eq=False)
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str]
    internaldate: datetime
    modseq: int
    # Protocol modules may cache derived data here (parsed envelope, body structure).
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.raw)


@dataclass(eq=False)
class Folder:
    name: str
    special_use: str | None = None
    subscribed: bool = True
    uidvalidity: int = field(default_factory=lambda: next(_uidvalidity_counter))
    uidnext: int = 1
    highestmodseq: int = 1
    # uid -> message, kept in increasing UID order (UIDs only ever grow).
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    # (modseq, uid) of every expunge, for QRESYNC VANISHED (EARLIER).
    expunged: list[tuple[int, int]] = field(default_factory=list)

    def uids(self) -> list[int]:
        return list(self.messages)

    def bump_modseq(self) -> int:
        self.highestmodseq += 1
        return self.highestmodseq

    def unseen_count(self) -> int:
        return sum(1 for m in self.messages.values() if "\\Seen" not in m.flags)


@dataclass(eq=False)
class User:
    login: str
    password: str
    email: str
    folders: dict[str, Folder] = field(default_factory=dict)
    quota_kb: int | None = None  # IMAP QUOTA storage limit; None = unlimited

    def usage_kb(self) -> int:
        total = sum(m.size for f in self.folders.values() for m in f.messages.values())
        return (total + 1023) // 1024


@dataclass(frozen=True)
class StoreEvent:
    """A change to one folder. kind: exists | expunge | flags | uidvalidity | deleted |
    renamed (`new_name`: the folder's name now)."""

    kind: str
    login: str
    folder: str
    uid: int | None = None
    new_name: str | None = None


Listener = Callable[[StoreEvent], None]


def normalize_folder_name(name: str) -> str:
    """INBOX is case-insensitive (RFC 3501 5.1); other names are kept as given."""
    if name.upper() == "INBOX":
        return "INBOX"
    if name.upper().startswith("INBOX" + DELIMITER):
        return "INBOX" + name[5:]
    return name


class MailStore:
    """Users, folders and messages, safe under concurrent sessions."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._users: dict[str, User] = {}
        self._by_email: dict[str, User] = {}
        self._listeners: list[Listener] = []
        self._pop3_locks: set[str] = set()
        # OAuth 2.0 tokens (testserver.oauth_tokens.TokenRegistry) when the server runs its
        # authorization server; None: the mail servers offer no OAUTHBEARER/XOAUTH2.
        self.tokens = None
        self.oauth_issuer: str | None = None

    # -- users ------------------------------------------------------------------------

    def add_user(
        self,
        login: str,
        password: str,
        email: str | None = None,
        *,
        special_folders: bool = True,
    ) -> User:
        with self.lock:
            if login in self._users:
                raise StoreError(f"user {login} exists")
            user = User(login=login, password=password, email=(email or login).lower())
            user.folders["INBOX"] = Folder("INBOX")
            if special_folders:
                for name, role in SPECIAL_USE_FOLDERS.items():
                    user.folders[name] = Folder(name, special_use=role)
            self._users[login] = user
            self._by_email[user.email] = user
            return user

    def users(self) -> list[User]:
        with self.lock:
            return list(self._users.values())

    def user(self, login_or_email: str) -> User:
        with self.lock:
            user = self._users.get(login_or_email) or self._by_email.get(login_or_email.lower())
            if user is None:
                raise StoreError(f"no such user: {login_or_email}")
            return user

    def find_recipient(self, address: str) -> User | None:
        """The local user an envelope recipient belongs to, if any."""
        with self.lock:
            return self._by_email.get(address.strip().strip("<>").lower())

    def authenticate(self, login: str, password: str) -> User | None:
        with self.lock:
            user = self._users.get(login) or self._by_email.get(login.lower())
            if user is not None and user.password == password:
                return user
            return None

    # -- folders ----------------------------------------------------------------------

    def folders(self, login: str) -> list[Folder]:
        with self.lock:
            return list(self.user(login).folders.values())

    def folder(self, login: str, name: str) -> Folder:
        with self.lock:
            folder = self.user(login).folders.get(normalize_folder_name(name))
            if folder is None:
                raise StoreError(f"no such mailbox: {name}")
            return folder

    def has_folder(self, login: str, name: str) -> bool:
        with self.lock:
            return normalize_folder_name(name) in self.user(login).folders

    def create_folder(self, login: str, name: str, special_use: str | None = None) -> Folder:
        name = normalize_folder_name(name.rstrip(DELIMITER))
        if not name or DELIMITER * 2 in name:
            raise StoreError("invalid mailbox name")
        with self.lock:
            user = self.user(login)
            if name in user.folders:
                raise StoreError(f"mailbox exists: {name}")
            # Create missing parents too, as most servers do.
            parts = name.split(DELIMITER)
            for depth in range(1, len(parts)):
                parent = DELIMITER.join(parts[:depth])
                user.folders.setdefault(parent, Folder(parent))
            folder = Folder(name, special_use=special_use)
            user.folders[name] = folder
            return folder

    def delete_folder(self, login: str, name: str) -> None:
        name = normalize_folder_name(name)
        with self.lock:
            user = self.user(login)
            if name == "INBOX":
                raise StoreError("cannot delete INBOX")
            if name not in user.folders:
                raise StoreError(f"no such mailbox: {name}")
            del user.folders[name]
            self._emit(StoreEvent("deleted", user.login, name))

    def rename_folder(self, login: str, old: str, new: str) -> None:
        old, new = normalize_folder_name(old), normalize_folder_name(new)
        with self.lock:
            user = self.user(login)
            if old not in user.folders:
                raise StoreError(f"no such mailbox: {old}")
            if new in user.folders:
                raise StoreError(f"mailbox exists: {new}")
            if old == "INBOX":
                # RFC 3501: renaming INBOX moves its messages to a new folder, INBOX stays.
                target = self.create_folder(login, new)
                self._move_all(user.folders["INBOX"], target, user.login)
                return
            renamed = {}
            for name, folder in list(user.folders.items()):
                if name == old or name.startswith(old + DELIMITER):
                    del user.folders[name]
                    folder.name = new + name[len(old) :]
                    renamed[folder.name] = folder
                    self._emit(StoreEvent("renamed", user.login, name, new_name=folder.name))
            user.folders.update(renamed)

    def _move_all(self, source: Folder, target: Folder, login: str) -> None:
        for uid in list(source.messages):
            message = source.messages.pop(uid)
            self._add_message(target, message.raw, message.flags, message.internaldate)
            source.expunged.append((source.bump_modseq(), uid))
            self._emit(StoreEvent("expunge", login, source.name, uid))
        self._emit(StoreEvent("exists", login, target.name))

    def set_subscribed(self, login: str, name: str, subscribed: bool) -> None:
        with self.lock:
            self.folder(login, name).subscribed = subscribed

    def reset_uidvalidity(self, login: str, name: str) -> int:
        """Give a folder a new UIDVALIDITY and renumber its messages from 1 (a fault)."""
        with self.lock:
            folder = self.folder(login, name)
            old = list(folder.messages.values())
            folder.uidvalidity = next(_uidvalidity_counter)
            folder.messages = {}
            folder.expunged = []
            folder.uidnext = 1
            for message in old:
                self._add_message(folder, message.raw, message.flags, message.internaldate)
            self._emit(StoreEvent("uidvalidity", self.user(login).login, folder.name))
            return folder.uidvalidity

    def bump_uidvalidity(self, login: str, name: str) -> int:
        """Give a folder a new UIDVALIDITY, its messages keeping their UIDs (a fault: a
        server that changes it at every session without renumbering anything)."""
        with self.lock:
            folder = self.folder(login, name)
            folder.uidvalidity = next(_uidvalidity_counter)
            self._emit(StoreEvent("uidvalidity", self.user(login).login, folder.name))
            return folder.uidvalidity

    # -- messages ---------------------------------------------------------------------

    def _add_message(
        self,
        folder: Folder,
        raw: bytes,
        flags: Iterable[str],
        internaldate: datetime | None,
    ) -> StoredMessage:
        uid = folder.uidnext
        folder.uidnext += 1
        message = StoredMessage(
            uid=uid,
            raw=bytes(raw),
            flags=set(flags),
            internaldate=internaldate or datetime.now(UTC).replace(microsecond=0),
            modseq=folder.bump_modseq(),
        )
        folder.messages[uid] = message
        return message

    def append(
        self,
        login: str,
        folder_name: str,
        raw: bytes,
        flags: Iterable[str] = (),
        internaldate: datetime | None = None,
    ) -> tuple[int, int]:
        """Add a message; returns (uidvalidity, uid). Listeners hear 'exists'."""
        with self.lock:
            user = self.user(login)
            folder = self.folder(login, folder_name)
            if user.quota_kb is not None and user.usage_kb() + len(raw) // 1024 > user.quota_kb:
                raise StoreError("[OVERQUOTA] quota exceeded")
            message = self._add_message(folder, raw, flags, internaldate)
            self._emit(StoreEvent("exists", user.login, folder.name, message.uid))
            return folder.uidvalidity, message.uid

    def deliver(self, recipient: str, raw: bytes, folder: str = "INBOX") -> tuple[int, int]:
        """Deliver as a mail server would: new (unseen) mail into a user's folder."""
        return self.append(recipient, folder, raw)

    def bulk_append(
        self,
        login: str,
        folder_name: str,
        items: Iterable[tuple[bytes, Iterable[str], datetime | None]],
    ) -> int:
        """Add many messages at once with a single 'exists' event (seeding, benchmarks)."""
        with self.lock:
            user = self.user(login)
            folder = self.folder(login, folder_name)
            count = 0
            for raw, flags, date in items:
                self._add_message(folder, raw, flags, date)
                count += 1
            if count:
                self._emit(StoreEvent("exists", user.login, folder.name))
            return count

    def store_flags(
        self,
        login: str,
        folder_name: str,
        uids: Iterable[int],
        mode: str,
        flags: Iterable[str],
        unchangedsince: int | None = None,
    ) -> tuple[list[StoredMessage], list[int]]:
        """Change flags. mode: '+' add, '-' remove, '=' replace.

        Returns (messages whose flags changed, UIDs that failed UNCHANGEDSINCE).
        """
        flags = set(flags)
        changed: list[StoredMessage] = []
        failed: list[int] = []
        with self.lock:
            user = self.user(login)
            folder = self.folder(login, folder_name)
            for uid in uids:
                message = folder.messages.get(uid)
                if message is None:
                    continue
                if unchangedsince is not None and message.modseq > unchangedsince:
                    failed.append(uid)
                    continue
                if mode == "+":
                    new = message.flags | flags
                elif mode == "-":
                    new = message.flags - flags
                elif mode == "=":
                    new = set(flags)
                else:
                    raise StoreError(f"bad flag mode {mode!r}")
                if new != message.flags:
                    message.flags = new
                    message.modseq = folder.bump_modseq()
                    changed.append(message)
                    self._emit(StoreEvent("flags", user.login, folder.name, uid))
            return changed, failed

    def expunge(self, login: str, folder_name: str, uids: Iterable[int] | None = None) -> list[int]:
        """Remove messages flagged \\Deleted (only those in `uids` when given)."""
        with self.lock:
            user = self.user(login)
            folder = self.folder(login, folder_name)
            wanted = None if uids is None else set(uids)
            gone = [
                uid
                for uid, m in folder.messages.items()
                if "\\Deleted" in m.flags and (wanted is None or uid in wanted)
            ]
            self._remove(user, folder, gone)
            return gone

    def remove(self, login: str, folder_name: str, uids: Iterable[int]) -> list[int]:
        """Remove messages outright, whatever their flags (POP3 QUIT, another client)."""
        with self.lock:
            user = self.user(login)
            folder = self.folder(login, folder_name)
            gone = [uid for uid in uids if uid in folder.messages]
            self._remove(user, folder, gone)
            return gone

    def _remove(self, user: User, folder: Folder, uids: list[int]) -> None:
        for uid in uids:
            del folder.messages[uid]
            folder.expunged.append((folder.bump_modseq(), uid))
            self._emit(StoreEvent("expunge", user.login, folder.name, uid))

    def copy(
        self, login: str, source: str, uids: Iterable[int], target: str
    ) -> tuple[int, list[tuple[int, int]]]:
        """Copy messages; returns (target uidvalidity, [(source uid, new uid), ...])."""
        with self.lock:
            user = self.user(login)
            src = self.folder(login, source)
            dst = self.folder(login, target)
            mapping = []
            for uid in uids:
                message = src.messages.get(uid)
                if message is None:
                    continue
                new = self._add_message(dst, message.raw, message.flags, message.internaldate)
                mapping.append((uid, new.uid))
            if mapping:
                self._emit(StoreEvent("exists", user.login, dst.name))
            return dst.uidvalidity, mapping

    def move(
        self, login: str, source: str, uids: Iterable[int], target: str
    ) -> tuple[int, list[tuple[int, int]]]:
        with self.lock:
            uidvalidity, mapping = self.copy(login, source, uids, target)
            self.remove(login, source, [old for old, _ in mapping])
            return uidvalidity, mapping

    def messages(self, login: str, folder_name: str = "INBOX") -> list[StoredMessage]:
        with self.lock:
            return list(self.folder(login, folder_name).messages.values())

    # -- POP3 maildrop lock -----------------------------------------------------------

    def lock_maildrop(self, login: str) -> bool:
        with self.lock:
            if login in self._pop3_locks:
                return False
            self._pop3_locks.add(login)
            return True

    def unlock_maildrop(self, login: str) -> None:
        with self.lock:
            self._pop3_locks.discard(login)

    # -- change notification ----------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` on every change (under the store lock: be quick).

        Returns a function that unsubscribes.
        """
        with self.lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self.lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, event: StoreEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                pass
        self.changed.notify_all()

    def wait_for_message(
        self,
        login: str,
        predicate: Callable[[StoredMessage], bool],
        timeout: float = 10.0,
        folder: str = "INBOX",
    ) -> StoredMessage:
        """Block until a message in the folder satisfies `predicate` (woken by changes)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for message in self.folder(login, folder).messages.values():
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching message for {login} in {folder}")
                self.changed.wait(remaining)
