"""The Attach field completes paths from the file system (the path picker), and the
completed file really goes out as an attachment."""

from __future__ import annotations

import email
from email import policy

from textual.widgets import Input, TextArea

from tests.ui.helpers import make_app, open_composer, ready, seed, wait_for


async def test_attach_path_completion_and_send(mail_server, tmp_path):
    user, bob = mail_server.new_user(), mail_server.new_user()
    seed(mail_server, user, 1)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "q3-figures.csv").write_text("quarter,total\nq3,42\n")
    (tmp_path / ".secret").write_text("hidden\n")
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#compose-to", Input).value = bob.email
        screen.query_one("#compose-subject", Input).value = "Figures"
        screen.query_one("#compose-body", TextArea).text = "Attached.\n"
        attach = screen.query_one("#compose-attach", Input)
        attach.focus()
        await pilot.pause()
        attach.value = str(tmp_path)  # the long temporary directory (typing it takes seconds)
        attach.cursor_position = len(attach.value)
        await pilot.press("/")  # then typed
        # the directory's only visible entry is offered (never the hidden file)
        await wait_for(pilot, lambda: attach._suggestion == f"{tmp_path}/reports/")
        await pilot.press("right")
        await pilot.press("q")
        await wait_for(pilot, lambda: attach._suggestion.endswith("q3-figures.csv"))
        await pilot.press("right")
        assert attach.value == f"{tmp_path}/reports/q3-figures.csv"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(mail_server.messages(bob)), timeout=20)
    msg = email.message_from_bytes(mail_server.messages(bob)[0], policy=policy.default)
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "q3-figures.csv"
    assert part.get_content().replace("\r\n", "\n") == "quarter,total\nq3,42\n"
