"""Folder names in the app that collide with the app's own internal names: a server
folder called "__search__" was taken for the search results (its mail never shown, the
header saying "Search results")."""

from __future__ import annotations

import pytest

from tests.ui.helpers import settle, started, wait_for
from tuimail.ui.widgets.message_list import MessageList

pytestmark = pytest.mark.timeout(120)

ODD = "__search__"
MAIL = (
    b"From: Carol <carol@example.test>\r\nTo: {to}\r\nSubject: in the odd folder\r\n"
    b"Message-ID: <odd1@example.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nHi.\r\n"
)


async def test_a_folder_named_like_the_search_results_shows_its_own_mail(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.store.create_folder(user.login, ODD)
    mail_server.deliver(user, MAIL.replace(b"{to}", user.email.encode()), ODD)
    async with started(mail_server, 1, user=user) as run:
        app, pilot = run.app, run.pilot
        account = app.account
        app.open_folder(account, ODD)
        lst = app.main.query_one(MessageList)
        await wait_for(pilot, lambda: app.sub_title.endswith(ODD) and lst.count == 1)
        await settle(pilot)
        assert lst.row_at(0).subject == "in the odd folder"
        assert "Search" not in app.sub_title


async def test_a_very_long_folder_name_renamed_is_said_in_a_short_note(mail_server) -> None:
    """The note for the open folder renamed on the server quoted the names whole: a
    3000-character name made a toast of more than 3000 characters. Cut in the middle.
    And the server tells the rename (NOTIFY) with so long an old name as a literal, which
    the watcher read without it ("No literal corresponds to {3000}"): it dropped its
    connection instead of following the folder."""
    from tests.imap.helpers import message, other_client
    from tests.ui.helpers import idling_on, make_app, ready, record_notes

    long = "P" * 3000
    user = mail_server.new_user()
    other = other_client(mail_server, user)
    other.create_folder(long)
    mail_server.deliver(user, message(1, "plan"), long)
    app = make_app(mail_server, user, idle=True)
    notes = record_notes(app)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await ready(pilot)
            await idling_on(pilot, app, long)
            other.rename_folder(long, "Done")
            await wait_for(pilot, lambda: any("renamed to Done" in n for n in notes), 30)
    finally:
        other.logout()
    said = next(n for n in notes if "renamed to Done" in n)
    assert len(said) < 200 and "PPP…PPP" in said, said[:300]
