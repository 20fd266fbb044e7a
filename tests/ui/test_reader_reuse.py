"""The reader reuses its widgets from message to message: each message replaces all of
the pane's content, so nothing of the message shown before remains (no quote, link,
attachment, header or block of it), and untrusted text stays plain text."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from tuimail.core.service import ReaderAttachment, ReaderBlock, ReaderView
from tuimail.ui.widgets.reader import ReaderPane

FIRST = ReaderView(
    headers=[("From", "Old Sender <old@example.test>"), ("Subject", "First [b]letter[/b]")],
    blocks=[
        ReaderBlock("text", "FIRSTBODY one\nFIRSTBODY two"),
        ReaderBlock("quote", "> FIRSTQUOTE " + "\n> FIRSTQUOTE ".join(str(i) for i in range(80))),
        ReaderBlock("text", "FIRSTBODY after the quote"),
        ReaderBlock("signature", "-- \nFIRSTSIG"),
    ],
    links=["https://first.example.test/FIRSTLINK"],
    attachments=[ReaderAttachment(1, "FIRSTATTACH.pdf", "application/pdf", 1234)],
    subject="First [b]letter[/b]",
)
SECOND = ReaderView(
    headers=[("From", "New <new@example.test>"), ("Subject", "Second")],
    blocks=[ReaderBlock("text", "SECONDBODY only")],
    links=[],
    attachments=[],
    subject="Second",
)


class _Host(App):
    def compose(self) -> ComposeResult:
        yield ReaderPane(id="reader")


def _shown(reader: ReaderPane) -> list[tuple[str, str]]:
    """(classes, text) of every widget of the pane that is displayed."""
    return [(" ".join(sorted(w.classes)), str(w.visual)) for w in reader.query(Static) if w.display]


def _everything(reader: ReaderPane) -> str:
    """The text of every widget of the pane, shown or hidden."""
    return "\n".join(str(w.visual) for w in reader.query(Static))


async def test_a_message_replaces_everything_of_the_one_before():
    app = _Host()
    async with app.run_test(size=(100, 40)) as pilot:
        reader = app.query_one(ReaderPane)
        reader.show_message(FIRST)
        await pilot.pause()
        first = _everything(reader)
        for piece in ("FIRSTBODY", "FIRSTATTACH.pdf", "FIRSTLINK", "FIRSTSIG", "quoted lines"):
            assert piece in first
        assert "First [b]letter[/b]" in first  # plain text, not markup
        reader.toggle_quotes()  # the long quote shown: more widgets than the next message
        await pilot.pause()
        assert "FIRSTQUOTE 79" in _everything(reader)

        reader.show_message(SECOND)
        await pilot.pause()
        everything = _everything(reader)
        for piece in ("FIRST", "Old Sender", "letter", "Links", "Attachments", "quoted"):
            assert piece not in everything
        shown = _shown(reader)
        assert [classes for classes, _ in shown] == ["headers", "text"]
        assert shown[1][1] == "SECONDBODY only"
        assert "Subject: Second" in shown[0][1]


async def test_source_note_and_no_message_each_show_only_themselves():
    app = _Host()
    async with app.run_test(size=(100, 40)) as pilot:
        reader = app.query_one(ReaderPane)
        assert [text for _, text in _shown(reader)] == ["No message selected."]
        reader.show_message(FIRST)
        reader.show_raw("RAW [i]source[/i]")
        await pilot.pause()
        assert _shown(reader) == [("raw", "RAW [i]source[/i]")]
        assert "FIRST" not in _everything(reader)
        reader.show_raw(None)  # back to the message
        await pilot.pause()
        assert any("FIRSTBODY" in text for _, text in _shown(reader))
        reader.show_note("NOTE [u]x[/u]")
        await pilot.pause()
        assert _shown(reader) == [("note", "NOTE [u]x[/u]")]
        assert "FIRST" not in _everything(reader)
        reader.show_message(None)
        await pilot.pause()
        assert [text for _, text in _shown(reader)] == ["No message selected."]
