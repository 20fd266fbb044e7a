"""Shared by the snapshot modules: wait until a screen is steady (synced, preview shown, no
cursor blink) before the picture is taken."""

from __future__ import annotations

from tests.ui.helpers import settle, wait_for


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
