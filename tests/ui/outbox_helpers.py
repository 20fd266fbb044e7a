"""Helpers for the outbox view's tests: a message held in the outbox because the bundled
server's SMTP refused its recipient for good, and the view opened on it."""

from __future__ import annotations

from tests.ui.helpers import settle, wait_for
from tuimail.core.service import Draft

# A refusal whose words look like Textual markup: shown literally, never as markup.
MARKUP_REFUSAL = "5.1.1 [bold red]no[/] such user [@click=app.quit]here[/]"


async def hold_refused(
    pilot, mail_server, to: str, subject: str = "Lunch?", *, maybe_sent: bool = False
) -> None:
    """Send a message to `to` with the server refusing that recipient (550, words that
    look like markup), or with `maybe_sent` taking the data and closing without a reply;
    then wait until the outbox holds it for the user."""
    app = pilot.app
    if maybe_sent:
        mail_server.faults.add(protocol="smtp", kind="no_reply_after_data")
    else:
        mail_server.faults.add(
            protocol="smtp", kind="reply", command="RCPT", code=550, message=MARKUP_REFUSAL,
            match=to,
        )  # fmt: skip
    draft = Draft(account="test", to=to, subject=subject, body="See you at noon.\n")
    held = app.service.outbox_held_count
    app.work(lambda: app.service.send(draft), "send")
    await wait_for(pilot, lambda: app.service.outbox_held_count == held + 1, timeout=30)
    mail_server.faults.clear()
    await settle(pilot)


async def open_outbox(pilot):
    """Press P on the main screen; the outbox view once it lists what the outbox holds."""
    from tuimail.ui.screens.outbox import OutboxScreen

    await pilot.press("P")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, OutboxScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: bool(screen.entries), timeout=20)
    await settle(pilot)
    return screen


def shown(screen) -> list[str]:
    """The outbox view's rows as plain text."""
    from textual.widgets import OptionList

    options = screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
