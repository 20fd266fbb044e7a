"""A message refused for good (5xx: a mistyped address) stays open in the composer; sent
again once corrected, it leaves no stale copy in the outbox ("Outbox: 1" for ever, and a
quit question about it)."""

from __future__ import annotations

import pytest

from tests.imap.helpers import account_for
from tuimail.core.outbox import Outbox
from tuimail.core.secrets import Secret
from tuimail.core.service import Draft, MailService, QueuedError
from tuimail.core.store import Store


def test_sending_again_after_a_refusal_leaves_one_copy(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    account = account_for(mail_server, user)
    secret = Secret(user.password)
    service = MailService(
        {account.name: account},
        password_for=lambda _a: secret,
        idle=False,
        store=Store(tmp_path / "store.sqlite3"),
    )
    draft = Draft(account=account.name, to="nobdy@example.test", subject="s", body="b")
    mail_server.faults.add(protocol="smtp", kind="reply", command="RCPT", code=550, times=1)
    with pytest.raises(QueuedError) as refused:
        service.send(draft)
    assert refused.value.entry.state == "failed"
    assert [e.state for e in Outbox(account.name).entries()] == ["failed"]
    draft.to = user.email  # corrected in the composer, Send again
    entry = service.send(draft)
    assert entry.state == "sent"
    assert Outbox(account.name).entries() == []
    assert service.outbox_held() == 0


def test_messages_of_an_account_no_longer_configured_count_as_held(mail_server, tmp_path) -> None:
    """The status bar's counts left them out while the outbox view listed them: "Outbox:
    0" with two messages waiting for the user."""
    account = account_for(mail_server, mail_server.new_user())
    gone = Outbox("renamed")
    for state in ("maybe_sent", "queued"):
        entry = gone.enqueue(b"Subject: s\r\n\r\nb\r\n", account.email, ["b@example.org"])
        entry.state = state
        gone.save(entry)
    service = MailService(
        {account.name: account}, idle=False, store=Store(tmp_path / "store.sqlite3")
    )
    service._recount_outbox()
    assert (service.outbox_waiting, service.outbox_held_count) == (2, 2)
    assert len(service.outbox_entries()) == 2
