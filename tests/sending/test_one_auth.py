"""SMTP 535: exactly one AUTH per submission attempt (issue 13). aiosmtplib's `login()`
tries every mechanism in turn after a rejection, so a wrong password cost two AUTHs (PLAIN,
then LOGIN) per attempt, and each outbox retry repeated both: a lock-out risk."""

from __future__ import annotations

from tests.sending.helpers import account_for
from tuimail.core.compose import Draft, message_bytes
from tuimail.core.errors import AuthenticationFailed
from tuimail.core.outbox import Outbox, send_now
from tuimail.core.secrets import Secret
from tuimail.words.outbox import outbox_reason

TIMEOUT = 20.0


def attempts(server, login: str) -> list:
    return [a for a in server.protocol_server("smtp").auth_log if a.login == login]


async def test_a_rejected_password_costs_exactly_one_auth_per_attempt(mail_server) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    account = account_for(mail_server, alice)
    raw, sender, rcpts = message_bytes(Draft(to=[bob.email], subject="one auth"), account)

    entry = await send_now(raw, sender, rcpts, account, Secret("wrong"), timeout=TIMEOUT)
    assert entry.state == "failed" and "refused the login (535" in outbox_reason(entry)
    assert len(attempts(mail_server, alice.login)) == 1

    box = Outbox(account.name)
    assert await box.process(account, Secret("wrong")) == []  # never retried by itself
    assert len(attempts(mail_server, alice.login)) == 1

    again = await box.send(entry.id, account, Secret("wrong"), force=True)  # the user's retry
    assert again.state == "failed"
    assert len(attempts(mail_server, alice.login)) == 2  # one more attempt, one more AUTH
    assert not any(a.success for a in attempts(mail_server, alice.login))


async def test_the_535_is_typed_authentication_with_the_servers_code(mail_server) -> None:
    from tuimail.core.smtp import SubmitError, submit

    alice, bob = mail_server.new_user(), mail_server.new_user()
    account = account_for(mail_server, alice)
    raw, sender, rcpts = message_bytes(Draft(to=[bob.email], subject="typed"), account)
    try:
        await submit(account, Secret("wrong"), sender, rcpts, raw, timeout=TIMEOUT)
    except SubmitError as exc:
        assert exc.kind == "permanent"
        assert isinstance(exc.error, AuthenticationFailed)
        assert exc.error.code == 535 and exc.error.protocol == "smtp"
    else:
        raise AssertionError("a wrong password was accepted")
    assert len(attempts(mail_server, alice.login)) == 1


async def test_the_right_password_still_logs_in_with_one_auth(mail_server) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    account = account_for(mail_server, alice)
    raw, sender, rcpts = message_bytes(Draft(to=[bob.email], subject="ok"), account)
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "sent", entry.last_error
    assert [a.success for a in attempts(mail_server, alice.login)] == [True]
