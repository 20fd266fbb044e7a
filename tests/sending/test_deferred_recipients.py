"""Over the bundled SMTP server: a recipient refused at RCPT is kept as data (the reply
code as an int and the server's words), and the outbox decides from the code alone
whether it is tried again: a 4xx recipient goes out on the next attempt, exactly once;
a 5xx one is refused for good and never retried."""

from __future__ import annotations

import asyncio
import time

from tests.sending.helpers import account_for
from tuimail.core.compose import Draft, message_bytes
from tuimail.core.outbox import DEFERRED, PARTLY_REFUSED, Outbox, send_now
from tuimail.core.secrets import Secret
from tuimail.words.outbox import outbox_reason, refusal


def _copies(server, user, marker: str) -> int:
    return sum(marker.encode() in raw for raw in server.messages(user))


def test_a_4xx_recipient_is_retried_and_a_5xx_one_never(mail_server) -> None:
    alice, bob, carol = (mail_server.new_user() for _ in range(3))
    local, _, domain = bob.email.partition("@")
    gone = f"{local}-gone@{domain}"  # local domain, no such user
    account = account_for(mail_server, alice)
    password = Secret(alice.password)
    draft = Draft(to=[bob.email, carol.email, gone], subject="Deferred 3c9a", body="Hi.\n")
    raw, sender, recipients = message_bytes(draft, account)
    mail_server.faults.add(protocol="smtp", kind="reply", command="RCPT", code=451,
                           match=carol.email, message="4.2.0 Greylisted, come back later")  # fmt: skip
    outbox = Outbox(account.name)
    entry = asyncio.run(send_now(raw, sender, recipients, account, password, outbox=outbox))
    mail_server.faults.clear()
    assert entry.state == "retrying" and entry.recipients == [carol.email]
    assert entry.failure["reason"] == DEFERRED
    assert entry.failure["data"]["refused"] == {
        carol.email: {"code": 451, "server_text": "4.2.0 Greylisted, come back later"}
    }
    assert entry.refused[gone]["code"] == 550  # refused for good, kept as data
    said = outbox_reason(entry)
    assert f"{carol.email}: 451 4.2.0 Greylisted, come back later" in said, said
    assert _copies(mail_server, bob, "Deferred 3c9a") == 1
    assert _copies(mail_server, carol, "Deferred 3c9a") == 0

    entry.next_attempt = time.time() - 1  # what waiting out the back-off does
    outbox.save(entry)
    asyncio.run(outbox.process(account, password))
    [done] = [e for e in outbox.entries(include_sent=True) if e.id == entry.id]
    assert done.state == "partial" and done.failure["reason"] == PARTLY_REFUSED
    assert list(done.refused) == [gone] and done.recipients == []
    assert refusal(done.refused[gone]).startswith("550 ")
    assert _copies(mail_server, carol, "Deferred 3c9a") == 1
    assert _copies(mail_server, bob, "Deferred 3c9a") == 1  # not sent twice
    # The 5xx recipient is never tried again, whatever passes follow.
    assert asyncio.run(outbox.process(account, password, force=True)) == []
