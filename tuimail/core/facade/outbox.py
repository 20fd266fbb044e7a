"""The outbox in the background: what waits is sent when due, every `outbox_interval`
seconds, until the service stops."""

from __future__ import annotations

import asyncio
import threading
import time

from tuimail.core.errors import OUTBOX
from tuimail.core.facade.views import *  # noqa: F403
from tuimail.core.runtime import ServiceEvent

FRESH_QUEUED = 120.0  # seconds: a queued message younger than this is being sent by send()


class OutboxSending:
    """MailService's outbox passes."""

    # life cycle (blocking: call from a worker)
    def _count_outbox(self) -> int:
        """Messages waiting in the accounts' outboxes (a failed send stays there)."""
        from tuimail.core.outbox import Outbox

        try:
            return sum(Outbox(name).count() for name in self.accounts)
        except Exception:
            return 0

    def outbox_held(self) -> int:
        """Messages in the accounts' outboxes that are not sent by themselves: refused for
        good (5xx) or "may have been sent"; they wait for the user (tuimail outbox)."""
        from tuimail.core.outbox import Outbox

        try:
            return sum(
                1
                for name in self.accounts
                for entry in Outbox(name).entries()
                if entry.state in ("failed", "maybe_sent")
            )
        except Exception:
            return 0

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

    def send_due_outbox(self, *, force: bool = False, retrying: bool = False) -> int:
        """One pass over every account's outbox; how many messages went out.

        Only due messages (queued, or retrying past their next attempt) are sent, with
        `retrying` retrying ones before their time too, with `force` also failed ones; one
        that "may have been sent" is never sent again here.
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
                    todo = outbox.sendable(force=force, retrying=retrying)
                    if not force:  # a just-queued message is the composer's own first attempt
                        todo = [e for e in todo if e.state != "queued" or e.created < fresh]
                    if not todo:
                        continue
                    password = self.password_for(account)
                    results = [
                        asyncio.run(outbox.send(e.id, account, password, force=force or retrying))
                        for e in todo
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
