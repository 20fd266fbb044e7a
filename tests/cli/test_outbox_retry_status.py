"""`tuimail outbox --retry` succeeds (0) only when the outbox is empty afterwards: messages
it may not send by itself ("may have been sent", of an account no longer configured) are
said in one sentence and make it 1, so a cron job notices them."""

from __future__ import annotations

from tests.cli.helpers import configure
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_FAILURE
from tuimail.core.outbox import Outbox

MESSAGE = b"Subject: s\r\n\r\nbody\r\n"


def test_retry_with_only_maybe_sent_messages_left_is_a_failure(mail_server, capsys) -> None:
    user, bob = mail_server.new_user(), mail_server.new_user()
    account = configure(mail_server, user)
    box = Outbox(account.name)
    entry = box.enqueue(MESSAGE, account.email, [bob.email])
    entry.state = "maybe_sent"
    box.save(entry)
    assert main(["outbox", "--retry"]) == EXIT_FAILURE
    out = capsys.readouterr()
    assert "1 message may have been sent already and is not sent again without you" in out.err
    assert entry.id in out.out and box.get(entry.id).state == "maybe_sent"
    assert mail_server.messages(bob) == []  # never sent again without the user


def test_retry_leaving_a_message_of_a_removed_account_is_a_failure(mail_server, capsys) -> None:
    user = mail_server.new_user()
    configure(mail_server, user)
    Outbox("gone").enqueue(MESSAGE, user.email, ["b@example.org"])
    assert main(["outbox", "--retry"]) == EXIT_FAILURE
    assert "of an account no longer configured is not sent" in capsys.readouterr().err


def test_retry_that_empties_the_outbox_is_a_success(mail_server, capsys) -> None:
    user, bob = mail_server.new_user(), mail_server.new_user()
    account = configure(mail_server, user)
    Outbox(account.name).enqueue(MESSAGE, account.email, [bob.email])
    assert main(["outbox", "--retry"]) == 0
    assert capsys.readouterr().err == ""
    assert len(mail_server.messages(bob)) == 1
