"""IDLE push: a dedicated connection and thread per watched folder, new mail as events.

    watcher = AccountWatcher(store, account, connector(account, password, ...))
    unsubscribe = watcher.subscribe(callback)   # callback(NewMail | WatchState), called
    watcher.start()                             # in the watcher's thread: hand it over
    watcher.watch_open_folder("Lists/python")   # also watch the folder the UI shows
    watcher.stop()

Each `FolderWatcher` syncs its folder into the store (so mail that arrived while it was
disconnected is found by UID, exactly once), IDLEs, and on any change syncs again and
reports the rows that are new. IDLE is renewed (DONE, NOOP, IDLE) every
`account.idle_renew_seconds`; the NOOP runs under the socket's read timeout, so a dead
connection is noticed and replaced, with capped exponential backoff. Servers without
IDLE are polled every `account.poll_interval` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tuimail.core.account import Account
from tuimail.core.errors import MailError
from tuimail.core.imap.errors import classify_imap
from tuimail.core.imap.session import Connector
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.retry import RetryPolicy
from tuimail.core.store import MessageRow, Store

CHECK_SLICE = 0.5  # seconds per idle_check, so stop() is quick


@dataclass(frozen=True)
class NewMail:
    account: str
    folder: str
    messages: list[MessageRow] = field(default_factory=list)


@dataclass(frozen=True)
class WatchState:
    """state: connecting | idle | polling | disconnected | failed | stopped; error: the
    typed failure behind "disconnected" (retried with back-off) or "failed" (not retried:
    a rejected password, a security or other permanent failure). No sentence: the edge
    (tuimail.words) says it."""

    account: str
    folder: str
    state: str
    error: MailError | None = None


Event = NewMail | WatchState
Callback = Callable[[Event], None]


class FolderWatcher:
    def __init__(
        self,
        store: Store,
        account: Account,
        connect: Connector,
        folder: str = "INBOX",
        *,
        emit: Callable[[Event], None],
        backoff_start: float = 0.5,
        backoff_max: float = 60.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.store = store
        self.account = account
        self.folder = folder
        self._connect = connect
        self._emit = emit
        self.policy = policy or RetryPolicy(first=backoff_start, cap=backoff_max)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"idle-{self.account.name}-{self.folder}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.ident is not None:  # started
            if thread is not threading.current_thread():
                thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _state(self, state: str, error: MailError | None = None) -> None:
        self._emit(WatchState(self.account.name, self.folder, state, error))

    def _run(self) -> None:
        """Connect, catch up, IDLE (or poll); a transient failure backs off (the retry
        policy) and tries again; any other ends the watcher ("failed"): a rejected
        password is never tried again by itself."""
        attempt = 0
        while not self._stop.is_set():
            engine = SyncEngine(self.store, self.account, self._connect)
            try:
                self._state("connecting")
                self._catch_up(engine)
                attempt = 0  # connected and in step again
                if engine.has("IDLE"):
                    self._idle_loop(engine)
                else:
                    self._poll_loop(engine)
            except Exception as exc:
                error = classify_imap(exc, host=self.account.incoming.host)
                engine.drop_connection()
                if not error.retry:
                    self._state("failed", error)
                    return
                self._state("disconnected", error)
                self._stop.wait(self.policy.delay(attempt))
                attempt += 1
                continue
            finally:
                if self._stop.is_set():
                    engine.close()
        self._state("stopped")

    def _catch_up(self, engine: SyncEngine, changed: bool = False) -> None:
        """Sync the folder; report the rows it added (UID-based, so never twice).
        `changed`: IDLE reported a change, so the sync goes straight to it (no STATUS)."""
        before = self.store.conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
        engine.sync_folder(self.folder, changed=changed)
        folder_id = self.store.folder_id(self.account.name, self.folder)
        new_ids = [
            r[0]
            for r in self.store.conn.execute(
                "SELECT id FROM messages WHERE folder_id = ? AND id > ? AND uid IS NOT NULL "
                "ORDER BY uid",
                (folder_id, before),
            )
        ]
        if new_ids:
            self._emit(NewMail(self.account.name, self.folder, self.store.messages_by_ids(new_ids)))

    def _idle_loop(self, engine: SyncEngine) -> None:
        client = engine.client
        client.select_folder(self.folder, readonly=True)
        renew = max(float(self.account.idle_renew_seconds), 0.1)
        while not self._stop.is_set():
            client.idle()
            self._state("idle")
            deadline = time.monotonic() + renew
            changed = False
            while not self._stop.is_set() and not changed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                slice_ = min(CHECK_SLICE, remaining)
                started = time.monotonic()
                responses = client.idle_check(timeout=slice_)
                if not responses and time.monotonic() - started < slice_ / 2:
                    # imapclient swallows EOF during IDLE: readable and empty means closed
                    raise ConnectionError("the server closed the connection during IDLE")
                for response in responses:
                    head = response[0] if isinstance(response, tuple) and response else None
                    if head == b"BYE":
                        raise ConnectionError("the server ended the session")
                    if head != b"OK":
                        changed = True
            client.idle_done()
            if self._stop.is_set():
                return
            if not changed:
                client.noop()  # under the read timeout: a dead connection raises here
            self._catch_up(engine, changed)
            client.select_folder(self.folder, readonly=True)

    def _poll_loop(self, engine: SyncEngine) -> None:
        self._state("polling")
        while not self._stop.wait(max(float(self.account.poll_interval), 0.1)):
            self._catch_up(engine)


class AccountWatcher:
    """INBOX always, plus the folder the UI has open; events to every subscriber."""

    def __init__(self, store: Store, account: Account, connect: Connector, **options) -> None:
        self.store = store
        self.account = account
        self._connect = connect
        self._options = options
        self._callbacks: list[Callback] = []
        self._lock = threading.Lock()
        self._watchers: dict[str, FolderWatcher] = {}
        self._open: str | None = None
        self._started = False

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def _emit(self, event: Event) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                pass  # a broken subscriber must not kill the watcher

    def _watcher(self, folder: str) -> FolderWatcher:
        return FolderWatcher(
            self.store, self.account, self._connect, folder, emit=self._emit, **self._options
        )

    def start(self) -> None:
        self._started = True
        for folder in dict.fromkeys(["INBOX", *([self._open] if self._open else [])]):
            self._watchers[folder] = self._watcher(folder)
            self._watchers[folder].start()

    def watch_open_folder(self, folder: str | None) -> None:
        """Watch `folder` too (None: only INBOX); the previous open folder is dropped."""
        if self._open and self._open != "INBOX" and self._open != folder:
            old = self._watchers.pop(self._open, None)
            if old is not None:
                threading.Thread(target=old.stop, daemon=True).start()
        self._open = folder
        if folder and folder not in self._watchers and self._started:
            self._watchers[folder] = self._watcher(folder)
            self._watchers[folder].start()

    def stop(self, timeout: float = 10.0) -> None:
        watchers, self._watchers = list(self._watchers.values()), {}
        for watcher in watchers:
            watcher._stop.set()
        for watcher in watchers:
            watcher.stop(timeout)
