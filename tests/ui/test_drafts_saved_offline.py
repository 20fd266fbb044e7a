"""A draft saved while the server could not take it ("saved in this computer only") goes
to the server's Drafts folder once the account is online again (here: at the next
start), where the app lists it; before, it stayed a file nobody could see or reopen."""

from __future__ import annotations

from tests.ui.helpers import account_for, make_app, ready, record_notes, settle, wait_for
from tuimail.core.compose import Draft
from tuimail.core.drafts import DraftStore
from tuimail.core.secrets import Secret
from tuimail.ui.widgets.message_list import MessageList


def _saved_offline(server, user) -> str:
    """A draft saved while the server refuses every login (as when unreachable)."""
    account = account_for(server, user)
    server.faults.add(protocol="imap", kind="login_reply", message="[UNAVAILABLE] Not now")
    draft = Draft(from_addr=user.email, to=["bob@example.test"], subject="Written offline")
    draft.body = "Kept here first.\n"
    info = DraftStore(account.name).save(draft, account, Secret(user.password))
    server.faults.clear()
    assert info.server_failed
    return info.id


async def test_a_draft_saved_offline_reaches_drafts_when_the_account_is_online(mail_server):
    user = mail_server.new_user()
    draft_id = _saved_offline(mail_server, user)
    app = make_app(mail_server, user)
    notes = record_notes(app)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: any("now in test's Drafts" in n for n in notes))
        raws = mail_server.messages(user, "Drafts")
        assert len(raws) == 1 and b"Written offline" in raws[0]
        assert DraftStore("test").waiting() == []
        assert DraftStore("test").list()[0].id == draft_id  # the same draft, not a copy
        app.open_folder("test", "Drafts")
        await settle(pilot)
        lst = app.main.query_one(MessageList)
        await wait_for(pilot, lambda: lst.count == 1 and lst.row_at(0).subject == "Written offline")
