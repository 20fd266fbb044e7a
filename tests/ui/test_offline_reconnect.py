"""An offline account comes back by itself: the status bar shows when it will retry, and
once the server answers again the account syncs and pushes with no key pressed, and a
note says it is connected again."""

from __future__ import annotations

import re

from tests.ui.helpers import make_app, record_notes, seed, settle, wait_for
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.status import StatusBar


def _status(app) -> str:
    return str(app.main.query_one(StatusBar).render())


async def test_offline_account_reconnects_without_user_action(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    # every IMAP connection is greeted with "* BYE" and closed: the server is unusable
    mail_server.faults.add(protocol="imap", kind="bye")
    app = make_app(mail_server, user, idle=True, retry_after=2)
    notes = record_notes(app)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        await wait_for(pilot, lambda: "retrying in" in _status(app), timeout=15)
        status = _status(app)
        # counted down each second: 2 s when set, 1 s a second later on a slow machine
        assert "✕ test:" in status and re.search(r"retrying in [12] s", status), status
        assert app.service.states()["test"].state == "offline"
        lst = app.main.query_one(MessageList)
        assert lst.count == 0  # nothing cached yet
        mail_server.faults.clear()  # the server is reachable again; no key is pressed
        await wait_for(pilot, lambda: lst.count == 3, timeout=30)
        await wait_for(
            pilot,
            lambda: app.service.states()["test"].activity == "push",
            timeout=30,
        )
        status = _status(app)
        assert "● test: push connected" in status and "retrying" not in status, status
        assert any("test is connected again (it was offline since" in n for n in notes), notes
        assert "Lunch on Thursday?" in {lst.row_at(i).subject for i in range(3)}


async def test_at_80_columns_the_whole_offline_sentence_is_on_screen(mail_server):
    """The end of the sentence says what happens next: it wraps, it is never cut off."""
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="bye")
    app = make_app(mail_server, user, retry_after=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "retrying in" in _status(app), timeout=30)
        await settle(pilot)
        bar = app.main.query_one(StatusBar)
        shown = "".join(
            segment.text for y in range(bar.size.height) for segment in bar.render_line(y)
        )
        assert "retrying in" in shown, shown
        assert bar.region.bottom <= app.main.size.height - 1  # above the key footer


def _retry_seconds(app) -> int | None:
    found = re.search(r"retrying in (\d+) s", _status(app))
    return int(found.group(1)) if found else None


async def test_the_wait_before_the_next_attempt_counts_down(mail_server):
    """The status bar's "retrying in N s" is the time left, not the wait announced when
    the attempt failed: it used to stay at "retrying in 30 s" until the next attempt."""
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="bye")
    app = make_app(mail_server, user, retry_after=30)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: _retry_seconds(app) is not None, timeout=30)
        first = _retry_seconds(app)
        assert first is not None and first >= 20
        await wait_for(pilot, lambda: (_retry_seconds(app) or first) < first, timeout=15)


async def test_ctrl_r_once_the_server_answers_again_brings_push_back_at_once(mail_server):
    """Regression: after the server was gone for a while, Ctrl+R synced the account but
    push stayed off until the IDLE connection's back-off ran out (up to a minute): the
    bar said "up to date" and new mail waited. A pass that works now wakes the watcher,
    which connects again at once."""
    user = mail_server.new_user()
    seed(mail_server, user, 1)
    # IDLE answers an update no server may send (UID 0): the watcher drops that
    # connection and waits its floor for protocol violations (30 s) before the next
    mail_server.faults.add(protocol="imap", kind="idle_says", data=b"* 1 FETCH (UID 0 FLAGS ())")
    app = make_app(mail_server, user, idle=True, retry_after=60)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        state = app.service.states

        await wait_for(pilot, lambda: state()["test"].state == "offline", timeout=30)
        mail_server.faults.clear()  # the server behaves again
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: state()["test"].activity == "push", timeout=15)
        assert "● test: push connected" in _status(app), _status(app)
