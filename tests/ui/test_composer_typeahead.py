"""Keys typed ahead in the composer (fast, or arriving in one burst over SSH) act in
order: what follows Tab goes into the next field, never into the one Tab left."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea

from tests.ui.helpers import make_app, open_composer, ready, wait_for


def _type_burst(app, keys: list[tuple[str, str]]) -> None:
    """Queue every key at once, as a terminal's read of a burst delivers them (pilot.press
    waits after each key, which hides the race)."""
    for key, char in keys:
        app.post_message(events.Key(key, char))


def _chars(text: str) -> list[tuple[str, str]]:
    return [(c, c) for c in text]


async def test_text_typed_right_after_tab_lands_in_the_next_field(mail_server):
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot)
        to, cc, bcc, subject = (
            screen.query_one(f"#compose-{name}", Input) for name in ("to", "cc", "bcc", "subject")
        )
        await wait_for(pilot, lambda: to.has_focus)
        tab, back = ("tab", "\t"), ("shift+tab", "")
        _type_burst(
            app,
            [*_chars("bob@example.test"), tab, *_chars("cc@example.test"), tab, tab]
            + [*_chars("Hello"), back, *_chars("b@example.test")],
        )
        await wait_for(pilot, lambda: bcc.value == "b@example.test", timeout=10)
        assert to.value == "bob@example.test"
        assert cc.value == "cc@example.test"
        assert subject.value == "Hello"
        body = screen.query_one("#compose-body", TextArea).text
        assert "Hello" not in body and "example.test" not in body
