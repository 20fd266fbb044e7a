"""The outbox in the background: what waits is sent when due, every `outbox_interval`
seconds, until the service stops."""

from __future__ import annotations

import asyncio
import threading
import time

from tuimail.core.errors import OUTBOX
from tuimail.core.facade.views import *  # noqa: F403
from tuimail.core.facade.views import Draft
from tuimail.core.runtime import ServiceEvent
from tuimail.core.sanitize import sanitize

FRESH_QUEUED = 120.0  # seconds: a queued message younger than this is being sent by send()


class OutboxSending:
    """MailService's outbox passes."""

    # life cycle (blocking: call from a worker)
    def _count_outbox(self) -> int:
        """Messages waiting in the accounts' outboxes (a failed send stays there), and
        those of an account no longer configured (listed by the outbox view too)."""
        from tuimail.core.outbox import Outbox, unclaimed

        try:
            mine = sum(Outbox(name).count() for name in self.accounts)
            return mine + sum(box.count() for box in unclaimed(self.accounts))
        except Exception:
            return 0

    def outbox_held(self) -> int:
        """Messages in the outbox that are not sent by themselves: refused for good (5xx)
        or "may have been sent", and every one of an account no longer configured
        (nothing can send it); they wait for the user (the outbox view)."""
        from tuimail.core.outbox import HELD, Outbox, unclaimed

        try:
            held = sum(
                1
                for name in self.accounts
                for entry in Outbox(name).entries()
                if entry.state in HELD
            )
            return held + sum(len(box.entries()) for box in unclaimed(self.accounts))
        except Exception:
            return 0

    def _recount_outbox(self) -> None:
        """`outbox_waiting` and `outbox_held` (the status bar's counts) from the disk."""
        self.outbox_waiting = self._count_outbox()
        self.outbox_held_count = min(self.outbox_held(), self.outbox_waiting)

    def outbox_entries(self) -> list:
        """Every account's pending outbox entries (OutboxEntry), oldest first; one left
        "sending" by a process that died is first decided (Outbox.recover)."""
        from tuimail.core.outbox import Outbox, unclaimed

        listed = []
        for name in self.accounts:
            box = Outbox(name)
            box.recover()
            listed += box.entries()
        # of an account renamed or removed since: listed (never hidden), removable
        listed += [entry for box in unclaimed(self.accounts) for entry in box.entries()]
        return sorted(listed, key=lambda e: (e.created, e.id))

    def _box_holding(self, account: str, entry_id: str):
        """The Outbox whose directory holds the message: its account's, or one left by an
        account no longer configured; None when it is gone."""
        from tuimail.core.outbox import Outbox, unclaimed

        boxes = [Outbox(account)] if account in self.accounts else []
        boxes += unclaimed(self.accounts)
        return next((b for b in boxes if (b.dir / f"{entry_id}.eml").exists()), None)

    def outbox_changed(self) -> None:
        """The outbox changed here (removed, sent again): counts and the status bar."""
        self._recount_outbox()
        self._emit(ServiceEvent("outbox", "", count=len(self.outbox)))

    def remove_from_outbox(self, account: str, entry_id: str) -> bool:
        """Delete a message from the outbox (the user confirmed); False, nothing changed,
        while it is being sent (by this app's outbox pass or another tuimail process)."""
        box = self._box_holding(account, entry_id)
        removed = box is None or box.discard(entry_id)  # gone already: nothing to keep
        self.outbox_changed()
        return removed

    def resend_from_outbox(self, account: str, entry_id: str):
        """Send one message of the outbox again as it is, whatever its state (the user
        named it: one that "may have been sent" too); its new OutboxEntry."""
        from tuimail.core.outbox import Outbox

        acct = self.accounts[account]
        box = Outbox(account)
        try:
            password = self.password_for(acct)
            entry = asyncio.run(
                box.send(entry_id, acct, password, force=True, resend_maybe_sent=True)
            )
        finally:
            self.outbox_changed()
        if entry.state in ("sent", "partial"):
            self._refresh_sent(account)
        return entry

    def outbox_draft(self, account: str, entry_id: str) -> Draft:
        """A held message back in the composer, to fix and send again: its headers, text
        and attachments, every recipient still to deliver (a Bcc one too: the queued copy
        has no Bcc header). Sending it queues the new copy, then this one leaves the
        outbox (Draft.refused)."""
        from tuimail.core import compose
        from tuimail.core.outbox import Outbox

        box = Outbox(account)
        entry = box.get(entry_id)
        draft = self._ui_draft(account, compose.draft_from_message(box.raw(entry_id)))
        shown = {compose.address_of(a).lower() for a in _addresses(draft.to, draft.cc)}
        wanted = [*entry.recipients, *(a for a in entry.refused if a not in entry.recipients)]
        blind = [a for a in wanted if isinstance(a, str) and a.lower() not in shown]
        if blind:
            draft.bcc = sanitize(", ".join([draft.bcc, *blind] if draft.bcc else blind))
        draft.message_id = ""  # a new message: never a Drafts copy to replace
        draft.refused = (account, entry_id)
        return draft

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
        before = (self.outbox_waiting, self.outbox_held_count)
        self._recount_outbox()
        if sent or before != (self.outbox_waiting, self.outbox_held_count):  # changes only
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


def _addresses(*fields: str) -> list[str]:
    """The addresses of address header fields as the composer shows them."""
    from email.utils import getaddresses

    return [address for _name, address in getaddresses([f for f in fields if f]) if address]
