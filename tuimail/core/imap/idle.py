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

A folder other than INBOX can be renamed or deleted by another client while it is watched
(idle_folder): with NOTIFY the server says so at once; without it the IDLE is renewed
every `folder_check_seconds` with a LIST of the folder. Either way a fresh connection
and the folder list decide, and the watcher ends with "gone" (and the new name, when the
server told it).
"""

from __future__ import annotations

import imaplib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from imapclient.exceptions import IMAPClientError

from tuimail.core.account import Account
from tuimail.core.errors import MailError, Refused
from tuimail.core.imap.errors import classify_imap
from tuimail.core.imap.fetchscan import read_answer
from tuimail.core.imap.idle_changes import MAX_UID, IdleChanges
from tuimail.core.imap.idle_folder import (
    Moved,
    ask_mailbox_names,
    folder_moved,
    still_listed,
    told_before,
)
from tuimail.core.imap.idle_read import IdleRefused, end_idle, idle_responses, start_idle
from tuimail.core.imap.session import Connector
from tuimail.core.imap.sync import (
    HEADER_ITEM,
    SyncEngine,
    fetch_headers,
    known_in_ranges,
    messages_from_fetches,
)
from tuimail.core.imap.untagged import consumed
from tuimail.core.retry import RetryPolicy, retryable
from tuimail.core.store import MessageRow, NewMessage, Store

log = logging.getLogger("tuimail.idle")

CHECK_SLICE = 0.5  # seconds per idle_check, so stop() is quick
# Without NOTIFY, how often an IDLE on a folder other than INBOX is renewed with a LIST of
# that folder (a rename by another client is otherwise found only at the renewal, ~29
# min). Three small commands a minute, only while such a folder is open on such a server.
FOLDER_CHECK_SECONDS = 30.0
SETTLED_AFTER = 30.0  # seconds of IDLE after which a drop retries soon again (attempt 0)
# Untagged news imaplib keeps aside during a command (the direct path reads them after).
_UPDATES = ("EXISTS", "EXPUNGE", "VANISHED", "FETCH")


@dataclass(frozen=True)
class NewMail:
    account: str
    folder: str
    messages: list[MessageRow] = field(default_factory=list)


@dataclass(frozen=True)
class WatchState:
    """state: connecting | idle | polling | disconnected | failed | gone | stopped; error: the
    typed failure behind "disconnected" (retried with back-off, a protocol violation too,
    after a longer wait) or "failed" (not retried: a rejected password, a security or
    other permanent failure). "gone": the folder was deleted on the server by another
    client and is removed from the store; its watcher has ended (`renamed_to`: its new
    name, when the server told it and the folder list has it). No sentence: the edge
    (tuimail.words) says it."""

    account: str
    folder: str
    state: str
    error: MailError | None = None
    retry_in: float | None = None  # "disconnected": seconds before the next connection
    renamed_to: str | None = None  # "gone": renamed to this folder on the server


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
        folder_check_seconds: float = FOLDER_CHECK_SECONDS,
    ) -> None:
        self.store = store
        self.account = account
        self.folder = folder
        self._connect = connect
        self._emit = emit
        self.policy = policy or RetryPolicy(first=backoff_start, cap=backoff_max)
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by retry_now (and stop): the back-off ends
        self._thread: threading.Thread | None = None
        self._engine: SyncEngine | None = None  # the connection in use (stop() aborts it)
        self._settled = False  # this connection has done a whole IDLE round or poll
        self.folder_check_seconds = folder_check_seconds
        self._moved_to: str | None = None  # the new name a notification told
        self._moves = 0  # notifications that the folder moved (a repeat waits)
        self._idle_refused = False  # the server refused IDLE once: this watcher polls
        self._said = ""  # the last state emitted (the log says each change once)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"idle-{self.account.name}-{self.folder}", daemon=True
        )
        self._thread.start()

    def retry_now(self) -> None:
        """A waiting watcher connects again now, from its first back-off step (the
        account just worked: the server is back); a connected one is not disturbed."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        engine = self._engine
        if engine is not None:  # a connection still being opened ends now
            engine.abort(drop=False)
        thread = self._thread
        if thread is not None and thread.ident is not None:  # started
            if thread is not threading.current_thread():
                thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _state(
        self, state: str, error: MailError | None = None, retry_in: float | None = None
    ) -> None:
        if state != self._said:  # every change of state is logged, not every IDLE round
            self._said = state
            kind = f" ({type(error).__name__})" if error is not None else ""
            log.info("%s: watching %r: %s%s", self.account.name, self.folder, state, kind)
        self._emit(WatchState(self.account.name, self.folder, state, error, retry_in))

    def _run(self) -> None:
        """Connect, catch up, IDLE (or poll); a transient failure backs off (the retry
        policy) and tries again; any other ends the watcher ("failed"): a rejected
        password is never tried again by itself."""
        attempt = 0
        while not self._stop.is_set():
            self._wake.clear()  # connecting now: an earlier retry_now is served
            engine = SyncEngine(self.store, self.account, self._connect)
            self._engine = engine
            if self._stop.is_set():  # stop() came between: it may not have seen it
                break
            self._settled = False
            try:
                self._state("connecting")
                self._catch_up(engine)
                if engine.has("IDLE") and not self._idle_refused:
                    try:
                        self._idle_loop(engine)
                    except IdleRefused as refused:
                        # Advertised, then refused (NO, BAD, an OK at once): polled
                        # instead, as a server without IDLE, on the same connection.
                        log.info("%s: IDLE refused (%s); polling", self.folder, refused.code)
                        self._idle_refused = True
                        self._poll_loop(engine)
                else:
                    self._poll_loop(engine)
            except Moved as moved:
                # Told (NOTIFY) or found (LIST) that the folder moved: a fresh connection
                # looks again at once; its EXAMINE and the folder list decide (_gone).
                engine.drop_connection()
                self._moved_to = moved.new_name or self._moved_to
                self._moves += 1
                if self._moves > 1:  # told again and again (a server that keeps saying so)
                    self._stop.wait(self.policy.wait(attempt))
                    attempt += 1
                continue
            except Exception as exc:
                error = classify_imap(exc, host=self.account.incoming.host)
                if self._gone(engine, error):
                    renamed = self._moved_to
                    if (
                        renamed is not None
                        and self.store.folder_id(self.account.name, renamed) is None
                    ):
                        renamed = None  # not in the folder list: only "gone" is sure
                    self._emit(
                        WatchState(self.account.name, self.folder, "gone", renamed_to=renamed)
                    )
                    return
                engine.drop_connection()
                if not retryable(error):  # a rejected password, a security failure
                    self._state("failed", error)
                    return
                if self._settled:
                    # It worked for a while (a whole IDLE round or poll): retry soon. A
                    # server that breaks every IDLE at once keeps backing off instead of
                    # being logged in to again and again.
                    attempt = 0
                # A protocol violation too: that connection is dropped; a fresh one is
                # tried after a longer wait (the policy's floor for violations).
                wait = self.policy.wait(attempt, error)
                self._state("disconnected", error, wait)
                if self._wake.wait(wait) and not self._stop.is_set():
                    attempt = 0  # woken: the account works again
                    continue
                attempt += 1
                continue
            finally:
                if self._stop.is_set():
                    engine.close()
        self._state("stopped")

    def _gone(self, engine: SyncEngine, error: MailError) -> bool:
        """True when the folder was deleted (or renamed) on the server by another client.

        Dovecot ends an IDLE on a deleted folder with BYE ("IMAP session state is
        inconsistent"), the bundled server with "Selected mailbox was deleted"; either
        way the next EXAMINE is refused (NO [NONEXISTENT]). Only then the folder list is
        read again (LIST "" "*", as a sync does: an incomplete LIST removes nothing), which
        drops the folder from the store; the watcher then ends instead of retrying."""
        if self.folder.upper() == "INBOX" or not isinstance(error, Refused):
            return False
        client = engine._client
        if client is not None:  # a notification that came during the refused command
            moved = told_before(client, self.folder, self._delimiter())
            self._moved_to = (moved.new_name if moved else None) or self._moved_to
        try:
            engine.sync_folder_list()
        except Exception:  # the list could not be read: the folder stays, retried later
            return False
        return self.store.folder_id(self.account.name, self.folder) is None

    def _catch_up(self, engine: SyncEngine, changed: bool = False) -> None:
        """Sync the folder; report the rows it added (UID-based, so never twice).
        `changed`: IDLE reported a change, so the sync goes straight to it (no STATUS)."""
        before = self._newest_id()
        result = engine.sync_folder(self.folder, changed=changed)
        if result.rebuilt:  # renumbered: its rows are new to the store, not new mail
            self._report_new(before, known=result.known)
        else:
            self._report_new(before)

    def _newest_id(self) -> int:
        return self.store.conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]

    def _report_new(self, before: int, known: frozenset[str] | None = None) -> bool:
        """Emit the folder's rows added since row id `before` (if any); True if some were.
        `known` (a folder rebuilt after a renumbering): only rows with a Message-ID not in
        it are new mail; the list is re-read all the same."""
        folder_id = self.store.folder_id(self.account.name, self.folder)
        new_ids = [
            r[0]
            for r in self.store.conn.execute(
                # By row id (the few newest rows), not the folder's index: at 100k messages
                # that scanned every row of the folder (6 ms of CPU per new mail).
                "SELECT id FROM messages WHERE +folder_id = ? AND id > ? AND uid IS NOT NULL "
                "ORDER BY uid",
                (folder_id, before),
            )
        ]
        if known is not None:
            rows = [r for r in self.store.messages_by_ids(new_ids) if r.message_id]
            fresh = [r for r in rows if r.message_id not in known]
            self._emit(NewMail(self.account.name, self.folder, fresh))  # (re-read either way)
            return bool(fresh)
        if new_ids:
            self._emit(NewMail(self.account.name, self.folder, self.store.messages_by_ids(new_ids)))
        return bool(new_ids)

    def _idle_loop(self, engine: SyncEngine) -> None:
        client = engine.client
        count = self._select(engine)
        if self._stored() != count:  # mail came between the catch-up and the EXAMINE
            count = self._apply(engine, IdleChanges.told_exists(count), count)
        renew = max(float(self.account.idle_renew_seconds), 0.1)
        movable = self.folder.upper() != "INBOX"  # INBOX is never renamed away
        told = movable and ask_mailbox_names(client)  # NOTIFY: the server says at once
        check = movable and not told
        if check:
            renew = min(renew, max(float(self.folder_check_seconds), 0.1))
        delimiter = self._delimiter()
        while not self._stop.is_set():
            changes = IdleChanges()
            moved = told_before(client, self.folder, delimiter)  # told during commands
            if told and moved:
                raise moved
            changes.read(start_idle(client))  # news said before the continuation too
            self._state("idle")
            idling_since = time.monotonic()
            deadline = idling_since + renew
            while not self._stop.is_set() and not changes.changed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                slice_ = min(CHECK_SLICE, remaining)
                responses = idle_responses(client, slice_)  # the end: ConnectionLost
                for response in responses:
                    head = response[0] if isinstance(response, tuple) and response else None
                    if head == b"BYE":
                        raise ConnectionError("the server ended the session")
                    moved = told and folder_moved(response, self.folder, delimiter)
                    if moved:
                        raise moved
                changes.read(responses)
                if time.monotonic() - idling_since >= SETTLED_AFTER:
                    self._settled = True  # idling for a while: a later drop is news
            changes.read(end_idle(client))  # what came between the last check and DONE
            self._settled = True  # a whole IDLE round: the connection is healthy
            if self._stop.is_set():
                return
            if check:
                if still_listed(client, self.folder) is False:
                    raise Moved()  # renamed or deleted by another client (no NOTIFY)
                if any(client._imap.untagged_responses.get(key) for key in _UPDATES):
                    # news said during the LIST (kept aside by imaplib): the folder
                    # sync reads the server's state instead
                    self._catch_up(engine, changed=True)
                    count = self._select(engine)
                    continue
            if not changes.changed:
                # under the read timeout: a dead connection raises here
                changes.read(_noop(client))
                if not changes.changed:
                    continue
            count = self._apply(engine, changes, count)

    def _delimiter(self) -> str | None:
        folder_id = self.store.folder_id(self.account.name, self.folder)
        folder = self.store.folder(folder_id, counts=False) if folder_id is not None else None
        return folder.delimiter if folder is not None else None

    def _select(self, engine: SyncEngine) -> int:
        """EXAMINE the folder; returns its message count."""
        info = engine.client.select_folder(self.folder, readonly=True)
        return int(info.get(b"EXISTS", 0))

    def _stored(self) -> int:
        """Messages of the folder in the store with a UID, and those the server could not
        send in the last sync of the folder (what the server counts)."""
        folder_id = self.store.folder_id(self.account.name, self.folder)
        return self.store.conn.execute(
            "SELECT count(*) FROM messages WHERE folder_id = ? AND uid IS NOT NULL", (folder_id,)
        ).fetchone()[0] + len(self._unreadable())

    def _unreadable(self) -> set[int]:
        """UIDs the last sync of the folder found the server cannot send (SyncEngine
        .unreadable): never asked for here (Dovecot drops the connection for each), the
        next sync pass asks again."""
        engine = self._engine
        return engine.unreadable.get(self.folder, set()) if engine is not None else set()

    def _apply(self, engine: SyncEngine, changes: IdleChanges, count: int, rounds: int = 0) -> int:
        """Apply what IDLE said; returns the folder's message count on the server. Straight
        on the selected folder when the server offers CONDSTORE (see _apply_direct), else
        (or when the direct path cannot vouch for the result) a sync of the folder."""
        # More said gone than the folder held (a server's UID set with gaps, or a hostile
        # one): nothing is removed as told; the folder sync reads the server's state.
        if not changes.impossible(count) and self._apply_direct(engine, changes, count):
            return changes.count_after(count)
        self._catch_up(engine, changed=True)
        count = self._select(engine)
        if self._stored() != count and rounds < 2:
            # Mail that came between the sync and the EXAMINE is counted by it, so IDLE
            # never announces it: fetched now (a few rounds at most, whatever a server says).
            return self._apply(engine, IdleChanges.told_exists(count), count, rounds + 1)
        return count

    def _apply_direct(self, engine: SyncEngine, changes: IdleChanges, count: int) -> bool:
        """Issue 19: no SELECT (Dovecot re-reads a big maildir for it: 0.2-0.8 s at 100k)
        and no STATUS. The flags and VANISHED the server announced are written at once; new
        mail is one UID FETCH of the UIDs above the newest stored; its rows are reported
        right away. Then one CHANGEDSINCE query from the stored HIGHESTMODSEQ closes the
        gaps (a flag change said during our own commands). Without CONDSTORE only new mail
        is applied so (no load of every flag): a flag update in the header answer means the
        folder sync. False, with the store still consistent, when the result cannot be
        vouched for: EXPUNGE by message number (no QRESYNC), flag news without CONDSTORE, a
        count that does not add up, or news during our commands; a full sync of the folder
        follows."""
        folder_id = self.store.folder_id(self.account.name, self.folder)
        folder = self.store.folder(folder_id, counts=False) if folder_id is not None else None
        condstore = engine.condstore
        if changes.expunges or folder is None:
            return False
        if condstore and folder.highestmodseq is None:
            return False
        if not condstore and (changes.flags or changes.unnamed_fetches or changes.vanished):
            return False  # flag news without CONDSTORE: the folder sync reads every flag
        client = engine.client
        imap = client._imap
        for key in _UPDATES:  # left from earlier commands: read again below
            imap.untagged_responses.pop(key, None)
        before = self._newest_id()
        touched = engine.apply_flags(folder_id, changes.flags) if changes.flags else 0
        if changes.vanished:
            touched += self._forget(folder_id, changes.vanished)
        expected = changes.count_after(count)
        max_uid = self.store.max_uid(folder_id)
        news = False
        if changes.exists is not None or self._stored() < expected:
            try:
                messages, news = _fetch_new(client, max_uid, condstore, self._unreadable())
            except Exception as exc:
                # (the connection's failure is the watcher's to report) what came before
                # it is stored and told, so the catch-up after does not fetch it again
                partial = getattr(exc, "partial", None)
                if partial:
                    self.store.add_messages(folder_id, partial)
                    self._report_new(before)
                raise
            if messages:
                self.store.add_messages(folder_id, messages)
                max_uid = max(max_uid, *(m.uid for m in messages))
        reported = self._report_new(before)
        changed = removed = 0
        if condstore:
            since = engine.changes_since(folder_id, folder.highestmodseq)
            if since is None:  # CHANGEDSINCE refused: the folder sync reads every flag
                return False
            changed, removed = since
        elif news:  # a flag update in the answer, and no CHANGEDSINCE to ask again
            return False
        late = any(imap.untagged_responses.get(key) for key in _UPDATES)
        if removed or late or self._stored() != expected:
            return False
        if changed or (touched and not reported):
            self._emit(NewMail(self.account.name, self.folder))  # the list is re-read
        state: dict = {"server_total": expected, "synced_at": time.time()}
        if condstore and (changes.highestmodseq or 0) > (folder.highestmodseq or 0):
            state["highestmodseq"] = changes.highestmodseq  # announced before CHANGEDSINCE
        if max_uid and (folder.uidnext or 0) <= max_uid:
            state["uidnext"] = max_uid + 1
        self.store.set_folder_state(folder_id, **state)
        if reported and self.account.download_bodies:
            engine.download_bodies(folder_id)
            try:  # searchable at once (a plain body takes ~20 us; see store.search)
                self.store.index_pending(budget=0.2)
            except Exception:  # the index can be rebuilt; the mail is safe
                pass
        return True

    def _forget(self, folder_id: int, ranges: list[tuple[int, int]]) -> int:
        """Remove the UIDs of VANISHED ranges; a huge range is matched against the store's
        UIDs instead of being expanded."""
        if sum(high - low + 1 for low, high in ranges) <= 10_000:
            uids: Iterable[int] = [u for low, high in ranges for u in range(low, high + 1)]
        else:
            uids = known_in_ranges(self.store.uids(folder_id), ranges)
        return self.store.remove_uids(folder_id, uids)

    def _poll_loop(self, engine: SyncEngine) -> None:
        self._state("polling")
        while not self._stop.wait(max(float(self.account.poll_interval), 0.1)):
            self._catch_up(engine)
            self._settled = True


def _noop(client) -> list:
    """NOOP under the read timeout (a dead connection raises); its untagged responses.
    A tagged NO or BAD is an answer too: the server is there, nothing is known changed
    (a refusal ended the watcher for good)."""
    try:
        with consumed(client._imap):  # returned: not kept in untagged_responses too
            return client.noop()[1]
    except IMAPClientError as exc:
        if isinstance(exc, imaplib.IMAP4.abort | MailError):
            raise
        log.info("NOOP refused: %s", exc)
        return []


def _fetch_new(
    client, max_uid: int, modseq: bool, skip: set[int] | frozenset[int] = frozenset()
) -> tuple[list[NewMessage], bool]:
    """Headers of the UIDs above `max_uid` but those in `skip` (one UID FETCH), and
    whether the answer also carried other FETCH news (a flag update), which the header
    reading leaves out. A failure in the middle of the answer (a BYE, a lost connection)
    carries the complete messages that came before it (`partial`)."""
    imap = client._imap
    wanted = range(max_uid + 1, MAX_UID + 1)
    uids = _above(max_uid, skip)
    if getattr(imap, "_count", None) is None or getattr(imap, "debug", 0) >= 4:
        # not tuimail's connection class: read as the sync reads, news unknown
        return fetch_headers(client, uids, modseq, wanted), True
    items = "UID FLAGS INTERNALDATE RFC822.SIZE " + HEADER_ITEM.decode()
    tag = imap._command("UID", "FETCH", uids, f"({items}{' MODSEQ' if modseq else ''})")
    try:
        typ, _text, fetches = read_answer(imap, tag, "UID")
    except imaplib.IMAP4.abort as exc:  # a BYE, a lost connection: what came is kept
        fetched = getattr(exc, "fetched", [])
        exc.partial = messages_from_fetches(fetched, modseq, wanted)  # type: ignore[attr-defined]
        raise
    if typ != "OK":
        return [], True  # refused: the folder sync asks again and reports it
    news = any(fetch.header is None for fetch in fetches)
    return messages_from_fetches(fetches, modseq, wanted), news


def _above(max_uid: int, skip: set[int] | frozenset[int]) -> str:
    """The UID set above `max_uid` without `skip`: "n:*", or with UIDs left out ranges
    ending at the largest UID ("n:*" would name the newest message even when it is below
    n, RFC 3501 6.4.8: a skipped newest message would be asked for after all)."""
    left = sorted(u for u in skip if u > max_uid)
    if not left:
        return f"{max_uid + 1}:*"
    parts, low = [], max_uid + 1
    for uid in left:
        if uid > low:
            parts.append(f"{low}:{uid - 1}")
        low = uid + 1
    if low <= MAX_UID:
        parts.append(f"{low}:{MAX_UID}")
    return ",".join(parts) or str(MAX_UID)


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
            if isinstance(event, WatchState) and event.state == "gone":
                self._watchers.pop(event.folder, None)  # it ended; a new one if reopened
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
        with self._lock:  # the UI may open a folder meanwhile: one watcher per folder
            self._started = True
            for folder in dict.fromkeys(["INBOX", *([self._open] if self._open else [])]):
                if folder not in self._watchers:
                    self._watchers[folder] = self._watcher(folder)
                    self._watchers[folder].start()

    def watch_open_folder(self, folder: str | None) -> None:
        """Watch `folder` too (None: only INBOX); the previous open folder is dropped."""
        with self._lock:
            old = None
            if self._open and self._open != "INBOX" and self._open != folder:
                old = self._watchers.pop(self._open, None)
            self._open = folder
            if folder and folder not in self._watchers and self._started:
                self._watchers[folder] = self._watcher(folder)
                self._watchers[folder].start()
        if old is not None:
            threading.Thread(target=old.stop, daemon=True).start()

    def retry_now(self) -> None:
        """Every watcher waiting to connect again tries now (see FolderWatcher.retry_now)."""
        with self._lock:
            watchers = list(self._watchers.values())
        for watcher in watchers:
            watcher.retry_now()

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            watchers, self._watchers = list(self._watchers.values()), {}
        for watcher in watchers:
            watcher._stop.set()
            watcher._wake.set()
        for watcher in watchers:
            watcher.stop(timeout)
