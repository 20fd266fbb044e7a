"""Shared by the snapshot modules: wait until a screen is steady (synced, preview shown, no
cursor blink) before the picture is taken."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.ui.helpers import settle, wait_for
from tuimail.words import status as status_words

STILL_CLOCK = 1_000_000.0  # the status words' clock in a picture of the bar


async def steady(pilot) -> None:
    app = pilot.app
    if app.service is not None and app.start_sync:
        await wait_for(pilot, lambda: app.synced, timeout=20)
    # The preview starts once the cursor rests (a 0.15 s timer): wait until no preview
    # timer is pending, then for the load it started (no fixed sleep).
    for _ in range(20):
        await settle(pilot)
        if not _preview_pending(app):
            break
        await wait_for(pilot, lambda: not _preview_pending(app), timeout=10)
    await settle(pilot)
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


def _preview_pending(app) -> bool:
    """Whether a main screen's preview timer has yet to fire."""
    for screen in app.screen_stack:
        timer = getattr(screen, "_preview_timer", None)
        task = getattr(timer, "_task", None)
        if task is not None and not task.done():
            return True
    return False


async def bar_in_view(pilot, monkeypatch: pytest.MonkeyPatch, retrying: bool = False) -> None:
    """Steady, for a picture of the status bar: no note over it (a note covers the bar's
    right side) and "retrying in N s" still (the status words' clock stands still, each
    waiting account's retry due its announced wait after it). `retrying`: wait until the
    account has announced its retry first."""
    app = pilot.app
    await steady(pilot)
    if retrying:
        states = app.service.states
        await wait_for(pilot, lambda: any(s.retry_at for s in states().values()), timeout=20)
    monkeypatch.setattr(status_words, "time", SimpleNamespace(time=lambda: STILL_CLOCK))
    for state in app.service.states().values():
        if state.retry_at is not None and state.retry_in is not None:
            state.retry_at = STILL_CLOCK + state.retry_in
    app.clear_notifications()
    app.update_status()
    await steady(pilot)
