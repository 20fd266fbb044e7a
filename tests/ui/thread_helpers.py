"""A small conversation with real References for the thread tree tests and snapshots:
a question, two replies to it, a reply to the first reply, and a reply whose parent never
arrived (a placeholder groups it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage

from tests.ui.helpers import make_app, ready, settle, wait_for
from tuimail.core.thread_list import ThreadSource
from tuimail.ui.widgets.message_list import MessageList

# (message id, parent ids oldest first, sender, subject, date)
THREAD = [
    ("q", [], "Ana Núñez <ana@example.test>", "Release checklist", "Sun, 01 Mar 2026 09:00:00 +0000"),
    ("r1", ["q"], "Bob Example <bob@example.test>", "Re: Release checklist", "Sun, 01 Mar 2026 10:00:00 +0000"),
    ("r2", ["q", "r1"], "Ana Núñez <ana@example.test>", "Re: Release checklist", "Sun, 01 Mar 2026 11:00:00 +0000"),
    ("r3", ["q"], "Carol Example <carol@example.test>", "Re: Release checklist", "Mon, 02 Mar 2026 08:00:00 +0000"),
    ("o1", ["gone"], "Dave Example <dave@example.test>", "Re: Lost parent", "Sat, 28 Feb 2026 08:00:00 +0000"),
    ("o2", ["gone"], "Carol Example <carol@example.test>", "Re: Lost parent", "Sat, 28 Feb 2026 09:00:00 +0000"),
]  # fmt: skip


def message_list(app) -> MessageList:
    return app.main.query_one(MessageList)


async def threads_on(pilot) -> MessageList:
    """Press t and wait until the list shows thread trees."""
    await pilot.press("t")
    lst = message_list(pilot.app)
    await wait_for(pilot, lambda: isinstance(lst.source, ThreadSource))
    await settle(pilot)
    return lst


@asynccontextmanager
async def threads_shown(server, size: tuple[int, int] = (120, 30)) -> AsyncIterator[tuple]:
    """A new user given the conversation, the app on it run headless with thread trees
    on: yields (pilot, user, the message list)."""
    user = server.new_user()
    deliver_thread(server, user)
    app = make_app(server, user)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        yield pilot, user, await threads_on(pilot)


def _deliver(server, user, mid: str, parents: list[str], sender: str, subject: str, date: str):
    """Deliver `mid` answering the last of `parents` (References oldest first); no
    parents: a message that starts a thread."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = user.email
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = f"<{mid}@example.test>"
    if parents:
        msg["In-Reply-To"] = f"<{parents[-1]}@example.test>"
        msg["References"] = " ".join(f"<{p}@example.test>" for p in parents)
    msg.set_content(f"{subject} ({mid})\n")
    server.deliver(user, msg.as_bytes())


def deliver_thread(server, user) -> None:
    for mid, parents, sender, subject, date in THREAD:
        _deliver(server, user, mid, parents, sender, subject, date)


def deliver_reply(server, user, mid: str, parents: list[str], subject: str, date: str) -> None:
    """One more message of the conversation, from Erin: `mid` answering the last of
    `parents` (References oldest first); no parents: a message that starts a thread."""
    _deliver(server, user, mid, parents, "Erin Example <erin@example.test>", subject, date)
