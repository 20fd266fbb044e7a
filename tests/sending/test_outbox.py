"""The outbox state machine on disk, with real (refused) connections and no server."""

from __future__ import annotations

import json
import os
import time

import platformdirs
import pytest

from tests.sending.helpers import closed_port, make_account
from tuimail.core.compose import Draft, message_bytes
from tuimail.core.outbox import BACKOFF, Outbox, send_now, unclaimed
from tuimail.core.secrets import Secret
from tuimail.words.outbox import outbox_reason


@pytest.fixture
def account():
    return make_account(smtp_port=closed_port(), security="starttls")


@pytest.fixture
def raw(account) -> tuple[bytes, str, list[str]]:
    draft = Draft(to=["a@other.test"], bcc=["b@other.test"], subject="Grüße", body=".\n..\n")
    return message_bytes(draft, account)


def test_enqueue_is_durable_before_any_attempt(account, raw) -> None:
    data, sender, rcpts = raw
    box = Outbox(account.name)
    entry = box.enqueue(data, sender, rcpts)
    base = platformdirs.user_data_dir("tuimail")
    assert str(box.dir).startswith(base)
    assert (box.dir / f"{entry.id}.eml").read_bytes() == data
    state = json.loads((box.dir / f"{entry.id}.json").read_text())
    assert state["state"] == "queued"
    assert state["recipients"] == ["a@other.test", "b@other.test"]
    assert state["subject"] == "Grüße"
    assert not [p for p in os.listdir(box.dir) if p.endswith(".tmp")]
    assert b"Bcc" not in data and b"b@other.test" not in data


async def test_network_failure_retries_with_backoff(account, raw) -> None:
    before = time.time()
    entry = await send_now(*raw, account, Secret("pw"), timeout=10)
    assert entry.state == "retrying"
    assert entry.attempts == 1
    assert "could not reach" in outbox_reason(entry)
    assert entry.next_attempt >= before + BACKOFF[0]
    box = Outbox(account.name)
    assert box.raw(entry.id) == raw[0]
    assert box.get(entry.id).state == "retrying"
    assert box.due() == []  # not before its time
    due = box.due(now=entry.next_attempt + 1)
    assert [e.id for e in due] == [entry.id]
    # The second failure waits longer.
    again = await box.send(entry.id, account, Secret("pw"), force=True, timeout=10)
    assert again.attempts == 2 and again.state == "retrying"
    assert again.next_attempt - again.updated >= BACKOFF[1] - 1


async def test_maybe_sent_and_failed_are_never_sent_automatically(account, raw) -> None:
    box = Outbox(account.name)
    e1 = box.enqueue(*raw)
    e2 = box.enqueue(*raw)
    e1.state, e2.state = "maybe_sent", "failed"
    box.save(e1)
    box.save(e2)
    results = await box.process(account, Secret("pw"))
    assert results == []
    assert box.get(e1.id).attempts == 0 and box.get(e2.id).attempts == 0
    assert box.get(e1.id).state == "maybe_sent"
    # A forced pass ("send waiting messages now") never takes the maybe-sent one, even
    # when it is named: only the user's explicit resend of that message does.
    assert (await box.send(e1.id, account, Secret("pw"), force=True, timeout=10)).attempts == 0
    assert [e.id for e in box.sendable(force=True)] == [e2.id]
    forced = await box.send(e1.id, account, Secret("pw"), resend_maybe_sent=True, timeout=10)
    assert forced.attempts == 1 and forced.state == "retrying"


def test_recover_after_crash(account, raw) -> None:
    box = Outbox(account.name)
    during_data = box.enqueue(*raw)
    before_data = box.enqueue(*raw)
    during_data.state, during_data.stage = "sending", "data"
    before_data.state, before_data.stage = "sending", "connecting"
    box.save(during_data)
    box.save(before_data)
    box.recover()
    assert box.get(during_data.id).state == "maybe_sent"
    assert "may have been" in outbox_reason(box.get(during_data.id))
    assert box.get(before_data.id).state == "retrying"
    assert [e.id for e in box.due()] == [before_data.id]


async def test_a_message_being_sent_elsewhere_is_left_alone(account, raw) -> None:
    box = Outbox(account.name)
    entry = box.enqueue(*raw)
    with box._locked(entry.id) as mine:
        assert mine
        result = await box.send(entry.id, account, Secret("pw"), timeout=10)
        assert result.state == "queued" and result.attempts == 0


def test_interrupted_enqueue_stays_visible(account, raw) -> None:
    box = Outbox(account.name)
    entry = box.enqueue(*raw)
    (box.dir / f"{entry.id}.json").unlink()
    (listed,) = box.entries()
    assert listed.id == entry.id and listed.state == "failed"
    assert "interrupted" in outbox_reason(listed)


def test_a_box_counts_and_is_listed_by_every_message_file_readable_or_not(account, raw) -> None:
    """count() is len(entries()) without reading any state: a message whose state is
    missing or unreadable counts too; and an outbox of an account no longer configured
    is listed while any message waits in it, even one whose state cannot be read."""
    box, gone, empty = Outbox(account.name), Outbox("gone"), Outbox("empty")
    assert box.count() == 0
    ids = [box.enqueue(*raw).id for _ in range(3)]
    (box.dir / f"{ids[0]}.json").unlink()
    (box.dir / f"{ids[1]}.json").write_text("{not json")
    assert box.count() == len(box.entries()) == 3
    (gone.dir / f"{gone.enqueue(*raw).id}.json").write_text("{")  # a state, unreadable
    empty.dir.mkdir(parents=True)
    assert [b.account_name for b in unclaimed([account.name])] == ["gone"]
    assert gone.count() == len(gone.entries()) == 1


def test_a_state_that_is_json_but_not_an_entry_is_listed_as_unreadable(account, raw) -> None:
    """A state file holding valid JSON that is not an object (a list, a number) made
    entries() raise AttributeError: `tuimail outbox` ended in a traceback. It is listed
    as unreadable, like a state that is not JSON at all."""
    box = Outbox(account.name)
    for text in ("[]", "3", "null"):
        entry = box.enqueue(*raw)
        (box.dir / f"{entry.id}.json").write_text(text)
    listed = box.entries()
    assert len(listed) == 3 and all(e.state == "failed" for e in listed)
    assert all(e.failure["reason"] == "state-unreadable" for e in listed)


def test_enqueue_without_recipients_is_refused(account) -> None:
    with pytest.raises(ValueError, match="no recipients"):
        Outbox(account.name).enqueue(b"Subject: x\r\n\r\n", "me@example.test", [])
