"""Keys typed ahead in the composer (fast, or arriving in one burst over SSH) act in
order: what follows Tab goes into the next field, never into the one Tab left."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from tests.ui.helpers import chars, make_app, open_composer, ready, type_burst, wait_for


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
        type_burst(
            app,
            [*chars("bob@example.test"), tab, *chars("cc@example.test"), tab, tab]
            + [*chars("Hello"), back, *chars("b@example.test")],
        )
        await wait_for(pilot, lambda: bcc.value == "b@example.test", timeout=10)
        assert to.value == "bob@example.test"
        assert cc.value == "cc@example.test"
        assert subject.value == "Hello"
        body = screen.query_one("#compose-body", TextArea).text
        assert "Hello" not in body and "example.test" not in body
