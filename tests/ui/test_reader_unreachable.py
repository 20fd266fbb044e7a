"""Opening a message whose body cannot be fetched (not downloaded yet, and the server
cannot give it: gone, or the server is down) never leaves the message read before on
screen as if it were this one: the reader says why it shows nothing."""

from __future__ import annotations

from tests.ui.helpers import make_app, ready, seed, wait_for
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane


def _forget_body(app, message_id: int) -> None:
    """As if the sync had not downloaded this message yet."""
    with app.service.store.transaction() as c:
        c.execute("DELETE FROM bodies WHERE message_id = ?", (message_id,))


async def test_a_message_that_cannot_be_fetched_does_not_show_the_previous_one(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 2)
    app = make_app(mail_server, user)
    async with app.run_test(size=(90, 30)) as pilot:  # narrow: Enter shows the reader alone
        await ready(pilot)
        main = app.main
        lst, reader = main.query_one(MessageList), main.query_one(ReaderPane)
        first, second = lst.row_at(0), lst.row_at(1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: reader.message_view is not None)
        assert reader.message_view.subject == first.subject
        await pilot.press("q")
        # Another client removes the second message before tuimail downloaded its body.
        gone = [
            m.uid
            for m in mail_server.store.messages(user.login, "INBOX")
            if second.subject.encode() in m.raw
        ]
        assert len(gone) == 1
        mail_server.store.remove(user.login, "INBOX", gone)
        _forget_body(app, second.id)
        await pilot.press("j", "enter")
        await wait_for(pilot, lambda: reader.message_view is None, timeout=30)
        assert main.reading and reader.display
        shown = str(reader.query(".note").first().render())
        assert first.subject not in shown and second.subject not in shown
        assert shown.startswith("This message could not be shown:"), shown
        assert "Traceback" not in shown
