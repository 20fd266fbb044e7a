"""Quitting the app stops and joins every thread its accounts started (issue 13): the
IDLE watcher, the runtime's own threads and the outbox loop, over the bundled server."""

from __future__ import annotations

import threading

from tests.ui.helpers import make_app, ready, wait_for


async def test_quitting_the_app_joins_every_thread_it_started(mail_server):
    user = mail_server.new_user()
    before = set(threading.enumerate())
    app = make_app(mail_server, user, idle=True)
    service = app.service
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: service.states()["test"].activity == "push", timeout=30)
        started = service.threads()
        assert started  # push at least, and the outbox loop
        await app.action_quit()
        await pilot.pause()
    assert service.threads() == []
    assert not any(t.is_alive() for t in started), started
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not [t for t in left if "test" in t.name or "outbox" in t.name], left
