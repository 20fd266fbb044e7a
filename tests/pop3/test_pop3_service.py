"""POP3 accounts in the service the app uses: first download, then polling."""

from __future__ import annotations

import threading

from tests.pop3.test_pop3_fetch import message, pop3_account
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import Store


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
        assert "login failed" in state.detail
    finally:
        service.stop()
