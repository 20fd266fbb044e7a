"""Snapshot of the outbox view (P) at 80x24: one message refused for good (the server's
words, markup-like, shown literally) and one that may have been sent. Update after a
reviewed change: pytest tests/snapshots/test_outbox_snapshot.py --snapshot-update"""

from __future__ import annotations

from tests.snapshots.helpers import steady
from tests.ui.helpers import make_app, settle, wait_for
from tests.ui.outbox_helpers import hold_refused, open_outbox


def test_outbox_view_80x24(snap_compare, mail_server):
    user = mail_server.new_user()
    # a fixed name (new_user's count depends on the tests run before): the same picture
    bob = mail_server.add_user("outbox-snapshot-bob")
    app = make_app(mail_server, user)

    async def held(pilot) -> None:
        await steady(pilot)
        await hold_refused(pilot, mail_server, "nobdy@example.test", subject="Lunch on Friday")
        await hold_refused(pilot, mail_server, bob.email, subject="Minutes", maybe_sent=True)
        await open_outbox(pilot)
        await wait_for(pilot, lambda: len(pilot.app.screen.entries) == 2)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=held)
