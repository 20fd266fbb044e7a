"""POP3 accounts in the service the app uses: first download, then polling."""

from __future__ import annotations

import threading

from tests.pop3.helpers import message, pop3_session, user_with
from tuimail.words.status import state as state_words


def test_service_downloads_and_polls_pop3(mail_server, make_service):
    user = user_with(mail_server, 1)
    new_mail = threading.Event()
    events = []

    def listener(event):
        events.append(event)
        if event.kind == "new-mail" and any(e.kind == "new-mail" for e in events[:-1]):
            new_mail.set()

    service = make_service(
        mail_server, user, poll_interval=1, service_options={"listener": listener, "idle": True}
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


def test_service_reports_pop3_login_failure_as_error_not_offline(mail_server, make_service):
    user = mail_server.new_user()
    service = make_service(mail_server, user, password="wrong")
    try:
        service.start()
        state = service.states()["pop"]
        assert state.state == "error"
        assert "refused the login for" in state_words(state)
    finally:
        service.stop()


def test_a_mailbox_in_use_elsewhere_is_retried_not_taken_for_a_wrong_password(
    mail_server, make_service
):
    """Another mail program holds the POP3 lock when the app starts ([IN-USE]): the
    account is offline with that sentence and retries, and gets the mail once free."""
    user = user_with(mail_server, 1)
    arrived = threading.Event()

    def listener(event):
        if event.kind == "new-mail":
            arrived.set()

    options = {"listener": listener, "idle": True, "retry_after": 0.2}
    service = make_service(mail_server, user, service_options=options)
    with pop3_session(mail_server, user):  # the bundled server locks the maildrop now
        service.start()
        state = service.states()["pop"]
        assert state.state == "offline", state
        assert "in use by another POP3 session" in state_words(state)
        assert "refused the login for" not in state_words(state)
    # the other program is done (QUIT)
    assert arrived.wait(15), service.states()["pop"]
    assert service.source("pop", "INBOX").count() == 1
