"""A change the server does not take reads well where the user sees it: the app's
status line says what was not applied and why, in one sentence made at the edge from
the typed error (tuimail.words), never a repr or a bare kind."""

from __future__ import annotations

import json

from tests.imap.helpers import message, other_client
from tests.ui.helpers import make_app, ready, record_notes, settle, wait_for
from tuimail.core.errors import error_from_record
from tuimail.ui.widgets.status import StatusBar
from tuimail.words.describe import describe


async def test_a_flag_change_on_a_folder_gone_on_the_server_says_so(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.store.create_folder(user.login, "Projects")
    mail_server.deliver(user, message(1, "kept"), folder="Projects")
    app = make_app(mail_server, user)
    notes = record_notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        service = app.service
        fid = service.backend("test").folder_id("Projects")
        [row] = service.store.message_rows(fid, 0, 10)
        other = other_client(mail_server, user)
        other.delete_folder("Projects")  # another client, behind tuimail's back
        other.logout()
        service.set_flagged([row], True)
        said = (
            "A flag change was not applied on the server: "
            "the folder Projects no longer exists on the server"
        )
        status = lambda: str(app.main.query_one(StatusBar).render())  # noqa: E731
        await wait_for(pilot, lambda: app.last_error == said, timeout=30)
        await wait_for(pilot, lambda: "A flag change was not applied" in status())
        # On the status line; too long for its one line, it is also said whole, once,
        # in a note (the line shows its beginning).
        assert notes == [said], notes
        # The store keeps the typed error's record, worded the same way at the edge.
        [failed] = service.store.actions("test", "failed")
        record = json.loads(failed.error)
        assert record["reason"] == "folder-gone" and record["data"] == {"folder": "Projects"}
        assert describe(error_from_record(record)) == said.partition(": ")[2]


async def test_a_move_the_server_refuses_stays_said_after_the_move_is_done_here(
    mail_server,
) -> None:
    """The move is done here at once, then refused by the server (its target folder was
    deleted by another client): its refusal stays on the status line. The action's own
    end ("it worked: an old error is over") cleared it at once, so it only flashed."""
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    app = make_app(mail_server, user)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        mail_server.store.delete_folder(user.login, "Archive")  # behind tuimail's back
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen is not app.main)
        await pilot.press("r", "c", "enter")
        said = "Mailbox doesn't exist: Archive"  # the server's words, in the refusal
        await wait_for(pilot, lambda: not app._action_running and not app._action_queue)
        await settle(pilot)
        assert said in app.last_error, app.last_error
        status = str(app.main.query_one(StatusBar).render())
        assert said in status, status
