"""At 80x24 (an SSH terminal) a dialog's question or title longer than the dialog is
wrapped, never cut off: the end of "... Quit anyway?" or "Esc closes" stays readable."""

from __future__ import annotations

from textual.widgets import Button, Label, TextArea

from tests.ui.attachment_helpers import deliver_parts
from tests.ui.helpers import open_composer, running, wait_for
from tuimail.ui.screens.attachments import AttachmentList
from tuimail.ui.screens.dialogs import ChoiceDialog


def _fits(screen, words: str) -> bool:
    """The dialog's label holding `words` is no wider than the dialog's inside (so
    nothing of it is cut off), and its text is whole."""
    label = next(w for w in screen.query(Label) if words in str(w.render()))
    box = screen.query_one(".dialog")
    return label.size.width <= box.content_size.width and label.region.right <= (
        box.content_region.right
    )


async def test_dialog_texts_wrap_at_80_columns(mail_server):
    async with running(mail_server, deliver_parts, size=(80, 24)) as (pilot, _notes):
        app = pilot.app
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, AttachmentList))
        await pilot.pause()
        assert _fits(app.screen, "Esc closes")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, AttachmentList))

        screen = await open_composer(pilot)
        screen.query_one("#compose-body", TextArea).text = "Unsaved.\n"
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.pause()
        assert _fits(app.screen, "Keep it before quitting?")
        # every answer whole inside the dialog, the last one too (it was cut off)
        box = app.screen.query_one(".dialog").content_region
        for button in app.screen.query(Button):
            assert box.contains_region(button.region), (str(button.label), button.region, box)
        await pilot.press("k")
