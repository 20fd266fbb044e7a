"""sent/ under the data directory stays bounded: delivered entries older than the account's
sent_retention_days are deleted by the next send or outbox pass; pending ones never are."""

from __future__ import annotations

import asyncio
import json
import time

from tests.ui.helpers import account_for
from tuimail.core.compose import Draft, message_bytes
from tuimail.core.outbox import Outbox, send_now
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService

DAY = 86400


def _send(server, account, password, to: str, subject: str):
    raw, sender, recipients = message_bytes(
        Draft(to=[to], subject=subject, body="Hello.\n"), account
    )
    return asyncio.run(send_now(raw, sender, recipients, account, password))


def _age(outbox: Outbox, entry_id: str, days: float) -> None:
    """What waiting `days` does to a delivered entry (its state's last change)."""
    path = outbox.sent_dir / f"{entry_id}.json"
    data = json.loads(path.read_text())
    data["updated"] = time.time() - days * DAY
    path.write_text(json.dumps(data))


def _sent_ids(outbox: Outbox) -> set[str]:
    return {p.stem for p in outbox.sent_dir.glob("*.eml")} | {
        p.stem for p in outbox.sent_dir.glob("*.json")
    }


def test_a_send_prunes_delivered_entries_past_retention(mail_server) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    account = account_for(mail_server, alice)
    account.save_sent_copy = False
    password = Secret(alice.password)
    old = _send(mail_server, account, password, bob.email, "Old one")
    recent = _send(mail_server, account, password, bob.email, "Recent one")
    outbox = Outbox(account.name)
    assert old.state == recent.state == "sent"
    _age(outbox, old.id, 31)
    _age(outbox, recent.id, 29)
    pending = outbox.enqueue(b"Subject: waits\r\n\r\nx\r\n", alice.email, [bob.email])
    stale = outbox.get(pending.id)
    stale.created = time.time() - 400 * DAY
    outbox.save(stale)  # a message still waiting is never pruned, however old
    newest = _send(mail_server, account, password, bob.email, "Newest")
    assert _sent_ids(outbox) == {recent.id, newest.id}
    assert [e.id for e in outbox.entries()] == [pending.id]


def test_zero_keeps_sent_entries_for_ever(mail_server) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    account = account_for(mail_server, alice)
    account.save_sent_copy = False
    account.sent_retention_days = 0
    password = Secret(alice.password)
    first = _send(mail_server, account, password, bob.email, "Kept")
    outbox = Outbox(account.name)
    _age(outbox, first.id, 3650)
    second = _send(mail_server, account, password, bob.email, "Also kept")
    assert _sent_ids(outbox) == {first.id, second.id}


def test_the_apps_outbox_pass_prunes_too(mail_server) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    account = account_for(mail_server, alice)
    account.save_sent_copy = False
    account.sent_retention_days = 7
    password = Secret(alice.password)
    old = _send(mail_server, account, password, bob.email, "A week and a day")
    outbox = Outbox(account.name)
    _age(outbox, old.id, 8)
    service = MailService({account.name: account}, password_for=lambda _a: password, idle=False)
    try:
        service.send_due_outbox()
    finally:
        service.stop()
    assert _sent_ids(outbox) == set()
