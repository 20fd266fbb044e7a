"""The outbox view (P, the palette, a click on the status bar's outbox count): messages
held in the outbox (refused for good, may have been sent) are listed with the server's
words as plain text, and can be fixed and sent again, resent as they are, or removed
after a question; a message being sent right now is never removed. The status bar tells
held messages from waiting ones."""

from __future__ import annotations

from textual.widgets import TextArea

from tests.ui.helpers import (
    make_app,
    ready,
    run_from_palette,
    seed,
    settle,
    started,
    wait_for,
)
from tests.ui.outbox_helpers import MARKUP_REFUSAL, hold_refused, open_outbox, shown
from tuimail.core.outbox import Outbox
from tuimail.ui.screens.dialogs import ConfirmDialog
from tuimail.ui.screens.outbox import OutboxScreen
from tuimail.ui.widgets.status import StatusBar, outbox_words


def _bar(app) -> str:
    return str(app.main.query_one(StatusBar).render())


async def test_a_refused_message_is_listed_with_the_servers_words_literally(mail_server):
    async with started(mail_server, 1, size=(100, 30)) as run:
        pilot, app = run.pilot, run.app
        await hold_refused(pilot, mail_server, "nobdy@example.test")
        await wait_for(pilot, lambda: "Outbox: 1 needs you" in _bar(app))
        screen = await open_outbox(pilot)
        title = str(screen.query_one("#outbox-title").render())
        assert title == "Outbox — 0 waiting, 1 needs you", title
        [row] = shown(screen)
        assert "To nobdy@example.test  Lunch?" in row
        assert "failed" in row
        assert MARKUP_REFUSAL in row  # the server's words, brackets and all
        assert app.is_running  # the [@click=app.quit] in them did nothing
        await pilot.press("q")
        await wait_for(pilot, lambda: app.screen is app.main)


async def test_removing_asks_first_and_no_keeps_the_message(mail_server):
    async with started(mail_server, 1, size=(100, 30)) as run:
        pilot, app = run.pilot, run.app
        await hold_refused(pilot, mail_server, "nobdy@example.test")
        screen = await open_outbox(pilot)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and len(Outbox("test").entries()) == 1
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: not Outbox("test").entries())
        await wait_for(pilot, lambda: "The outbox is empty" in " ".join(shown(screen)))
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Outbox: 0" in _bar(app))


async def test_a_message_being_sent_elsewhere_is_not_removed(mail_server):
    """Another tuimail process holds the message's claim (its lock): D then y removes
    nothing, and says why."""
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    app = make_app(mail_server, user)
    notes: list[str] = []
    shown_note = app.notify
    app.notify = lambda message, **kw: (notes.append(str(message)), shown_note(message, **kw))[1]
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await hold_refused(pilot, mail_server, "nobdy@example.test")
        screen = await open_outbox(pilot)
        box = Outbox("test")
        [entry] = box.entries()
        with box._locked(entry.id) as mine:  # as Outbox.send holds it while sending
            assert mine
            await pilot.press("D")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("y")
            await wait_for(pilot, lambda: any("being sent right now" in n for n in notes))
        assert [e.id for e in Outbox("test").entries()] == [entry.id]
        assert app.screen is screen


async def test_enter_opens_it_to_fix_and_the_corrected_one_replaces_it(mail_server):
    from tuimail.ui.screens.composer import ComposerScreen

    bob = mail_server.new_user()
    async with started(mail_server, 1, size=(100, 30)) as run:
        pilot, app = run.pilot, run.app
        await hold_refused(pilot, mail_server, "nobdy@example.test", subject="Fix me")
        await open_outbox(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        composer = app.screen
        assert composer.query_one("#compose-to").value == "nobdy@example.test"
        assert composer.query_one("#compose-subject").value == "Fix me"
        assert "See you at noon." in composer.query_one("#compose-body", TextArea).text
        composer.query_one("#compose-to").value = bob.email
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(mail_server.messages(bob)), timeout=30)
        assert b"Fix me" in mail_server.messages(bob)[0]
        await wait_for(pilot, lambda: not Outbox("test").entries(), timeout=10)
        await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen))
        await wait_for(pilot, lambda: "The outbox is empty" in " ".join(shown(app.screen)))


async def test_r_sends_it_again_as_it_is(mail_server):
    """The server's refusal was its own mistake (fixed since): r sends the held copy."""
    bob = mail_server.new_user()
    async with started(mail_server, 1, size=(100, 30)) as run:
        pilot, app = run.pilot, run.app
        await hold_refused(pilot, mail_server, bob.email, subject="Again")
        assert not mail_server.messages(bob)
        screen = await open_outbox(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(mail_server.messages(bob)), timeout=30)
        assert b"Again" in mail_server.messages(bob)[0]
        await wait_for(pilot, lambda: "The outbox is empty" in " ".join(shown(screen)))
        assert app.service.outbox_waiting == 0


async def test_the_palette_and_a_click_on_the_outbox_count_open_the_view(mail_server):
    async with started(mail_server, 1, size=(100, 30)) as run:
        pilot, app = run.pilot, run.app
        await hold_refused(pilot, mail_server, "nobdy@example.test")
        await run_from_palette(pilot, "Outbox (pending mail)", opens_screen=True)
        await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main)
        bar = app.main.query_one(StatusBar)
        await wait_for(pilot, lambda: "Outbox: 1 needs you" in str(bar.render()))
        at = str(bar.render()).index("Outbox:")
        await pilot.click(StatusBar, offset=(at + 1 + 2, 0))  # the bar's padding is 1
        await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen))


def test_the_status_bar_tells_held_messages_from_waiting_ones():
    assert outbox_words(2, 0) == "Outbox: 2"
    assert outbox_words(2, 1) == "Outbox: 1 waiting, 1 needs you"
    assert outbox_words(3, 3) == "Outbox: 3 need you"
    assert outbox_words(1, 5) == "Outbox: 1 needs you"  # never more held than there are


async def test_the_bar_says_waiting_and_held_apart_in_80_columns(mail_server):
    """One message refused for good, one waiting after a temporary refusal: the bar says
    "Outbox: 1 waiting, 1 needs you", whole, on its one line at 80 columns."""
    from tuimail.core.service import Draft

    async with started(mail_server, 1, size=(80, 24)) as run:
        pilot, app = run.pilot, run.app
        await hold_refused(pilot, mail_server, "nobdy@example.test")
        mail_server.faults.add(protocol="smtp", kind="reply", command="MAIL", code=451)
        draft = Draft(account="test", to="bob@example.test", subject="Later", body="b")
        app.work(lambda: app.service.send(draft), "send")
        bar = app.main.query_one(StatusBar)
        await wait_for(pilot, lambda: "Outbox: 1 waiting, 1 needs you" in str(bar.render()))
        await settle(pilot)
        assert bar.size.height == 1


async def test_enter_on_a_message_that_goes_by_itself_opens_nothing(mail_server):
    """A message waiting after a temporary refusal is sent again by itself: Enter does
    not open a copy to send (that would deliver it twice), it says what to do instead."""
    from tuimail.core.service import Draft
    from tuimail.ui.screens.composer import ComposerScreen

    async with started(mail_server, 1, size=(100, 30)) as run:
        pilot, app = run.pilot, run.app
        notes = run.notes
        mail_server.faults.add(protocol="smtp", kind="reply", command="MAIL", code=451)
        draft = Draft(account="test", to="bob@example.test", subject="Later", body="b")
        app.work(lambda: app.service.send(draft), "send")
        await wait_for(pilot, lambda: app.service.outbox_waiting == 1, timeout=30)
        await open_outbox(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("sent by itself" in n for n in notes))
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        assert not any(isinstance(s, ComposerScreen) for s in app.screen_stack)


async def test_one_that_may_have_been_sent_says_so_and_r_sends_it_again(mail_server):
    """The connection was lost after the data: listed as "may have been sent" with the
    advice to check first; r (the user named it) sends it again, the outbox is empty."""
    bob = mail_server.new_user()
    async with started(mail_server, 1, size=(100, 30)) as run:
        pilot = run.pilot
        await hold_refused(pilot, mail_server, bob.email, subject="Twice?", maybe_sent=True)
        screen = await open_outbox(pilot)
        [row] = shown(screen)
        assert "may have been sent" in row and "check the recipient" in row
        before = len(mail_server.messages(bob))
        await pilot.press("r")
        await wait_for(pilot, lambda: len(mail_server.messages(bob)) == before + 1, timeout=30)
        await wait_for(pilot, lambda: "The outbox is empty" in " ".join(shown(screen)))


async def test_a_message_of_an_account_no_longer_configured_is_listed_and_removable(
    mail_server,
):
    """Queued by an account renamed or removed since: listed (never hidden), not sent
    with another account's login (Enter and r say why), removable after the question."""
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    raw = b"From: a@example.test\r\nTo: b@example.test\r\nSubject: Old one\r\n\r\nHi.\r\n"
    Outbox("gone").enqueue(raw, "a@example.test", ["b@example.test"])
    app = make_app(mail_server, user)
    notes: list[str] = []
    shown_note = app.notify
    app.notify = lambda message, **kw: (notes.append(str(message)), shown_note(message, **kw))[1]
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        screen = await open_outbox(pilot)
        [row] = shown(screen)
        assert "Old one" in row and "its account 'gone' is no longer configured" in row
        await pilot.press("r")
        await wait_for(pilot, lambda: any("no longer configured" in n for n in notes))
        assert app.screen is screen
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: not Outbox("gone").entries())


async def test_a_servers_words_saying_outbox_do_not_move_the_outbox_click():
    """The outbox count's cells are recorded as the bar is written: an account's error
    in a server's words saying "Outbox: " (written before the count) is not a target."""
    from textual.app import App

    from tuimail.core.errors import Refused
    from tuimail.core.runtime import AccountState

    class Bar(App[None]):
        opened = 0

        def compose(self):
            yield StatusBar()

        def action_open_outbox(self) -> None:
            self.opened += 1

    error = Refused(protocol="imap", server_text="Outbox: 0 here")
    states = {"work": AccountState(state="error", error=error)}
    app = Bar()
    async with app.run_test(size=(200, 5)) as pilot:
        bar = app.query_one(StatusBar)
        bar.update_status(states, 2)
        await pilot.pause()
        said = str(bar.render())
        fake, real = said.index("Outbox: 0 here"), said.index("Outbox: 2")
        assert fake < real, said
        await pilot.click(StatusBar, offset=(fake + 1 + 2, 0))  # the bar's padding is 1
        await pilot.pause()
        assert app.opened == 0
        await pilot.click(StatusBar, offset=(real + 1 + 2, 0))
        await pilot.pause()
        assert app.opened == 1
