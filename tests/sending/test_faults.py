"""Submission against a misbehaving server: each case ends in its state, nothing lost."""

from __future__ import annotations

import pytest

from tests.sending.helpers import account_for, parse
from tuimail.core.compose import Draft, message_bytes
from tuimail.core.drafts import DraftStore
from tuimail.core.outbox import Outbox, send_now
from tuimail.core.secrets import Secret
from tuimail.core.smtp import refusal_code
from tuimail.words.outbox import outbox_reason
from tuimail.words.sent import draft_saved, sent_copy

TIMEOUT = 20.0


@pytest.fixture
def bed(mail_server):
    alice = mail_server.new_user()
    rcpts = [mail_server.new_user() for _ in range(3)]
    return mail_server, alice, rcpts


def compose(account, to: list[str], subject: str = "Fault test") -> tuple[bytes, str, list[str]]:
    return message_bytes(Draft(to=to, subject=subject, body="hello\n.\n..\n"), account)


def smtp(server):
    return server.protocol_server("smtp")


def inbox_count(server, user, message_id: str) -> int:
    return sum(message_id.encode() in raw for raw in server.messages(user))


async def test_stripped_starttls_sends_no_auth_and_keeps_message(bed) -> None:
    server, alice, (bob, *_) = bed
    server.faults.add(protocol="smtp", kind="strip_starttls", port="starttls")
    account = account_for(server, alice, security="starttls")
    raw, sender, rcpts = compose(account, [bob.email])
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "failed"
    assert "does not offer STARTTLS" in outbox_reason(entry)
    assert smtp(server).auth_log == []  # the password never went out
    assert smtp(server).accepted == []
    assert Outbox(account.name).raw(entry.id) == raw
    # Once the attacker is gone the user's retry goes through, over TLS.
    server.faults.clear()
    again = await Outbox(account.name).send(entry.id, account, Secret(alice.password), force=True)
    assert again.state == "sent", again.last_error
    assert [a.tls for a in smtp(server).auth_log] == [True]


async def test_421_greeting_is_retried_later(bed) -> None:
    server, alice, (bob, *_) = bed
    server.faults.add(protocol="smtp", kind="reply", command="CONNECT", code=421,
                      message="4.3.2 Too busy, try later")  # fmt: skip
    account = account_for(server, alice)
    raw, sender, rcpts = compose(account, [bob.email])
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "retrying"
    assert "421" in outbox_reason(entry) and "Too busy" in outbox_reason(entry)
    assert entry.next_attempt > entry.updated
    box = Outbox(account.name)
    assert [e.id for e in box.due(now=entry.next_attempt + 1)] == [entry.id]
    server.faults.clear()
    (done,) = await box.process(account, Secret(alice.password), force=True)
    assert done.state == "sent"
    server.wait_for_message(bob, lambda r: b"Fault test" in r, TIMEOUT)
    assert inbox_count(server, bob, parse(raw)["Message-ID"]) == 1


async def test_535_auth_failure_is_failed_with_sanitized_reason(bed) -> None:
    server, alice, (bob, *_) = bed
    server.faults.add(protocol="smtp", kind="reply", command="AUTH", code=535,
                      message="5.7.8 Bad credentials \x1b[2J\x1b]0;pwned\x07")  # fmt: skip
    account = account_for(server, alice)
    raw, sender, rcpts = compose(account, [bob.email])
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "failed"
    assert "refused the login (535" in outbox_reason(entry)
    assert "Bad credentials" in outbox_reason(entry)
    assert "\x1b" not in outbox_reason(entry) and "\x07" not in outbox_reason(entry)
    assert "␛" in outbox_reason(entry)
    assert smtp(server).accepted == []
    box = Outbox(account.name)
    assert await box.process(account, Secret(alice.password)) == []  # not retried by itself
    assert box.get(entry.id).state == "failed" and box.raw(entry.id) == raw


async def test_452_for_every_recipient_is_retried(bed) -> None:
    server, alice, (bob, carol, _) = bed
    server.faults.add(protocol="smtp", kind="reply", command="RCPT", code=452,
                      message="4.5.3 Too many recipients")  # fmt: skip
    account = account_for(server, alice)
    raw, sender, rcpts = compose(account, [bob.email, carol.email])
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "retrying"
    assert "452" in outbox_reason(entry)
    assert entry.recipients == [bob.email, carol.email]
    assert smtp(server).accepted == []


async def test_550_for_one_of_three_recipients_sends_to_the_others(bed) -> None:
    server, alice, (bob, carol, dan) = bed
    server.faults.add(protocol="smtp", kind="reply", command="RCPT", code=550,
                      message="5.1.1 No such user", match=carol.email)  # fmt: skip
    account = account_for(server, alice)
    raw, sender, rcpts = compose(account, [bob.email, carol.email, dan.email])
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "partial"
    assert entry.delivered == [bob.email, dan.email]
    assert list(entry.refused) == [carol.email]
    assert refusal_code(entry.refused[carol.email]) == 550  # data since the outbox change
    assert "No such user" in outbox_reason(entry)
    message_id = parse(raw)["Message-ID"]
    for user in (bob, dan):
        server.wait_for_message(user, lambda r: message_id.encode() in r, TIMEOUT)
    assert inbox_count(server, carol, message_id) == 0
    box = Outbox(account.name)
    assert box.entries() == []
    assert box.get(entry.id).state == "partial" and box.raw(entry.id) == raw
    assert entry.copy is not None and entry.copy["outcome"] == "saved"


async def test_452_for_one_recipient_retries_only_that_one(bed) -> None:
    server, alice, (bob, carol, dan) = bed
    server.faults.add(protocol="smtp", kind="reply", command="RCPT", code=452,
                      message="4.2.2 Mailbox full", match=dan.email)  # fmt: skip
    account = account_for(server, alice)
    raw, sender, rcpts = compose(account, [bob.email, carol.email, dan.email])
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "retrying"
    assert entry.delivered == [bob.email, carol.email] and entry.recipients == [dan.email]
    server.faults.clear()
    (done,) = await Outbox(account.name).process(account, Secret(alice.password), force=True)
    assert done.state == "sent" and done.delivered == [bob.email, carol.email, dan.email]
    assert [s.rcpt_tos for s in smtp(server).accepted] == [
        (bob.email, carol.email),
        (dan.email,),
    ]
    message_id = parse(raw)["Message-ID"]
    for user in (bob, carol, dan):
        server.wait_for_message(user, lambda r: message_id.encode() in r, TIMEOUT)
        assert inbox_count(server, user, message_id) == 1
    # The Sent copy was made once, at the first acceptance.
    assert sum(message_id.encode() in r for r in server.messages(alice, "Sent")) == 1


async def test_no_reply_after_data_is_maybe_sent_and_never_resent(bed) -> None:
    server, alice, (bob, *_) = bed
    server.faults.add(protocol="smtp", kind="no_reply_after_data")
    account = account_for(server, alice)
    raw, sender, rcpts = compose(account, [bob.email])
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "maybe_sent"
    assert "may have been delivered" in outbox_reason(entry)
    server.faults.clear()
    box = Outbox(account.name)
    assert await box.process(account, Secret(alice.password)) == []
    assert await box.process(account, Secret(alice.password), force=True) == []
    assert len(smtp(server).accepted) == 1
    message_id = parse(raw)["Message-ID"]
    server.wait_for_message(bob, lambda r: message_id.encode() in r, TIMEOUT)
    assert inbox_count(server, bob, message_id) == 1
    assert box.get(entry.id).state == "maybe_sent" and box.raw(entry.id) == raw


async def test_failed_sent_copy_keeps_local_copy_and_never_resends(bed) -> None:
    server, alice, (bob, *_) = bed
    server.faults.add(protocol="imap", kind="fail_append")
    account = account_for(server, alice)
    raw, sender, rcpts = compose(account, [bob.email])
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "sent"
    assert entry.copy is not None and entry.copy["outcome"] == "failed"
    assert entry.copy["step"] == "store" and entry.copy["error"]["code"] == "SERVERBUG"
    said = sent_copy(entry)
    assert said.startswith("not saved on the server (the server did not store the copy")
    assert "local copy is kept" in said and entry.sent_copy is None
    box = Outbox(account.name)
    assert box.entries() == [] and box.raw(entry.id) == raw
    assert await box.process(account, Secret(alice.password), force=True) == []
    assert len(smtp(server).accepted) == 1
    assert server.messages(alice, "Sent") == []


def test_a_draft_the_server_does_not_store_is_kept_here_with_the_reason(bed) -> None:
    server, alice, _ = bed
    server.faults.add(protocol="imap", kind="fail_append")
    account = account_for(server, alice)
    store = DraftStore(account.name)
    draft = Draft(to=["x@other.test"], subject="Half", body="half a thought\n")
    info = store.save(draft, account, Secret(alice.password))
    assert info.server_failed and info.server_failure["step"] == "store"
    assert info.server_failure["error"]["code"] == "SERVERBUG"
    said = draft_saved(info)
    assert said.startswith("Draft saved in this computer only (the server did not store the")
    assert "[SERVERBUG]" in said and store.open(info.id).subject == "Half"
    assert draft_saved(store._info(info.id)) == said  # the same words from its file


async def test_sent_copy_can_be_switched_off(bed) -> None:
    server, alice, (bob, *_) = bed
    account = account_for(server, alice, save_sent_copy=False)
    raw, sender, rcpts = compose(account, [bob.email])
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "sent" and entry.copy == {"outcome": "off"}
    assert "save_sent_copy is off" in sent_copy(entry)
    assert server.messages(alice, "Sent") == []


async def test_untrusted_certificate_sends_nothing(test_ca) -> None:
    from testserver.server import MailServer

    async with MailServer(ca=test_ca, cert="expired", protocols=("smtp",)) as server:
        alice, bob = server.new_user(), server.new_user()
        for security in ("tls", "starttls"):
            account = account_for(server, alice, security=security)
            raw, sender, rcpts = compose(account, [bob.email])
            entry = await send_now(raw, sender, rcpts, account, Secret(alice.password))
            assert entry.state == "failed", security
            assert "expired" in outbox_reason(entry) and "nothing was sent" in outbox_reason(entry)
        assert smtp(server).auth_log == [] and smtp(server).accepted == []


async def test_certificate_pin(bed) -> None:
    import ssl

    from tuimail.core.tls import spki_sha256

    server, alice, (bob, *_) = bed
    pem = ssl.get_server_certificate((server.host, server.ports.smtp_tls))
    pin = spki_sha256(ssl.PEM_cert_to_DER_cert(pem))
    account = account_for(server, alice)
    account.ca_file = None  # only the pin vouches for the server now
    account.outgoing.pinned_sha256 = "00" * 32
    raw, sender, rcpts = compose(account, [bob.email])
    wrong = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert wrong.state == "failed" and "not the one you chose to trust" in outbox_reason(wrong)
    assert smtp(server).auth_log == []
    account.outgoing.pinned_sha256 = pin
    account.save_sent_copy = False
    right = await Outbox(account.name).send(wrong.id, account, Secret(alice.password), force=True)
    assert right.state == "sent", right.last_error
