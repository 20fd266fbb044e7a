"""x: the attachment list. Enter views a text part in the reader, shows a mailcap
`copiousoutput` command's output there (a pager), hands the terminal to a `needsterminal`
program (headless: says so); s saves; the HTML version of a plain+HTML message is shown
as text on request."""

from __future__ import annotations

from tests.ui.attachment_helpers import deliver_parts
from tests.ui.helpers import running, settle, wait_for
from tuimail.ui.screens.attachments import AttachmentList
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane


def _reader_text(app) -> str:
    reader = app.main.query_one(ReaderPane)
    return reader.raw or ""


async def _list(pilot) -> AttachmentList:
    await pilot.press("x")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, AttachmentList))
    return pilot.app.screen


async def test_enter_views_a_text_attachment_in_the_reader(mail_server):
    async with running(mail_server) as (pilot, _notes):
        app = pilot.app
        lst = app.main.query_one(MessageList)
        lst.move_cursor(next(i for i in range(lst.count) if lst.row_at(i).has_attachments))
        screen = await _list(pilot)
        assert [a.filename for a in screen.attachments] == ["report.txt"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Q1 figures" in _reader_text(app))
        assert "report.txt" in _reader_text(app)


async def test_q_on_a_viewed_attachment_goes_back_to_where_it_was_opened(mail_server):
    """Opened while reading: q shows the message again (as mutt's pager does), a second q
    the list. Opened from the list: q goes back to the list."""
    async with running(mail_server, size=(80, 24)) as (pilot, _notes):
        app = pilot.app
        main, reader = app.main, app.main.query_one(ReaderPane)
        lst = main.query_one(MessageList)
        lst.move_cursor(next(i for i in range(lst.count) if lst.row_at(i).has_attachments))
        await pilot.press("enter")
        await wait_for(pilot, lambda: main.reading and reader.message_view is not None)
        await _list(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Q1 figures" in _reader_text(app))
        await pilot.press("q")
        await wait_for(pilot, lambda: reader.raw is None)
        assert main.reading and reader.has_focus and reader.message_view is not None
        await pilot.press("q")
        await wait_for(pilot, lambda: not main.reading and lst.has_focus)
        await _list(pilot)  # from the list
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Q1 figures" in _reader_text(app))
        await pilot.press("q")
        await wait_for(pilot, lambda: not main.reading and lst.has_focus)
        assert app.is_running


async def test_mailcap_pager_terminal_and_the_html_version(mail_server, tmp_path, monkeypatch):
    mailcap = tmp_path / "mailcap"
    mailcap.write_text(
        "application/x-tuimail-test; tr a-z A-Z < %s; copiousoutput\n"
        "application/x-tuimail-term; cat %s; needsterminal\n"
    )
    monkeypatch.setenv("MAILCAPS", str(mailcap))
    async with running(mail_server, deliver_parts) as (pilot, notes):
        app = pilot.app
        screen = await _list(pilot)
        assert len(screen.attachments) == 2 and screen.has_html
        await pilot.press("1", "enter")  # copiousoutput: its output, in the reader
        await wait_for(pilot, lambda: "SHOUT THIS" in _reader_text(app))
        await pilot.press("q")
        await settle(pilot)
        await _list(pilot)
        await pilot.press("2", "enter")  # needsterminal: no terminal to hand over here
        await wait_for(pilot, lambda: any("needs a terminal" in n for n in notes))
        await _list(pilot)
        await pilot.press("down", "down", "enter")  # the HTML version, as text
        await wait_for(pilot, lambda: "The HTML version" in _reader_text(app))
        assert "https://example.test/x" in _reader_text(app) and "<b>" not in _reader_text(app)


async def test_s_saves_the_attachment(mail_server, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    async with running(mail_server, deliver_parts) as (pilot, _notes):
        await _list(pilot)
        await pilot.press("2", "s")
        await wait_for(pilot, lambda: (tmp_path / "Downloads" / "t.bin").exists())
        assert (tmp_path / "Downloads" / "t.bin").read_bytes() == b"interactive\n"


async def test_j_k_move_and_s_saves_each_one_with_the_list_kept_open(
    mail_server, tmp_path, monkeypatch
):
    """As in mutt's attachment menu: j / k move, s saves the highlighted attachment and
    the list stays, so a second s saves another one (before, the list closed after a
    save, j did nothing so s saved the first one, and the next s flagged the message)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    downloads = tmp_path / "Downloads"
    async with running(mail_server, deliver_parts) as (pilot, _notes):
        screen = await _list(pilot)
        await pilot.press("j", "s")
        await wait_for(pilot, lambda: (downloads / "t.bin").exists())
        assert pilot.app.screen is screen
        await pilot.press("k", "s")
        await wait_for(pilot, lambda: len(list(downloads.iterdir())) == 2)
        assert pilot.app.screen is screen
        await pilot.press("escape")
        await wait_for(pilot, lambda: pilot.app.screen is pilot.app.main)
        await settle(pilot)
        row = pilot.app.main.query_one(MessageList).current
        assert row is not None and not row.flagged


def _report(server, user) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Carol <carol@example.test>"
    msg["To"] = user.email
    msg["Subject"] = "The report"
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    msg.set_content("Attached.\n")
    msg.add_attachment(
        b"%PDF-1.4\n" + b"0" * 2000,
        maintype="application",
        subtype="pdf",
        filename="Quarterly report 2026 (final).pdf",
    )
    server.deliver(user, msg.as_bytes())


async def test_at_80_columns_each_attachment_is_listed_on_one_line(mail_server):
    """Regression: the list was at most 80 % of 70 columns wide: at 80 columns an
    attachment's name, type and size ("Quarterly report 2026 (final).pdf  application/pdf
    2 KB") wrapped onto two lines. It takes the room the links list takes."""
    async with running(mail_server, _report, size=(80, 24)) as (pilot, _notes):
        await _list(pilot)
        options = pilot.app.screen.query_one("#attachments-list")
        first = "".join(segment.text for segment in options.render_line(0)).strip(" ▊▎")
        assert first.rstrip() == "1  Quarterly report 2026 (final).pdf  application/pdf  2 KB"
