"""After Send, the app says what happened to each recipient: a recipient the server
refused for good is named with the server's words (worded at the edge from the outbox's
data), instead of a plain "Message sent."."""

from __future__ import annotations

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
        await open_composer(
            pilot, to=f"{bob.email}, {carol.email}", subject="Some of you", body="Hi.\n"
        )
        await pilot.press("ctrl+s")
        want = f"not delivered to: {carol.email}: 550 5.1.1 No such user"

        def said() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await wait_for(pilot, lambda: any(want in m for m in said()), timeout=20)
        [note] = [m for m in said() if want in m]
        assert note.startswith(f"Message sent to {bob.email}; ")
        assert [n.severity for n in app._notifications if want in str(n.message)] == ["warning"]
        assert any(b"Some of you" in m for m in mail_server.messages(bob))


async def test_ctrl_r_sends_a_message_waiting_after_a_temporary_failure_now(mail_server):
    """Ctrl+R (check now) also tries the outbox's retrying messages at once, as the
    README says, instead of leaving them to their back-off (a minute and more)."""
    user, bob = mail_server.new_user(), mail_server.new_user()
    seed(mail_server, user, 1)
    mail_server.faults.add(
        Fault("smtp", "reply", command="CONNECT", code=421, message="4.3.2 Try later", times=1)
    )
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await open_composer(pilot, to=bob.email, subject="Second try", body="Hi.\n")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.service.outbox_waiting == 1, timeout=20)
        assert not mail_server.messages(bob)
        await wait_for(pilot, lambda: app.screen is app.main)  # safe in the outbox: closed
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: bool(mail_server.messages(bob)), timeout=30)
        assert b"Second try" in mail_server.messages(bob)[0]
        await wait_for(pilot, lambda: app.service.outbox_waiting == 0, timeout=10)


async def test_a_missing_attachment_is_said_and_sending_never_is(mail_server, tmp_path):
    """Regression: "Sending…" showed before the attachment check failed, for a message
    that was never sent. The problem is said; "Sending…" is not; the composer stays."""
    from tuimail.ui.screens.composer import ComposerScreen

    user, bob = mail_server.new_user(), mail_server.new_user()
    seed(mail_server, user, 1)
    app = make_app(mail_server, user)
    missing = tmp_path / "no-such-file.pdf"
    said: list[str] = []  # every note, also those that timed out already
    shown = app.notify
    app.notify = lambda message, **kw: (said.append(str(message)), shown(message, **kw))[1]
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot, to=bob.email, subject="With a file", body="Hi.\n")
        screen.query_one("#compose-attach").value = str(missing)
        await pilot.press("ctrl+s")

        await wait_for(pilot, lambda: any(str(missing) in m for m in said), timeout=20)
        assert not any("Sending" in m for m in said), said
        assert isinstance(app.screen, ComposerScreen)
        # and a message that does go out still says so
        screen.query_one("#compose-attach").value = ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(mail_server.messages(bob)), timeout=20)
        assert any("Sending" in m for m in said), said
