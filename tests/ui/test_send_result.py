"""After Send, the app says what happened to each recipient: a recipient the server
refused for good is named with the server's words (worded at the edge from the outbox's
data), instead of a plain "Message sent."."""

from __future__ import annotations

from textual.widgets import TextArea

from tests.ui.helpers import make_app, open_composer, ready, seed, wait_for
from testserver.faults import Fault


async def test_a_refused_recipient_is_named_after_send(mail_server):
    user, bob, carol = (mail_server.new_user() for _ in range(3))
    seed(mail_server, user, 1)
    mail_server.faults.add(
        Fault("smtp", "reply", command="RCPT", code=550, message="5.1.1 No such user",
              match=carol.email)
    )  # fmt: skip
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#compose-to").value = f"{bob.email}, {carol.email}"
        screen.query_one("#compose-subject").value = "Some of you"
        screen.query_one("#compose-body", TextArea).text = "Hi.\n"
        await pilot.press("ctrl+s")
        want = f"not delivered to: {carol.email}: 550 5.1.1 No such user"

        def said() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await wait_for(pilot, lambda: any(want in m for m in said()), timeout=20)
        [note] = [m for m in said() if want in m]
        assert note.startswith(f"Message sent to {bob.email}; ")
        assert [n.severity for n in app._notifications if want in str(n.message)] == ["warning"]
        assert any(b"Some of you" in m for m in mail_server.messages(bob))
