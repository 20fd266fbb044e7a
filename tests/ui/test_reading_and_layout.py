"""Issue 16's surprises: the subject's room, Enter and q, preview without marking read,
the status bar after one-folder refreshes, quote folding, pager keys, list columns."""

from __future__ import annotations

from email.message import EmailMessage
from functools import partial

from tests.ui.helpers import (
    NOW,
    account_for,
    asking,
    make_app,
    ready,
    running,
    seed,
    settle,
    type_burst,
    wait_for,
)
from tuimail.core.facade.views import SEARCH
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService, ReaderBlock, render
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.dialogs import ConfirmDialog
from tuimail.ui.settings import UiSettings, ui_settings
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList, column_plan
from tuimail.ui.widgets.reader import ReaderPane, fold_quotes
from tuimail.ui.widgets.status import StatusBar

SUBJECTS = [
    "Invoice 2026-031",
    "Holiday photos",
    "[tuimail] Weekly digest",
    "Re: Lunch on Thursday?",
    "Quarterly report draft",
    "Lunch on Thursday?",
]


def _app(server, user, **ui) -> TuimailApp:
    app = make_app(server, user)
    app.ui = UiSettings(**ui)
    return app


def _seen(server, user, subject: str, folder: str = "INBOX") -> bool:
    for message in server.store.messages(user.login, folder):
        if f"Subject: {subject}\n".encode() in message.raw.replace(b"\r\n", b"\n"):
            return "\\Seen" in message.flags
    raise AssertionError(f"no message {subject!r}")


def _row_text(lst: MessageList, index: int) -> str:
    return "".join(segment.text for segment in lst.render_line(index - lst.scroll_offset.y))


def _status(app) -> str:
    return str(app.main.query_one(StatusBar).visual)


async def _search(pilot, text: str) -> None:
    await pilot.press("slash")
    await wait_for(pilot, lambda: asking(pilot.app) is not None)
    asking(pilot.app).value = text
    await pilot.press("enter")
    await wait_for(pilot, lambda: pilot.app.folder == SEARCH)
    await settle(pilot)


# -- the subject's room ---------------------------------------------------------------


def test_the_subject_gets_at_least_40_percent_of_the_list_at_every_width():
    for context in ("folder", "sent", "search", "unified"):
        for width in range(60, 240):
            plan = dict(column_plan(("date", "from", "subject", "size"), context, width))
            gaps = len(plan) - 1
            assert sum(plan.values()) + gaps == width
            assert plan["subject"] >= 0.4 * width, (context, width, plan)
    assert "folder" in dict(column_plan(("date", "from", "subject"), "search", 100))
    assert "account" in dict(column_plan(("date", "from", "subject"), "unified", 100))


async def test_full_subjects_at_100_and_120_columns_and_the_preview_yields(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    for width, preview in ((100, False), (120, False), (160, True)):
        app = make_app(mail_server, user)
        async with app.run_test(size=(width, 30)) as pilot:
            await ready(pilot)
            lst = app.main.query_one(MessageList)
            await wait_for(pilot, lambda lst=lst: lst.count == 6)
            rows = [_row_text(lst, i) for i in range(6)]
            for subject in SUBJECTS:
                assert any(subject in row for row in rows), (width, subject, rows)
            subject_cells = dict(column_plan(lst.columns, lst.context, lst.size.width))
            assert subject_cells["subject"] >= 0.4 * lst.size.width
            assert app.main.query_one(ReaderPane).display is preview


async def test_columns_come_from_the_config(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 2)
    app = _app(mail_server, user, columns=("subject", "from"))
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot)
        lst = app.main.query_one(MessageList)
        await wait_for(pilot, lambda: lst.count == 2)
        row = _row_text(lst, 0)
        assert row[3:].lstrip().startswith("Quarterly report draft")
        assert "Carol Example" in row and "27 Feb" not in row and "B" != row.rstrip()[-1]


def test_ui_settings_are_checked_with_a_sentence():
    settings, problems = ui_settings({"columns": ["date", "subject"], "mark_read_delay": 0})
    assert settings.columns == ("date", "subject") and settings.mark_read_delay == 0
    assert problems == []
    settings, problems = ui_settings({"columns": ["date", "colour"], "mark_read_delay": "soon"})
    assert settings == UiSettings()
    assert len(problems) == 2 and "colour" in problems[0] and "mark_read_delay" in problems[1]
    assert ui_settings({"columns": ["date", "from"]})[1]  # no subject: refused


# -- previewing does not mark read ----------------------------------------------------


async def test_launching_and_searching_do_not_mark_the_first_message_read(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = _app(mail_server, user, mark_read_delay=0)  # even "at once" needs a user's move
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        reader = app.main.query_one(ReaderPane)
        await wait_for(pilot, lambda: reader.message_view is not None)  # the preview is shown
        await settle(pilot)
        assert not _seen(mail_server, user, SUBJECTS[0])
        await _search(pilot, "lunch")
        await wait_for(pilot, lambda: reader.message_view is not None)
        await settle(pilot)
        assert not _seen(mail_server, user, "Re: Lunch on Thursday?")
        assert not _seen(mail_server, user, "Lunch on Thursday?")


async def test_a_preview_is_marked_read_after_the_delay_and_never_with_minus_one(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = _app(mail_server, user, mark_read_delay=0.3)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        await pilot.press("j")
        await wait_for(pilot, lambda: _seen(mail_server, user, SUBJECTS[1]))
        assert not _seen(mail_server, user, SUBJECTS[0])
    user2 = mail_server.new_user()
    seed(mail_server, user2)
    app = _app(mail_server, user2, mark_read_delay=-1)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        await pilot.press("j")
        reader = app.main.query_one(ReaderPane)
        await wait_for(
            pilot,
            lambda: reader.message_view is not None and reader.message_view.subject == SUBJECTS[1],
        )
        await pilot.pause(0.5)
        await settle(pilot)
        assert not _seen(mail_server, user2, SUBJECTS[1])
        await pilot.press("enter")  # opening marks read whatever the delay
        await wait_for(pilot, lambda: _seen(mail_server, user2, SUBJECTS[1]))


# -- Enter and q ------------------------------------------------------------------------


async def test_enter_opens_and_q_goes_back_one_level_then_quits(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot)
        main = app.main
        lst, reader = main.query_one(MessageList), main.query_one(ReaderPane)
        await pilot.press("enter")  # wide: the preview gets the focus (its border lights up)
        await wait_for(pilot, lambda: reader.has_focus and main.reading)
        await wait_for(pilot, lambda: _seen(mail_server, user, SUBJECTS[0]))
        await pilot.press("q")
        assert app.is_running and lst.has_focus and not main.reading
        await _search(pilot, "lunch")
        await pilot.press("escape")  # search results -> the folder, not out of the app
        await settle(pilot)
        assert app.is_running and app.folder == "INBOX" and app.sub_title == "test — INBOX"
        await pilot.press("escape")  # at the top a stray Esc (a vi habit) does not quit
        await settle(pilot)
        assert app.is_running and lst.has_focus
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_q_j_enter_typed_in_one_burst_from_the_reader_opens_the_next_message(mail_server):
    """As a mutt user types it: back to the list, down one, open; the keys after q go to
    the list (not to the reader being left)."""
    async with running(mail_server, size=(80, 24)) as (pilot, _notes):
        app = pilot.app
        main = app.main
        lst, reader = main.query_one(MessageList), main.query_one(ReaderPane)
        await pilot.press("enter")
        await wait_for(pilot, lambda: reader.has_focus and reader.message_view is not None)
        type_burst(app, [("q", "q"), ("j", "j"), ("enter", "\r")])
        await wait_for(
            pilot,
            lambda: (
                main.reading
                and reader.message_view is not None
                and reader.message_view.subject == SUBJECTS[1]
            ),
        )
        assert lst.cursor == 1 and reader.has_focus


async def test_v_twice_from_the_list_shows_that_message_not_the_one_read_before(mail_server):
    """At 80 columns V on a row the reader never showed, then V again: that message's own
    view (it showed the message read earlier)."""
    async with running(mail_server, size=(80, 24)) as (pilot, _notes):
        app = pilot.app
        main = app.main
        reader = main.query_one(ReaderPane)
        await pilot.press("enter")  # the first message, read
        await wait_for(pilot, lambda: reader.message_view is not None)
        assert reader.message_view.subject == SUBJECTS[0]
        await pilot.press("q", "j", "j", "V")
        await wait_for(pilot, lambda: reader.raw is not None and SUBJECTS[2] in reader.raw)
        await pilot.press("V")
        await wait_for(
            pilot,
            lambda: (
                reader.raw is None
                and reader.message_view is not None
                and reader.message_view.subject == SUBJECTS[2]
            ),
        )


async def test_n_on_the_last_message_says_so_instead_of_reading_it_again(mail_server):
    async with running(mail_server, partial(seed, count=3), size=(80, 24)) as (pilot, notes):
        app = pilot.app
        reader = app.main.query_one(ReaderPane)
        await pilot.press("G", "enter")
        await wait_for(pilot, lambda: reader.message_view is not None)
        await pilot.press("n")
        await wait_for(pilot, lambda: "This is the last message." in notes)
        await pilot.press("q", "g", "enter", "p")
        await wait_for(pilot, lambda: "This is the first message." in notes)


async def test_enter_at_100_columns_shows_the_reader_in_place_of_the_list(mail_server):
    async with running(mail_server, size=(100, 30)) as (pilot, _notes):
        app = pilot.app
        main = app.main
        lst, reader = main.query_one(MessageList), main.query_one(ReaderPane)
        assert not reader.display
        await pilot.press("enter")
        await wait_for(pilot, lambda: reader.message_view is not None)
        assert reader.display and not lst.display and reader.has_focus
        await pilot.press("q")
        assert lst.display and lst.has_focus and not reader.display and app.is_running
        # reading, then a folder chosen in the tree: that folder's list is shown
        await pilot.press("enter")
        await wait_for(pilot, lambda: reader.display and reader.has_focus)
        tree = main.query_one(FolderTree)
        await pilot.press("tab")
        await wait_for(pilot, lambda: tree.has_focus)
        tree.move_cursor(tree._folder_nodes[("test", "Sent")])
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.folder == "Sent")
        await settle(pilot)
        assert lst.display and lst.has_focus and not reader.display


async def test_widening_to_the_preview_shows_the_message_under_the_cursor(mail_server):
    """A terminal made wide enough for the preview (100 -> 160 columns) shows the message
    the cursor is on, not "No message selected." (or the message read before) beside a
    highlighted row."""
    async with running(mail_server, size=(100, 30)) as (pilot, _notes):
        app = pilot.app
        lst, reader = app.main.query_one(MessageList), app.main.query_one(ReaderPane)
        await pilot.press("enter")  # one message read in the list's place, then left
        await wait_for(pilot, lambda: reader.message_view is not None)
        await pilot.press("q", "j")
        row = lst.current
        assert row is not None and not reader.display
        assert reader.message_view.subject != row.subject
        await pilot.resize_terminal(160, 30)
        await wait_for(pilot, lambda: reader.message_view.subject == row.subject)
        assert reader.display
        assert lst.has_focus and not app.main.reading


async def test_quitting_with_a_refused_message_does_not_promise_to_send_it(mail_server):
    """A message refused for good (5xx) stays in the outbox but is never sent by itself:
    the quit question says it waits for the user, not "sent the next time tuimail runs"."""
    from tuimail.core.service import Draft

    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        mail_server.faults.add(protocol="smtp", kind="reply", command="RCPT", code=550)
        draft = Draft(account="test", to="nobody@example.test", subject="s", body="b")
        app.work(lambda: app.service.send(draft), "send")
        await wait_for(pilot, lambda: app.pending_on_quit() != "", timeout=30)
        await settle(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        question = str(app.screen.question)
        assert "1 message in the outbox was not sent and waits for you" in question
        assert "sent the next time" not in question


async def test_quitting_with_mail_in_the_outbox_asks_first(mail_server):
    from tuimail.core.service import Draft

    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        # the server refuses for now: the message waits in the outbox (for the whole test,
        # so a retry in the background cannot empty the outbox meanwhile)
        mail_server.faults.add(protocol="smtp", kind="reply", command="MAIL", code=451)
        draft = Draft(account="test", to="bob@example.test", subject="s", body="b")
        app.work(lambda: app.service.send(draft), "send")
        await wait_for(pilot, lambda: app.pending_on_quit() != "", timeout=30)
        await settle(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "1 message waits in the outbox" in str(app.screen.question)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await pilot.pause()
        assert not app.is_running


# -- the status bar -------------------------------------------------------------------


async def test_the_status_bar_does_not_stick_on_syncing_after_archive_and_errors_clear(
    mail_server,
):
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Archive")) == 1)
        await settle(pilot)
        await wait_for(pilot, lambda: "up to date" in _status(app))
        assert "syncing" not in _status(app)
        app.show_error("The server refused the message.")
        assert "refused" in _status(app)
        await pilot.press("s")  # a later action works: the old error is gone
        await settle(pilot)
        await wait_for(pilot, lambda: "refused" not in _status(app))


# -- the reader -----------------------------------------------------------------------


def test_nested_quotes_fold_into_one_placeholder_per_quoted_block():
    raw = (
        b"From: a@example.test\r\nSubject: x\r\n\r\nHi\r\n> one\r\n>> two\r\n>> two b\r\n"
        b"> one again\r\n>>> three\r\n\r\n> still quoted\r\nme\r\n> again\r\n"
    )
    blocks = render(raw).blocks
    folded = fold_quotes(blocks, show=False)
    placeholders = [text for kind, text in folded if kind == "quote"]
    assert len(placeholders) == 2
    assert placeholders[0].startswith("[… 6 quoted lines, nested 3 deep hidden")
    assert placeholders[1].startswith("[… 1 quoted line hidden")
    shown = fold_quotes(blocks, show=True)
    assert [t for k, t in shown if k == "quote"][1] == ">> two\n>> two b"
    assert fold_quotes([ReaderBlock("text", "x")], show=False) == [("text", "x")]


async def test_the_reader_scrolls_like_a_pager_and_v_toggles_the_source(mail_server):
    user = mail_server.new_user()
    msg = EmailMessage()
    msg["From"] = "Long <long@example.test>"
    msg["To"] = user.email
    msg["Subject"] = "A long one"
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    msg.set_content("".join(f"line {i}\n" for i in range(200)))
    mail_server.deliver(user, msg.as_bytes())
    app = make_app(mail_server, user)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("enter")
        reader = app.main.query_one(ReaderPane)
        await wait_for(pilot, lambda: reader.message_view is not None)
        await settle(pilot)
        await pilot.press("space")
        await wait_for(pilot, lambda: reader.scroll_y > 10)
        page = reader.scroll_y
        await pilot.press("b")
        await wait_for(pilot, lambda: reader.scroll_y == 0)
        await pilot.press("j", "j")
        await wait_for(pilot, lambda: reader.scroll_y == 2)
        await pilot.press("k")
        await wait_for(pilot, lambda: reader.scroll_y == 1)
        assert page > 10
        await pilot.press("G")  # as in less: the end, then the start
        await wait_for(pilot, lambda: reader.scroll_y == reader.max_scroll_y > page)
        await pilot.press("g")
        await wait_for(pilot, lambda: reader.scroll_y == 0)
        await pilot.press("V")
        await wait_for(pilot, lambda: reader.raw is not None)
        assert "Subject: A long one" in reader.raw
        await pilot.press("V")
        await wait_for(pilot, lambda: reader.raw is None and reader.message_view is not None)


async def test_the_unfocused_list_cursor_is_dimmed(mail_server):
    async with running(mail_server, partial(seed, count=2), size=(160, 30)) as (pilot, _notes):
        app = pilot.app
        lst = app.main.query_one(MessageList)
        focused = list(lst.render_line(0))[0].style
        await pilot.press("enter")
        await wait_for(pilot, lambda: not lst.has_focus)
        dimmed = list(lst.render_line(0))[0].style
        assert focused.bgcolor != dimmed.bgcolor
        r, g, b = dimmed.bgcolor.triplet
        assert max(r, g, b) - min(r, g, b) < 40  # a grey, not the accent at half strength


# -- what the lists show --------------------------------------------------------------


async def test_search_shows_the_folder_and_sent_shows_the_recipient(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user)
    sent = EmailMessage()
    sent["From"] = f"Test User <{user.email}>"
    sent["To"] = "Zoe Recipient <zoe@example.test>"
    sent["Subject"] = "Plans"
    sent["Date"] = "Mon, 02 Mar 2026 08:00:00 +0000"
    sent.set_content("see you\n")
    mail_server.deliver(user, sent.as_bytes(), folder="Sent")
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        app.open_folder("test", "Sent")
        await settle(pilot)
        lst = app.main.query_one(MessageList)
        await wait_for(pilot, lambda: lst.count == 1)
        row = _row_text(lst, 0)
        assert "To: Zoe Recipient" in row and "Test User" not in row
        await _search(pilot, "lunch")
        await wait_for(pilot, lambda: lst.count == 2)
        assert all("INBOX" in _row_text(lst, i) for i in range(2))


async def test_the_unified_inbox_shows_the_account(mail_server):
    one, two = mail_server.new_user(), mail_server.new_user()
    seed(mail_server, one, 1)
    seed(mail_server, two, 1)
    accounts = {
        "work": account_for(mail_server, one, name="work"),
        "home": account_for(mail_server, two, name="home"),
    }
    passwords = {"work": Secret(one.password), "home": Secret(two.password)}
    service = MailService(accounts, password_for=lambda a: passwords[a.name], idle=False)
    app = TuimailApp(service, now=NOW)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        from tuimail.core.service import UNIFIED

        app.open_folder(UNIFIED, "INBOX")
        await settle(pilot)
        lst = app.main.query_one(MessageList)
        await wait_for(pilot, lambda: lst.count == 2)
        rows = [_row_text(lst, i) for i in range(2)]
        assert any("work" in r for r in rows) and any("home" in r for r in rows)


async def test_a_bad_ui_setting_is_said_when_the_app_starts(mail_server):
    user = mail_server.new_user()
    _settings, problems = ui_settings({"columns": ["date", "[b]colour"]})
    app = make_app(mail_server, user)
    app.start_notes = [f"/home/x/config.toml: {p}" for p in problems]
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot)
        notes = [n for n in app._notifications if "config.toml" in n.message]
        assert len(notes) == 1 and notes[0].markup is False
        assert "[b]colour" in notes[0].message and notes[0].severity == "warning"


async def test_an_error_leaves_the_status_bar_after_a_while(mail_server, monkeypatch):
    import tuimail.ui.app as app_module

    monkeypatch.setattr(app_module, "ERROR_SECONDS", 0.3)
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(100, 24)) as pilot:
        await ready(pilot)
        app.show_error("The server refused the message.")
        assert "refused" in _status(app)
        await wait_for(pilot, lambda: "refused" not in _status(app) and not app.last_error)


def test_the_reader_words_what_core_did_to_show_a_message() -> None:
    """The facade hands the notes as data (mime.notes.Note); the reader pane words them."""
    from tuimail.core.facade.reading import render
    from tuimail.ui.widgets.reader import fold_quotes

    view = render(b"From: a@example.test\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n")
    notes = [b for b in view.blocks if b.kind == "mime-note"]
    assert [(b.note.kind, b.text) for b in notes] == [("html-converted", "")]
    shown = ("note", "HTML converted to text; remote content not loaded.")
    assert shown in fold_quotes(view.blocks, show=True)
