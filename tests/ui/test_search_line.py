"""The search is asked on the status bar's line (as mutt asks), not in a box over the
screen (issue 19: closing the box repainted the whole screen). `/` opens it, Enter
searches, Esc or moving the focus away (a click) closes it without searching and without
leaving the folder; Tab stays in it, as in the box; afterwards the status bar and the
list's focus are back."""

from __future__ import annotations

from pathlib import Path

from tests.ui.helpers import asking, settle, wait_for
from tuimail.core.account import Account, ServerSettings
from tuimail.core.facade.views import SEARCH
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import NewMessage, Store
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.prompt_line import PromptLine
from tuimail.ui.widgets.status import StatusBar

SUBJECTS = ["Lunch on Thursday?", "Invoice 2026-031", "Re: Lunch on Thursday?", "Holiday"]


def _app(tmp_path: Path) -> TuimailApp:
    store = Store(tmp_path / "s.db")
    inbox = store.upsert_folder("work", "INBOX", delimiter="/", role="inbox")
    store.add_messages(
        inbox,
        [
            NewMessage(
                i + 1,
                (),
                (
                    f"From: A{i} <a{i}@x.test>\r\nSubject: {subject}\r\n"
                    f"Message-ID: <m{i}@x.test>\r\nDate: Mon, 1 Jan 2024 10:0{i}:00 +0000\r\n\r\n"
                ).encode(),
            )
            for i, subject in enumerate(SUBJECTS)
        ],
    )
    account = Account(  # never contacted: the app starts without syncing
        name="work",
        email="me@example.test",
        incoming=ServerSettings("127.0.0.1", 9, "tls"),
        outgoing=ServerSettings("127.0.0.1", 9, "tls"),
    )
    service = MailService(
        {"work": account}, password_for=lambda a: Secret("x"), idle=False, store=store
    )
    return TuimailApp(service, start_sync=False)


def _line(app: TuimailApp, y: int) -> str:
    strips = app.screen._compositor.render_strips()
    return "".join(segment.text for segment in strips[y])


async def _opened(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.main is not None and app.main.query_one(MessageList).count)
    await settle(pilot)
    await pilot.press("slash")
    await wait_for(pilot, lambda: asking(app) is not None and asking(app).has_focus)
    await pilot.pause()


async def test_slash_asks_on_the_status_line_and_enter_shows_the_results(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await _opened(pilot)
        main = app.main
        assert app.screen is main  # no box over the screen
        assert not main.query_one(StatusBar).display
        assert _line(app, -2).startswith(" Search (words; from: to: subject: body: limit one):")
        await pilot.press(*"lunch", "enter")
        await wait_for(pilot, lambda: app.folder == SEARCH and app.search_title != "")
        await settle(pilot)
        lst = main.query_one(MessageList)
        assert lst.count == 2 and all("Lunch" in lst.row_at(i).subject for i in range(2))
        assert lst.has_focus and main.query_one(StatusBar).display
        assert not main.query_one(PromptLine).is_open
        assert app.sub_title.startswith("Search: lunch")


async def test_escape_closes_the_line_without_searching_or_leaving_the_folder(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await _opened(pilot)
        await pilot.press(*"lunch", "escape")
        await settle(pilot)
        main = app.main
        assert app.is_running and app.folder == "INBOX" and app.search_title == ""
        assert main.query_one(MessageList).has_focus and main.query_one(StatusBar).display
        assert asking(app) is None
        await pilot.press("slash")  # opens again, empty
        await wait_for(pilot, lambda: asking(app) is not None and asking(app).has_focus)
        assert asking(app).value == ""


async def test_moving_the_focus_away_closes_the_line_without_searching(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await _opened(pilot)
        await pilot.press(*"lunch")
        await pilot.click(MessageList)
        await wait_for(pilot, lambda: asking(app) is None)
        await settle(pilot)
        assert app.folder == "INBOX" and app.main.query_one(StatusBar).display
        assert app.main.query_one(MessageList).has_focus


async def test_tab_while_typing_a_search_stays_in_it(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await _opened(pilot)
        await pilot.press(*"lun", "tab", *"ch")
        await pilot.pause()
        assert asking(app) is not None and asking(app).value == "lunch"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.folder == SEARCH and app.search_title != "")


async def test_the_terminal_losing_the_focus_keeps_the_query(tmp_path):
    app = _app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await _opened(pilot)
        await pilot.press(*"lun")
        app.app_focus = False  # another window took the focus
        await pilot.pause()
        await pilot.pause()
        assert asking(app) is not None and asking(app).value == "lun"
        app.app_focus = True
        await wait_for(pilot, lambda: asking(app) is not None and asking(app).has_focus)
        await pilot.press(*"ch", "enter")
        await wait_for(pilot, lambda: app.folder == SEARCH and app.search_title != "")


async def test_a_search_the_store_cannot_run_is_said_in_one_sentence(tmp_path):
    """The local index is unusable (its FTS table is gone): the search fails with a
    sentence made at the edge from the failure's type and the store's own words."""
    app = _app(tmp_path)
    app.service.store.conn.execute("DROP TABLE messages_fts")
    async with app.run_test(size=(120, 30)) as pilot:
        await _opened(pilot)
        await pilot.press(*"lunch", "enter")
        await wait_for(pilot, lambda: app.last_error != "")
        assert app.last_error == (
            "That search did not work: the local message store could not run it; "
            "no such table: messages_fts."
        )
        assert app.folder != SEARCH


async def test_leaving_the_results_goes_back_to_the_message_the_cursor_was_on(tmp_path):
    """Esc in the results: the folder again with the cursor where it was before the
    search (as after mutt's limit), not on its first message."""
    app = _app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await _opened(pilot)
        await pilot.press("escape", "j", "j")
        lst = app.main.query_one(MessageList)
        before = lst.current
        assert lst.cursor == 2 and before is not None
        await pilot.press("slash", *"holiday", "enter")
        await wait_for(pilot, lambda: app.folder == SEARCH and app.search_title != "")
        await settle(pilot)
        assert lst.count == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.folder == "INBOX")
        await settle(pilot)
        assert lst.cursor == 2 and lst.current.id == before.id


async def test_up_and_down_recall_earlier_searches(tmp_path):
    """As in mutt's and aerc's prompts: Up shows the searches made before (latest
    first), Down goes back towards the text being typed."""
    app = _app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await _opened(pilot)
        await pilot.press(*"lunch", "enter")
        await wait_for(pilot, lambda: app.folder == SEARCH)
        await pilot.press("slash")
        await wait_for(pilot, lambda: asking(app) is not None and asking(app).has_focus)
        await pilot.press(*"invoice", "enter")
        await wait_for(pilot, lambda: app.search_query == "invoice")
        await pilot.press("slash")
        await wait_for(pilot, lambda: asking(app) is not None and asking(app).has_focus)
        await pilot.press(*"hol", "up")
        assert asking(app).value == "invoice"
        await pilot.press("up")
        assert asking(app).value == "lunch"
        await pilot.press("up")  # the oldest stays
        assert asking(app).value == "lunch"
        await pilot.press("down", "down")
        assert asking(app).value == "hol"  # what was being typed
        await pilot.press("up", "enter")
        await wait_for(pilot, lambda: app.search_query == "invoice")
        lst = app.main.query_one(MessageList)
        assert lst.count == 1 and lst.row_at(0).subject == "Invoice 2026-031"
