"""A draft with a long line comes back as written: the saved copy is format=flowed (the
long line broken after spaces, RFC 3676), and reopening it joins those soft breaks again.
Before, the composer showed the pieces as separate lines, and the message sent from it
went out without format=flowed: the recipient saw the sentence cut in two."""

from __future__ import annotations

from email import message_from_bytes, policy

from textual.widgets import TextArea

from tests.ui.helpers import open_composer, settle, started, wait_for
from tuimail.core.mime.quotes import unflow
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.widgets.message_list import MessageList

LONG = (
    "This line is written in one go and is much longer than seventy-eight characters, "
    "so the saved draft breaks it after spaces."
)


async def test_a_reopened_draft_keeps_its_long_line_whole_and_is_sent_flowed(mail_server):
    async with started(mail_server, 1) as run:
        pilot, app, user = run.pilot, run.app, run.user
        body = f"Hello,\n\n{LONG}\n\n> {LONG}\n"
        await open_composer(pilot, to=user.email, subject="Long lines", body=body)
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: bool(mail_server.messages(user, "Drafts")), timeout=20)
        saved = message_from_bytes(mail_server.messages(user, "Drafts")[0], policy=policy.default)
        assert saved.get_param("format") == "flowed"  # the draft on the server is flowed
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ComposerScreen))
        app.open_folder("test", "Drafts")
        await settle(pilot)
        lst = app.main.query_one(MessageList)
        await wait_for(pilot, lambda: lst.count == 1 and lst.row_at(0).subject == "Long lines")
        lst.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        text = app.screen.query_one("#compose-body", TextArea).text
        assert LONG in text and f"> {LONG}" in text, text
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(mail_server.messages(user)) == 2, timeout=20)
        sent = message_from_bytes(mail_server.messages(user)[-1], policy=policy.default)
        part = sent.get_body(preferencelist=("plain",))
        assert part.get_param("format") == "flowed"
        assert LONG in unflow(part.get_content().replace("\r\n", "\n"))
