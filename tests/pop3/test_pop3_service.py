"""POP3 accounts in the service the app uses: first download, then polling."""

from __future__ import annotations

import threading

from tests.pop3.helpers import message, pop3_account
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import Store
from tuimail.words.status import state as state_words


def test_service_downloads_and_polls_pop3(mail_server, tmp_path):
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    account = pop3_account(mail_server, user, poll_interval=1)
    new_mail = threading.Event()
    events = []

    def listener(event):
        events.append(event)
        if event.kind == "new-mail" and any(e.kind == "new-mail" for e in events[:-1]):
            new_mail.set()

    service = MailService(
        {"pop": account},
        password_for=lambda _a: Secret(user.password),
        listener=listener,
        store=Store(tmp_path / "store.sqlite3"),
    )
    try:
        service.start()
        inbox = [f for f in service.folders() if f.account == "pop" and f.name == "INBOX"]
        assert inbox and inbox[0].total == 1
        assert service.states()["pop"].state == "polling"
        mail_server.deliver(user, message(2))
        assert new_mail.wait(15), "the poll did not bring the second message"
        inbox = [f for f in service.folders() if f.account == "pop" and f.name == "INBOX"]
        assert inbox[0].total == 2
        # A manual check (ctrl+r) keeps saying that the account polls, not "up to date".
        assert service.backend("pop").sync()
        assert service.states()["pop"].state == "polling"
        assert "checking every" in state_words(service.states()["pop"])
    finally:
        service.stop()


def test_service_reports_pop3_login_failure_as_error_not_offline(mail_server, tmp_path):
    user = mail_server.new_user()
    account = pop3_account(mail_server, user)
    service = MailService(
        {"pop": account},
        password_for=lambda _a: Secret("wrong"),
        idle=False,
        store=Store(tmp_path / "store.sqlite3"),
    )
    try:
        service.start()
        state = service.states()["pop"]
        assert state.state == "error"
        assert "refused the login for" in state_words(state)
    finally:
        service.stop()


def test_a_mailbox_in_use_elsewhere_is_retried_not_taken_for_a_wrong_password(
    mail_server, tmp_path
):
    """Another mail program holds the POP3 lock when the app starts ([IN-USE]): the
    account is offline with that sentence and retries, and gets the mail once free."""
    import poplib

    from tuimail.core.tls import client_context

    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    other = poplib.POP3_SSL(
        mail_server.host, mail_server.ports.pop3_tls, context=client_context(mail_server.ca_file)
    )
    other.user(user.login)
    other.pass_(user.password)  # the bundled server locks the maildrop now
    arrived = threading.Event()

    def listener(event):
        if event.kind == "new-mail":
            arrived.set()

    service = MailService(
        {"pop": pop3_account(mail_server, user)},
        password_for=lambda _a: Secret(user.password),
        listener=listener,
        store=Store(tmp_path / "store.sqlite3"),
        retry_after=0.2,
    )
    try:
        service.start()
        state = service.states()["pop"]
        assert state.state == "offline", state
        assert "in use by another POP3 session" in state_words(state)
        assert "refused the login for" not in state_words(state)
        other.quit()  # the other program is done
        assert arrived.wait(15), service.states()["pop"]
        assert service.source("pop", "INBOX").count() == 1
    finally:
        service.stop()
