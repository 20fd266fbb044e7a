"""Where typing starts in a reply or forward: on a line of its own below the quote (never
glued to the attribution line), above a forwarded message."""

from __future__ import annotations

from textual.widgets import TextArea

from tests.ui.helpers import make_app, open_composer, ready, seed, settle, wait_for
from tuimail.ui.screens.composer import ComposerScreen, writing_position


def test_below_the_quote_and_before_the_signature() -> None:
    text, where = writing_position("On X wrote:\n> a\n> b\n\n-- \nsig")
    assert where == (3, 0)
    assert text.split("\n")[3:6] == ["", "", "-- "]  # a blank line stays before the signature
    assert writing_position("On X wrote:\n> a") == ("On X wrote:\n> a\n", (2, 0))
    assert writing_position("\n---------- Forwarded message ----------")[1] == (0, 0)
    assert writing_position("text from a mailto: link") == ("text from a mailto: link", (0, 0))


async def test_typing_a_reply_never_joins_the_attribution_line(mail_server) -> None:
    user = mail_server.new_user()
    seed(mail_server, user)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        for key in "Thanks":
            await pilot.press(key)
        lines = app.screen.query_one("#compose-body", TextArea).text.split("\n")
        typed = next(i for i, line in enumerate(lines) if "Thanks" in line)
        assert lines[typed] == "Thanks"
        assert any(line.endswith("wrote:") for line in lines[:typed])
        assert lines[typed - 1].startswith(">")


async def test_at_80x24_the_header_fields_leave_the_text_most_of_the_screen(mail_server):
    """Six header lines with a blank line after each left the text 8 rows of 24."""
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    app = make_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot)
        body = screen.query_one("#compose-body")
        await wait_for(pilot, lambda: body.region.height >= 14)
        subject = screen.query_one("#compose-subject")
        assert subject.region.y - screen.query_one("#compose-to").region.y == 3
    app = make_app(mail_server, user)
    async with app.run_test(size=(100, 40)) as pilot:  # room enough: spaced as before
        await ready(pilot)
        screen = await open_composer(pilot)
        await settle(pilot)
        subject = screen.query_one("#compose-subject")
        assert subject.region.y - screen.query_one("#compose-to").region.y == 6
