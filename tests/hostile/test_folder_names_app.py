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
