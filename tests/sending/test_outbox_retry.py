"""The app's service sends what waits in the outbox once it is due, by itself: a message
refused with 421 goes out when the server is back, exactly once; one that "may have been
sent" is never sent again automatically."""

from __future__ import annotations

import time

import pytest

from tests.ui.helpers import account_for
from tuimail.core.outbox import Outbox
from tuimail.core.secrets import Secret
from tuimail.core.service import Draft, MailService, QueuedError, ServiceError
from tuimail.words.describe import describe
from tuimail.words.status import event


def _wait(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _service(server, user, events: list) -> MailService:
    account = account_for(server, user)
    password = Secret(user.password)
    return MailService(
        {account.name: account},
        password_for=lambda _a: password,
        idle=False,
        listener=events.append,
        outbox_interval=0.1,
    )


def _copies(server, user, marker: str) -> int:
    return sum(marker.encode() in raw for raw in server.messages(user))


def _make_due(outbox: Outbox) -> None:
    """What waiting out the back-off does: the next attempt is now."""
    for entry in outbox.entries():
        entry.next_attempt = time.time() - 1
        outbox.save(entry)


def test_refused_message_is_sent_later_exactly_once(mail_server) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    events: list = []
    service = _service(mail_server, alice, events)
    mail_server.faults.add(protocol="smtp", kind="reply", command="CONNECT", code=421,
                           message="4.3.2 Too busy, try later")  # fmt: skip
    draft = Draft(account="test", to=bob.email, subject="Outbox retry 7b1e", body="Later.\n")
    with pytest.raises(QueuedError) as queued:
        service.send(draft)
    said = describe(queued.value)
    assert "waits in the outbox" in said and "4.3.2 Too busy" in said, said
    outbox = Outbox("test")
    [entry] = outbox.entries()
    assert entry.state == "retrying"
    service.start_outbox()
    try:
        # Not due yet (back-off): passes go by and nothing is sent.
        assert not _wait(lambda: _copies(mail_server, bob, "Outbox retry 7b1e") > 0, 1.0)
        mail_server.faults.clear()
        _make_due(outbox)
        assert _wait(lambda: _copies(mail_server, bob, "Outbox retry 7b1e") == 1)
        assert _wait(lambda: outbox.entries() == [])
        time.sleep(0.5)  # several more passes
        assert _copies(mail_server, bob, "Outbox retry 7b1e") == 1
        assert any(e.kind == "sent" and "sent from the outbox" in event(e) for e in events)
        assert service.outbox_waiting == 0
    finally:
        service.stop()


def test_maybe_sent_is_never_resent_by_itself(mail_server) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    events: list = []
    service = _service(mail_server, alice, events)
    mail_server.faults.add(protocol="smtp", kind="no_reply_after_data")
    draft = Draft(account="test", to=bob.email, subject="Maybe sent 4c2d", body="Once.\n")
    with pytest.raises(ServiceError):
        service.send(draft)
    mail_server.faults.clear()
    outbox = Outbox("test")
    [entry] = outbox.entries()
    assert entry.state == "maybe_sent"
    delivered = _copies(mail_server, bob, "Maybe sent 4c2d")
    _make_due(outbox)
    passes = service.outbox_passes
    service.start_outbox()
    try:
        assert _wait(lambda: service.outbox_passes >= passes + 5), "the outbox pass never ran"
        assert _copies(mail_server, bob, "Maybe sent 4c2d") == delivered
        assert [e.state for e in outbox.entries()] == ["maybe_sent"]
    finally:
        service.stop()


def test_send_waiting_now_never_resends_a_maybe_sent_message(mail_server) -> None:
    """The app's "Send waiting messages now" (a forced pass) sends the failed message and
    leaves the one that may have been sent alone."""
    alice, bob = mail_server.new_user(), mail_server.new_user()
    events: list = []
    service = _service(mail_server, alice, events)
    mail_server.faults.add(protocol="smtp", kind="no_reply_after_data")
    with pytest.raises(ServiceError):
        service.send(Draft(account="test", to=bob.email, subject="Maybe 91aa", body="Once.\n"))
    mail_server.faults.clear()
    outbox = Outbox("test")
    [maybe] = outbox.entries()
    assert maybe.state == "maybe_sent"
    failed = outbox.enqueue(b"Subject: Failed 5d0e\r\n\r\nbody\r\n", alice.email, [bob.email])
    failed.state = "failed"
    outbox.save(failed)
    delivered = _copies(mail_server, bob, "Maybe 91aa")
    assert service.send_due_outbox(force=True) == 1
    assert _copies(mail_server, bob, "Failed 5d0e") == 1
    assert _copies(mail_server, bob, "Maybe 91aa") == delivered
    assert [(e.id, e.state) for e in outbox.entries()] == [(maybe.id, "maybe_sent")]
