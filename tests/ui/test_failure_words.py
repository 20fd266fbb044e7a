"""The app says what failed with the edge's words (tuimail.words) from the typed error
core hands out: a folder that fails is named in the status bar while the others sync,
and a busy server's code and words (markup among them) are shown literally."""

from __future__ import annotations

from tests.imap.helpers import message
from tests.ui.helpers import make_app, settle, wait_for
from tests.ui.markup_payloads import literal
from tuimail.core.errors import ProtocolViolation, ServerBusy
from tuimail.ui.widgets.status import StatusBar

GARBAGE = b"HTTP/1.1 400 Bad Request\r\n\r\n<html>\r\n"
PAYLOAD = "[b]Back[/b] at [@click=app.quit()]3[/]"


def _status(app) -> str:
    return str(app.main.query_one(StatusBar).render())


async def test_a_folder_that_fails_is_named_and_the_others_sync(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.store.create_folder(user.login, "Second")
    mail_server.deliver(user, message(1, "inbox"))
    mail_server.deliver(user, message(1, "second"), folder="Second")
    mail_server.faults.add(
        protocol="imap", kind="garbage", command="UID", match="INBOX", data=GARBAGE
    )
    app = make_app(mail_server, user)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        state = app.service.states()["test"]
        assert [f.folder for f in state.failures] == ["INBOX"]
        assert isinstance(state.failures[0].error, ProtocolViolation)
        await wait_for(pilot, lambda: "INBOX: the mail server" in _status(app), timeout=10)
        assert "! test: INBOX: the mail server" in _status(app), _status(app)
        second = app.service.store.folder_id("test", "Second")
        assert app.service.store.count_messages(second) == 1


async def test_a_busy_servers_code_and_words_are_shown_literally(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="login_reply", message=f"[UNAVAILABLE] {PAYLOAD}")
    app = make_app(mail_server, user)
    async with app.run_test(size=(200, 30)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        assert isinstance(app.service.states()["test"].error, ServerBusy)
        await wait_for(pilot, lambda: "[UNAVAILABLE]" in _status(app), timeout=10)
        status = _status(app)
        assert literal(PAYLOAD) in status and "retrying in" in status, status
        assert app.is_running  # the [@click=app.quit()] in the server's words ran nothing
