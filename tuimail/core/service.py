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

import threading
import time
from collections.abc import Callable
from typing import Any

from tuimail.core import server_alerts
from tuimail.core.account import Account
from tuimail.core.facade.actions import Actions
from tuimail.core.facade.compose import Composing
from tuimail.core.facade.folders import Folders
from tuimail.core.facade.outbox import FRESH_QUEUED, OutboxSending
from tuimail.core.facade.reading import Reading, render
from tuimail.core.facade.sources import (
    STORE_SORTS,
    ListSource,
    SearchResults,
    StoreSource,
    view_row,
)
from tuimail.core.facade.views import (
    MAX_SHOWN_DEPTH,
    SPECIAL_ORDER,
    UNIFIED,
    Draft,
    FolderInfo,
    Listener,
    MessageListSource,
    MessageRow,
    PasswordGetter,
    QueuedError,
    ReaderAttachment,
    ReaderBlock,
    ReaderView,
    ServiceError,
    Undone,
    inbox_of,
)
from tuimail.core.retry import RetryPolicy
from tuimail.core.runtime import AccountRuntime, AccountState, ServiceEvent
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret
from tuimail.core.side_by_side import side_by_side

__all__ = [
    "FRESH_QUEUED",
    "MAX_SHOWN_DEPTH",
    "SPECIAL_ORDER",
    "STORE_SORTS",
    "UNIFIED",
    "AccountRuntime",
    "AccountState",
    "Draft",
    "FolderInfo",
    "ListSource",
    "MailService",
    "MessageListSource",
    "MessageRow",
    "QueuedError",
    "ReaderAttachment",
    "ReaderBlock",
    "ReaderView",
    "SearchResults",
    "ServiceError",
    "ServiceEvent",
    "StoreSource",
    "Undone",
    "inbox_of",
    "render",
    "view_row",
]


class MailService(Reading, Actions, Folders, Composing, OutboxSending):
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
        self._undo: list[tuple[Undone, Callable[[], None]]] = []
        self.outbox: list[Draft] = []  # being sent right now
        self.outbox_waiting = 0  # messages in the on-disk outbox, not sent yet (status bar)
        self.outbox_held_count = 0  # of those, held for the user (refused, may have been sent)
        self.outbox_passes = 0  # completed outbox passes (tests wait for a count, not a sleep)
        self.errors: list[ServiceEvent] = []  # every "error" and "warning" event, in order
        self._idle = idle
        self.retry_after = retry_after  # seconds before the first reconnect when offline
        self.outbox_interval = outbox_interval  # seconds between looks for due messages
        self._outbox_stop = threading.Event()
        self._outbox_lock = threading.Lock()  # one outbox pass at a time
        self._outbox_thread: threading.Thread | None = None
        self._pass_threads: list[threading.Thread] = []  # start/sync_all's, per account
        self._backends = {name: self._runtime(acc) for name, acc in self.accounts.items()}
        for name in self.accounts:
            server_alerts.forget(name)  # this session's: each alert shown once
        self._unlisten = server_alerts.listen(self._alert_heard)

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

    def _alert_heard(self, account: str, text: str) -> None:
        """A server's [ALERT] (RFC 3501 7.1: it MUST be shown) on any of this service's
        connections, first heard: an "alert" event (from the connection's thread)."""
        if account in self.accounts:
            self._emit(ServiceEvent("alert", account=account, text=text))

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
            raise ServiceError(reason="no-account", data={"name": sanitize(account)}) from None

    def start(self) -> None:
        """Start every account (its runtime: a first pass, then push or retries), each
        account's first pass beside the others': a silent server never holds back
        another account. Returns when every first pass has ended."""
        self._recount_outbox()
        self._each_account(lambda backend: backend.start(self.retry_after))
        self.start_outbox()

    def sync_all(self) -> None:
        """One pass of every account now, side by side; returns when all have ended."""
        self._each_account(lambda backend: backend.sync())

    def _each_account(self, step: Callable[[AccountRuntime], object]) -> None:
        """`step` for every account, each in its own thread (joined before returning:
        no thread outlives the call); a lone account runs in the caller's thread."""
        self._pass_threads = [t for t in self._pass_threads if t.is_alive()]
        side_by_side(
            list(self._backends.values()),
            step,
            lambda b: f"pass-{b.account.name}",
            started=self._pass_threads,
        )

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
        self._unlisten()
        deadline = time.monotonic() + timeout
        for backend in self._backends.values():
            backend.close(timeout)  # ends a pass under way (its connection is dropped)
        for thread in [*self._pass_threads, self._outbox_thread]:
            if thread is not None and thread.ident is not None:  # started
                if thread is not threading.current_thread():
                    thread.join(max(0.1, deadline - time.monotonic()))

    def threads(self) -> list[threading.Thread]:
        """Threads the service started that still run (none after stop())."""
        own = [t for b in self._backends.values() for t in b.threads()]
        own += [t for t in self._pass_threads if t.is_alive()]
        thread = self._outbox_thread
        return own + ([thread] if thread is not None and thread.is_alive() else [])

    def states(self) -> dict[str, AccountState]:
        return {name: b.state for name, b in self._backends.items()}
