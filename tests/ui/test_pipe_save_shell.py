"""| pipes the message (or an mbox of the tagged ones) to a command; W saves .eml files;
! needs a terminal to hand over to (headless, it says so instead of failing)."""

from __future__ import annotations

import functools
import mailbox

from textual.widgets import Input

from tests.ui.helpers import running, seed, settle, wait_for
from tuimail.ui.screens.dialogs import InputDialog
from tuimail.ui.widgets.message_list import MessageList


async def _answer(pilot, text: str) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InputDialog))
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_pipe_one_message_then_the_tagged_ones_as_an_mbox(mail_server, tmp_path):
    one, several = tmp_path / "one.eml", tmp_path / "several.mbox"
    async with running(mail_server) as (pilot, notes):
        lst = pilot.app.main.query_one(MessageList)
        subject = lst.current.subject
        await pilot.press("vertical_line")
        await _answer(pilot, f"cat > '{one}'; echo done-one")
        await wait_for(pilot, lambda: any("exit status 0" in n and "done-one" in n for n in notes))
        assert f"Subject: {subject}".encode() in one.read_bytes()
        await pilot.press("space", "space", "space")
        await pilot.press("vertical_line")
        await _answer(pilot, f"cat > '{several}'; exit 3")
        await wait_for(pilot, lambda: any("exit status 3" in n for n in notes))
        assert len(mailbox.mbox(str(several))) == 3
        assert not lst.tagged


async def test_W_saves_the_message_and_the_tagged_ones_as_eml(mail_server, tmp_path):
    async with running(mail_server) as (pilot, _notes):
        app = pilot.app
        lst = app.main.query_one(MessageList)
        raw = app.service.raw(lst.current)
        await pilot.press("W")
        await _answer(pilot, str(tmp_path / "single"))
        await wait_for(pilot, lambda: (tmp_path / "single.eml").exists())
        assert (tmp_path / "single.eml").read_bytes() == raw
        assert (tmp_path / "single.eml").stat().st_mode & 0o077 == 0
        await pilot.press("space", "space")
        await pilot.press("W")
        await _answer(pilot, str(tmp_path / "batch"))
        await wait_for(pilot, lambda: len(list((tmp_path / "batch").glob("*.eml"))) == 2)


async def test_shell_without_a_terminal_says_so(mail_server):
    async with running(mail_server, functools.partial(seed, count=1)) as (pilot, notes):
        await pilot.press("exclamation_mark")
        await _answer(pilot, "true")
        await wait_for(pilot, lambda: any("cannot hand over" in n for n in notes))
