"""The account runtime: one account's connections, threads, state and retry policy.

    runtime = AccountRuntime(account, store, password_for=..., emit=..., idle=True)
    runtime.start()          # first pass now; then push, or back-off retries
    runtime.sync()           # one pass now (Ctrl+R, `tuimail sync`)
    runtime.flush()          # a user action's queued change, before any sync step
    runtime.close()          # every thread it started is stopped and joined

States (`runtime.phase`, tuimail.core.retry.Phase): connecting -> online; a transient
failure or a protocol violation -> offline-retrying (exponential back-off with jitter and
a cap, a longer floor after a violation; resumed by itself on a fresh connection); a rejected password -> needs-password (nothing is tried again until the user
asks: never a rejected password automatically); a security failure or another permanent
one -> error (stop and explain). The phase follows from the failure's type alone.

Connections (imapclient is not thread-safe: one lock each): the sync engine (sync passes
and replaying user actions), the command engine (reading bodies, server search), and the
push watcher's own. A sync pass is a series of small steps (queued actions, the folder
list, one folder each); a user action waits for at most the step under way, never for
the whole pass (`StepGate`: user steps first).

`tuimail sync`, `tuimail watch` and the app all run accounts through this class.
This module never imports textual.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tuimail.core.account import Account
from tuimail.core.errors import FLUSH, SYNC, Failure, MailError, PermanentError
from tuimail.core.retry import Phase, RetryPolicy, next_phase
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret

if TYPE_CHECKING:
    from tuimail.core.imap.actions import MailActions

log = logging.getLogger("tuimail.runtime")

# AccountState.activity: what the account is doing (the edge says it in words).
SYNCING = "syncing"  # a pass is under way (`progress`: folder, done, total)
UP_TO_DATE = "up-to-date"  # the last pass synced everything
PUSH = "push"  # IMAP IDLE connected: new mail arrives by itself
POLLING = "polling"  # checked every `interval` seconds (POP3, or IMAP without IDLE)
DISCONNECTED = "disconnected"  # the push connection broke (`error`); retried by itself


@dataclass
class AccountState:
    """What the status bar shows, as data (no sentence: the edge, tuimail.words, makes
    it). `state` is the display word ("syncing", "idle", "polling", "offline", "error"),
    `phase` the runtime's explicit state, `activity` what it is doing, `error` the typed
    failure that set the phase (a MailError, or a PasswordError), `failures` the folders
    that failed in a pass that otherwise worked, `retry_in` the announced wait."""

    state: str = "offline"
    activity: str = ""
    retry_at: float | None = None
    phase: str = Phase.CONNECTING.value
    error: BaseException | None = None
    progress: tuple[str, int, int] | None = None
    failures: tuple[Failure, ...] = ()
    interval: int = 0
    retry_in: float | None = None


@dataclass
class ServiceEvent:
    """Something the listener should know, as data: never a sentence (tuimail.words).

    kind: "state", "folders", "messages", "new-mail", "error" (`error` typed, with where:
    `folder` and `action`), "warning" (`note`: a key such as "pop3-no-uidl"), "outbox",
    "sent" (`count` waiting messages sent from the outbox); "folders" with `renamed_to`:
    `folder` was renamed to it on the server by another client; "alert" (`text`: the
    server's [ALERT], sanitised and bounded by tuimail.core.server_alerts, once a session)."""

    kind: str
    account: str = ""
    folder: str = ""
    count: int = 0
    error: BaseException | None = None  # the typed failure behind an "error" or "state"
    action: str = ""  # "error": what was being done (tuimail.core.errors SYNC, FLUSH, ...)
    messages: list[Any] = field(default_factory=list)  # "new-mail": the store's rows
    note: str = ""  # "warning": which one; "error": which item (Failure.item)
    renamed_to: str = ""  # "folders": `folder` is now called this on the server
    text: str = ""  # "alert": the server's words (plain text, never markup)

    @property
    def failure(self) -> Failure | None:
        """An "error" event as a Failure (what, and where)."""
        if self.error is None:
            return None
        return Failure(self.error, self.account, self.folder, self.action, self.note)


Emit = Callable[[ServiceEvent], None]
PasswordGetter = Callable[[Account], Secret]

_DISPLAY = {
    Phase.CONNECTING: "syncing",
    Phase.ONLINE: "idle",
    Phase.OFFLINE_RETRYING: "offline",
    Phase.NEEDS_PASSWORD: "error",
    Phase.ERROR: "error",
    Phase.STOPPED: "offline",
}


class StepGate:
    """One connection shared by background steps and user actions; user actions first.

    A background step waits while a user action holds or waits for the gate; a user
    action waits at most for the step under way. Re-entrant per thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._owner: int | None = None
        self._depth = 0
        self._users_waiting = 0

    @contextmanager
    def user(self) -> Iterator[None]:
        with self._cond:
            self._users_waiting += 1
            try:
                self._acquire(lambda: True)
            finally:
                self._users_waiting -= 1
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def background(self) -> Iterator[None]:
        with self._cond:
            self._acquire(lambda: self._users_waiting == 0)
        try:
            yield
        finally:
            self._release()

    def _acquire(self, may: Callable[[], bool]) -> None:
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return
        while self._owner is not None or not may():
            self._cond.wait()
        self._owner, self._depth = me, 1

    def _release(self) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()


class AccountRuntime:
    """One account (see the module docstring). Thread-safe; every method may block."""

    @functools.cached_property
    def actions(self) -> MailActions:
        """The account's user actions, made on first use: the app paints its first list
        without importing imapclient. (cached_property's lock makes only one.)"""
        from tuimail.core.imap.actions import MailActions

        return MailActions(self.store, self.account)

    def __init__(
        self,
        account: Account,
        store: Any,
        *,
        password_for: PasswordGetter,
        emit: Emit,
        policy: RetryPolicy | None = None,
        idle: bool = True,
        timeout: float | None = None,
        index_search: bool = True,
        opened_early: Any = None,
    ) -> None:
        """`index_search`: after each pass, put the headers the pass brought into the
        search index (tuimail.core.store.header_index), a batch per step; off for the CLI,
        which never searches (a later search indexes what is left first).
        `opened_early`: a connection being opened already (tuimail.core.imap.early,
        `tuimail sync`) that the sync engine's first connect takes; closed with the
        runtime if never taken."""
        self.account = account
        self.store = store
        self.password_for = password_for
        self.emit = emit
        self.policy = policy or RetryPolicy()
        self.idle = idle
        self.timeout = timeout
        self.index_search = index_search
        self._early = opened_early
        self.lock = threading.RLock()  # the command engine
        self.gate = StepGate()  # the sync engine: user actions before sync steps
        self._pass_lock = threading.Lock()  # one sync pass at a time
        self.state = AccountState()
        self.phase = Phase.CONNECTING
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._threads_lock = threading.Lock()
        self._engines: dict[str, Any] = {}
        self._watcher: Any = None
        self._inbox_watch = ""  # the INBOX watcher's last state ("idle": push is live)
        self._polling = False
        self._push_wanted = False
        self._retrying = False
        self._pop3_sockets: list[Any] = []  # the sockets of a POP3 pass under way
        self._closes = 0  # close() calls so far
        self._pass_close = 0  # ... when the pass under way began (a later close ends it)
        self._last_progress = 0.0
        self.last_result: Any = None  # the last pass's SyncResult / Pop3Result
        store.account_id(account.name, account.email, account.protocol)  # its row, as before
        self.pop3_state: Any = None
        if account.protocol == "pop3":  # local folders only: INBOX and Trash
            from tuimail.core.pop3_state import StorePop3State

            self.pop3_state = StorePop3State(store)
            self.pop3_state.ensure_folders(account.name)

    # -- state -------------------------------------------------------------------------

    def _set(
        self,
        phase: Phase,
        activity: str = "",
        *,
        display: str | None = None,
        error: BaseException | None = None,
        failures: Sequence[Failure] = (),
        retry_in: float | None = None,
    ) -> None:
        self.phase = phase
        interval = self.account.poll_interval if activity == POLLING else 0
        self.state = AccountState(
            display or _DISPLAY[phase],
            activity,
            retry_at=None if retry_in is None else time.time() + retry_in,
            phase=phase.value,
            error=error,
            failures=tuple(failures),
            interval=interval,
            retry_in=retry_in,
        )
        self.emit(ServiceEvent("state", self.account.name, error=error))

    def set_state(self, state: str, activity: str = "") -> None:
        """A display state with the phase unchanged (syncing, idle, polling)."""
        self.state = AccountState(state, activity or state, phase=self.phase.value)
        self.emit(ServiceEvent("state", self.account.name))

    def _failed(self, error: BaseException, action: str = SYNC) -> Phase:
        """Apply the policy to a failure: the next phase, from the error's type."""
        from tuimail.core.secrets import PasswordError

        if isinstance(error, PasswordError):  # no password to try: ask the user
            phase = Phase.NEEDS_PASSWORD
        else:
            phase = next_phase(error)  # type: ignore[arg-type]
        if phase is Phase.NEEDS_PASSWORD:
            self._drop_engines()  # the next attempt (the user's) gets the password anew
            from tuimail.core.secrets import forget_password

            if not isinstance(error, PasswordError):
                forget_password(self.account)
        self._set(phase, error=error)
        self.emit(ServiceEvent("error", self.account.name, error=error, action=action))
        return phase

    # -- engines -----------------------------------------------------------------------

    def _connector(self, timeout: float):
        from tuimail.core.imap.session import connector

        return connector(self.account, self.password_for(self.account), timeout=timeout)

    def _engine(self, which: str):
        from tuimail.core.imap.sync import SyncEngine

        engine = self._engines.get(which)
        if engine is None:
            if self._pass_close != self._closes:
                raise _Stopped()  # closed during this pass: no new connection
            from tuimail.core.connect import ENGINE_TIMEOUT

            connect = self._connector(self._timeout(ENGINE_TIMEOUT))
            if which == "sync" and self._early is not None and not self._early.taken:
                connect = self._early.connector(connect)
            progress = self._progress if which == "sync" else None
            engine = SyncEngine(self.store, self.account, connect, progress)
            self._engines[which] = engine
        return engine

    def _timeout(self, default: float) -> float:
        if self.timeout is not None:
            return self.timeout
        from tuimail.core.connect import engine_timeout

        return engine_timeout(self.account, default)

    def _drop_engines(self, *, abort: bool = False) -> None:
        """Close the engines' connections; `abort` (closing): a connection still being
        opened is shut down too and the engines never connect again."""
        for engine in list(self._engines.values()):
            try:
                if abort:
                    engine.abort()
                engine.close()
            except Exception:
                pass
        self._engines.clear()

    def conn(self):
        """The command connection (hold `self.lock`)."""
        return self._engine("command").client

    def _progress(self, folder: str, done: int, total: int) -> None:
        """Sync progress for the status bar (at most a few events a second)."""
        now = time.monotonic()
        if done < total and now - self._last_progress < 0.25:
            return
        self._last_progress = now
        self.state = AccountState(
            "syncing", SYNCING, phase=self.phase.value, progress=(folder, done, total)
        )
        self.emit(ServiceEvent("state", self.account.name))
        if done and done <= 100 or done >= total:
            self.emit(ServiceEvent("messages", self.account.name, folder))

    def _background(self, step: Callable[[], Any]) -> Any:
        if self._stop.is_set():
            raise _Stopped()
        with self.gate.background():
            return step()

    # -- folders -----------------------------------------------------------------------

    @property
    def folders(self) -> dict[str, Any]:
        from tuimail.core.service import FolderInfo

        return {
            f.name: FolderInfo(
                self.account.name, f.name, f.role, f.unread, f.total, f.delimiter or "/"
            )
            for f in self.store.folders(self.account.name)
            if f.selectable
        }

    def folder_id(self, name: str) -> int:
        from tuimail.core.service import ServiceError

        fid = self.store.folder_id(self.account.name, name)
        if fid is None:
            raise ServiceError(reason="no-folder", data={"name": sanitize(name)})
        return fid

    # -- one pass ----------------------------------------------------------------------

    def sync(self, folders: Sequence[str] | None = None) -> bool:
        """One pass now, in the caller's thread. True when everything synced. The phase
        follows the outcome: online, or what the failure's type says (retry policy)."""
        with self._pass_lock:
            self._pass_close = self._closes
            return self._pass(folders)

    def _pass(self, folders: Sequence[str] | None) -> bool:
        from tuimail.core.secrets import PasswordError

        self.set_state("syncing", SYNCING)
        failures: list[Failure] = []
        try:
            if self.account.protocol == "pop3":
                self._pop3_pass()
            else:
                result = self._engine("sync").sync(folders, step=self._background)
                self.last_result = result
                if self._stop.is_set():
                    return False
                if result.failure is not None:
                    raise result.failure
                failures = list(result.failures)
                for refused in result.refused_actions:
                    self._emit_failure(refused)
                for folder in result.folders:
                    if folder.renumbered:  # UIDVALIDITY changed: said (words.status)
                        note = "uidvalidity-" + folder.renumbered
                        self.emit(
                            ServiceEvent("warning", self.account.name, folder.folder, note=note)
                        )
        except _Stopped:
            return False
        except PasswordError as exc:
            self._failed(exc)
            self.emit(ServiceEvent("folders", self.account.name))
            return False
        except Exception as exc:
            self._failed(self._classify(exc))
            self.emit(ServiceEvent("folders", self.account.name))
            return False
        if failures:  # the account works; some folders did not (each said on its own)
            self._set(Phase.ONLINE, display="error", failures=failures)
            for failure in failures[:2]:
                self._emit_failure(failure)
            self.emit(ServiceEvent("folders", self.account.name))
            self._index_headers()
            return False
        self._online()
        self.emit(ServiceEvent("folders", self.account.name))
        if self._push_wanted and not self._stop.is_set():
            # resumed (Ctrl+R after a password, or a retry); before the header index,
            # which takes seconds after a first pass of 100k: new mail does not wait
            self.start_push()
        self._index_headers()
        return True

    def _index_headers(self) -> None:
        """The headers a pass left out of the search index go into it, one batch per
        step (a user action goes first between steps). Never fails the pass: what is
        left is indexed by the next pass or the next search."""
        if not self.index_search:
            return
        try:
            while not self._stop.is_set() and self._background(
                lambda: self.store.index_headers(budget=0)
            ):
                pass
        except Exception as exc:  # _Stopped, or the store is busy: the index can wait
            log.debug("%s: header index not updated: %r", self.account.name, exc)

    def _emit_failure(self, failure: Failure) -> None:
        self.emit(
            ServiceEvent(
                "error",
                self.account.name,
                failure.folder,
                error=failure.error,
                action=failure.action,
                note=failure.item,
            )
        )

    def _online(self) -> None:
        if self.account.protocol == "pop3" and self._polling:
            self._set(Phase.ONLINE, POLLING, display="polling")
        elif self._watcher is not None and self._inbox_watch == "idle":
            self._set(Phase.ONLINE, PUSH, display="idle")  # a pass beside live push
        else:
            self._set(Phase.ONLINE, UP_TO_DATE, display="idle")

    def _classify(self, exc: BaseException) -> MailError:
        if isinstance(exc, MailError):
            return exc
        if self.account.protocol == "pop3":
            from tuimail.core.pop3_errors import classify_pop3

            return classify_pop3(exc, host=self.account.incoming.host)
        from tuimail.core.imap.errors import classify_imap

        return classify_imap(exc, host=self.account.incoming.host)

    def _pop3_opened(self, sock: Any) -> None:
        self._pop3_sockets.append(sock)
        if self._pass_close != self._closes:  # opened after close(): shut at once
            _shut(sock)

    def _pop3_pass(self) -> None:
        """POP3 download into the local INBOX; a failure raises (typed)."""
        from tuimail.core.connect import watch_opening
        from tuimail.core.pop3 import fetch

        try:  # every socket of the pass is known, so close() can end it (_shut_pop3)
            with watch_opening(self._pop3_opened):
                result = fetch(self.account, self.password_for(self.account), self.pop3_state)
        finally:
            self._pop3_sockets.clear()
        self.last_result = result
        if result.downloaded:
            # The messages this pass stored, not the first rows of the list: those are
            # the newest by Date, and a message dated in the future (or an old one
            # arriving late) made new mail announced (and its hooks run) as another.
            rows = self.store.messages_by_ids(result.stored)
            self.emit(ServiceEvent("messages", self.account.name, "INBOX"))
            self.emit(
                ServiceEvent(
                    "new-mail", self.account.name, "INBOX", count=result.downloaded, messages=rows
                )
            )
        for warning in result.warnings:
            self.emit(ServiceEvent("warning", self.account.name, "INBOX", note=warning))
        for refused in result.refused:
            self._emit_failure(refused)

    # -- life cycle --------------------------------------------------------------------

    def start(self, first_wait: float | None = None) -> bool:
        """The first pass now; then push (when `idle`), or retries with back-off."""
        self._push_wanted = self.idle
        ok = self.sync()
        if self.phase is Phase.OFFLINE_RETRYING:
            self.start_retrying(first_wait)
        return ok

    def start_retrying(self, first_wait: float | None = None, idle: bool | None = None) -> None:
        """Offline: try again with growing waits (jitter, cap) until online or stopped.
        Stops by itself at a permanent failure (needs-password, error)."""
        if idle is not None:
            self._push_wanted = idle
        with self._threads_lock:
            if self._retrying:
                return
            self._retrying = True
        self._spawn(self._retry_loop, f"retry-{self.account.name}", first_wait)

    def _retry_loop(self, first_wait: float | None) -> None:
        attempt = 0
        try:
            while not self._stop.is_set() and self.phase is Phase.OFFLINE_RETRYING:
                wait = first_wait if attempt == 0 and first_wait is not None else None
                wait = self.policy.wait(attempt, self.state.error) if wait is None else wait
                attempt += 1
                self._announce_retry(wait)
                if self._stop.wait(wait):
                    return
                if self.sync():
                    return  # online (push restarted by the pass)
        finally:
            with self._threads_lock:
                self._retrying = False

    def _announce_retry(self, wait: float) -> None:
        state = self.state
        self.state = AccountState(
            "offline",
            state.activity,
            retry_at=time.time() + wait,
            phase=Phase.OFFLINE_RETRYING.value,
            error=state.error,
            retry_in=wait,
        )
        self.emit(ServiceEvent("state", self.account.name, error=state.error))

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._threads_lock:  # started and listed at once: close() joins only started ones
            if self._stop.is_set():
                return  # closing: nothing new starts
            self._threads = [t for t in self._threads if t.is_alive()]
            thread.start()
            self._threads.append(thread)

    def threads(self) -> list[threading.Thread]:
        """The threads this runtime started that are still running."""
        with self._threads_lock:
            own = [t for t in self._threads if t.is_alive()]
        watcher = self._watcher
        if watcher is not None:
            own += [w._thread for w in list(watcher._watchers.values()) if w.alive]
        return own

    def close(self, timeout: float = 5.0) -> None:
        """Stop every thread this runtime started and join it (bounded by `timeout`)."""
        self._stop.set()
        self._push_wanted = False
        deadline = time.monotonic() + timeout
        with self._threads_lock:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop(timeout=max(0.1, deadline - time.monotonic()))
        with self._threads_lock:
            threads = list(self._threads)
        self._closes += 1
        if self._early is not None:  # never taken: the pass ended before it connected
            self._early.close()
        self._drop_engines(abort=True)  # unblocks a pass waiting on the network
        for sock in list(self._pop3_sockets):  # ... and a POP3 pass
            _shut(sock)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.1, deadline - time.monotonic()))
        self.phase = Phase.STOPPED

    # -- push --------------------------------------------------------------------------

    def start_idle(self) -> None:
        """The old name of start_push."""
        self._push_wanted = True
        self.start_push()

    def start_push(self) -> None:
        """IMAP IDLE (tuimail.core.imap.idle) or POP3 polling, once."""
        if self._stop.is_set():
            return
        if self.account.protocol == "pop3":
            with self._threads_lock:
                if self._polling:
                    return
                self._polling = True
            self._online()
            self._spawn(self._poll_loop, f"pop3-{self.account.name}")
            return
        if self._watcher is not None:
            # Already watching, perhaps waiting out a back-off after the server went
            # away: the account works again (a pass just did), so it connects now.
            self._watcher.retry_now()
            return
        from tuimail.core.imap.idle import AccountWatcher

        try:
            connect = self._connector(self._timeout(30))
        except Exception as exc:  # no password any more
            self._failed(self._classify(exc))
            return
        policy = RetryPolicy(
            first=0.5,
            cap=min(60.0, self.policy.cap),
            violation_first=self.policy.violation_first,
        )
        watcher = AccountWatcher(self.store, self.account, connect, policy=policy)
        watcher.subscribe(self._on_watch)
        with self._threads_lock:  # close() either sees this watcher or stopped it first
            if self._stop.is_set() or self._watcher is not None:
                return
            self._watcher = watcher
            watcher.start()

    def _poll_loop(self) -> None:
        """POP3 has no push: download again every poll_interval seconds; a transient
        failure backs off; needs-password and error stop the loop."""
        attempt = 0
        try:
            wait = float(self.account.poll_interval)
            while not self._stop.wait(wait):
                if self.sync():
                    attempt, wait = 0, float(self.account.poll_interval)
                elif self.phase is Phase.OFFLINE_RETRYING:
                    wait = min(
                        self.policy.wait(attempt, self.state.error),
                        max(float(self.account.poll_interval), 1),
                    )
                    attempt += 1
                    self._announce_retry(wait)
                elif self.phase is not Phase.ONLINE:
                    return  # a rejected password or a permanent failure: wait for the user
        finally:
            with self._threads_lock:
                self._polling = False

    def watch_folder(self, folder: str | None) -> None:
        if self._watcher is not None:
            self._watcher.watch_open_folder(folder)

    def _on_watch(self, event: Any) -> None:
        from tuimail.core.imap.idle import NewMail

        if isinstance(event, NewMail):
            self.emit(ServiceEvent("messages", self.account.name, event.folder))
            if event.messages:
                self.emit(
                    ServiceEvent(
                        "new-mail",
                        self.account.name,
                        event.folder,
                        count=len(event.messages),
                        messages=list(event.messages),
                    )
                )
            return
        if event.state == "gone":  # deleted on the server by another client: out of the store
            renamed = event.renamed_to or ""  # or renamed: the app follows it there
            self.emit(ServiceEvent("folders", self.account.name, event.folder, renamed_to=renamed))
            self.emit(ServiceEvent("messages", self.account.name, event.folder))
            return
        if event.folder.upper() != "INBOX":
            return
        self._inbox_watch = event.state
        if event.state == "idle":
            self._set(Phase.ONLINE, PUSH, display="idle")
        elif event.state == "polling":
            self._set(Phase.ONLINE, POLLING, display="polling")
        elif event.state == "disconnected":  # the watcher tries a fresh connection itself
            self._set(
                Phase.OFFLINE_RETRYING, DISCONNECTED, error=event.error, retry_in=event.retry_in
            )
        elif event.state == "failed":  # the watcher stopped: the policy says why
            error = event.error or PermanentError(protocol="imap")
            watcher, self._watcher = self._watcher, None
            if watcher is not None:  # joined from another thread (this is its thread)
                self._spawn(watcher.stop, f"unwatch-{self.account.name}")
            self._failed(error)

    # -- user actions: applied to the store at once, then replayed on the server -------

    def may_connect(self) -> bool:
        """False while the password was rejected or a permanent failure stands: a user
        action then stays queued instead of logging in again with the same password."""
        return self.phase not in (Phase.NEEDS_PASSWORD, Phase.STOPPED) and not (
            self.phase is Phase.ERROR
            and self.state.error is not None
            and getattr(self.state.error, "kind", "") == "security"
        )

    def flush(self) -> None:
        if self.pop3_state is not None:
            self.pop3_state.settle_local_actions(self.account.name)
            return
        if not self.may_connect():
            return  # queued; replayed by the next pass the user allows
        try:
            with self.gate.user():
                engine = self._engine("sync")
                errors = engine._retrying(lambda: _replay(engine))
        except Exception as exc:  # saved here; replayed when the server is reachable
            self.emit(
                ServiceEvent("error", self.account.name, error=self._classify(exc), action=FLUSH)
            )
            return
        for failure in errors or []:
            self._emit_failure(failure)

    def refresh_folder(self, name: str) -> int:
        """Sync one folder now (a user step); returns how many new messages arrived."""
        if self.pop3_state is not None:  # local folders: the store is the truth
            self.emit(ServiceEvent("messages", self.account.name, name))
            return 0
        if not self.may_connect():
            return 0
        before = self.state
        try:
            with self.gate.user():
                engine = self._engine("sync")
                result = engine._retrying(lambda: engine.sync_folder(name))
        except Exception:
            # The engine's progress said "syncing <folder> 0/1": not any more.
            if self.state.state == "syncing" and before.state != "syncing":
                self.state = before
                self.emit(ServiceEvent("state", self.account.name))
            raise
        # A one-folder refresh (after archive, copy, a draft, a send) must not leave
        # "syncing <folder> 1/1" behind; and it worked, so an old error is over. Push
        # still connected beside it is said again (not "up to date" until new mail).
        if self.state.state in ("syncing", "error", "offline"):
            self._online()
        self.emit(ServiceEvent("messages", self.account.name, name))
        return result.new

    def fetch_body(self, message_id: int) -> bytes:
        cached = self.store.body(message_id)
        if cached is not None:
            return cached
        with self.lock:
            return self._engine("command").fetch_body(message_id)


class _Stopped(Exception):
    """The runtime is closing: the pass ends between two steps."""


def _replay(engine: Any) -> list[Failure]:
    from tuimail.core.imap.actions import replay

    if not engine.store.actions(engine.account.name):
        return []
    engine._selected = None
    return replay(engine.store, engine.account, engine.client, engine._caps)


def _shut(sock: Any) -> None:
    from tuimail.core.connect import shut  # not at import: the app starts without it

    shut(sock)
