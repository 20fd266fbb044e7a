"""l: the URL picker of the open message (numbered; Enter opens with the system opener,
c copies the whole link with OSC 52, over SSH Enter copies; a mailto: link composes); a
long link is never folded into pieces in the reader."""

from __future__ import annotations

from tests.ui.helpers import make_app, ready, record_notes, settle, wait_for
from tests.ui.links_helpers import LONG, deliver_links
from tuimail.core import links as core_links
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.links import LinkPicker
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane
from tuimail.words.actions import link_opened


async def _picker(pilot) -> LinkPicker:
    await pilot.press("l")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, LinkPicker))
    return pilot.app.screen


async def test_c_copies_the_whole_long_link_and_numbers_and_j_k_move(mail_server, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    user = mail_server.new_user()
    deliver_links(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        picker = await _picker(pilot)
        assert picker.links == ["https://example.test/short", LONG, picker.links[2]]
        await pilot.press("2", "c")
        await settle(pilot)
        assert app.clipboard == LONG and not isinstance(app.screen, LinkPicker)
        await _picker(pilot)  # j / k move, as in mutt's menus
        await pilot.press("j", "j", "k", "j", "c")
        await settle(pilot)
        assert app.clipboard == picker.links[2]


async def test_enter_opens_with_the_system_opener_as_one_argument(
    mail_server, monkeypatch, tmp_path
):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    log = tmp_path / "opened"
    opener = tmp_path / "xdg-open"
    opener.write_text(f'#!/bin/sh\nprintf "%s\\n" "$#" "$1" > {log}\n')
    opener.chmod(0o700)
    monkeypatch.setattr(core_links, "opener", lambda: str(opener))
    user = mail_server.new_user()
    deliver_links(mail_server, user)
    app = make_app(mail_server, user)
    notes = record_notes(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await _picker(pilot)
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: log.exists() and log.read_text().count("\n") == 2)
        assert log.read_text().splitlines() == ["1", LONG]
        await wait_for(pilot, lambda: "Opened the link in the browser." in notes)


def test_opening_a_link_says_what_happened_as_data(monkeypatch, tmp_path) -> None:
    """core.links hands back LinkOpened (outcome, the system's words); the app words it."""
    assert core_links.open_link("ftp://example.test/x") == core_links.LinkOpened("not-web")
    monkeypatch.setattr(core_links, "opener", lambda: None)
    assert core_links.open_link("https://example.test/") == core_links.LinkOpened("no-opener")
    missing = tmp_path / "no-such-opener"
    monkeypatch.setattr(core_links, "opener", lambda: str(missing))
    failed = core_links.open_link("https://example.test/")
    assert failed.outcome == "failed" and failed.error == "No such file or directory"
    assert link_opened(failed) == "The link could not be opened: No such file or directory."
    assert link_opened(core_links.LinkOpened("no-opener")) == (
        "There is no program to open links here (xdg-open); copy it instead (c)."
    )


async def test_over_ssh_enter_copies_and_a_mailto_link_composes(mail_server, monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    user = mail_server.new_user()
    deliver_links(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        picker = await _picker(pilot)
        assert picker.remote
        await pilot.press("1", "enter")
        await settle(pilot)
        assert app.clipboard == "https://example.test/short"
        await _picker(pilot)
        await pilot.press("3", "o")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        assert app.screen.query_one("#compose-subject").value == "Hello there"


async def test_a_long_link_is_not_folded_in_the_reader(mail_server):
    user = mail_server.new_user()
    deliver_links(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        app.main.query_one(MessageList).action_open()
        reader = app.main.query_one(ReaderPane)
        await wait_for(pilot, lambda: reader.message_view is not None and reader.query(".links"))
        await settle(pilot)
        links = reader.query_one(".links")
        # the title, one line per link however long, the last line's newline
        assert links.size.height == len(reader.message_view.links) + 2
        assert "…" in "".join(
            seg.text for y in range(links.size.height) for seg in links.render_line(y)
        )


def test_every_piece_of_a_wrapped_link_carries_the_whole_link():
    from tuimail.ui.widgets.reader import linked

    text = linked(f"Long: {LONG}.\n(see https://example.test/a_(b)) and <https://x.test/y>")
    spans = {text.plain[s.start : s.end]: str(s.style) for s in text.spans}
    assert spans[LONG] == f"link {LONG}"
    assert spans["https://example.test/a_(b)"] == "link https://example.test/a_(b)"
    assert spans["https://x.test/y"] == "link https://x.test/y"


def test_a_link_with_control_or_non_ascii_characters_gets_no_hyperlink():
    from tuimail.ui.widgets.reader import linked

    text = linked("https://x.test/a\x1b]8;;evil\x07b and https://bücher.test/")
    links = [str(s.style) for s in text.spans]
    assert links == []  # never a hyperlink to a part of what was written
