"""A message being written survives tuimail being killed (no SIGHUP handler runs): its
unsaved changes are kept on disk every few seconds, and the next start makes them a draft
(here and in the server's Drafts) and says so. Sent or saved, nothing is kept."""

from __future__ import annotations

import json
import subprocess

from textual.widgets import TextArea

from tests.ui.attachment_helpers import deliver_parts
from tests.ui.helpers import make_app, open_composer, ready, record_notes, wait_for
from tuimail.core import draft_recovery
from tuimail.ui.screens.composer import ComposerScreen


def _kept() -> list:
    directory = draft_recovery.recovery_dir()
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def _as_if_killed(path) -> None:
    """The file now names a process that is gone (as after a kill -9)."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    data = json.loads(path.read_text())
    data["pid"] = gone.pid
    path.write_text(json.dumps(data))


async def test_a_message_written_when_tuimail_was_killed_becomes_a_draft(mail_server):
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await open_composer(
            pilot, to="bob@example.test", subject="Half written", body="Do not lose this.\n"
        )
        await wait_for(pilot, lambda: len(_kept()) == 1, timeout=15)
        # the app ends with the composer open and nothing saved (the kill)
    [path] = _kept()
    _as_if_killed(path)

    app = make_app(mail_server, user)
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: any("Half written" in n for n in notes), timeout=30)
        assert any("when tuimail stopped" in n and "Drafts" in n for n in notes), notes
        drafts = mail_server.messages(user, "Drafts")
        assert len(drafts) == 1 and b"Do not lose this." in drafts[0]
        assert b"bob@example.test" in drafts[0]
        assert _kept() == []


async def test_nothing_is_kept_once_the_message_is_sent_or_saved(mail_server):
    user, bob = mail_server.new_user(), mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot, to=bob.email, subject="Saved")
        await wait_for(pilot, lambda: len(_kept()) == 1, timeout=15)
        await pilot.press("ctrl+d")  # save draft: safe in Drafts
        await wait_for(pilot, lambda: _kept() == [], timeout=15)
        screen.query_one("#compose-body", TextArea).text = "More.\n"
        await wait_for(pilot, lambda: len(_kept()) == 1, timeout=15)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ComposerScreen), timeout=30)
        assert _kept() == []


async def test_a_forward_being_written_is_recovered_without_its_carried_attachments(
    mail_server,
):
    """A forward's attachments are bytes in memory, not kept on disk: after a kill the
    text still becomes a draft and the note names what could not be kept (the recovery
    failed whole before, silently, at every start)."""
    user = mail_server.new_user()
    deliver_parts(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        assert screen.draft.carried
        screen.query_one("#compose-to").value = "bob@example.test"
        body = screen.query_one("#compose-body", TextArea)
        body.text = "Have a look.\n" + body.text
        await wait_for(pilot, lambda: len(_kept()) == 1, timeout=15)
    [path] = _kept()
    _as_if_killed(path)

    app = make_app(mail_server, user)
    notes = record_notes(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: any("Fwd: Parts" in n for n in notes), timeout=30)
        assert any("could not be kept: forward again" in n for n in notes), notes
        drafts = mail_server.messages(user, "Drafts")
        assert len(drafts) == 1 and b"Have a look." in drafts[0]
        assert _kept() == []
