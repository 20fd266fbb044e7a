"""recover() (the app's pass, the CLI's Ctrl-C) decides from the state it reads under the
message's lock: another process (the app and the CLI share one outbox) that finished its
attempt between recover()'s listing and its lock keeps its result."""

from __future__ import annotations

import contextlib

import pytest

from tests.sending.helpers import make_account
from tuimail.core.compose import Draft, message_bytes
from tuimail.core.outbox import Outbox


def _finish_elsewhere_before_the_lock(monkeypatch, finish) -> None:
    """The other process's attempt ends (and releases the lock) just before recover()
    takes it: after recover() listed the entry as "sending" during the data."""
    original = Outbox._locked
    done: list[str] = []

    @contextlib.contextmanager
    def locked(self: Outbox, entry_id: str):
        if not done:
            done.append(entry_id)
            with original(self, entry_id) as mine:  # the other process's lock
                assert mine
                finish(Outbox(self.account_name, self.dir.parent.parent), entry_id)
        with original(self, entry_id) as mine:
            yield mine

    monkeypatch.setattr(Outbox, "_locked", locked)


def _deferred_for_joe(other: Outbox, entry_id: str) -> None:
    entry = other.get(entry_id)  # ann took it, joe was deferred (451): joe waits
    entry.state, entry.stage = "retrying", None
    entry.delivered, entry.recipients = ["ann@other.test"], ["joe@other.test"]
    other.save(entry)


def _sent_to_both(other: Outbox, entry_id: str) -> None:
    entry = other.get(entry_id)
    entry.state, entry.stage = "sent", None
    entry.delivered, entry.recipients = ["ann@other.test", "joe@other.test"], []
    entry.copy = {"outcome": "saved", "folder": "Sent"}
    other._move_to_sent(entry)


@pytest.mark.parametrize("finish", [_deferred_for_joe, _sent_to_both])
def test_recover_keeps_what_another_process_finished_meanwhile(monkeypatch, finish) -> None:
    account = make_account()
    data, sender, rcpts = message_bytes(
        Draft(to=["ann@other.test", "joe@other.test"], subject="x", body="hi\n"), account
    )
    box = Outbox(account.name)
    entry = box.enqueue(data, sender, rcpts)
    entry.state, entry.stage = "sending", "data"  # what recover() lists
    box.save(entry)
    _finish_elsewhere_before_the_lock(monkeypatch, finish)
    box.recover()
    if finish is _deferred_for_joe:
        (after,) = box.entries()
        assert after.state == "retrying" and after.stage is None
        assert after.delivered == ["ann@other.test"]
        assert after.recipients == ["joe@other.test"]
    else:
        assert box.entries() == []
        assert not (box.dir / f"{entry.id}.json").exists()  # no stale state written back
        (sent,) = box.entries(include_sent=True)
        assert sent.state == "sent" and sent.copy == {"outcome": "saved", "folder": "Sent"}
